//! Horoscope ingest: `samia.classify_caption` over 200,000 captions in SQL
//! (side by side with a scan of the same rows that only measures the
//! captions' length: what reading them costs), and a full sync of 2,000
//! posts from the fake TikTok by one sidecar, from the OAuth callback until
//! every post is recorded and classified.

use super::{best_of, ms};
use crate::cluster::{eventually, FakeTwilio, Sidecar};
use crate::tiktok::FakeTikTok;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

const CAPTIONS: i64 = 200_000;
const POSTS: usize = 2_000;
const ROUNDS: usize = 3;

/// The labelled captions of the classifier's tests, cycled.
fn captions() -> Vec<String> {
    [
        include_str!("../../../core/tests/data/captions.tsv"),
        include_str!("../../../core/tests/data/captions_independent.tsv"),
    ]
    .iter()
    .flat_map(|set| set.lines())
    .filter(|l| l.contains('\t') && !l.starts_with("caption\t") && !l.starts_with("//"))
    .filter_map(|l| l.split('\t').next().map(str::to_string))
    .collect()
}

pub async fn run(admin: &Client, url: &str) -> anyhow::Result<()> {
    classify(admin).await?;
    sync(admin, url).await
}

async fn classify(client: &Client) -> anyhow::Result<()> {
    let captions = captions();
    client
        .batch_execute(
            "drop table if exists public.bench_captions;
             create unlogged table public.bench_captions (caption text, at timestamptz)",
        )
        .await?;
    client
        .execute(
            "insert into public.bench_captions
             select ($1::text[])[1 + (i % array_length($1::text[], 1))::int],
                    timestamptz '2026-03-01' + make_interval(mins => i::int)
               from generate_series(0, $2::bigint - 1) i",
            &[&captions, &CAPTIONS],
        )
        .await?;
    client
        .batch_execute("analyze public.bench_captions; set max_parallel_workers_per_gather = 0")
        .await?;
    let (classified, scanned) = best_of(
        client,
        ROUNDS,
        "select count(*) from public.bench_captions
          where samia.classify_caption(caption, at, 'Africa/Cairo') ->> 'zodiac' is not null",
        "select count(*) from public.bench_captions where length(caption) > 0 and at is not null",
    )
    .await?;
    let rate = CAPTIONS as f64 / classified.as_secs_f64();
    println!(
        "ingest: classify_caption over {CAPTIONS} captions ({} distinct, from the labelled set), best of {ROUNDS}, one backend",
        captions.len()
    );
    println!("  classify_caption              {:>12}", ms(classified));
    println!("  the same scan, length only    {:>12}", ms(scanned));
    println!(
        "  rate                          {rate:>10.0}/s  (goal: at least 50,000/s; {}); the scan alone is {:.1}x faster",
        if rate >= 50_000.0 { "met" } else { "NOT met" },
        classified.as_secs_f64() / scanned.as_secs_f64()
    );
    client
        .batch_execute("drop table public.bench_captions")
        .await?;
    Ok(())
}

async fn sync(admin: &Client, url: &str) -> anyhow::Result<()> {
    let captions = captions();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let posts: Vec<serde_json::Value> = (0..POSTS)
        .map(|i| {
            serde_json::json!({
                "id": format!("{}", 7_700_000_000_000_000_000_u64 + i as u64),
                "create_time": now - 600 * i as i64,
                "video_description": captions[i % captions.len()],
                "duration": 60,
            })
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let tiktok = FakeTikTok::start(&serde_json::json!({ "posts": posts }), dir.path())?;
    let twilio = FakeTwilio::start()?;
    let mut env = tiktok.env();
    env.push(("SAMIA_TIKTOK_SCHEDULE_MS".into(), "3600000".into()));
    env.push(("SAMIA_LEASE_MS".into(), "120000".into()));
    env.push(("RUST_LOG".into(), "warn".into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sidecar = Sidecar::start(url, &twilio, &pairs)?;
    let out = crate::run_samia_with(&["tiktok", "connect"], Some(url), &env);
    anyhow::ensure!(out.code == 0, "samia tiktok connect: {}", out.stderr);
    let callback = tiktok.authorize(out.stdout.trim())?;
    let started = Instant::now();
    let (status, body) = sidecar.get(&callback)?;
    anyhow::ensure!(status == 200, "the callback answered {status}: {body}");
    eventually(
        Duration::from_secs(120),
        "every post recorded",
        || async move {
            let n: i64 = admin
                .query_one(
                    "select count(*) from public.tiktok_posts where post_id like '77%'",
                    &[],
                )
                .await?
                .get(0);
            Ok((n as usize >= POSTS).then_some(()))
        },
    )
    .await?;
    let took = started.elapsed();
    let classified: i64 = admin
        .query_one(
            "select count(*) from public.tiktok_posts where post_id like '77%' and status = 'classified'",
            &[],
        )
        .await?
        .get(0);
    let requests = tiktok_requests(&tiktok)?;
    let rate = POSTS as f64 / took.as_secs_f64();
    println!("ingest: full sync of {POSTS} posts from the fake TikTok by one sidecar, callback to the last row");
    println!(
        "  synced                        {:>12}  ({requests} TikTok requests; {classified} posts classified with a sign and a date)",
        ms(took)
    );
    println!(
        "  rate                          {rate:>10.0}/s  (goal: at least 500/s; {})",
        if rate >= 500.0 { "met" } else { "NOT met" }
    );
    admin
        .batch_execute("delete from public.tiktok_posts where post_id like '77%'")
        .await?;
    drop(sidecar);
    Ok(())
}

fn tiktok_requests(tiktok: &FakeTikTok) -> anyhow::Result<usize> {
    let (_, body) = crate::cluster::http(&tiktok.addr, "GET", "/_fake/requests", "")?;
    Ok(serde_json::from_str::<Vec<serde_json::Value>>(&body)
        .map(|v| v.len())
        .unwrap_or(0))
}
