//! Horoscopes from TikTok in the database (CONTRACT.md sections 6 and 10):
//! synced posts are classified as they are recorded, a classified post with
//! ready audio becomes a draft, monitors review it, and nobody but staff
//! sees anything before it is published. The sidecar's side (TikTok, the
//! audio) is in `tiktok_ingest.rs`; here the sidecar's calls are made as
//! its role does. Monitors' work on posts is in `horoscope_review.rs`; the
//! fixture both use is `samia_tests::horoscopes`.

use samia_tests::fixture::{ADMIN, MONITOR, OWNER, READER};
use samia_tests::horoscopes::{
    audio, count, db, draft_of, json_of, post, record, status, video, MORNING,
};
use samia_tests::media::probed_ready;
use samia_tests::postgrest::{failure, refused, request, try_request, Caller};
use serde_json::{json, Value};

#[tokio::test]
async fn captions_are_classified_in_sql_for_anyone() -> anyhow::Result<()> {
    let mut d = db().await?;
    let rows = request(
        &mut d.c,
        Caller::Anon,
        "select samia.classify_caption('حظك اليوم برج الحمل ♈', '2026-12-01 08:00+00', 'Africa/Cairo')::text",
    )
    .await?;
    let found = json_of(&rows[0]);
    assert_eq!(
        found,
        json!({"scope": "daily", "zodiac": "Aries", "ref_date": "2026-12-01"})
    );
    // 23:30 UTC is already the next day in Cairo; the time zone defaults to it.
    let found = json_of(
        &d.c.query_one(
            "select samia.classify_caption('Leo daily horoscope', '2026-12-01 23:30+00')::text",
            &[],
        )
        .await?,
    );
    assert_eq!(found["ref_date"], "2026-12-02");
    assert_eq!(found["zodiac"], "Leo");
    let (state, _) = failure(
        d.c.query(
            "select samia.classify_caption('x', now(), 'Mars/Olympus')",
            &[],
        )
        .await,
        "an unknown time zone",
    );
    assert_eq!(state, "22023");
    Ok(())
}

