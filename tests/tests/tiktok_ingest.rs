//! Horoscopes from TikTok end to end, against the fake TikTok and the fake
//! Storage: the owner connects (OAuth through the sidecar's callback), the
//! sidecar syncs the posts, the operator's fetch command downloads each
//! post's video, the sidecar extracts and stores its sound, the probe
//! finds it ready and a draft appears; a monitor publishes it and anon can
//! read it. Tokens rotate on refresh; a revoked authorization stops the
//! sync and `samia health` says so; TikTok's 429 and 500 are retried.

use samia_tests::cluster::{eventually, FakeTwilio, Sidecar};
use samia_tests::fixture::{self, MONITOR};
use samia_tests::postgrest::{request, Caller};
use samia_tests::storage::{files, service_key, FakeStorage};
use samia_tests::tiktok::FakeTikTok;
use samia_tests::{run_samia_with, TestDb};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);

fn seed(now: i64) -> serde_json::Value {
    json!({
        "username": "samia",
        "posts": [
            {"id": "7600000000000000001", "create_time": now - 3600,
             "video_description": "حظك اليوم يا برج العقرب ♏ #توقعات_الابراج", "duration": 2},
            {"id": "7600000000000000002", "create_time": now - 1800,
             "title": "Leo daily horoscope ♌", "duration": 2},
            {"id": "7600000000000000003", "create_time": now - 600,
             "video_description": "behind the scenes of the studio", "duration": 2}
        ]
    })
}

struct Stack {
    db: TestDb,
    c: samia_tests::Session,
    tiktok: FakeTikTok,
    _storage: FakeStorage,
    _twilio: FakeTwilio,
    sidecar: Sidecar,
    _media: tempfile::TempDir,
}

async fn stack(fetch: bool) -> anyhow::Result<Stack> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    let media = tempfile::tempdir()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    // The first two posts carry the same video: its sound is stored once.
    let video = files::video_mp4()?;
    for id in [
        "7600000000000000001",
        "7600000000000000002",
        "7600000000000000003",
    ] {
        std::fs::write(media.path().join(format!("{id}.mp4")), &video)?;
    }
    let tiktok = FakeTikTok::start(&seed(now), media.path())?;
    let storage = FakeStorage::start(&db.url)?;
    let twilio = FakeTwilio::start()?;
    let key = service_key()?;
    let fetch_cmd = format!(
        "fetch() {{ id=${{1##*/}}; cp {}/\"$id\".mp4 \"$2\"; }}; fetch",
        media.path().display()
    );
    let mut env: Vec<(String, String)> = tiktok.env();
    env.push(("SUPABASE_URL".into(), storage.url()));
    env.push(("SUPABASE_SERVICE_ROLE_KEY".into(), key));
    env.push(("SAMIA_TIKTOK_SCHEDULE_MS".into(), "200".into()));
    env.push(("SAMIA_LEASE_MS".into(), "20000".into()));
    if fetch {
        env.push(("SAMIA_TIKTOK_FETCH_CMD".into(), fetch_cmd));
    }
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sidecar = Sidecar::start(&db.url, &twilio, &pairs)?;
    Ok(Stack {
        db,
        c,
        tiktok,
        _storage: storage,
        _twilio: twilio,
        sidecar,
        _media: media,
    })
}

/// `samia tiktok connect`, the owner's approval, the callback.
async fn connect(s: &Stack) -> anyhow::Result<()> {
    let out = run_samia_with(&["tiktok", "connect"], Some(&s.db.url), &s.tiktok.env());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let callback = s.tiktok.authorize(out.stdout.trim())?;
    let (status, body) = s.sidecar.get(&callback)?;
    assert_eq!(status, 200, "{body}");
    // The same link works once.
    let (status, _) = s.sidecar.get(&callback)?;
    assert_eq!(status, 400);
    Ok(())
}

async fn post_status(c: &tokio_postgres::Client, id: &str) -> anyhow::Result<Option<String>> {
    Ok(c.query_opt(
        "select status from public.tiktok_posts where post_id = $1",
        &[&id],
    )
    .await?
    .map(|r| r.get(0)))
}

