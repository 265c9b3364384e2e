//! Audited inserts: orders placed with every trigger on, against the same
//! inserts with only the audit trigger disabled, in one run. Each insert is
//! its own statement (one order), 500 statements per transaction, with
//! synchronous_commit on.

use std::time::{Duration, Instant};
use tokio_postgres::Client;

const INSERTS: usize = 20_000;
const PER_TRANSACTION: usize = 500;
const ROUNDS: usize = 3;

async fn run(client: &Client, audited: bool) -> anyhow::Result<Duration> {
    let toggle = if audited { "enable" } else { "disable" };
    client
        .batch_execute(&format!(
            "alter table public.orders {toggle} trigger orders_audit_created"
        ))
        .await?;
    let insert = client
        .prepare(
            "insert into public.orders (user_id, service_id, question_text)
             values ($1::text::uuid, (select min(id) from public.services), 'bench')",
        )
        .await?;
    let started = Instant::now();
    for batch in 0..INSERTS / PER_TRANSACTION {
        client.batch_execute("begin").await?;
        for i in 0..PER_TRANSACTION {
            let n = 1 + ((batch * PER_TRANSACTION + i) as i64 * 7919) % 10_000;
            client
                .execute(&insert, &[&super::rls::client_id(n)])
                .await?;
        }
        client.batch_execute("commit").await?;
    }
    Ok(started.elapsed())
}

pub async fn run_all(client: &Client) -> anyhow::Result<()> {
    let users: i64 = client
        .query_one(
            "select count(*) from auth.users where email like '%@bench.test'",
            &[],
        )
        .await?
        .get(0);
    if users == 0 {
        super::rls::load(client).await?;
    }
    client.batch_execute("set synchronous_commit = on").await?;
    let before: i64 = client
        .query_one("select count(*) from public.audit_log", &[])
        .await?
        .get(0);
    let (mut with, mut without) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        without = without.min(run(client, false).await?);
        with = with.min(run(client, true).await?);
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
    println!("audit: {INSERTS} single-order inserts, {PER_TRANSACTION} per transaction, best of {ROUNDS}");
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
