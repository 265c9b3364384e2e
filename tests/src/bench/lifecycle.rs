//! A full audio-order lifecycle (place, assign, start, upload and submit,
//! approve), each step its own request as PostgREST sends it (a prepared
//! statement with parameters, in its own transaction), with every trigger
//! on `public.orders`, against the same statements on a copy of the table
//! without triggers (so also without foreign-key checks, which are
//! triggers). The copy keeps what belongs to the table rather than to its
//! triggers: it is `like public.orders including all` (columns, defaults,
//! checks, indexes), holds the same rows, has the same grants, and has row
//! level security with the same policies. For reference the run also times
//! that copy without row level security, and a bare copy (no rows, only a
//! primary key, no policies).
//! All sides run as `authenticated` with the same claims; synchronous_commit
//! is on, so every step waits for its commit to reach the disk. The sides
//! take turns every 30 lifecycles, going first in turn, so a slow spell of
//! the machine or a checkpoint falls on all of them; a checkpoint and an
//! untimed block of each side come first.

use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

pub const LIFECYCLES: usize = 300;
pub const CONNECTIONS: usize = 2;
pub const ROUNDS: usize = 2;
/// Lifecycles per block; the sides take turns every block.
pub const BLOCK: usize = 30;
pub const DELIVERED: &str =
    "select count(*) from public.orders where question_text = 'bench' and status = 'delivered'";
const READER: &str = "30000000-0000-4000-8000-100000000001";
const MONITOR: &str = "30000000-0000-4000-8000-100000000002";
const ADMIN: &str = "30000000-0000-4000-8000-100000000003";

/// The reader, the monitor and the admin of the lifecycles.
pub async fn staff(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(&format!(
            "insert into auth.users (id, email) values
               ('{READER}', 'reader@bench.test'), ('{MONITOR}', 'monitor@bench.test'), ('{ADMIN}', 'admin@bench.test')
             on conflict do nothing;
             update public.profiles set role_id = 3 where id = '{READER}';
             update public.profiles set role_id = 4 where id = '{MONITOR}';
             update public.profiles set role_id = 2 where id = '{ADMIN}';"
        ))
        .await?;
    Ok(())
}

async fn setup(client: &Client) -> anyhow::Result<()> {
    staff(client).await?;
    client
        .batch_execute(
            "create schema if not exists bench;
             drop table if exists bench.orders_copy;
             create table bench.orders_copy (like public.orders including all);
             insert into bench.orders_copy select * from public.orders;
             drop table if exists bench.orders_open;
             create table bench.orders_open (like public.orders including all);
             insert into bench.orders_open select * from public.orders;
             drop table if exists bench.orders_bare;
             create table bench.orders_bare (like public.orders including defaults);
             alter table bench.orders_bare add primary key (id);
             grant usage on schema bench to authenticated;
             grant select, insert, update on bench.orders_open, bench.orders_bare to authenticated;
             -- The copy: public.orders' own grants and policies.
             grant select on bench.orders_copy to authenticated;
             grant insert (user_id, service_id, is_gold, question_text, input_media_id, scheduled_at),
                   update (status, status_reason, assigned_reader, output_media_id, archived_at, scheduled_at)
               on bench.orders_copy to authenticated;
             alter table bench.orders_copy enable row level security;
             do $copy$
             declare p record;
             begin
               for p in select * from pg_policies where schemaname = 'public' and tablename = 'orders' loop
                 execute format('create policy %I on bench.orders_copy as %s for %s to %s %s %s',
                   p.policyname, p.permissive, p.cmd,
                   (select string_agg(quote_ident(r), ', ') from unnest(p.roles) r),
                   case when p.qual is not null then 'using (' || p.qual || ')' else '' end,
                   case when p.with_check is not null then 'with check (' || p.with_check || ')' else '' end);
               end loop;
             end $copy$;",
        )
        .await?;
    anyhow::ensure!(
        client
            .query_one(
                "select (select count(*) from pg_policies where schemaname = 'bench' and tablename = 'orders_copy')
                      = (select count(*) from pg_policies where schemaname = 'public' and tablename = 'orders')",
                &[],
            )
            .await?
            .get::<_, bool>(0),
        "the copy does not have the policies of public.orders"
    );
    // VACUUM cannot share a transaction with anything else.
    client
        .batch_execute("vacuum analyze bench.orders_copy, bench.orders_open")
        .await?;
    Ok(())
}

