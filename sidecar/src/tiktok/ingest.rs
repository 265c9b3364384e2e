//! Syncing the owner's posts into `tiktok_posts`.
//!
//! Pages are listed newest first (`sync::sync_pages`) until a page holds a
//! post already recorded (a full listing goes to the end), then everything new is
//! recorded in one transaction through `samia.tiktok_record_posts`, which
//! classifies each caption. Nothing is recorded before the listing ends,
//! so a sync cut short (the sidecar killed, TikTok failing) leaves the
//! table as it was and the next one starts over; recording is an upsert on
//! the post id, so two sidecars syncing at once record each post once.
//! A full listing also flags posts TikTok no longer lists (`removed`).

use super::account::{self, AccountError};
use super::client::{TikTokClient, Video};
use super::errors::TikTokError;
use super::sync::{Stop, SyncOptions};
use crate::db::Query as _;
use crate::http::outbound::ProviderError;
use std::collections::HashSet;
use std::time::Duration;

/// Posts recorded per statement.
const CHUNK: usize = 500;
/// Pages of a full listing at most (200,000 posts).
const MAX_PAGES: u32 = 10_000;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Synced {
    pub requests: u32,
    pub listed: usize,
    pub new: i64,
    pub updated: i64,
    pub removed: i64,
    /// Audio jobs queued for new posts (with a fetch command).
    pub fetches: i64,
    /// A full listing reached the end (and flagged removed posts).
    pub full: bool,
}

/// Why a sync did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The operator must act (connect again, fix credentials); retrying
    /// does not help.
    #[error("{0}")]
    Stopped(String),
    #[error("{0}")]
    NotConnected(String),
    /// Worth another try later.
    #[error("{error}")]
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
}

impl From<AccountError> for SyncError {
    fn from(e: AccountError) -> SyncError {
        match e {
            AccountError::NotConnected => SyncError::NotConnected(e.to_string()),
            AccountError::Stopped(_) => SyncError::Stopped(e.to_string()),
            AccountError::TikTok(t) => from_tiktok(t),
            AccountError::Db(d) => SyncError::Transient {
                error: format!("database: {d}"),
                retry_after: None,
            },
        }
    }
}

fn from_tiktok(e: TikTokError) -> SyncError {
    tracing::warn!(code = e.code(), error = %e, "TikTok refused the sync");
    if e.stops_sync() {
        return SyncError::Stopped(e.to_string());
    }
    SyncError::Transient {
        retry_after: e.retry_after(),
        error: e.to_string(),
    }
}

fn db(e: tokio_postgres::Error) -> SyncError {
    SyncError::Transient {
        error: format!("database: {}", crate::error::describe(&e)),
        retry_after: None,
    }
}

/// How a sync runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// List every post (and flag those TikTok no longer lists).
    pub full: bool,
    /// Queue a `tiktok.audio` fetch for every new post (a fetch command is
    /// configured).
    pub fetch: bool,
    /// The first pause after a rate limit or a failure without
    /// Retry-After (doubles on each retry).
    pub rate_limit_pause: Duration,
}