#[tokio::test]
async fn a_synced_post_becomes_a_draft_then_a_published_horoscope() -> anyhow::Result<()> {
    let mut d = db().await?;
    // (The fixture publishes Aries for today already.)
    let page = json!([video(
        "7001",
        MORNING,
        "حظك اليوم برج العقرب ♏ #توقعات_الابراج"
    )]);
    assert_eq!(record(&d.sidecar, page.clone()).await?["new"], 1);
    // Recording the same page again changes nothing.
    let again = record(&d.sidecar, page).await?;
    assert_eq!(
        (again["new"].as_i64(), again["known"].as_i64()),
        (Some(0), Some(1))
    );
    let (id, st, scope, zodiac, day) = post(&d.c, "7001").await?;
    assert_eq!(
        (
            st.as_str(),
            scope.as_deref(),
            zodiac.as_deref(),
            day.as_deref()
        ),
        (
            "classified",
            Some("daily"),
            Some("Scorpio"),
            Some("2026-12-01")
        )
    );

    let media = audio(&d, id, "aa01").await?;
    let probe_jobs: i64 = d
        .c
        .query_one(
            "select count(*) from ops.jobs where kind = 'media.probe' and (payload ->> 'media_id')::bigint = $1",
            &[&media],
        )
        .await?
        .get(0);
    assert_eq!(probe_jobs, 1, "the extracted audio is probed");
    assert_eq!(status(&d.c, id).await?, "classified", "waits for the probe");
    probed_ready(&d.c, media, "aa01").await?;
    assert_eq!(status(&d.c, id).await?, "draft");
    let h = draft_of(&d.c, id).await?;

    // Before approval: nothing for anon or clients, the queue for staff.
    for who in [Caller::Anon, Caller::User(OWNER), Caller::User(READER)] {
        let sql = format!(
            "select (select count(*) from public.horoscopes where id = {h})
                  + (select count(*) from public.media_assets where id = {media})
                  + (select count(*) from storage.objects where name = 'tiktok/aa01.m4a')"
        );
        assert_eq!(
            count(&mut d.c, who, &sql).await?,
            0,
            "{who:?} sees the draft"
        );
    }
    for who in [Caller::User(OWNER), Caller::User(READER)] {
        let n = count(
            &mut d.c,
            who,
            "select (select count(*) from public.tiktok_posts) + (select count(*) from public.horoscope_review_queue)",
        )
        .await?;
        assert_eq!(n, 0, "{who:?} sees posts");
    }
    let queue = request(
        &mut d.c,
        Caller::User(MONITOR),
        "select post_id, status, zodiac, audio_status, horoscope_id from public.horoscope_review_queue",
    )
    .await?;
    let mine = queue
        .iter()
        .find(|r| r.get::<_, i64>(0) == id)
        .expect("the draft is in the queue");
    assert_eq!(
        (
            mine.get::<_, String>(1),
            mine.get::<_, String>(2),
            mine.get::<_, String>(3),
            mine.get::<_, i64>(4)
        ),
        ("draft".into(), "Scorpio".into(), "ready".into(), h)
    );

    // A client cannot approve (to them the draft does not exist); a
    // monitor can, and it is recorded.
    let (state, _) = refused(
        &mut d.c,
        OWNER,
        &format!("select public.approve_horoscope({h})"),
    )
    .await;
    assert_eq!(state, "P0002");
    let touched = request(
        &mut d.c,
        Caller::User(OWNER),
        "update public.horoscopes set approved_at = null where id = 1 returning id",
    )
    .await?;
    assert!(touched.is_empty(), "a client cannot unpublish a horoscope");
    request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select public.approve_horoscope({h})"),
    )
    .await?;
    let r = d
        .c
        .query_one(
            "select approved_by::text, approved_at is not null from public.horoscopes where id = $1",
            &[&h],
        )
        .await?;
    assert_eq!(
        (r.get::<_, Option<String>>(0), r.get::<_, bool>(1)),
        (Some(MONITOR.into()), true)
    );
    assert_eq!(status(&d.c, id).await?, "published");
    let records: i64 = d
        .c
        .query_one(
            "select (select count(*) from public.audit_log
                      where event = 'horoscope.approved' and entity_id = $1 and actor::text = $2)
                  + (select count(*) from public.moderation_actions
                      where target_kind = 'horoscope' and target_id = $1 and action = 'approve' and actor_id::text = $2)",
            &[&h.to_string(), &MONITOR],
        )
        .await?
        .get(0);
    assert_eq!(records, 2);

    // Published: anyone reads it and its audio, never the post.
    let sql = format!(
        "select (select count(*) from public.horoscopes where id = {h})
              + (select count(*) from public.media_assets where id = {media})
              + (select count(*) from storage.objects where name = 'tiktok/aa01.m4a')"
    );
    assert_eq!(count(&mut d.c, Caller::Anon, &sql).await?, 3);
    let (state, _) = failure(
        try_request(
            &mut d.c,
            Caller::Anon,
            "select count(*) from public.tiktok_posts",
        )
        .await,
        "anon reading posts",
    );
    assert_eq!(state, "42501");
    // Its audio is pinned: the object can no longer be replaced through the API.
    let (state, _) = failure(
        try_request(
            &mut d.c,
            Caller::Service,
            "update storage.objects set version = 'v2' where name = 'tiktok/aa01.m4a'",
        )
        .await,
        "replacing published audio",
    );
    assert_eq!(state, "23514");
    Ok(())
}

#[tokio::test]
async fn rejection_needs_a_reason_and_one_horoscope_is_published_per_day() -> anyhow::Result<()> {
    let mut d = db().await?;
    record(
        &d.sidecar,
        json!([
            video("7101", MORNING, "برج الأسد ♌ توقعات اليوم"),
            video("7102", MORNING + 600, "Leo horoscope today ♌ take two"),
        ]),
    )
    .await?;
    let (first, ..) = post(&d.c, "7101").await?;
    let (second, ..) = post(&d.c, "7102").await?;
    let a = audio(&d, first, "bb01").await?;
    probed_ready(&d.c, a, "bb01").await?;
    let b = audio(&d, second, "bb02").await?;
    probed_ready(&d.c, b, "bb02").await?;
    let (h1, h2) = (draft_of(&d.c, first).await?, draft_of(&d.c, second).await?);
    assert_ne!(h1, h2, "a second post for the day waits as its own draft");
    request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select public.approve_horoscope({h1})"),
    )
    .await?;
    // The second cannot replace the published one by itself.
    let (state, message) = refused(
        &mut d.c,
        ADMIN,
        &format!("select public.approve_horoscope({h2})"),
    )
    .await;
    assert_eq!(state, "23505", "{message}");
    assert!(message.contains(&format!("horoscope {h1}")), "{message}");
    let queue = request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select published_horoscope_id from public.horoscope_review_queue where post_id = {second}"),
    )
    .await?;
    assert_eq!(
        queue[0].get::<_, Option<i64>>(0),
        Some(h1),
        "the queue shows the conflict"
    );

    let (state, _) = refused(
        &mut d.c,
        MONITOR,
        &format!("select public.reject_horoscope({h2}, '  ')"),
    )
    .await;
    assert_eq!(state, "22023");
    let (state, _) = refused(&mut d.c, OWNER, "select public.reject_horoscope(1, 'no')").await;
    assert_eq!(
        state, "P0002",
        "a client cannot reject a published horoscope"
    );
    request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select public.reject_horoscope({h2}, 'the sound cuts out')"),
    )
    .await?;
    assert_eq!(status(&d.c, second).await?, "rejected");
    let r = d
        .c
        .query_one(
            "select rejected_by::text, rejected_reason, approved_at is null from public.horoscopes where id = $1",
            &[&h2],
        )
        .await?;
    assert_eq!(
        (
            r.get::<_, Option<String>>(0),
            r.get::<_, Option<String>>(1),
            r.get::<_, bool>(2)
        ),
        (
            Some(MONITOR.into()),
            Some("the sound cuts out".into()),
            true
        )
    );
    let reason: Option<String> = d
        .c
        .query_one(
            "select reason from public.moderation_actions where target_kind = 'horoscope' and target_id = $1 and action = 'reject'",
            &[&h2.to_string()],
        )
        .await?
        .get(0);
    assert_eq!(reason.as_deref(), Some("the sound cuts out"));
    // Rejected stays rejected.
    let (state, _) = refused(
        &mut d.c,
        MONITOR,
        &format!("select public.approve_horoscope({h2})"),
    )
    .await;
    assert_eq!(state, "23514");
    Ok(())
}

