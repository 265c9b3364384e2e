//! Push notifications end to end (CONTRACT.md section 15): notices inserted
//! into `public.notifications` by the system, each queueing one `push.send`
//! per device of its user (two each, registered by the users themselves),
//! pushed by one `samia run` to the fake FCM on loopback.
//!
//! Four rounds of `NOTICES` notices (2,000 pushes each), after a warm-up
//! that fetches the FCM access token and opens the workers' connections:
//!
//! - **paced**: one notice per transaction from `ENQUEUERS` connections, at
//!   `LIGHT_PER_S` notices a second in all (light load: the latency of the
//!   path itself), then at `GOAL_PER_S` (pushes at the throughput goal);
//! - **burst**: one per transaction, as fast as the connections commit;
//! - **backlog**: all the notices in one transaction (every push queued at
//!   once: what one sidecar works off, with no enqueue beside it).
//!
//! Per push, the latency is from its notice's commit (when the inserting
//! connection is told so) to the fake FCM accepting it (its `at_us`, the
//! same clock): p50, p99 and max. Throughput is pushes a second from the
//! first commit to the last receipt, and in the steady part (between the
//! 10th and the 90th percentile of the receipts).

use crate::cluster::{FakeTwilio, Sidecar};
use crate::fcm::FakeFcm;
use anyhow::{bail, ensure, Result};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_postgres::Client;

const USERS: usize = 500;
const NOTICES: usize = 1_000;
const DEVICES: usize = 2;
const ENQUEUERS: usize = 4;
/// Notices a second of the paced rounds: light load, and the throughput
/// goal's (two pushes each).
const LIGHT_PER_S: f64 = 50.0;
const GOAL_PER_S: f64 = 250.0;
const WARM_UP: usize = 100;
/// Workers of the sidecar (`SAMIA_CONCURRENCY` in the environment
/// overrides it; the sidecar allows at most 64).
const WORKERS: &str = "32";
const GOAL_P99_MS: f64 = 100.0;
const GOAL_PUSHES_PER_S: f64 = 500.0;
const LIMIT: Duration = Duration::from_secs(180);

