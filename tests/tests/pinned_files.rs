//! Files and horoscope audio that stay where they belong (CONTRACT.md
//! sections 9 and 10), through requests made as PostgREST and Supabase
//! Storage make them: a published horoscope's audio is pinned and always a
//! file of the `horoscopes` bucket; an object never changes bucket and a
//! move stays in the caller's own folder; object names are plain; the
//! storage quota holds when a registered file is replaced.

use samia_tests::fixture::{self, ADMIN, MONITOR, OTHER, OWNER, READER};
use samia_tests::media::{probed_ready, register, stored};
use samia_tests::postgrest::{failure, request, try_request, Caller};
use samia_tests::{Session, TestDb};

async fn fixture_db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

/// Another ingested horoscope file (as the sidecar stores and links one),
/// probed ready; its media id.
async fn ingested(c: &mut Session, name: &str) -> anyhow::Result<i64> {
    c.execute(
        "insert into storage.objects (bucket_id, name, metadata, version)
         values ('horoscopes', $1, '{\"size\": 48000, \"mimetype\": \"audio/mp4\"}', 'v1')",
        &[&name],
    )
    .await?;
    let id: i64 = c
        .query_one(
            "insert into public.media_assets (kind, bucket, path) values ('audio', 'horoscopes', $1) returning id",
            &[&name],
        )
        .await?
        .get(0);
    probed_ready(c, id, "b6").await?;
    Ok(id)
}

#[tokio::test]
async fn a_published_horoscopes_audio_is_pinned() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let other = ingested(&mut c, "daily/other.m4a").await?;
    // Horoscope 1 is published with audio 3.
    for who in [MONITOR, ADMIN] {
        let (code, message) = failure(
            try_request(
                &mut c,
                Caller::User(who),
                &format!("update public.horoscopes set audio_media_id = {other} where id = 1"),
            )
            .await,
            "re-pointing a published horoscope",
        );
        assert_eq!(code, "23514", "{who}: {message}");
        assert!(message.contains("pinned"), "{message}");
    }
    // A draft's audio may change, to another ingested file.
    request(
        &mut c,
        Caller::User(MONITOR),
        &format!("update public.horoscopes set audio_media_id = {other} where id = 2"),
    )
    .await?;
    let audio: i64 = c
        .query_one(
            "select audio_media_id from public.horoscopes where id = 1",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(audio, 3);
    Ok(())
}

#[tokio::test]
async fn a_horoscopes_audio_is_a_file_of_the_horoscopes_bucket() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    // A client's private voice note, probed ready.
    let path = format!("{OWNER}/voice.m4a");
    stored(&mut c, OWNER, "order-inputs", &path, "audio/mp4", 30_000).await?;
    let voice = register(&mut c, OWNER, "audio", "order-inputs", &path).await?;
    probed_ready(&c, voice, "c1").await?;
    // Media 2 is a reader's delivered answer in `readings`.
    for media in [voice, 2] {
        let (code, message) = failure(
            try_request(
                &mut c,
                Caller::User(MONITOR),
                &format!("update public.horoscopes set audio_media_id = {media} where id = 2"),
            )
            .await,
            "a horoscope with audio from another bucket",
        );
        assert_eq!(code, "22023", "{message}");
        assert!(message.contains("horoscopes bucket"), "{message}");
    }
    let (code, _) = failure(
        try_request(
            &mut c,
            Caller::User(MONITOR),
            &format!("update public.horoscopes set audio_media_id = {voice}, approved_at = now() where id = 2"),
        )
        .await,
        "publishing with a voice note",
    );
    assert_eq!(code, "22023");
    // With its own audio it is published.
    request(
        &mut c,
        Caller::User(MONITOR),
        "update public.horoscopes set approved_at = now() where id = 2",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn an_object_never_changes_bucket_and_moves_only_within_its_folder() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let own = format!("{OWNER}/new.jpg");
    let reading = format!("{READER}/out.m4a");
    for (who, from, name, to) in [
        (
            Caller::User(OWNER),
            "order-inputs",
            own.as_str(),
            "readings",
        ),
        (
            Caller::User(OWNER),
            "order-inputs",
            own.as_str(),
            "horoscope-sources",
        ),
        (
            Caller::User(READER),
            "readings",
            reading.as_str(),
            "horoscope-sources",
        ),
        (
            Caller::User(READER),
            "readings",
            reading.as_str(),
            "order-inputs",
        ),
        (Caller::Service, "order-inputs", own.as_str(), "readings"),
    ] {
        let sql = format!(
            "update storage.objects set bucket_id = '{to}' where bucket_id = '{from}' and name = '{name}' returning name"
        );
        let (code, message) = failure(try_request(&mut c.storage(), who, &sql).await, &sql);
        assert_eq!(code, "42501", "{who:?} {from} -> {to}: {message}");
    }
    // Into another user's folder of the same bucket: refused by the policy.
    let sql = format!(
        "update storage.objects set name = '{OTHER}/taken.jpg' where bucket_id = 'order-inputs' and name = '{own}'"
    );
    let (code, _) = failure(
        try_request(&mut c.storage(), Caller::User(OWNER), &sql).await,
        &sql,
    );
    assert_eq!(code, "42501");
    // Within their own folder: a move Storage makes.
    let rows = request(
        &mut c.storage(),
        Caller::User(OWNER),
        &format!(
            "update storage.objects set name = '{OWNER}/cups/renamed.jpg'
              where bucket_id = 'order-inputs' and name = '{own}' returning name"
        ),
    )
    .await?;
    assert_eq!(rows.len(), 1);
    Ok(())
}