#[tokio::test]
async fn the_same_audio_twice_makes_one_draft() -> anyhow::Result<()> {
    let d = db().await?;
    record(
        &d.sidecar,
        json!([
            video("7301", MORNING, "#برج_الجدي حظك اليوم"),
            video("7302", MORNING + 60, "#capricorn daily horoscope"),
        ]),
    )
    .await?;
    let (first, ..) = post(&d.c, "7301").await?;
    let (second, ..) = post(&d.c, "7302").await?;
    let m1 = audio(&d, first, "dd01").await?;
    probed_ready(&d.c, m1, "dd01").await?;
    let m2 = audio(&d, second, "dd01").await?;
    assert_eq!(m1, m2, "the same sound is stored and registered once");
    assert_eq!(status(&d.c, first).await?, "draft");
    let r =
        d.c.query_one(
            "select status, duplicate_of, horoscope_id from public.tiktok_posts where id = $1",
            &[&second],
        )
        .await?;
    assert_eq!(
        (
            r.get::<_, String>(0),
            r.get::<_, Option<i64>>(1),
            r.get::<_, Option<i64>>(2)
        ),
        ("duplicate".into(), Some(first), None)
    );
    Ok(())
}

#[tokio::test]
async fn lineage_traces_a_horoscope_to_its_post_and_an_order_to_its_approval() -> anyhow::Result<()>
{
    let mut d = db().await?;
    record(
        &d.sidecar,
        json!([video("7601", MORNING, "برج الميزان ♎ حظك اليوم")]),
    )
    .await?;
    let (id, ..) = post(&d.c, "7601").await?;
    let media = audio(&d, id, "ee01").await?;
    probed_ready(&d.c, media, "ee01").await?;
    let h = draft_of(&d.c, id).await?;
    request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select public.approve_horoscope({h})"),
    )
    .await?;

    let out =
        d.db.samia(&["lineage", "horoscope", &h.to_string(), "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let report: Value = serde_json::from_str(&out.stdout)?;
    let events = report["events"].as_array().cloned().unwrap_or_default();
    let find = |what: &str| events.iter().find(|e| e["what"] == what).cloned();
    let posted = find("posted on TikTok").expect("the post");
    assert_eq!(
        posted["details"]["share_url"],
        "https://www.tiktok.com/@samia/video/7601"
    );
    assert_eq!(
        find("audio registered").expect("the audio")["details"]["sha256"],
        "ee01"
    );
    let approved = find("horoscope.approved").expect("the approval record");
    assert_eq!(approved["actor"], MONITOR);
    assert!(find("approve").is_some_and(|m| m["source"] == "moderation"));
    let times: Vec<String> = events
        .iter()
        .map(|e| e["at"].as_str().unwrap_or("").to_string())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");

    // The fixture's order 1: the reader's answer and the monitor's approval.
    let out = d.db.samia(&["lineage", "order", "1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("answer registered"), "{}", out.stdout);
    assert!(out.stdout.contains("\"sha256\":\"a1\""), "{}", out.stdout);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("moderation") && l.contains(MONITOR)),
        "{}",
        out.stdout
    );
    let missing = d.db.samia(&["lineage", "order", "999999"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    let bad = d.db.samia(&["lineage", "profile", "not-a-uuid"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    Ok(())
}