/// Lists and records the owner's posts; `progress` hears about each page.
pub async fn sync(
    db_client: &mut tokio_postgres::Client,
    tiktok: &TikTokClient,
    options: Options,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Synced, SyncError> {
    let mut out = Synced::default();
    let (used, budget) = requests_today(db_client).await.map_err(db)?;
    if used >= budget {
        return Err(SyncError::Transient {
            error: format!(
                "today's TikTok request budget is spent ({used} of {budget}, app_config \
                 tiktok.daily_request_budget): syncing resumes tomorrow (UTC)"
            ),
            retry_after: Some(Duration::from_secs(3600)),
        });
    }
    let result = list_and_record(db_client, tiktok, options, progress, &mut out).await;
    let error = match &result {
        Ok(()) => None,
        Err(e) => Some(e.to_string()),
    };
    // What happened, for `samia health` (best effort: the error itself is returned).
    let _ = db_client
        .exec(
            "update ops.tiktok_account
                set last_sync_at = case when $1::text is null then now() else last_sync_at end,
                    last_sync_new = case when $1::text is null then $2 else last_sync_new end,
                    last_full_sync_at = case when $3 then now() else last_full_sync_at end,
                    last_sync_error = $1, updated_at = now()",
            &[&error, &(out.new as i32), &out.full],
        )
        .await;
    let _ = db_client
        .exec(
            "insert into ops.tiktok_usage as u (day, requests)
             values ((now() at time zone 'UTC')::date, $1)
             on conflict (day) do update set requests = u.requests + excluded.requests",
            &[&(out.requests as i32)],
        )
        .await;
    result.map(|()| out)
}

async fn list_and_record(
    db_client: &mut tokio_postgres::Client,
    tiktok: &TikTokClient,
    options: Options,
    progress: &mut (dyn FnMut(&str) + Send),
    out: &mut Synced,
) -> Result<(), SyncError> {
    let mut token = account::access_token(db_client, tiktok, false).await?;
    // Posts already recorded (ids only: thousands fit easily).
    let known: HashSet<String> = if options.full {
        HashSet::new()
    } else {
        db_client
            .fetch_all("select post_id from public.tiktok_posts", &[])
            .await
            .map_err(db)?
            .iter()
            .filter_map(|r| r.try_get::<_, String>(0).ok())
            .collect()
    };
    let paging = SyncOptions {
        max_pages: if options.full {
            MAX_PAGES
        } else {
            SyncOptions::default().max_pages
        },
        base_backoff: options.rate_limit_pause,
        ..SyncOptions::default()
    };
    let mut refreshed = false;
    let listed = loop {
        match tiktok
            .sync_pages(&token, |id| known.contains(id), &paging)
            .await
        {
            Ok(listed) => {
                out.requests += listed.requests;
                break listed;
            }
            Err(failure) => {
                out.requests += failure.requests;
                let e = failure.error;
                if e.needs_refresh() && !refreshed {
                    refreshed = true;
                    progress("TikTok refused the access token: refreshing it");
                    token = account::access_token(db_client, tiktok, true).await?;
                    continue;
                }
                if e.stops_sync() || e.needs_refresh() {
                    // Refreshed and still refused, or the grant is gone.
                    let reason = e.to_string();
                    account::stop(&*db_client, &reason).await.map_err(db)?;
                    return Err(SyncError::Stopped(format!(
                        "TikTok syncing stopped: {reason}; run `samia tiktok connect` again"
                    )));
                }
                return Err(from_tiktok(e));
            }
        }
    };
    progress(&format!(
        "listed {} new posts in {} requests ({})",
        listed.videos.len(),
        out.requests,
        match listed.stop {
            Stop::KnownPost => "reached a known post",
            Stop::End => "reached the end",
            Stop::PageLimit => "stopped at the page limit",
        }
    ));
    out.listed = listed.videos.len();
    let complete = listed.stop == Stop::End;
    record(db_client, &listed.videos, options, complete, out).await
}

async fn record(
    db_client: &mut tokio_postgres::Client,
    listed: &[Video],
    options: Options,
    complete: bool,
    out: &mut Synced,
) -> Result<(), SyncError> {
    let tx = db_client.transaction().await.map_err(db)?;
    for chunk in listed.chunks(CHUNK) {
        let videos = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
        let counts: String = tx
            .fetch_one(
                "select samia.tiktok_record_posts($1::text::jsonb)::text",
                &[&videos],
            )
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
        let counts: serde_json::Value = serde_json::from_str(&counts).unwrap_or_default();
        out.new += counts["new"].as_i64().unwrap_or(0);
        out.updated += counts["updated"].as_i64().unwrap_or(0);
    }
    if options.full && complete {
        out.full = true;
        let seen: Vec<String> = listed.iter().map(|v| v.id.clone()).collect();
        let oldest = listed.iter().map(|v| v.create_time).min().unwrap_or(0);
        out.removed = tx
            .fetch_one(
                "select samia.tiktok_mark_removed($1, to_timestamp($2::double precision))",
                &[&seen, &(oldest as f64)],
            )
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
    }
    if options.fetch && !listed.is_empty() {
        let ids: Vec<String> = listed.iter().map(|v| v.id.clone()).collect();
        out.fetches = tx
            .exec(
                "insert into ops.jobs (kind, payload)
                 select $2, jsonb_build_object('post_id', p.id, 'share_url', p.share_url)
                   from public.tiktok_posts p
                  where p.post_id = any($1) and p.share_url is not null
                    and p.media_id is null and p.source_media_id is null
                    and not exists (select 1 from ops.jobs j
                                     where j.kind = $2 and (j.payload ->> 'post_id')::bigint = p.id
                                       and j.status in ('queued', 'running'))",
                &[&ids, &samia_core::jobs::TIKTOK_AUDIO],
            )
            .await
            .map_err(db)? as i64;
        if out.fetches > 0 {
            tx.exec(
                "select pg_notify($1, $2)",
                &[&samia_core::jobs::CHANNEL, &samia_core::jobs::TIKTOK_AUDIO],
            )
            .await
            .map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}

/// TikTok requests made today (UTC) and the day's budget.
pub async fn requests_today<C: tokio_postgres::GenericClient>(
    client: &C,
) -> Result<(i64, i64), tokio_postgres::Error> {
    let used: i64 = client
        .fetch_one(
            "select coalesce((select requests from ops.tiktok_usage
                               where day = (now() at time zone 'UTC')::date), 0)::bigint",
            &[],
        )
        .await?
        .try_get(0)?;
    let budget = samia_core::config::number(
        crate::db::setting(client, samia_core::config::TIKTOK_DAILY_REQUESTS)
            .await?
            .as_ref(),
        samia_core::config::DEFAULT_TIKTOK_DAILY_REQUESTS,
    );
    Ok((used, budget))
}

/// Queues a sync unless one is queued or running (any sidecar's); true
/// when this call queued it.
pub async fn queue<C: tokio_postgres::GenericClient>(
    client: &C,
    full: bool,
) -> Result<bool, tokio_postgres::Error> {
    let n = client
        .exec(
            "insert into ops.jobs (kind, payload, max_attempts) values ($1, jsonb_build_object('full', $2::boolean), 3)
             on conflict (kind) where kind = 'tiktok.sync' and status in ('queued', 'running') do nothing",
            &[&samia_core::jobs::TIKTOK_SYNC, &full],
        )
        .await?;
    if n > 0 {
        client
            .exec(
                "select pg_notify($1, $2)",
                &[&samia_core::jobs::CHANNEL, &samia_core::jobs::TIKTOK_SYNC],
            )
            .await?;
    }
    Ok(n > 0)
}

/// Whether a scheduled sync is due now: ingest on, the account connected
/// and not stopped, and the last sync older than `tiktok.sync_interval`.
/// Returns whether it should be a full listing (once a day).
pub async fn due<C: tokio_postgres::GenericClient>(
    client: &C,
) -> Result<Option<bool>, tokio_postgres::Error> {
    let ingest = crate::db::setting(client, samia_core::config::INGEST_ENABLED).await?;
    if !samia_core::config::enabled(ingest.as_ref(), None) {
        return Ok(None);
    }
    let row = client
        .fetch_opt(
            "select coalesce(a.last_sync_at, '-infinity') <
                      now() - coalesce((select (value #>> '{}')::interval from public.app_config
                                         where key = 'tiktok.sync_interval'), interval '30 minutes'),
                    coalesce(a.last_full_sync_at, '-infinity') < now() - interval '1 day'
               from ops.tiktok_account a
              where a.id and a.refresh_token is not null and a.stopped is null",
            &[],
        )
        .await?;
    Ok(match row {
        Some(r) if r.try_get::<_, bool>(0)? => Some(r.try_get::<_, bool>(1)?),
        _ => None,
    })
}
