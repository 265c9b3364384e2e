//! The `tiktok.sync` job and the schedule that queues it.

use super::account;
use super::client::TikTokClient;
use super::ingest::{self as sync, Options, SyncError};
use crate::jobs::{Failure, Job};
use deadpool_postgres::Pool;
use std::time::Duration;
use tokio::sync::watch;

/// Does one attempt of a sync.
pub async fn perform_sync(
    tiktok: Option<&TikTokClient>,
    pool: &Pool,
    job: &Job,
    fetch: bool,
) -> Result<(), Failure> {
    let Some(tiktok) = tiktok else {
        return Err(Failure::Permanent(
            "tiktok.sync needs TikTok: set TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET and TIKTOK_REDIRECT_URI for `samia run`".into(),
        ));
    };
    let full = job
        .payload
        .get("full")
        .and_then(|f| f.as_bool())
        .unwrap_or(false);
    let mut client = pool.get().await.map_err(|e| Failure::Transient {
        error: format!("database: {e}"),
        retry_after: None,
    })?;
    let options = Options {
        full,
        fetch,
        rate_limit_pause: Duration::from_secs(2),
    };
    let mut progress = |line: &str| tracing::debug!(job = job.id, "{line}");
    match sync::sync(&mut client, tiktok, options, &mut progress).await {
        Ok(done) => {
            tracing::info!(
                job = job.id,
                full,
                requests = done.requests,
                new = done.new,
                updated = done.updated,
                removed = done.removed,
                "TikTok synced"
            );
            Ok(())
        }
        // Recorded on the account (health shows it); retrying cannot help.
        Err(SyncError::Stopped(reason)) => {
            tracing::error!(job = job.id, reason = %reason, "TikTok sync stopped");
            Ok(())
        }
        Err(SyncError::NotConnected(reason)) => {
            tracing::warn!(job = job.id, reason = %reason, "TikTok sync skipped");
            Ok(())
        }
        Err(SyncError::Transient { error, retry_after }) => {
            Err(Failure::Transient { error, retry_after })
        }
    }
}

/// Queues a sync whenever one is due (`tiktok.sync_interval`, a full one
/// daily), checking every `every`; keeps `notice` at the account's stop
/// reason for `/healthz`.
pub async fn schedule(
    pool: Pool,
    notice: watch::Sender<Option<String>>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match pool.get().await {
            Ok(client) => {
                match sync::due(&**client).await {
                    Ok(Some(full)) => match sync::queue(&**client, full).await {
                        Ok(true) => tracing::debug!(full, "queued a TikTok sync"),
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(error = %crate::error::describe(&e), "cannot queue a TikTok sync")
                        }
                    },
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %crate::error::describe(&e), "cannot check whether a TikTok sync is due")
                    }
                }
                if let Ok(Some(status)) = account::status(&**client).await {
                    let stopped = status.stopped.map(|s| format!("sync stopped: {s}"));
                    notice.send_if_modified(|n| {
                        let changed = *n != stopped;
                        *n = stopped.clone();
                        changed
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot reach the database to schedule TikTok syncs")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}