#[tokio::test]
async fn posts_become_drafts_with_their_sound_and_publish() -> anyhow::Result<()> {
    let mut s = stack(true).await?;
    connect(&s).await?;
    // No API role reads the tokens.
    let tokens: i64 =
        s.c.query_one(
            "select count(*) from ops.tiktok_account where access_token is not null",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(tokens, 1);
    let c = &s.c;
    eventually(WAIT, "a draft and a duplicate", || async move {
        let a = post_status(c, "7600000000000000001").await?;
        let b = post_status(c, "7600000000000000002").await?;
        let mut both = [a.unwrap_or_default(), b.unwrap_or_default()];
        both.sort();
        Ok((both == ["draft".to_string(), "duplicate".to_string()]).then_some(()))
    })
    .await?;
    assert_eq!(
        post_status(&s.c, "7600000000000000003").await?.as_deref(),
        Some("unclassified")
    );
    let row =
        s.c.query_one(
            "select h.id, m.bucket, m.path, m.status, m.mime_type
               from public.tiktok_posts p join public.horoscopes h on h.id = p.horoscope_id
               join public.media_assets m on m.id = h.audio_media_id
              where p.status = 'draft'",
            &[],
        )
        .await?;
    let (h, bucket, path): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        (bucket.as_str(), row.get::<_, String>(3).as_str()),
        ("horoscopes", "ready")
    );
    assert!(
        path.starts_with("tiktok/") && path.ends_with(".m4a"),
        "{path}"
    );
    // The stored file is audio only (the video's picture is gone).
    let sql = format!("select count(*) from storage.objects where name = '{path}'");
    assert_eq!(
        request(&mut s.c, Caller::Anon, &sql).await?[0].get::<_, i64>(0),
        0
    );
    request(
        &mut s.c,
        Caller::User(MONITOR),
        &format!("select public.approve_horoscope({h})"),
    )
    .await?;
    assert_eq!(
        request(&mut s.c, Caller::Anon, &sql).await?[0].get::<_, i64>(0),
        1
    );
    // A spent request budget stops syncing until the next day.
    request(
        &mut s.c,
        Caller::User(samia_tests::fixture::ADMIN),
        "update public.app_config set value = '1' where key = 'tiktok.daily_request_budget'",
    )
    .await?;
    let out = run_samia_with(&["tiktok", "sync"], Some(&s.db.url), &s.tiktok.env());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("request budget is spent"),
        "{}",
        out.stderr
    );
    Ok(())
}

async fn recorded(c: &tokio_postgres::Client) -> anyhow::Result<i64> {
    Ok(c.query_one(
        "select count(*) from public.tiktok_posts where post_id like '76%'",
        &[],
    )
    .await?
    .get(0))
}

async fn refresh_token(c: &tokio_postgres::Client) -> anyhow::Result<Option<String>> {
    Ok(
        c.query_one("select refresh_token from ops.tiktok_account", &[])
            .await?
            .get(0),
    )
}