#[tokio::test]
async fn object_names_are_plain_at_upload_and_at_registration() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let bad = [
        format!("{OWNER}/../{OTHER}/x.m4a"),
        format!("/{OWNER}/x.m4a"),
        format!("{OWNER}//x.m4a"),
        format!("{OWNER}/x.m4a/"),
        format!("{OWNER}/./x.m4a"),
        format!("{OWNER}\\x.m4a"),
        format!("{OWNER}/a\nb.m4a"),
        format!("{OWNER}/a\tb.m4a"),
    ];
    for name in &bad {
        let result = stored(&mut c, OWNER, "order-inputs", name, "audio/mp4", 1000).await;
        let code = result
            .err()
            .and_then(|e| samia_tests::sqlstate(&e).map(str::to_string));
        assert_eq!(code.as_deref(), Some("42501"), "upload of {name:?}");
    }
    // A name Storage kept anyway (written here as system) is not registered.
    for name in &bad {
        c.execute(
            "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
             values ('order-inputs', $1, $2::text::uuid, $2, '{\"size\": 1000, \"mimetype\": \"audio/mp4\"}', 'v1')",
            &[name, &OWNER],
        )
        .await?;
        let result = register(&mut c, OWNER, "audio", "order-inputs", name).await;
        let code = result
            .err()
            .and_then(|e| samia_tests::sqlstate(&e).map(str::to_string));
        assert_eq!(code.as_deref(), Some("22023"), "registration of {name:?}");
    }
    // A plain name goes through both.
    let good = format!("{OWNER}/2026/voice note.m4a");
    stored(&mut c, OWNER, "order-inputs", &good, "audio/mp4", 1000).await?;
    register(&mut c, OWNER, "audio", "order-inputs", &good).await?;
    Ok(())
}

#[tokio::test]
async fn the_storage_quota_holds_when_a_file_is_replaced() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    c.batch_execute(
        "update public.app_config set value = '100000' where key = 'storage.quota_bytes_per_user'",
    )
    .await?;
    let path = format!("{OWNER}/voice.m4a");
    stored(&mut c, OWNER, "order-inputs", &path, "audio/mp4", 40_000).await?;
    register(&mut c, OWNER, "audio", "order-inputs", &path).await?;
    // Replaced by a larger file within the quota: fine.
    stored(&mut c, OWNER, "order-inputs", &path, "audio/mp4", 60_000).await?;
    // By one that takes the owner past it: refused, the file stays as it was.
    let result = stored(&mut c, OWNER, "order-inputs", &path, "audio/mp4", 200_000).await;
    let error = result
        .err()
        .and_then(|e| {
            e.as_db_error()
                .map(|d| format!("{} {}", d.code().code(), d.message()))
        })
        .unwrap_or_default();
    assert!(error.starts_with("23514"), "{error}");
    assert!(error.contains("the limit is 100000 bytes"), "{error}");
    let size: i64 = c
        .query_one(
            "select (metadata ->> 'size')::bigint from storage.objects where name = $1",
            &[&path],
        )
        .await?
        .get(0);
    assert_eq!(size, 60_000);
    Ok(())
}
