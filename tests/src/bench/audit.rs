//! Audited inserts: orders placed with every trigger on, against the same
//! inserts with only the audit trigger disabled, in one run. Each insert is
//! its own statement (one order), 500 statements per transaction, pipelined,
//! from two connections at once (one per core, as concurrent requests keep
//! the server busy), with synchronous_commit on. The sides take turns every
//! block (one transaction per connection), going first in turn, so a slow
//! spell of the machine or a checkpoint falls on both; a checkpoint and an
//! untimed block of each side come first.
//!
//! Two callers, each measured this way:
//! - a client, as the apps place orders: logged in as a member of
//!   `authenticated`, each transaction opened as PostgREST opens a request
//!   (the role and the JWT claims of one client), so every insert passes the
//!   insert policy and the extension reads the caller's profile, and the
//!   audit row has a real actor. The goal is judged on this one.
//! - the superuser with no claims (the actor `system`, as the sidecar or a
//!   DBA): no policy and no profile to read, so the audit row is a larger
//!   share of the insert. Printed for reference.

use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

const INSERTS: usize = 20_000;
const PER_TRANSACTION: usize = 500;
const CONNECTIONS: usize = 2;
const BLOCKS: usize = INSERTS / (PER_TRANSACTION * CONNECTIONS);
const ROUNDS: usize = 3;

const INSERT: &str = "insert into public.orders (user_id, service_id, question_text)
                      values ($1::text::uuid, (select min(id) from public.services), 'audit bench')";
/// What PostgREST runs at the start of a client's request.
const SETUP: &str =
    "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)";

/// One connection's prepared statements: the insert and, for a client, the
/// request setup.
struct Worker {
    client: Client,
    insert: Statement,
    setup: Option<Statement>,
}

/// One block of one side: a transaction of PER_TRANSACTION inserts on each
/// connection at once.
async fn block(
    admin: &Client,
    workers: &[Worker],
    audited: bool,
    block: usize,
) -> anyhow::Result<Duration> {
    let toggle = if audited { "enable" } else { "disable" };
    admin
        .batch_execute(&format!(
            "alter table public.orders {toggle} trigger orders_audit_created"
        ))
        .await?;
    let started = Instant::now();
    let shares = workers
        .iter()
        .enumerate()
        .map(|(w, worker)| transaction(worker, block * CONNECTIONS + w));
    futures_util::future::try_join_all(shares).await?;
    Ok(started.elapsed())
}

/// One transaction of PER_TRANSACTION single-order inserts, pipelined. A
/// client's transaction is one client's request, placing all its orders; the
/// superuser's places orders for clients spread over the whole table.
async fn transaction(worker: &Worker, batch: usize) -> anyhow::Result<()> {
    let client = &worker.client;
    client.batch_execute("begin").await?;
    let ids: Vec<String> = match &worker.setup {
        Some(setup) => {
            let id = super::rls::client_id(1 + (batch as i64 * 7919) % 10_000);
            let claims = format!("{{\"sub\":\"{id}\",\"role\":\"authenticated\"}}");
            client.execute(setup, &[&claims]).await?;
            vec![id; PER_TRANSACTION]
        }
        None => (0..PER_TRANSACTION)
            .map(|i| {
                super::rls::client_id(1 + ((batch * PER_TRANSACTION + i) as i64 * 7919) % 10_000)
            })
            .collect(),
    };
    let params: Vec<[&(dyn ToSql + Sync); 1]> =
        ids.iter().map(|id| [id as &(dyn ToSql + Sync)]).collect();
    let inserts = params.iter().map(|p| client.execute(&worker.insert, p));
    futures_util::future::try_join_all(inserts).await?;
    client.batch_execute("commit").await?;
    Ok(())
}