#[tokio::test]
async fn tokens_rotate_and_a_revoked_authorization_stops_the_sync() -> anyhow::Result<()> {
    let s = stack(false).await?;
    connect(&s).await?;
    let c = &s.c;
    eventually(WAIT, "the first sync", || async move {
        let n: i64 = c
            .query_one(
                "select count(*) from public.tiktok_posts where post_id like '76%'",
                &[],
            )
            .await?
            .get(0);
        Ok((n == 3).then_some(()))
    })
    .await?;
    let before = refresh_token(&s.c).await?;
    // Two hours on: TikTok refuses the access token; the sync refreshes it
    // and keeps the new refresh token (the old one is dead).
    let (status, body) = s.tiktok.post("/_fake/clock", r#"{"advance_secs": 7300}"#)?;
    assert_eq!(status, 200, "{body}");
    s.tiktok.post("/_fake/posts", &json!([{"id": "7600000000000000004", "create_time": 1_900_000_000_i64, "title": "Pisces horoscope ♓"}]).to_string())?;
    // A rate limit and a failure first: both retried.
    s.tiktok.post(
        "/_fake/faults",
        r#"{"faults": [{"status": 429, "count": 1, "retry_after": 1}, {"status": 500, "count": 1}]}"#,
    )?;
    let out = run_samia_with(&["tiktok", "sync"], Some(&s.db.url), &s.tiktok.env());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 new"), "{}", out.stdout);
    let after = refresh_token(&s.c).await?;
    assert!(
        before.is_some() && after.is_some() && before != after,
        "the refresh token rotated"
    );

    // The owner removes the app: refreshing fails for good and syncing stops.
    s.tiktok.post("/_fake/revoke", "")?;
    s.tiktok.post("/_fake/clock", r#"{"advance_secs": 7300}"#)?;
    let out = run_samia_with(&["tiktok", "sync"], Some(&s.db.url), &s.tiktok.env());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("stopped"), "{}", out.stderr);
    let health = run_samia_with(&["health"], Some(&s.db.url), &[]);
    assert!(
        health.stdout.contains("TikTok sync stopped"),
        "{}",
        health.stdout
    );
    let sidecar = &s.sidecar;
    eventually(WAIT, "/healthz to say so", || async move {
        let (_, body) = sidecar.get("/healthz")?;
        Ok(body.contains("tiktok: sync stopped").then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_sync_cut_short_records_nothing_and_two_syncs_record_each_post_once() -> anyhow::Result<()>
{
    let mut s = stack(false).await?;
    connect(&s).await?;
    let c = &s.c;
    eventually(WAIT, "the first sync", || async move {
        let n: i64 = c
            .query_one(
                "select count(*) from public.tiktok_posts where post_id like '76%'",
                &[],
            )
            .await?
            .get(0);
        Ok((n == 3).then_some(()))
    })
    .await?;
    s.sidecar.kill();
    // 200 more posts, and TikTok answering slowly.
    let more: Vec<serde_json::Value> = (0..200)
        .map(|i| {
            json!({"id": format!("{}", 7_610_000_000_000_000_000_u64 + i), "create_time": 1_800_000_000_i64 + i as i64,
                   "title": "Aries daily horoscope ♈"})
        })
        .collect();
    let (status, body) = s.tiktok.post("/_fake/posts", &json!(more).to_string())?;
    assert_eq!(status, 200, "{body}");
    s.tiktok.post(
        "/_fake/faults",
        r#"{"faults": [{"delay_ms": 400, "pass": true, "count": 6}]}"#,
    )?;
    let bin = std::env::var("SAMIA_BIN")?;
    let mut cut = std::process::Command::new(&bin);
    cut.args(["tiktok", "sync"]).env("DATABASE_URL", &s.db.url);
    for (k, v) in s.tiktok.env() {
        cut.env(k, v);
    }
    let mut child = cut
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    child.kill()?;
    child.wait()?;
    assert_eq!(
        recorded(&s.c).await?,
        3,
        "a sync killed midway recorded part of its listing"
    );
    // Two syncs at once: every post once, neither fails.
    let env = s.tiktok.env();
    let url = s.db.url.clone();
    let (a, b) = tokio::join!(
        tokio::task::spawn_blocking({
            let (env, url) = (env.clone(), url.clone());
            move || run_samia_with(&["tiktok", "sync"], Some(&url), &env)
        }),
        tokio::task::spawn_blocking(move || run_samia_with(&["tiktok", "sync"], Some(&url), &env)),
    );
    let (a, b) = (a?, b?);
    assert_eq!((a.code, b.code), (0, 0), "{}\n{}", a.stderr, b.stderr);
    assert_eq!(recorded(&s.c).await?, 203);
    let events: i64 = s
        .c
        .query_one(
            "select count(*) from (select post_id from public.tiktok_posts group by post_id having count(*) > 1) d",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(events, 0);
    Ok(())
}
