//! The cost of registering a stored file: a reader's `media_assets` insert
//! naming an uploaded object (the extension looks the object up, checks
//! owner, bucket, kind and type, fills size, type and url, and queues the
//! probe job with its wake-up), against a plain insert of the same row with
//! the values typed in, into a copy of the table without the triggers that
//! keeps its indexes, grants and insert policy. Both as PostgREST sends them
//! (a member of `authenticated`, the role and claims per transaction), 500
//! inserts per transaction, pipelined on two connections, the sides taking
//! turns every block after an untimed block of each.

use std::time::{Duration, Instant};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

const INSERTS: usize = 10_000;
const PER_TRANSACTION: usize = 500;
const CONNECTIONS: usize = 2;
const BLOCKS: usize = INSERTS / (PER_TRANSACTION * CONNECTIONS);
const ROUNDS: usize = 3;
const READER: &str = "40000000-0000-4000-8000-000000000001";
/// Registrations one run makes: an untimed block and every timed one.
const REGISTRATIONS: usize = (1 + ROUNDS * BLOCKS) * CONNECTIONS * PER_TRANSACTION;

const REGISTER: &str =
    "insert into public.media_assets (kind, bucket, path) values ('audio', 'readings', $1)";
const PLAIN: &str =
    "insert into bench.media_plain (owner_id, kind, url, bytes, mime_type, bucket, path)
                     values ($2::text::uuid, 'audio', $1, 48000, 'audio/mp4', 'readings', $1)";
const SETUP: &str =
    "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)";

/// The bench's reader, its objects (one per registration the run makes)
/// and the plain copy of media_assets.
async fn setup(admin: &Client) -> anyhow::Result<()> {
    let objects = REGISTRATIONS;
    let quota = 2 * REGISTRATIONS * 48_000;
    admin
        .batch_execute(&format!(
            "insert into auth.users (id, email) values ('{READER}', 'registrar@bench.test') on conflict do nothing;
             update public.profiles set role_id = 3 where id = '{READER}';
             -- Room for every file of the run under the per-user quota.
             update public.app_config set value = to_jsonb({quota}::bigint)
              where key = 'storage.quota_bytes_per_user';
             delete from public.media_assets where path like '{READER}/reg-%';
             delete from storage.objects where bucket_id = 'readings' and name like '{READER}/reg-%';
             insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
               select 'readings', '{READER}/reg-' || n || '.m4a', '{READER}', '{READER}',
                      '{{\"size\": 48000, \"mimetype\": \"audio/mp4\"}}', gen_random_uuid()::text
                 from generate_series(1, {objects}) n;
             create schema if not exists bench;
             drop table if exists bench.media_plain;
             create table bench.media_plain (like public.media_assets including all);
             alter table bench.media_plain enable row level security;
             create policy media_own_insert on bench.media_plain for insert to authenticated
               with check (owner_id = (select auth.uid()) and not (select samia.caller_is_blocked()));
             grant usage on schema bench to public;
             grant insert on bench.media_plain to authenticated;
             grant usage on all sequences in schema public to authenticated;
             analyze storage.objects;"
        ))
        .await?;
    Ok(())
}

struct Worker {
    client: Client,
    register: Statement,
    plain: Statement,
    setup: Statement,
}

/// One transaction of PER_TRANSACTION inserts, pipelined, as the reader.
async fn transaction(worker: &Worker, checked: bool, first: usize) -> anyhow::Result<()> {
    let client = &worker.client;
    client.batch_execute("begin").await?;
    let claims = format!("{{\"sub\":\"{READER}\",\"role\":\"authenticated\"}}");
    client.execute(&worker.setup, &[&claims]).await?;
    let paths: Vec<String> = (first..first + PER_TRANSACTION)
        .map(|n| format!("{READER}/reg-{n}.m4a"))
        .collect();
    let reader = READER.to_string();
    let params: Vec<Vec<&(dyn ToSql + Sync)>> = paths
        .iter()
        .map(|p| {
            let mut row: Vec<&(dyn ToSql + Sync)> = vec![p];
            if !checked {
                row.push(&reader);
            }
            row
        })
        .collect();
    let statement = if checked {
        &worker.register
    } else {
        &worker.plain
    };
    let inserts = params.iter().map(|p| client.execute(statement, p));
    futures_util::future::try_join_all(inserts).await?;
    client.batch_execute("commit").await?;
    Ok(())
}

/// One block of one side; `next` numbers the objects still unregistered.
async fn block(workers: &[Worker], checked: bool, next: &mut usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let shares = workers
        .iter()
        .enumerate()
        .map(|(w, worker)| transaction(worker, checked, 1 + *next + w * PER_TRANSACTION));
    futures_util::future::try_join_all(shares).await?;
    *next += CONNECTIONS * PER_TRANSACTION;
    Ok(started.elapsed())
}

pub async fn run_all(admin: &Client, url: &str) -> anyhow::Result<()> {
    super::rls::ensure_loaded(admin).await?;
    setup(admin).await?;
    let config = super::rls::authenticator_config(admin, url).await?;
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let client = crate::connect_config(&config).await?;
        client.batch_execute("set synchronous_commit = on").await?;
        workers.push(Worker {
            register: client.prepare(REGISTER).await?,
            plain: client.prepare(PLAIN).await?,
            setup: client.prepare(SETUP).await?,
            client,
        });
    }
    admin.batch_execute("checkpoint").await?;
    // Each side numbers its rows on its own: the registrations use up the
    // objects, the plain copy reuses the names in its own table.
    let (mut next_checked, mut next_plain) = (0, 0);
    block(&workers, true, &mut next_checked).await?;
    block(&workers, false, &mut next_plain).await?;
    let (mut with, mut without) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let (mut w, mut wo) = (Duration::ZERO, Duration::ZERO);
        for b in 0..BLOCKS {
            for checked in [b % 2 == 0, b % 2 != 0] {
                if checked {
                    w += block(&workers, true, &mut next_checked).await?;
                } else {
                    wo += block(&workers, false, &mut next_plain).await?;
                }
            }
        }
        with = with.min(w);
        without = without.min(wo);
    }
    let registered: i64 = admin
        .query_one(
            "select count(*) from public.media_assets where path like $1 and status = 'pending' and bytes = 48000",
            &[&format!("{READER}/reg-%")],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        registered == REGISTRATIONS as i64,
        "{registered} registrations, expected {REGISTRATIONS}"
    );
    let rate = |d: Duration| INSERTS as f64 / d.as_secs_f64();
    let ratio = rate(with) / rate(without);
    println!(
        "media registration: {INSERTS} inserts of a reader, {PER_TRANSACTION} per transaction, pipelined on \
         {CONNECTIONS} connections, sides interleaved every {} inserts, best of {ROUNDS}",
        PER_TRANSACTION * CONNECTIONS
    );
    println!(
        "  registering stored objects  {:>8.0} inserts/s",
        rate(with)
    );
    println!(
        "  plain inserts (copy)        {:>8.0} inserts/s",
        rate(without)
    );
    println!(
        "  ratio                       {ratio:>8.2}x  (goal: at least 0.7x; {})",
        if ratio >= 0.7 { "met" } else { "NOT met" }
    );
    // The registrations queued probe jobs no sidecar will take here.
    admin
        .batch_execute(
            "delete from ops.jobs where kind = 'media.probe' and status = 'queued';
             drop table bench.media_plain;",
        )
        .await?;
    Ok(())
}