/// Numbers the uploads of a run, so every object has a name of its own.
static UPLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One request of the sidecar: BEGIN, the prepared statement, COMMIT.
async fn system_step(
    client: &Client,
    statement: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> anyhow::Result<()> {
    client.simple_query("begin").await?;
    client.query(statement, params).await?;
    client.simple_query("commit").await?;
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
pub struct Requests {
    place: Statement,
    assign: Statement,
    start: Statement,
    /// The reader's upload as Storage records it (as the reader, under the
    /// policies of storage.objects).
    store: Statement,
    /// Its registration as a media row (pending, a probe job queued).
    register: Statement,
    /// The sidecar's probe report (as system).
    probed: Statement,
    submit: Statement,
    approve: Statement,
}

/// The requests of one lifecycle.
pub const REQUESTS: f64 = 8.0;

impl Requests {
    pub async fn prepare(client: &Client, table: &str) -> anyhow::Result<Requests> {
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
            store: client
                .prepare(
                    "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
                     values ('readings', $2::text, $1::text::uuid, $1::text,
                             '{\"size\": 48000, \"mimetype\": \"audio/mp4\"}', gen_random_uuid()::text)",
                )
                .await?,
            register: client
                .prepare(
                    "insert into public.media_assets (kind, bucket, path)
                     values ('audio', 'readings', $1::text) returning id",
                )
                .await?,
            probed: client
                .prepare(
                    "select 0::bigint from samia.media_probe_outcome($1::bigint,
                       (select version from storage.objects where bucket_id = 'readings' and name = $2::text),
                       '{\"status\": \"ready\", \"sha256\": \"h\", \"duration_sec\": 60}')",
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

/// Lifecycles `block * BLOCK ..` of one side on one connection (every
/// CONNECTIONS-th of the block).
pub async fn lifecycles(
    client: &Client,
    r: &Requests,
    worker: usize,
    block: usize,
) -> anyhow::Result<()> {
    let missing = || anyhow::anyhow!("no id returned");
    let first = block * BLOCK;
    for i in (first + worker..first + BLOCK).step_by(CONNECTIONS) {
        let owner = super::rls::client_id(1 + (i as i64 * 7919) % 10_000);
        let id = step(client, &owner, &r.place, &[&owner])
            .await?
            .ok_or_else(missing)?;
        step(client, ADMIN, &r.assign, &[&id, &READER]).await?;
        step(client, READER, &r.start, &[&id]).await?;
        let path = format!(
            "{READER}/bench-{}-{}.m4a",
            std::process::id(),
            UPLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        step(client, READER, &r.store, &[&READER, &path]).await?;
        let media = step(client, READER, &r.register, &[&path])
            .await?
            .ok_or_else(missing)?;
        system_step(client, &r.probed, &[&media, &path]).await?;
        step(client, READER, &r.submit, &[&id, &media]).await?;
        step(client, MONITOR, &r.approve, &[&id]).await?;
    }
    Ok(())
}

/// The tables compared: public.orders, the copy, and for reference the copy
/// without row level security and the bare copy.
const TABLES: [&str; 4] = [
    "public.orders",
    "bench.orders_copy",
    "bench.orders_open",
    "bench.orders_bare",
];

/// One block of one side, on every connection at once.
pub async fn block(
    workers: &[(Client, Vec<Requests>)],
    side: usize,
    block: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let all = workers
        .iter()
        .enumerate()
        .map(|(w, (c, requests))| lifecycles(c, &requests[side], w, block));
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
        let mut requests = Vec::new();
        for table in TABLES {
            requests.push(Requests::prepare(&worker, table).await?);
        }
        workers.push((worker, requests));
    }
    let delivered_before: i64 = client.query_one(DELIVERED, &[]).await?.get(0);
    client.batch_execute("checkpoint").await?;
    // Untimed: the first touch of each table's pages after the checkpoint.
    for side in 0..TABLES.len() {
        block(&workers, side, 0).await?;
    }
    let mut best = [Duration::MAX; TABLES.len()];
    for _ in 0..ROUNDS {
        let mut total = [Duration::ZERO; TABLES.len()];
        for b in 0..LIFECYCLES / BLOCK {
            // Each block, the sides go in a different order.
            for k in 0..TABLES.len() {
                let side = (b + k) % TABLES.len();
                total[side] += block(&workers, side, b).await?;
            }
        }
        for side in 0..TABLES.len() {
            best[side] = best[side].min(total[side]);
        }
    }
    let [with, without, open, bare] = best;
    let delivered: i64 = client.query_one(DELIVERED, &[]).await?.get(0);
    anyhow::ensure!(
        delivered - delivered_before == ((ROUNDS * LIFECYCLES) + BLOCK) as i64,
        "{} lifecycles ended delivered",
        delivered - delivered_before
    );
    let rate = |d: Duration| LIFECYCLES as f64 / d.as_secs_f64();
    let ratio = rate(with) / rate(without);
    println!(
        "lifecycle: {LIFECYCLES} audio orders placed, assigned, started, answered (the upload stored, registered \
         and probed), submitted and approved ({REQUESTS} requests each), \
         {CONNECTIONS} connections, synchronous_commit on, sides interleaved every {BLOCK}, best of {ROUNDS}"
    );
    println!(
        "  public.orders, all triggers    {:>8.1} lifecycles/s ({:.0} requests/s)",
        rate(with),
        rate(with) * REQUESTS
    );
    println!(
        "  copy without triggers          {:>8.1} lifecycles/s ({:.0} requests/s)",
        rate(without),
        rate(without) * REQUESTS
    );
    println!(
        "  ratio                          {ratio:>8.2}x  (goal: at least 0.75x; {})",
        if ratio >= 0.75 { "met" } else { "NOT met" }
    );
    println!("  for reference, public.orders against:");
    println!(
        "    the copy without row level security too        {:>7.1} lifecycles/s, ratio {:.2}x",
        rate(open),
        rate(with) / rate(open)
    );
    println!(
        "    a bare copy (no rows, primary key only, no RLS) {:>7.1} lifecycles/s, ratio {:.2}x",
        rate(bare),
        rate(with) / rate(bare)
    );
    Ok(())
}
