//! `samia backfill zodiac|country-codes|charts|media-probe`: recompute
//! derived data after a rule or a table changed, in batches of keys (each
//! batch its own short transaction, so no lock is held for long), with
//! progress on stderr. A run cut short resumes after its last batch
//! (`ops.backfills`); `--restart` starts over; `--dry-run` only counts.
//! Each finished run is recorded in `audit_log` as system
//! (`maintenance.backfill`).
//!
//! - `zodiac`, `country-codes`: profiles whose derived column differs from
//!   what its source gives now are rewritten through the profile triggers
//!   (the same code that derives them on every write).
//! - `charts`: astro charts recomputed from their stored birth data; only
//!   those that changed are written.
//! - `media-probe`: files never probed (pending, or without a sha256) get
//!   a `media.probe` job unless one is queued or running.

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Recompute derived data after a rule or table changed, in short
/// batches (progress on stderr; resumes where a cut-short run stopped;
/// recorded in audit_log as system).
#[derive(clap::Args)]
pub struct BackfillArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// What to recompute: profiles' zodiac or country_code, astro
    /// charts, or probe jobs for files never probed.
    #[arg(value_enum)]
    pub what: What,
    /// Count what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Start from the beginning even if an earlier run was cut short.
    #[arg(long)]
    pub restart: bool,
    /// Keys per batch (each batch is one short transaction: about
    /// 100 ms at the default on a small server).
    #[arg(long, default_value_t = 2_000)]
    pub batch: i64,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `samia backfill`.
pub async fn command(args: BackfillArgs) -> Result<ExitCode, CliError> {
    let (_, mut client) = super::connect(&args.db).await?;
    let options = Options {
        batch: args.batch,
        dry_run: args.dry_run,
        restart: args.restart,
        json: args.json,
    };
    run(&mut client, args.what, options).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    Zodiac,
    CountryCodes,
    Charts,
    MediaProbe,
}

struct Plan {
    name: &'static str,
    /// The first key, before every real one.
    start: &'static str,
    /// `$1` the last key done, `$2` the batch size: the next batch's last
    /// key (as text) and its number of rows.
    keys: &'static str,
    /// `$1` the key before the batch, `$2` its last key: rows that are stale.
    stale: &'static str,
    /// The same range: rewrites the stale rows; returns how many. A range
    /// of the primary key keeps each batch an index range scan.
    change: &'static str,
}

