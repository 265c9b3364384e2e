//! `samia backfill`: derived data recomputed in batches after it went
//! stale (here made stale with triggers off, as only a superuser can),
//! counted first with --dry-run, resumed after a cut-short run, recorded
//! in audit_log as system.

use samia_tests::fixture;
use samia_tests::{Session, TestDb};
use serde_json::Value;
use tokio_postgres::Client;

async fn db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    c.batch_execute(
        "update public.profiles set dob = '1990-01-01', country = 'EG'
          where id::text like '10000000-%' and dob is null;
         set session_replication_role = replica;
         update public.profiles set zodiac = 'Leo' where id::text like '10000000-%';
         update public.profiles set country_code = '+1'
          where id in ('10000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000005');
         update public.astro_charts set chart = '{}', summary = 'stale';
         insert into public.media_assets (id, kind, url, bucket, path, status, meta)
           values (500, 'audio', 'x', 'readings', 'r/x.m4a', 'pending', '{}');
         set session_replication_role = origin;",
    )
    .await?;
    Ok((db, c))
}

fn summary(out: &samia_tests::Output) -> Value {
    assert_eq!(out.code, 0, "{out:?}");
    serde_json::from_str(&out.stdout).unwrap_or(Value::Null)
}

async fn stale_zodiacs(c: &Client) -> anyhow::Result<i64> {
    Ok(c.query_one(
        "select count(*) from public.profiles where zodiac is distinct from samia.zodiac_of(dob)",
        &[],
    )
    .await?
    .get(0))
}

#[tokio::test]
async fn zodiac_backfill_counts_then_rewrites_in_batches_and_is_recorded() -> anyhow::Result<()> {
    let (db, c) = db().await?;
    let stale = stale_zodiacs(&c).await?;
    assert!(stale >= 7, "{stale}");
    let dry = summary(&db.samia(&["backfill", "zodiac", "--dry-run", "--json"]));
    assert_eq!(dry["rows_changed"].as_i64(), Some(stale));
    assert_eq!(stale_zodiacs(&c).await?, stale, "a dry run writes nothing");
    let done = summary(&db.samia(&["backfill", "zodiac", "--batch", "3", "--json"]));
    assert_eq!(done["rows_changed"].as_i64(), Some(stale));
    assert!(done["batches"].as_u64().unwrap_or(0) >= 3);
    assert!(done["longest_batch_ms"].as_f64().is_some());
    assert_eq!(stale_zodiacs(&c).await?, 0);
    let recorded: i64 = c
        .query_one(
            "select count(*) from public.audit_log
              where event = 'maintenance.backfill.zodiac' and actor_role = 'system'
                and (meta ->> 'rows_changed')::bigint = $1",
            &[&stale],
        )
        .await?
        .get(0);
    assert_eq!(recorded, 1);
    // Nothing left: a second run rewrites nothing.
    let again = summary(&db.samia(&["backfill", "zodiac", "--json"]));
    assert_eq!(again["rows_changed"].as_i64(), Some(0));
    Ok(())
}

#[tokio::test]
async fn a_cut_short_backfill_resumes_after_its_last_batch() -> anyhow::Result<()> {
    let (db, c) = db().await?;
    let total: i64 = c
        .query_one("select count(*) from public.profiles", &[])
        .await?
        .get(0);
    // As if a run had done the profiles up to user 4 and been killed.
    c.batch_execute(
        "insert into ops.backfills (name, last_key) values ('zodiac', '10000000-0000-4000-8000-000000000004')",
    )
    .await?;
    let resumed = summary(&db.samia(&["backfill", "zodiac", "--json"]));
    assert_eq!(
        resumed["resumed_after"],
        "10000000-0000-4000-8000-000000000004"
    );
    assert!(resumed["rows_seen"].as_i64().unwrap_or(0) < total);
    let left: i64 = c
        .query_one(
            "select count(*) from public.profiles
              where zodiac is distinct from samia.zodiac_of(dob) and id <= '10000000-0000-4000-8000-000000000004'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(
        left, 4,
        "the rows before the resume point were left to the first run"
    );
    let restarted = summary(&db.samia(&["backfill", "zodiac", "--restart", "--json"]));
    assert_eq!(restarted["resumed_after"], Value::Null);
    assert_eq!(restarted["rows_changed"].as_i64(), Some(4));
    Ok(())
}

#[tokio::test]
async fn country_codes_charts_and_probes() -> anyhow::Result<()> {
    let (db, c) = db().await?;
    let fixed = summary(&db.samia(&["backfill", "country-codes", "--json"]));
    assert_eq!(fixed["rows_changed"].as_i64(), Some(2));
    let wrong: i64 = c
        .query_one(
            "select count(*) from public.profiles where country_code = '+1'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(wrong, 0);

    let charts = summary(&db.samia(&["backfill", "charts", "--json"]));
    assert!(charts["rows_changed"].as_i64().unwrap_or(0) >= 1);
    let stale: i64 = c
        .query_one(
            "select count(*) from public.astro_charts where chart = '{}' or summary = 'stale'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(stale, 0);

    let probes = summary(&db.samia(&["backfill", "media-probe", "--json"]));
    assert!(probes["rows_changed"].as_i64().unwrap_or(0) >= 1);
    let queued: i64 = c
        .query_one(
            "select count(*) from ops.jobs where kind = 'media.probe' and (payload ->> 'media_id')::bigint = 500",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(queued, 1);
    let again = summary(&db.samia(&["backfill", "media-probe", "--json"]));
    assert_eq!(
        again["rows_changed"].as_i64(),
        Some(0),
        "a queued probe is not queued twice"
    );
    Ok(())
}