/// One round: every block of both sides, interleaved; each side's total time.
async fn round(admin: &Client, workers: &[Worker]) -> anyhow::Result<(Duration, Duration)> {
    let (mut with, mut without) = (Duration::ZERO, Duration::ZERO);
    for b in 0..BLOCKS {
        for audited in [b % 2 == 0, b % 2 != 0] {
            let took = block(admin, workers, audited, b).await?;
            if audited {
                with += took;
            } else {
                without += took;
            }
        }
    }
    Ok((with, without))
}

async fn audit_rows(admin: &Client) -> anyhow::Result<i64> {
    Ok(admin
        .query_one("select count(*) from public.audit_log", &[])
        .await?
        .get(0))
}

/// Measures one caller: the best round of each side, in inserts per second.
async fn measure(admin: &Client, workers: &[Worker]) -> anyhow::Result<(f64, f64)> {
    admin.batch_execute("checkpoint").await?;
    for audited in [false, true] {
        block(admin, workers, audited, 0).await?;
    }
    let before = audit_rows(admin).await?;
    let (mut with, mut without) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let (w, wo) = round(admin, workers).await?;
        with = with.min(w);
        without = without.min(wo);
    }
    let after = audit_rows(admin).await?;
    anyhow::ensure!(
        after - before == (ROUNDS * INSERTS) as i64,
        "expected {} audit rows, found {}",
        ROUNDS * INSERTS,
        after - before
    );
    let rate = |d: Duration| INSERTS as f64 / d.as_secs_f64();
    Ok((rate(with), rate(without)))
}

async fn workers(config: &tokio_postgres::Config, client: bool) -> anyhow::Result<Vec<Worker>> {
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let connection = crate::connect_config(config).await?;
        connection
            .batch_execute("set synchronous_commit = on")
            .await?;
        let insert = connection.prepare(INSERT).await?;
        let setup = if client {
            Some(connection.prepare(SETUP).await?)
        } else {
            None
        };
        workers.push(Worker {
            client: connection,
            insert,
            setup,
        });
    }
    Ok(workers)
}

pub async fn run_all(admin: &Client, url: &str) -> anyhow::Result<()> {
    super::rls::ensure_loaded(admin).await?;
    let superuser: tokio_postgres::Config = url.parse()?;
    let authenticator = super::rls::authenticator_config(admin, url).await?;
    println!(
        "audit: {INSERTS} single-order inserts, {PER_TRANSACTION} per transaction, pipelined on \
         {CONNECTIONS} connections, sides interleaved every {} inserts, best of {ROUNDS}",
        PER_TRANSACTION * CONNECTIONS
    );
    let result = async {
        for (label, config, client) in [
            ("a client, as the apps place orders (goal)", &authenticator, true),
            ("the superuser, no caller (reference)", &superuser, false),
        ] {
            let workers = workers(config, client).await?;
            let (with, without) = measure(admin, &workers).await?;
            let slower = 1.0 - with / without;
            println!("  {label}");
            println!("    with the audit trigger     {with:>10.0} inserts/s");
            println!("    without the audit trigger  {without:>10.0} inserts/s");
            let verdict = if with >= 10_000.0 && slower <= 0.25 {
                "met"
            } else {
                "NOT met"
            };
            println!(
                "    audit costs                {:>9.1} %  (goals: at least 10,000/s with audit, at most 25% slower; {verdict})",
                slower * 100.0
            );
        }
        anyhow::Ok(())
    }
    .await;
    admin
        .batch_execute("alter table public.orders enable trigger orders_audit_created")
        .await?;
    result?;
    remove_orders(admin).await
}

/// Removes the orders placed here (their audit rows stay: the log is
/// append-only), so that benchmarks run after this one see the table as
/// loaded. Triggers are skipped as for the load: a fixture, not a request.
async fn remove_orders(admin: &Client) -> anyhow::Result<()> {
    admin
        .batch_execute(
            "set session_replication_role = replica;
             delete from public.orders where question_text = 'audit bench';
             set session_replication_role = origin;",
        )
        .await?;
    admin.batch_execute("vacuum analyze public.orders").await?;
    Ok(())
}