fn plan(what: What) -> Plan {
    match what {
        What::Zodiac => Plan {
            name: "zodiac",
            start: "00000000-0000-0000-0000-000000000000",
            keys: "with k as (select id from public.profiles where id > $1::text::uuid order by id limit $2)
                   select (select id::text from k order by id desc limit 1), (select count(*) from k)",
            stale: "select count(*) from public.profiles
                     where id > $1::text::uuid and id <= $2::text::uuid and zodiac is distinct from samia.zodiac_of(dob)",
            change: "update public.profiles set dob = dob
                      where id > $1::text::uuid and id <= $2::text::uuid and zodiac is distinct from samia.zodiac_of(dob)",
        },
        What::CountryCodes => Plan {
            name: "country-codes",
            start: "00000000-0000-0000-0000-000000000000",
            keys: "with k as (select id from public.profiles where id > $1::text::uuid order by id limit $2)
                   select (select id::text from k order by id desc limit 1), (select count(*) from k)",
            stale: "select count(*) from public.profiles p
                     where p.id > $1::text::uuid and id <= $2::text::uuid
                       and p.country_code is distinct from
                           (select c.dial_code from public.countries c where c.code = p.country)",
            change: "update public.profiles p set country = country
                      where p.id > $1::text::uuid and id <= $2::text::uuid
                        and p.country_code is distinct from
                            (select c.dial_code from public.countries c where c.code = p.country)",
        },
        What::Charts => Plan {
            name: "charts",
            start: "0",
            keys: "with k as (select id from public.astro_charts where id > $1::text::bigint order by id limit $2)
                   select (select id::text from k order by id desc limit 1), (select count(*) from k)",
            stale: "select count(*) from public.astro_charts a
                     where a.id > $1::text::bigint and a.id <= $2::text::bigint and a.dob is not null and a.birth_place is not null
                       and a.chart is distinct from samia.natal_chart_for(a.dob, a.birth_time, a.birth_place)",
            change: "with fresh as (
                       select a.id, samia.natal_chart_for(a.dob, a.birth_time, a.birth_place) as chart
                         from public.astro_charts a
                        where a.id > $1::text::bigint and a.id <= $2::text::bigint and a.dob is not null and a.birth_place is not null)
                     update public.astro_charts a
                        set chart = fresh.chart, summary = samia.chart_summary(fresh.chart), computed_at = now()
                       from fresh
                      where a.id = fresh.id and a.chart is distinct from fresh.chart",
        },
        What::MediaProbe => Plan {
            name: "media-probe",
            start: "0",
            keys: "with k as (select id from public.media_assets where id > $1::text::bigint order by id limit $2)
                   select (select id::text from k order by id desc limit 1), (select count(*) from k)",
            stale: "select count(*) from public.media_assets m
                     where m.id > $1::text::bigint and m.id <= $2::text::bigint and m.bucket is not null
                       and (m.status = 'pending' or m.sha256 is null)
                       and not exists (select 1 from ops.jobs j where j.kind = 'media.probe'
                                         and (j.payload ->> 'media_id')::bigint = m.id
                                         and j.status in ('queued', 'running'))",
            change: "insert into ops.jobs (kind, payload)
                     select 'media.probe', jsonb_build_object('media_id', m.id, 'bucket', m.bucket, 'path', m.path)
                       from public.media_assets m
                      where m.id > $1::text::bigint and m.id <= $2::text::bigint and m.bucket is not null
                        and (m.status = 'pending' or m.sha256 is null)
                        and not exists (select 1 from ops.jobs j where j.kind = 'media.probe'
                                          and (j.payload ->> 'media_id')::bigint = m.id
                                          and j.status in ('queued', 'running'))",
        },
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub name: &'static str,
    pub dry_run: bool,
    pub resumed_after: Option<String>,
    pub batches: u64,
    pub rows_seen: i64,
    /// Rows rewritten (or, in a dry run, that would be).
    pub rows_changed: i64,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// The longest batch transaction: the longest any row lock was held.
    pub longest_batch_ms: f64,
}

pub struct Options {
    pub batch: i64,
    pub dry_run: bool,
    pub restart: bool,
    pub json: bool,
}

