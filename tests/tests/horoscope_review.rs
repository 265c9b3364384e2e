//! Monitors' work on TikTok posts (CONTRACT.md section 10): classifying by
//! hand what the classifier could not, ignoring a post, attaching the file
//! its audio comes from, and posts TikTok no longer lists; nobody writes
//! posts directly.

use samia_tests::fixture::{ADMIN, MONITOR, OWNER};
use samia_tests::horoscopes::{
    audio, count, db, draft_of, json_of, post, record, status, video, MORNING,
};
use samia_tests::media::{probed_ready, register, stored};
use samia_tests::postgrest::{failure, refused, request, try_request, Caller};
use serde_json::json;

#[tokio::test]
async fn a_monitor_classifies_what_the_classifier_could_not() -> anyhow::Result<()> {
    let mut d = db().await?;
    record(
        &d.sidecar,
        json!([video("7201", MORNING, "صباح الخير يا حلوين 🌞")]),
    )
    .await?;
    let (id, st, scope, zodiac, _) = post(&d.c, "7201").await?;
    assert_eq!((st.as_str(), scope, zodiac), ("unclassified", None, None));
    let media = audio(&d, id, "cc01").await?;
    probed_ready(&d.c, media, "cc01").await?;
    assert_eq!(
        status(&d.c, id).await?,
        "unclassified",
        "no draft without a sign"
    );
    let call = format!("select public.classify_post({id}, 'daily', 'Virgo', '2026-12-01')");
    let (state, _) = refused(&mut d.c, OWNER, &call).await;
    assert_eq!(state, "42501");
    let (state, _) = refused(
        &mut d.c,
        MONITOR,
        &format!("select public.classify_post({id}, 'daily', 'Ophiuchus', '2026-12-01')"),
    )
    .await;
    assert_eq!(state, "22023");
    request(&mut d.c, Caller::User(MONITOR), &call).await?;
    assert_eq!(status(&d.c, id).await?, "draft");
    let h = draft_of(&d.c, id).await?;
    let z: String =
        d.c.query_one("select zodiac from public.horoscopes where id = $1", &[&h])
            .await?
            .get(0);
    assert_eq!(z, "Virgo");
    // A correction of the draft's post moves the draft with it.
    request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select public.classify_post({id}, 'daily', 'Libra', '2026-12-01')"),
    )
    .await?;
    let z: String =
        d.c.query_one("select zodiac from public.horoscopes where id = $1", &[&h])
            .await?
            .get(0);
    assert_eq!(z, "Libra");
    let audited: i64 = d
        .c
        .query_one(
            "select count(*) from public.audit_log where event = 'tiktok_post.classified' and entity_id = $1 and actor::text = $2",
            &[&id.to_string(), &MONITOR],
        )
        .await?
        .get(0);
    assert_eq!(audited, 2);
    // A caption edit no longer overrides the monitor.
    record(
        &d.sidecar,
        json!([video("7201", MORNING, "Aries daily horoscope")]),
    )
    .await?;
    let (_, st, _, zodiac, _) = post(&d.c, "7201").await?;
    assert_eq!((st.as_str(), zodiac.as_deref()), ("draft", Some("Libra")));
    // An unrelated post is ignored with a reason.
    record(
        &d.sidecar,
        json!([video("7202", MORNING, "behind the scenes")]),
    )
    .await?;
    let (other, ..) = post(&d.c, "7202").await?;
    let (state, _) = refused(
        &mut d.c,
        MONITOR,
        &format!("select public.ignore_post({other}, '')"),
    )
    .await;
    assert_eq!(state, "22023");
    request(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select public.ignore_post({other}, 'not a horoscope')"),
    )
    .await?;
    assert_eq!(status(&d.c, other).await?, "ignored");
    Ok(())
}

#[tokio::test]
async fn posts_tiktok_no_longer_lists_are_flagged_and_come_back() -> anyhow::Result<()> {
    let mut d = db().await?;
    record(
        &d.sidecar,
        json!([
            video("7401", MORNING, "Aries daily"),
            video("7402", MORNING + 60, "Taurus daily")
        ]),
    )
    .await?;
    let flagged: i64 = d
        .sidecar
        .query_one(
            "select samia.tiktok_mark_removed(array['7402'], to_timestamp($1::double precision))",
            &[&(MORNING as f64)],
        )
        .await?
        .get(0);
    assert_eq!(flagged, 1);
    let (id, st, ..) = post(&d.c, "7401").await?;
    assert_eq!(st, "removed");
    let flagged_in_queue = count(
        &mut d.c,
        Caller::User(MONITOR),
        &format!("select count(*) from public.horoscope_review_queue where post_id = {id} and removed_at is not null"),
    )
    .await?;
    assert_eq!(flagged_in_queue, 1);
    record(&d.sidecar, json!([video("7401", MORNING, "Aries daily")])).await?;
    assert_eq!(post(&d.c, "7401").await?.1, "classified");
    Ok(())
}

#[tokio::test]
async fn monitors_attach_files_and_nobody_writes_posts_directly() -> anyhow::Result<()> {
    let mut d = db().await?;
    record(
        &d.sidecar,
        json!([video("7501", MORNING, "Gemini daily ♊")]),
    )
    .await?;
    let (id, ..) = post(&d.c, "7501").await?;
    let path = format!("{MONITOR}/7501.mp4");
    stored(
        &mut d.c,
        MONITOR,
        "horoscope-sources",
        &path,
        "video/mp4",
        900_000,
    )
    .await?;
    let media = register(&mut d.c, MONITOR, "video", "horoscope-sources", &path).await?;
    // Clients cannot upload there, nor attach.
    let (state, _) = failure(
        try_request(
            &mut d.c,
            Caller::User(OWNER),
            &format!(
                "insert into storage.objects (bucket_id, name, owner_id) values ('horoscope-sources', '{OWNER}/x.mp4', '{OWNER}')"
            ),
        )
        .await,
        "a client uploading a post's file",
    );
    assert_eq!(state, "42501");
    let call = format!("select public.attach_post_media({id}, {media})");
    let (state, _) = refused(&mut d.c, OWNER, &call).await;
    assert_eq!(state, "42501");
    let (state, _) = refused(
        &mut d.c,
        MONITOR,
        &format!("select public.attach_post_media({id}, 2)"),
    )
    .await;
    assert_eq!(state, "22023", "a reading is not a post's file");
    request(&mut d.c, Caller::User(MONITOR), &call).await?;
    let job = json_of(
        &d.c.query_one(
            "select payload::text from ops.jobs where kind = 'tiktok.audio' order by id desc limit 1",
            &[],
        )
        .await?,
    );
    assert_eq!(
        job,
        json!({"post_id": id, "media_id": media, "bucket": "horoscope-sources", "path": path})
    );

    for (who, sql) in [
        (
            Caller::Service,
            "insert into public.tiktok_posts (post_id) values ('forged')".to_string(),
        ),
        (
            Caller::User(ADMIN),
            format!("update public.tiktok_posts set detected_zodiac = 'Leo' where id = {id}"),
        ),
        (
            Caller::User(ADMIN),
            "select samia.tiktok_record_posts('[]')".to_string(),
        ),
        (
            Caller::Service,
            format!("select samia.tiktok_post_failed({id}, 'x')"),
        ),
    ] {
        let (state, _) = failure(try_request(&mut d.c, who, &sql).await, &sql);
        assert_eq!(state, "42501", "{sql} as {who:?}");
    }
    Ok(())
}
