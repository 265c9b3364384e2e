//! The job queue end to end: phone verifications requested as PostgREST
//! requests, sent by `samia run` to the fake Twilio on loopback.
//!
//! - latency: from the commit of `request_phone_verification` to the
//!   provider receiving the send, one request at a time (p50, p99);
//! - throughput: a backlog of requests, all committed at once, worked off by
//!   one sidecar with 8 workers (jobs per second, committed to done).

use crate::cluster::{FakeTwilio, Sidecar};
use crate::postgrest::{request, Caller};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const LATENCY_JOBS: usize = 300;
const BACKLOG_JOBS: usize = 2_000;
const GOAL_P50_MS: f64 = 10.0;
const GOAL_P99_MS: f64 = 50.0;
const GOAL_JOBS_PER_S: f64 = 1000.0;

fn user(n: usize) -> String {
    format!("d0000000-0000-4000-8000-{n:012}")
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

async fn done_count(client: &tokio_postgres::Client) -> anyhow::Result<i64> {
    Ok(client
        .query_one("select count(*) from ops.jobs where status = 'done'", &[])
        .await?
        .get(0))
}

pub async fn run(url: &str) -> anyhow::Result<()> {
    let system = crate::connect(url).await?;
    let mut api = crate::connect(url).await?;
    system
        .batch_execute(&format!(
            "delete from ops.jobs;
             insert into auth.users (id, email)
             select ('d0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'j' || g || '@bench.test'
               from generate_series(1, {}) g
             on conflict do nothing",
            LATENCY_JOBS + BACKLOG_JOBS
        ))
        .await?;
    let fake = FakeTwilio::start()?;
    let sidecar = Sidecar::start(
        url,
        &fake,
        &[
            ("SAMIA_CONCURRENCY", "8"),
            ("SAMIA_POLL_MS", "1000"),
            ("RUST_LOG", "error"),
        ],
    )?;

    // Latency: one request at a time, each waited for.
    let mut committed = Vec::with_capacity(LATENCY_JOBS);
    for i in 1..=LATENCY_JOBS {
        let id = user(i);
        let phone = format!("+2010{:08}", i);
        request(
            &mut api,
            Caller::User(&id),
            &format!("select id from public.request_phone_verification('{phone}')"),
        )
        .await?;
        committed.push((phone, now_us()));
        let started = Instant::now();
        while done_count(&system).await? < i as i64 {
            if started.elapsed() > Duration::from_secs(10) {
                anyhow::bail!("job {i} was not done within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let requests = fake.requests()?;
    let mut latencies: Vec<f64> = committed
        .iter()
        .filter_map(|(phone, at)| {
            requests
                .iter()
                .find(|r| r["to"] == phone.as_str())
                .and_then(|r| r["at_us"].as_u64())
                .map(|t| t.saturating_sub(*at) as f64 / 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    let (p50, p99) = (pct(0.50), pct(0.99));

    // Throughput: a backlog committed in one transaction, then worked off.
    let tx = api.transaction().await?;
    for i in LATENCY_JOBS + 1..=LATENCY_JOBS + BACKLOG_JOBS {
        tx.batch_execute(&format!(
            "set local role authenticated;
             select set_config('request.jwt.claims', '{{\"sub\":\"{}\",\"role\":\"authenticated\"}}', true);
             select public.request_phone_verification('+2011{:08}');
             reset role;",
            user(i),
            i
        ))
        .await?;
    }
    tx.commit().await?;
    let started = Instant::now();
    let total = (LATENCY_JOBS + BACKLOG_JOBS) as i64;
    while done_count(&system).await? < total {
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("the backlog was not worked off within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rate = BACKLOG_JOBS as f64 / started.elapsed().as_secs_f64();
    drop(sidecar);

    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("jobs: enqueue (commit) to provider call, {LATENCY_JOBS} single requests, fake Twilio on loopback");
    println!(
        "  latency p50 {p50:.1} ms (goal <= {GOAL_P50_MS} ms: {}), p99 {p99:.1} ms (goal <= {GOAL_P99_MS} ms: {})",
        verdict(p50 <= GOAL_P50_MS),
        verdict(p99 <= GOAL_P99_MS)
    );
    println!(
        "  throughput {rate:.0} jobs/s over a backlog of {BACKLOG_JOBS}, 1 sidecar x 8 workers (goal >= {GOAL_JOBS_PER_S}/s: {})",
        verdict(rate >= GOAL_JOBS_PER_S)
    );
    Ok(())
}