pub async fn run(client: &mut Client, what: What, options: Options) -> Result<ExitCode, CliError> {
    if !(1..=100_000).contains(&options.batch) {
        return Err(CliError::Config(
            "--batch must be between 1 and 100000".into(),
        ));
    }
    let plan = plan(what);
    let mut summary = Summary {
        name: plan.name,
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let saved = client
        .fetch_opt(
            "select last_key, rows_seen, rows_changed from ops.backfills
              where name = $1 and finished_at is null",
            &[&plan.name],
        )
        .await
        .map_err(CliError::db_in("reading the backfill's progress"))?;
    let mut last = plan.start.to_string();
    if let (Some(row), false, false) = (&saved, options.restart, options.dry_run) {
        if let Some(key) = row
            .try_get::<_, Option<String>>(0)
            .map_err(CliError::db_in("reading the backfill's progress"))?
        {
            eprintln!(
                "{}: resuming after {key} (--restart to start over)",
                plan.name
            );
            summary.resumed_after = Some(key.clone());
            last = key;
        }
    } else if !options.dry_run {
        client
            .exec(
                "insert into ops.backfills (name) values ($1)
                 on conflict (name) do update set last_key = null, rows_seen = 0, rows_changed = 0,
                        started_at = now(), updated_at = now(), finished_at = null",
                &[&plan.name],
            )
            .await
            .map_err(CliError::db_in("recording the backfill's start"))?;
    }
    let started = Instant::now();
    let mut longest = Duration::ZERO;
    let mut shown = Instant::now();
    loop {
        let row = client
            .fetch_one(plan.keys, &[&last, &options.batch])
            .await
            .map_err(CliError::db_in("reading the next batch"))?;
        let (Some(next), rows) = (
            row.try_get::<_, Option<String>>(0)
                .map_err(CliError::db_in("reading the next batch"))?,
            row.try_get::<_, i64>(1)
                .map_err(CliError::db_in("reading the next batch"))?,
        ) else {
            break;
        };
        let batch_started = Instant::now();
        let changed: i64 = if options.dry_run {
            client
                .fetch_one(plan.stale, &[&last, &next])
                .await
                .and_then(|r| r.try_get(0))
                .map_err(CliError::db_in("counting stale rows"))?
        } else {
            let tx = client
                .transaction()
                .await
                .map_err(CliError::db_in("starting a batch"))?;
            let n = tx
                .exec(plan.change, &[&last, &next])
                .await
                .map_err(CliError::db_in("rewriting a batch"))? as i64;
            tx.exec(
                "update ops.backfills set last_key = $2, rows_seen = rows_seen + $3,
                        rows_changed = rows_changed + $4, updated_at = now()
                  where name = $1",
                &[&plan.name, &next, &rows, &n],
            )
            .await
            .map_err(CliError::db_in("recording the backfill's progress"))?;
            tx.commit()
                .await
                .map_err(CliError::db_in("committing a batch"))?;
            n
        };
        longest = longest.max(batch_started.elapsed());
        summary.batches += 1;
        summary.rows_seen += rows;
        summary.rows_changed += changed;
        last = next;
        if shown.elapsed() >= Duration::from_secs(2) {
            shown = Instant::now();
            eprintln!(
                "{}: {} rows seen, {} {}, {:.0} rows/s, longest batch {:.0} ms",
                plan.name,
                summary.rows_seen,
                summary.rows_changed,
                if options.dry_run {
                    "stale"
                } else {
                    "rewritten"
                },
                summary.rows_seen as f64 / started.elapsed().as_secs_f64().max(1e-9),
                longest.as_secs_f64() * 1000.0
            );
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rows_per_second = summary.rows_seen as f64 / summary.seconds.max(1e-9);
    summary.longest_batch_ms = longest.as_secs_f64() * 1000.0;
    if !options.dry_run {
        if what == What::MediaProbe && summary.rows_changed > 0 {
            client
                .exec(
                    "select pg_notify($1, $2)",
                    &[&samia_core::jobs::CHANNEL, &samia_core::jobs::MEDIA_PROBE],
                )
                .await
                .map_err(CliError::db_in("waking the sidecar"))?;
        }
        client
            .exec(
                "update ops.backfills set finished_at = now(), updated_at = now() where name = $1",
                &[&plan.name],
            )
            .await
            .map_err(CliError::db_in("recording the backfill's end"))?;
        let meta = serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into());
        client
            .exec(
                "select samia.record_maintenance($1, $2::text::jsonb)",
                &[&format!("backfill.{}", plan.name), &meta],
            )
            .await
            .map_err(CliError::db_in("recording the backfill in audit_log"))?;
    }
    if options.json {
        println!("{}", json!(summary));
    } else {
        println!(
            "{}{}: {} rows seen in {} batches, {} {}, {:.1} s ({:.0} rows/s), longest batch {:.0} ms",
            plan.name,
            if options.dry_run { " (dry run)" } else { "" },
            summary.rows_seen,
            summary.batches,
            summary.rows_changed,
            if options.dry_run { "stale" } else { "rewritten" },
            summary.seconds,
            summary.rows_per_second,
            summary.longest_batch_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
