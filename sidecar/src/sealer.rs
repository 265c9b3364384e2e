//! The audit sealer of `samia run`: shortly after audit rows commit, seal
//! them into the hash chain (`samia.audit_seal`, the same function as
//! `samia audit seal`). Several sidecars may seal at once: the function takes
//! turns on an advisory lock.

use crate::db::Query as _;
use crate::metrics::Metrics;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const BATCH: i32 = 10_000;

pub async fn run(
    pool: Pool,
    every: Duration,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        match seal_all(&pool).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "sealed audit rows"),
            Err(reason) => {
                metrics.db_error("audit_seal");
                tracing::warn!(error = %reason, "cannot seal audit rows; retrying later");
            }
        }
    }
}

/// Seals every committed, unsealed audit row, in batches; `progress` gets
/// the running total after each full batch. Returns the total.
pub async fn seal_all_with(
    client: &tokio_postgres::Client,
    mut progress: impl FnMut(i64),
) -> Result<i64, tokio_postgres::Error> {
    let mut total = 0;
    loop {
        let n: i32 = client
            .fetch_one("select samia.audit_seal($1)", &[&BATCH])
            .await?
            .try_get(0)?;
        total += i64::from(n);
        if n < BATCH {
            return Ok(total);
        }
        progress(total);
    }
}

async fn seal_all(pool: &Pool) -> Result<i64, String> {
    let client = pool.get().await.map_err(|e| e.to_string())?;
    seal_all_with(&client, |_| {})
        .await
        .map_err(|e| crate::error::describe(&e))
}
