//! Benchmarks: each compares two ways of doing the same work, measured side
//! by side in one run against the same database, and prints both times and
//! their ratio. Run with `make bench` (optionally `BENCH=<name>`).

pub mod audit;
pub mod backfill;
pub mod calls;
pub mod ingest;
pub mod jobs;
pub mod lifecycle;
pub mod media;
pub mod probe;
pub mod push;
pub mod realtime;
pub mod rls;
pub mod zodiac;

use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Runs `a` and `b` alternately `rounds` times and returns the best time of each.
pub async fn best_of(
    client: &Client,
    rounds: usize,
    a: &str,
    b: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        best_a = best_a.min(time(client, a).await?);
        best_b = best_b.min(time(client, b).await?);
    }
    Ok((best_a, best_b))
}

async fn time(client: &Client, sql: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    client.batch_execute(sql).await?;
    Ok(started.elapsed())
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
