//! Audited inserts: orders placed with every trigger on, against the same
//! inserts with only the audit trigger disabled, in one run. Each insert is
//! its own statement (one order), 500 statements per transaction, pipelined,
//! from two connections at once (one per core, as concurrent requests keep
//! the server busy), with synchronous_commit on. The sides take turns every
//! block (one transaction per connection), going first in turn, so a slow
//! spell of the machine or a checkpoint falls on both; a checkpoint and an
//! untimed block of each side come first.

use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

const INSERTS: usize = 20_000;
const PER_TRANSACTION: usize = 500;
const CONNECTIONS: usize = 2;
const BLOCKS: usize = INSERTS / (PER_TRANSACTION * CONNECTIONS);
const ROUNDS: usize = 3;

const INSERT: &str = "insert into public.orders (user_id, service_id, question_text)
                      values ($1::text::uuid, (select min(id) from public.services), 'bench')";

/// One block of one side: a transaction of PER_TRANSACTION inserts on each
/// connection at once.
async fn block(
    client: &Client,
    workers: &[(Client, Statement)],
    audited: bool,
    block: usize,
) -> anyhow::Result<Duration> {
    let toggle = if audited { "enable" } else { "disable" };
    client
        .batch_execute(&format!(
            "alter table public.orders {toggle} trigger orders_audit_created"
        ))
        .await?;
    let started = Instant::now();
    let shares = workers
        .iter()
        .enumerate()
        .map(|(w, (c, insert))| transaction(c, insert, block * CONNECTIONS + w));
    futures_util::future::try_join_all(shares).await?;
    Ok(started.elapsed())
}

/// One transaction of PER_TRANSACTION single-order inserts, pipelined.
async fn transaction(client: &Client, insert: &Statement, batch: usize) -> anyhow::Result<()> {
    client.batch_execute("begin").await?;
    let ids: Vec<String> = (0..PER_TRANSACTION)
        .map(|i| super::rls::client_id(1 + ((batch * PER_TRANSACTION + i) as i64 * 7919) % 10_000))
        .collect();
    let params: Vec<[&(dyn ToSql + Sync); 1]> =
        ids.iter().map(|id| [id as &(dyn ToSql + Sync)]).collect();
    let inserts = params.iter().map(|p| client.execute(insert, p));
    futures_util::future::try_join_all(inserts).await?;
    client.batch_execute("commit").await?;
    Ok(())
}

/// One round: every block of both sides, interleaved; each side's total time.
async fn round(
    client: &Client,
    workers: &[(Client, Statement)],
) -> anyhow::Result<(Duration, Duration)> {
    let (mut with, mut without) = (Duration::ZERO, Duration::ZERO);
    for b in 0..BLOCKS {
        for audited in [b % 2 == 0, b % 2 != 0] {
            let took = block(client, workers, audited, b).await?;
            if audited {
                with += took;
            } else {
                without += took;
            }
        }
    }
    Ok((with, without))
}

pub async fn run_all(client: &Client, url: &str) -> anyhow::Result<()> {
    super::rls::ensure_loaded(client).await?;
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let worker = crate::connect(url).await?;
        worker.batch_execute("set synchronous_commit = on").await?;
        let insert = worker.prepare(INSERT).await?;
        workers.push((worker, insert));
    }
    client.batch_execute("checkpoint").await?;
    for audited in [false, true] {
        block(client, &workers, audited, 0).await?;
    }
    let before: i64 = client
        .query_one("select count(*) from public.audit_log", &[])
        .await?
        .get(0);
    let (mut with, mut without) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let (w, wo) = round(client, &workers).await?;
        with = with.min(w);
        without = without.min(wo);
    }
    let after: i64 = client
        .query_one("select count(*) from public.audit_log", &[])
        .await?
        .get(0);
    anyhow::ensure!(
        after - before == (ROUNDS * INSERTS) as i64,
        "expected {} audit rows, found {}",
        ROUNDS * INSERTS,
        after - before
    );
    let rate = |d: Duration| INSERTS as f64 / d.as_secs_f64();
    let slower = 1.0 - rate(with) / rate(without);
    println!(
        "audit: {INSERTS} single-order inserts, {PER_TRANSACTION} per transaction, pipelined on \
         {CONNECTIONS} connections, sides interleaved every {} inserts, best of {ROUNDS}",
        PER_TRANSACTION * CONNECTIONS
    );
    println!(
        "  with the audit trigger       {:>10.0} inserts/s",
        rate(with)
    );
    println!(
        "  without the audit trigger    {:>10.0} inserts/s",
        rate(without)
    );
    println!(
        "  audit costs                  {:>9.1} %  (goals: at least 10,000/s with audit, at most 25% slower; {})",
        slower * 100.0,
        if rate(with) >= 10_000.0 && slower <= 0.25 { "met" } else { "NOT met" }
    );
    client
        .batch_execute("alter table public.orders enable trigger orders_audit_created")
        .await?;
    Ok(())
}