fn user(n: usize) -> String {
    format!("f0000000-0000-4000-8000-{n:012}")
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

const INSERT: &str = "insert into public.notifications (user_id, kind, title, body, params, locale)
     values ($1::text::uuid, 'order.delivered', 'Your reading is ready',
             'Your reader has answered your question: open the app to listen to the reading.',
             '{}', 'en')
     returning id";

/// How the notices of a round are committed.
#[derive(Clone, Copy)]
enum Enqueue {
    /// One per transaction, at this many a second in all.
    Paced(f64),
    /// One per transaction, as fast as the connections commit.
    Burst,
    /// All in one transaction.
    Backlog,
}

/// The `n`th notice of a round goes to this user.
fn receiver(n: usize) -> String {
    user(n % USERS + 1)
}

/// Commits the notices of a round; each notice's id and commit time (µs).
async fn enqueue(system: &mut Client, url: &str, how: Enqueue) -> Result<Vec<(i64, u64)>> {
    if let Enqueue::Backlog = how {
        let tx = system.transaction().await?;
        let insert = tx.prepare(INSERT).await?;
        let mut ids = Vec::with_capacity(NOTICES);
        for n in 0..NOTICES {
            ids.push(
                tx.query_one(&insert, &[&receiver(n)])
                    .await?
                    .get::<_, i64>(0),
            );
        }
        tx.commit().await?;
        let at = now_us();
        return Ok(ids.into_iter().map(|id| (id, at)).collect());
    }
    let rate = match how {
        Enqueue::Paced(rate) => Some(rate),
        _ => None,
    };
    let mut connections = Vec::with_capacity(ENQUEUERS);
    for _ in 0..ENQUEUERS {
        let db = crate::connect(url).await?;
        let insert = db.prepare(INSERT).await?;
        connections.push((db, insert));
    }
    let started = tokio::time::Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(e, (db, insert))| {
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(NOTICES / ENQUEUERS + 1);
                for n in (e..NOTICES).step_by(ENQUEUERS) {
                    if let Some(rate) = rate {
                        let due = started + Duration::from_secs_f64(n as f64 / rate);
                        tokio::time::sleep_until(due).await;
                    }
                    let row = db.query_one(&insert, &[&receiver(n)]).await?;
                    out.push((row.get::<_, i64>(0), now_us()));
                }
                Ok::<_, anyhow::Error>(out)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(NOTICES);
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

/// Waits until every push of `ids` is sent; fails on one that ended otherwise.
async fn wait_sent(system: &Client, ids: &[i64]) -> Result<()> {
    let started = Instant::now();
    let want = (ids.len() * DEVICES) as i64;
    // The notices of a round are the only ones inserted meanwhile.
    let first = ids.iter().copied().min().unwrap_or_default();
    let last = ids.iter().copied().max().unwrap_or_default();
    loop {
        let row = system
            .query_one(
                "select count(*) filter (where status = 'sent'),
                        count(*) filter (where status in ('dead', 'failed', 'skipped'))
                   from ops.push_sends where notification_id between $1 and $2",
                &[&first, &last],
            )
            .await?;
        let (sent, lost): (i64, i64) = (row.get(0), row.get(1));
        ensure!(lost == 0, "{lost} pushes ended without being sent");
        if sent >= want {
            return Ok(());
        }
        if started.elapsed() > LIMIT {
            bail!("{sent} of {want} pushes sent within {LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Receipt times (µs) of the pushes of the notices in `committed`, with
/// their latencies (ms); the first receipt of a notice and token counts.
fn receipts(fcm: &FakeFcm, committed: &HashMap<i64, u64>) -> Result<(Vec<u64>, Vec<f64>)> {
    let mut first: HashMap<(i64, String), u64> = HashMap::new();
    for m in fcm.messages()? {
        let notice = m["message"]["data"]["notification_id"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok());
        let (Some(notice), Some(token), Some(at)) =
            (notice, m["token"].as_str(), m["at_us"].as_u64())
        else {
            continue;
        };
        if committed.contains_key(&notice) {
            let kept = first.entry((notice, token.to_string())).or_insert(at);
            *kept = (*kept).min(at);
        }
    }
    ensure!(
        first.len() == committed.len() * DEVICES,
        "the fake accepted {} pushes of {} notices",
        first.len(),
        committed.len()
    );
    let mut at: Vec<u64> = first.values().copied().collect();
    at.sort_unstable();
    let mut latencies: Vec<f64> = first
        .iter()
        .map(|((notice, _), at)| at.saturating_sub(committed[notice]) as f64 / 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    Ok((at, latencies))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// What a round measured.
struct Figures {
    p50: f64,
    p99: f64,
    max: f64,
    overall: f64,
    steady: f64,
    enqueue_s: f64,
}

async fn round(
    system: &mut Client,
    url: &str,
    fcm: &FakeFcm,
    label: &str,
    how: Enqueue,
) -> Result<Figures> {
    let committed = enqueue(system, url, how).await?;
    let ids: Vec<i64> = committed.iter().map(|(id, _)| *id).collect();
    wait_sent(system, &ids).await?;
    let first_commit = committed.iter().map(|(_, at)| *at).min().unwrap_or(0);
    let last_commit = committed.iter().map(|(_, at)| *at).max().unwrap_or(0);
    let committed: HashMap<i64, u64> = committed.into_iter().collect();
    let (at, latencies) = receipts(fcm, &committed)?;
    let n = at.len();
    let span_s = |from: u64, to: u64| (to.saturating_sub(from) as f64 / 1e6).max(1e-6);
    let (lo, hi) = (n / 10, n * 9 / 10);
    let f = Figures {
        p50: pct(&latencies, 0.50),
        p99: pct(&latencies, 0.99),
        max: latencies[n - 1],
        overall: n as f64 / span_s(first_commit, at[n - 1]),
        steady: (hi - lo) as f64 / span_s(at[lo], at[hi]),
        enqueue_s: span_s(first_commit, last_commit),
    };
    println!(
        "  {label:<44} p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  {:>5.0} pushes/s ({:.0}/s steady), enqueued in {:.2} s",
        f.p50, f.p99, f.max, f.overall, f.steady, f.enqueue_s
    );
    Ok(f)
}

/// Users with two devices each, registered through `register_push_device`
/// as each user (one transaction for all).
async fn devices(system: &mut Client) -> Result<()> {
    system
        .batch_execute(&format!(
            "insert into auth.users (id, email)
             select ('f0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'p' || g || '@bench.test'
               from generate_series(1, {USERS}) g
             on conflict do nothing"
        ))
        .await?;
    let mut sql = String::new();
    for n in 1..=USERS {
        sql.push_str(&format!(
            "set local role authenticated;
             select set_config('request.jwt.claims', '{{\"sub\":\"{u}\",\"role\":\"authenticated\"}}', true);
             select public.register_push_device('bench-{n}-phone:APA91b{n:08}', 'android', '3.1.0');
             select public.register_push_device('bench-{n}-tablet:APA91b{n:08}', 'ios', '3.1.0');
             reset role;",
            u = user(n)
        ));
    }
    let tx = system.transaction().await?;
    tx.batch_execute(&sql).await?;
    tx.commit().await?;
    let enabled: i64 = system
        .query_one(
            "select count(*) from public.push_devices
              where disabled_at is null and token like 'bench-%'",
            &[],
        )
        .await?
        .get(0);
    ensure!(
        enabled as usize == USERS * DEVICES,
        "{enabled} devices registered"
    );
    Ok(())
}

pub async fn run(url: &str) -> Result<()> {
    let mut system = crate::connect(url).await?;
    devices(&mut system).await?;
    let workers = std::env::var("SAMIA_CONCURRENCY").unwrap_or_else(|_| WORKERS.into());
    let fcm = FakeFcm::start()?;
    let twilio = FakeTwilio::start()?;
    let mut env = fcm.env();
    env.push(("SAMIA_CONCURRENCY".into(), workers.clone()));
    env.push(("SAMIA_POLL_MS".into(), "1000".into()));
    env.push(("RUST_LOG".into(), "error".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sidecar = Sidecar::start(url, &twilio, &env)?;

    // Warm-up: the access token fetched, every worker's connection open.
    let tx = system.transaction().await?;
    let mut ids = Vec::with_capacity(WARM_UP);
    for n in 0..WARM_UP {
        ids.push(
            tx.query_one(INSERT, &[&receiver(n)])
                .await?
                .get::<_, i64>(0),
        );
    }
    tx.commit().await?;
    wait_sent(&system, &ids).await?;

    println!(
        "push: {NOTICES} notices a round to {USERS} users with {DEVICES} devices each \
         ({} pushes), 1 sidecar x {workers} workers, fake FCM on loopback; \
         latency from the notice's commit to the fake's receipt",
        NOTICES * DEVICES
    );
    let mut results = Vec::new();
    for (label, how) in [
        (
            format!("paced, {LIGHT_PER_S:.0} notices/s, 1 per tx, {ENQUEUERS} conns"),
            Enqueue::Paced(LIGHT_PER_S),
        ),
        (
            format!("paced, {GOAL_PER_S:.0} notices/s, 1 per tx, {ENQUEUERS} conns"),
            Enqueue::Paced(GOAL_PER_S),
        ),
        (
            format!("burst, 1 per tx, {ENQUEUERS} conns, no pause"),
            Enqueue::Burst,
        ),
        ("backlog, all in 1 tx".to_string(), Enqueue::Backlog),
    ] {
        results.push(round(&mut system, url, &fcm, &label, how).await?);
    }
    drop(sidecar);

    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let (light, goal, burst, backlog) = (&results[0], &results[1], &results[2], &results[3]);
    println!(
        "  goal p99 <= {GOAL_P99_MS} ms: {:.1} ms at {:.0} pushes/s offered, {:.1} ms at {:.0}/s offered: {}",
        light.p99,
        LIGHT_PER_S * DEVICES as f64,
        goal.p99,
        GOAL_PER_S * DEVICES as f64,
        verdict(goal.p99 <= GOAL_P99_MS)
    );
    let best = burst.steady.max(backlog.steady);
    println!(
        "  goal >= {GOAL_PUSHES_PER_S} pushes/s from one sidecar: {:.0}/s burst, {:.0}/s backlog (steady): {}",
        burst.steady,
        backlog.steady,
        verdict(best >= GOAL_PUSHES_PER_S)
    );
    Ok(())
}
