//! A full audio-order lifecycle (place, assign, start, upload and submit,
//! approve), each step its own request as PostgREST sends it (a prepared
//! statement with parameters, in its own transaction), with every
//! trigger and policy on `public.orders`, against the same statements on a
//! copy of the table with no triggers (so no foreign-key checks) and no RLS.
//! The copy is `like public.orders including all` (the same columns,
//! defaults, checks and indexes, which are part of the table, not of its
//! triggers) and holds the same rows, so both sides update indexes of the
//! same size. For reference the run also times a bare copy with only a
//! primary key, which measures triggers and secondary indexes together.
//! Both sides run as `authenticated` with the same claims; synchronous_commit
//! is on, so every step waits for its commit to reach the disk.

use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

const LIFECYCLES: usize = 300;
const CONNECTIONS: usize = 2;
const ROUNDS: usize = 2;
const READER: &str = "30000000-0000-4000-8000-100000000001";
const MONITOR: &str = "30000000-0000-4000-8000-100000000002";
const ADMIN: &str = "30000000-0000-4000-8000-100000000003";

async fn setup(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(&format!(
            "insert into auth.users (id, email) values
               ('{READER}', 'reader@bench.test'), ('{MONITOR}', 'monitor@bench.test'), ('{ADMIN}', 'admin@bench.test')
             on conflict do nothing;
             update public.profiles set role_id = 3 where id = '{READER}';
             update public.profiles set role_id = 4 where id = '{MONITOR}';
             update public.profiles set role_id = 2 where id = '{ADMIN}';
             create schema if not exists bench;
             drop table if exists bench.orders_copy;
             create table bench.orders_copy (like public.orders including all);
             insert into bench.orders_copy select * from public.orders;
             drop table if exists bench.orders_bare;
             create table bench.orders_bare (like public.orders including defaults);
             alter table bench.orders_bare add primary key (id);
             grant usage on schema bench to authenticated;
             grant select, insert, update on bench.orders_copy, bench.orders_bare to authenticated;"
        ))
        .await?;
    // VACUUM cannot share a transaction with anything else.
    client
        .batch_execute("vacuum analyze bench.orders_copy")
        .await?;
    Ok(())
}

/// One request: BEGIN, role and claims, the prepared statement, COMMIT.
async fn step(
    client: &Client,
    who: &str,
    statement: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> anyhow::Result<Option<i64>> {
    let claims = format!("{{\"sub\":\"{who}\",\"role\":\"authenticated\"}}");
    client.simple_query("begin").await?;
    client
        .execute(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
            &[&claims],
        )
        .await?;
    let rows = client.query(statement, params).await?;
    client.simple_query("commit").await?;
    Ok(rows.first().map(|r| r.get(0)))
}

/// The requests of one lifecycle, prepared once per connection as PostgREST
/// prepares its statements; values travel as parameters.
struct Requests {
    place: Statement,
    assign: Statement,
    start: Statement,
    upload: Statement,
    submit: Statement,
    approve: Statement,
}

impl Requests {
    async fn prepare(client: &Client, table: &str) -> anyhow::Result<Requests> {
        Ok(Requests {
            place: client
                .prepare(&format!(
                    "insert into {table} (user_id, service_id, question_text)
                     select $1::text::uuid, id, 'bench' from public.services where code = 'tarot' returning id"
                ))
                .await?,
            assign: client
                .prepare(&format!(
                    "update {table} set status = 'assigned', assigned_reader = $2::text::uuid where id = $1"
                ))
                .await?,
            start: client
                .prepare(&format!("update {table} set status = 'in_progress' where id = $1"))
                .await?,
            upload: client
                .prepare(
                    "insert into public.media_assets (owner_id, kind, url, sha256)
                     values ($1::text::uuid, 'audio', 'a.mp3', 'h') returning id",
                )
                .await?,
            submit: client
                .prepare(&format!(
                    "update {table} set output_media_id = $2, status = 'awaiting_approval' where id = $1"
                ))
                .await?,
            approve: client
                .prepare(&format!("update {table} set status = 'approved' where id = $1"))
                .await?,
        })
    }
}

async fn lifecycles(client: &Client, table: &str, worker: usize) -> anyhow::Result<()> {
    let r = Requests::prepare(client, table).await?;
    let missing = || anyhow::anyhow!("no id returned");
    for i in (worker..LIFECYCLES).step_by(CONNECTIONS) {
        let owner = super::rls::client_id(1 + (i as i64 * 7919) % 10_000);
        let id = step(client, &owner, &r.place, &[&owner])
            .await?
            .ok_or_else(missing)?;
        step(client, ADMIN, &r.assign, &[&id, &READER]).await?;
        step(client, READER, &r.start, &[&id]).await?;
        let media = step(client, READER, &r.upload, &[&READER])
            .await?
            .ok_or_else(missing)?;
        step(client, READER, &r.submit, &[&id, &media]).await?;
        step(client, MONITOR, &r.approve, &[&id]).await?;
    }
    Ok(())
}

async fn run(workers: &[Client], table: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let all = workers
        .iter()
        .enumerate()
        .map(|(w, c)| lifecycles(c, table, w));
    futures_util::future::try_join_all(all).await?;
    Ok(started.elapsed())
}

pub async fn run_all(client: &Client, url: &str) -> anyhow::Result<()> {
    super::rls::ensure_loaded(client).await?;
    setup(client).await?;
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let worker = crate::connect(url).await?;
        worker.batch_execute("set synchronous_commit = on").await?;
        workers.push(worker);
    }
    let (mut with, mut without, mut bare) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        without = without.min(run(&workers, "bench.orders_copy").await?);
        with = with.min(run(&workers, "public.orders").await?);
        bare = bare.min(run(&workers, "bench.orders_bare").await?);
    }
    let delivered: i64 = client
        .query_one("select count(*) from public.orders where question_text = 'bench' and status = 'delivered'", &[])
        .await?
        .get(0);
    anyhow::ensure!(
        delivered == (ROUNDS * LIFECYCLES) as i64,
        "{delivered} lifecycles ended delivered"
    );
    let rate = |d: Duration| LIFECYCLES as f64 / d.as_secs_f64();
    let ratio = rate(with) / rate(without);
    println!(
        "lifecycle: {LIFECYCLES} audio orders placed, assigned, started, submitted and approved (6 requests each), \
         {CONNECTIONS} connections, synchronous_commit on, best of {ROUNDS}"
    );
    println!(
        "  with all triggers and RLS      {:>8.1} lifecycles/s ({:.0} requests/s)",
        rate(with),
        rate(with) * 6.0
    );
    println!(
        "  copy without triggers or RLS   {:>8.1} lifecycles/s ({:.0} requests/s)",
        rate(without),
        rate(without) * 6.0
    );
    println!(
        "  ratio                          {ratio:>8.2}x  (goal: at least 0.75x; {})",
        if ratio >= 0.75 { "met" } else { "NOT met" }
    );
    println!(
        "  for reference, a bare copy (primary key only, empty): {:.1} lifecycles/s, ratio {:.2}x",
        rate(bare),
        rate(with) / rate(bare)
    );
    Ok(())
}
