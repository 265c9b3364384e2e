//! Storage in the database (CONTRACT.md sections 4 and 9): who reads and
//! writes which objects of `storage.objects`, registration of an uploaded
//! object as a media row, and how a media row follows its object. Objects
//! are recorded as Supabase Storage records them (the insert made as the
//! uploading user, under the policies); the fake Storage service is tested
//! with the sidecar.

use samia_tests::fixture::{self, ACTORS, ADMIN, BLOCKED, MONITOR, OTHER, OWNER, READER};
use samia_tests::media::{self, probed_ready, register, stored};
use samia_tests::postgrest::{failure, refused, request, try_request, Api, Caller};
use samia_tests::{one_text, sqlstate, Session, TestDb};

async fn fixture_db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

/// A tarot order of the owner, placed, assigned to the reader and started.
async fn order_in_progress(c: &mut impl Api) -> anyhow::Result<i64> {
    let id: i64 = request(
        c,
        Caller::User(OWNER),
        "select id from public.place_order('tarot')",
    )
    .await?[0]
        .get(0);
    request(
        c,
        Caller::User(ADMIN),
        &format!("select public.assign_order({id}, '{READER}')"),
    )
    .await?;
    request(
        c,
        Caller::User(READER),
        &format!("select public.start_order({id})"),
    )
    .await?;
    Ok(id)
}

/// The fixture's objects and who may read each (in `fixture::ACTORS` order:
/// anon, client owner, other client, blocked client, assigned reader, other
/// reader, monitor, admin, superadmin). Reads mirror the media row: an
/// order's input for its client and its reader, a delivered answer for its
/// client and its reader, published horoscope audio for everyone, an
/// unregistered upload for its uploader; staff read all.
const READS: [(&str, &str, [bool; 9]); 6] = [
    (
        "order-inputs",
        "10000000-0000-4000-8000-000000000001/in.jpg",
        [false, true, false, false, true, false, true, true, true],
    ),
    (
        "readings",
        "10000000-0000-4000-8000-000000000004/out.m4a",
        [false, true, false, false, true, false, true, true, true],
    ),
    (
        "horoscopes",
        "daily/published.m4a",
        [true, true, true, true, true, true, true, true, true],
    ),
    (
        "horoscopes",
        "daily/unpublished.m4a",
        [false, false, false, false, false, false, true, true, true],
    ),
    (
        "readings",
        "10000000-0000-4000-8000-000000000005/reader2.m4a",
        [false, false, false, false, false, true, true, true, true],
    ),
    (
        "order-inputs",
        "10000000-0000-4000-8000-000000000002/new.jpg",
        [false, false, true, false, false, false, true, true, true],
    ),
];

/// Who may upload into their own folder of each bucket, same order.
const WRITES: [(&str, [bool; 9]); 3] = [
    (
        "order-inputs",
        [false, true, true, false, false, false, false, false, false],
    ),
    (
        "readings",
        [false, false, false, false, true, true, false, false, false],
    ),
    (
        "horoscopes",
        [
            false, false, false, false, false, false, false, false, false,
        ],
    ),
];

#[tokio::test]
async fn storage_objects_every_role_every_bucket() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let mut failures = Vec::new();
    for (bucket, name, expected) in READS {
        for ((who, caller), may) in ACTORS.iter().zip(expected) {
            let sql = format!(
                "select count(*) from storage.objects where bucket_id = '{bucket}' and name = '{name}'"
            );
            let seen: i64 = try_request(&mut c.storage(), *caller, &sql).await?[0].get(0);
            // The same caller sees the media row exactly when they see the object.
            let media_sql = format!(
                "select count(*) from public.media_assets where bucket = '{bucket}' and path = '{name}'"
            );
            let media: i64 = try_request(&mut c, *caller, &media_sql).await?[0].get(0);
            let registered = !name.ends_with("new.jpg");
            if (seen == 1) != may || (registered && media != seen) {
                failures.push(format!(
                    "read {bucket}/{name} as {who}: object {seen}, media row {media}, expected {may}"
                ));
            }
        }
    }
    for (bucket, expected) in WRITES {
        for ((who, caller), may) in ACTORS.iter().zip(expected) {
            let uid = fixture::uid_of(*caller);
            let (mime, ext) = if bucket == "order-inputs" {
                ("image/jpeg", "jpg")
            } else {
                ("audio/mp4", "m4a")
            };
            let sql = format!(
                "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
                 values ('{bucket}', '{uid}/w.{ext}', '{uid}', '{uid}', '{{\"size\": 10, \"mimetype\": \"{mime}\"}}', 'v1')"
            );
            let got = try_request(&mut c.storage(), *caller, &sql).await;
            let wrote = match &got {
                Ok(_) => true,
                Err(e) if sqlstate(e) == Some("42501") => false,
                Err(e) => {
                    failures.push(format!("write {bucket} as {who}: {e:?}"));
                    continue;
                }
            };
            if wrote != may {
                failures.push(format!(
                    "write {bucket} as {who}: wrote {wrote}, expected {may}"
                ));
            }
            // Nobody writes into someone else's folder.
            let theirs = sql.replacen(&format!("'{uid}/w."), &format!("'{OTHER}/x."), 1);
            if caller != &Caller::User(OTHER)
                && try_request(&mut c.storage(), *caller, &theirs)
                    .await
                    .is_ok()
            {
                failures.push(format!("write {bucket} into another's folder as {who}"));
            }
        }
    }
    // Replacing and deleting: your own objects only, never an approved answer.
    let mine = format!("{OTHER}/new.jpg");
    for (who, n) in [(OWNER, 0), (MONITOR, 0), (OTHER, 1)] {
        let rows = try_request(
            &mut c.storage(),
            Caller::User(who),
            &format!("update storage.objects set version = 'v2' where bucket_id = 'order-inputs' and name = '{mine}' returning 1"),
        )
        .await?;
        if rows.len() != n {
            failures.push(format!("replace {mine} as {who}: {} rows", rows.len()));
        }
        let rows = try_request(
            &mut c.storage(),
            Caller::User(who),
            &format!("delete from storage.objects where bucket_id = 'order-inputs' and name = '{mine}' returning 1"),
        )
        .await?;
        if rows.len() != n {
            failures.push(format!("delete {mine} as {who}: {} rows", rows.len()));
        }
    }
    let answer = format!("{READER}/out.m4a");
    for sql in [
        format!("update storage.objects set version = 'v2' where bucket_id = 'readings' and name = '{answer}'"),
        format!("delete from storage.objects where bucket_id = 'readings' and name = '{answer}'"),
    ] {
        let (state, message) = failure(try_request(&mut c.storage(), Caller::User(READER), &sql).await, &sql);
        if state != "23514" || !message.contains("approved audio of order 1") {
            failures.push(format!("{sql} as the reader: {state} {message}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[tokio::test]
async fn registration_takes_what_it_knows_from_the_object() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let path = format!("{OWNER}/cup.jpg");
    stored(&mut c, OWNER, "order-inputs", &path, "image/jpeg", 12_345).await?;
    // Whatever the client claims, size, type, url, hash and status come from the
    // object and the probe.
    let rows = request(
        &mut c,
        Caller::User(OWNER),
        &format!(
            "insert into public.media_assets (kind, bucket, path, meta) values ('image', 'order-inputs', '{path}', '{{\"note\": \"cup\"}}')
             returning concat_ws('|', owner_id, bytes, mime_type, url, status, sha256 is null, meta ->> 'note')"
        ),
    )
    .await?;
    assert_eq!(
        rows[0].get::<_, String>(0),
        format!("{OWNER}|12345|image/jpeg|/storage/v1/object/authenticated/order-inputs/{path}|pending|t|cup")
    );
    // A probe job was queued in the same transaction.
    assert_eq!(
        one_text(
            &c,
            &format!("select payload ->> 'path' from ops.jobs where kind = 'media.probe' and payload ->> 'path' = '{path}'")
        )
        .await?
        .as_deref(),
        Some(path.as_str())
    );
    // Columns the probe owns are not the caller's to write.
    for column in [
        "url",
        "bytes",
        "sha256",
        "duration_sec",
        "mime_type",
        "status",
    ] {
        let (state, _) = refused(
            &mut c,
            OWNER,
            &format!("insert into public.media_assets (kind, bucket, path, {column}) values ('image', 'order-inputs', '{path}', null)"),
        )
        .await;
        assert_eq!(state, "42501", "{column}");
    }
    Ok(())
}

#[tokio::test]
async fn every_registration_refusal_and_its_sqlstate() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    stored(
        &mut c,
        OWNER,
        "order-inputs",
        &format!("{OWNER}/cup.jpg"),
        "image/jpeg",
        100,
    )
    .await?;
    stored(
        &mut c,
        OTHER,
        "order-inputs",
        &format!("{OTHER}/theirs.jpg"),
        "image/jpeg",
        100,
    )
    .await?;
    stored(
        &mut c,
        READER,
        "readings",
        &format!("{READER}/answer.m4a"),
        "audio/mp4",
        100,
    )
    .await?;
    let cases = [
        (
            OWNER,
            "image",
            "order-inputs",
            format!("{OWNER}/missing.jpg"),
            "22023",
            "there is no file",
        ),
        (
            OWNER,
            "image",
            "order-inputs",
            format!("{OTHER}/theirs.jpg"),
            "42501",
            "not a file you uploaded",
        ),
        (
            OWNER,
            "audio",
            "order-inputs",
            format!("{OWNER}/cup.jpg"),
            "22023",
            "not audio media",
        ),
        (
            READER,
            "image",
            "readings",
            format!("{READER}/answer.m4a"),
            "22023",
            "holds audio files",
        ),
        (
            OWNER,
            "audio",
            "readings",
            format!("{READER}/answer.m4a"),
            "42501",
            "not a file you uploaded",
        ),
        (
            READER,
            "audio",
            "horoscopes",
            format!("{READER}/answer.m4a"),
            "22023",
            "there is no file",
        ),
        (
            READER,
            "audio",
            "elsewhere",
            format!("{READER}/answer.m4a"),
            "22023",
            "there is no file",
        ),
        (
            MONITOR,
            "image",
            "order-inputs",
            format!("{MONITOR}/new.jpg"),
            "42501",
            "only clients",
        ),
        (
            BLOCKED,
            "image",
            "order-inputs",
            format!("{BLOCKED}/new.jpg"),
            "42501",
            "blocked",
        ),
    ];
    for (who, kind, bucket, path, state, words) in cases {
        let sql = format!(
            "insert into public.media_assets (kind, bucket, path) values ('{kind}', '{bucket}', '{path}')"
        );
        let (got, message) = refused(&mut c, who, &sql).await;
        assert_eq!(got, state, "{sql} as {who}: {message}");
        assert!(message.contains(words), "{sql} as {who}: {message}");
    }
    // A file in horoscopes is the system's: a reader's own object there is refused.
    c.batch_execute(&format!(
        "insert into storage.objects (bucket_id, name, owner_id, metadata, version)
         values ('horoscopes', '{READER}/mine.m4a', '{READER}', '{{\"mimetype\": \"audio/mp4\"}}', 'v1')"
    ))
    .await?;
    let (state, message) = refused(
        &mut c,
        READER,
        &format!("insert into public.media_assets (kind, bucket, path) values ('audio', 'horoscopes', '{READER}/mine.m4a')"),
    )
    .await;
    assert_eq!(
        (state.as_str(), message.contains("system only")),
        ("42501", true),
        "{message}"
    );
    // No bucket and path: nothing to register.
    let (state, _) = refused(
        &mut c,
        OWNER,
        "insert into public.media_assets (kind) values ('image')",
    )
    .await;
    assert_eq!(state, "22023");
    // One media row per object.
    register(
        &mut c,
        OWNER,
        "image",
        "order-inputs",
        &format!("{OWNER}/cup.jpg"),
    )
    .await?;
    let again = register(
        &mut c,
        OWNER,
        "image",
        "order-inputs",
        &format!("{OWNER}/cup.jpg"),
    )
    .await;
    assert_eq!(
        again.as_ref().err().and_then(sqlstate),
        Some("23505"),
        "{again:?}"
    );
    // A blocked client cannot upload in the first place.
    let blocked = stored(
        &mut c,
        BLOCKED,
        "order-inputs",
        &format!("{BLOCKED}/x.jpg"),
        "image/jpeg",
        1,
    )
    .await;
    assert_eq!(blocked.as_ref().err().and_then(sqlstate), Some("42501"));
    Ok(())
}

#[tokio::test]
async fn only_ready_unchanged_audio_is_submitted_or_approved() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let id = order_in_progress(&mut c).await?;
    let path = format!("{READER}/answer.m4a");
    stored(&mut c, READER, "readings", &path, "audio/mp4", 48_000).await?;
    let answer = register(&mut c, READER, "audio", "readings", &path).await?;
    let submit = format!("select public.submit_order({id}, {answer})");
    // Pending: not yet.
    let (state, message) = refused(&mut c, READER, &submit).await;
    assert_eq!(state, "23514", "{message}");
    assert!(message.contains("still being checked"), "{message}");
    // Invalid: refused with the probe's reason.
    c.query_one(
        "select samia.media_probe_outcome($1, (select version from storage.objects where bucket_id = 'readings' and name = $2),
                 '{\"status\": \"invalid\", \"error\": \"the file is a video, not audio\"}')",
        &[&answer, &path],
    )
    .await?;
    let (state, message) = refused(&mut c, READER, &submit).await;
    assert_eq!(state, "23514");
    assert!(
        message.contains("the file is a video, not audio"),
        "{message}"
    );
    // A probe report on an old version of the object changes nothing.
    assert_eq!(
        c.query_one(
            "select samia.media_probe_outcome($1, 'an older version', '{\"status\": \"ready\", \"sha256\": \"x\"}')",
            &[&answer],
        )
        .await?
        .get::<_, String>(0),
        "invalid"
    );
    // The reader uploads a fixed file over it: pending again, probed again.
    stored(&mut c, READER, "readings", &path, "audio/mp4", 50_000).await?;
    assert_eq!(
        one_text(&c, &format!("select concat_ws('|', status, bytes, coalesce(error, '-')) from public.media_assets where id = {answer}")).await?.as_deref(),
        Some("pending|50000|-")
    );
    let probes: i64 = c
        .query_one(
            "select count(*) from ops.jobs where kind = 'media.probe' and (payload ->> 'media_id')::bigint = $1",
            &[&answer],
        )
        .await?
        .get(0);
    assert_eq!(probes, 2);
    assert_eq!(probed_ready(&c, answer, "cafe").await?, "ready");
    request(&mut c, Caller::User(READER), &submit).await?;
    // Replaced in storage after it was checked: not approved.
    stored(&mut c, READER, "readings", &path, "audio/mp4", 60_000).await?;
    let approve = format!("select public.approve_order({id})");
    let (state, message) = refused(&mut c, MONITOR, &approve).await;
    assert_eq!(state, "23514", "{message}");
    probed_ready(&c, answer, "beef").await?;
    request(&mut c, Caller::User(MONITOR), &approve).await?;
    assert_eq!(
        one_text(&c, &format!("select reason from public.moderation_actions where target_id = '{id}' and action = 'approve'")).await?,
        Some(format!("audio {answer} sha256 beef"))
    );
    // Approved: fixed in storage, for its reader and the service key alike.
    for caller in [Caller::User(READER), Caller::Service] {
        let replaced = request(
            &mut c.storage(),
            caller,
            &format!("update storage.objects set version = 'v9' where bucket_id = 'readings' and name = '{path}'"),
        )
        .await;
        assert_eq!(
            replaced.as_ref().err().and_then(sqlstate),
            Some("23514"),
            "{caller:?}"
        );
    }
    // Deleting a registered, unapproved object leaves its row invalid.
    let draft = format!("{READER}/draft.m4a");
    stored(&mut c, READER, "readings", &draft, "audio/mp4", 10).await?;
    let draft_id = register(&mut c, READER, "audio", "readings", &draft).await?;
    request(
        &mut c.storage(),
        Caller::User(READER),
        &format!("delete from storage.objects where bucket_id = 'readings' and name = '{draft}'"),
    )
    .await?;
    assert_eq!(
        one_text(
            &c,
            &format!(
                "select status || ': ' || error from public.media_assets where id = {draft_id}"
            )
        )
        .await?
        .as_deref(),
        Some("invalid: the file was deleted from storage: upload it again")
    );
    Ok(())
}

#[tokio::test]
async fn a_client_hears_the_reading_only_once_delivered() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let id = order_in_progress(&mut c).await?;
    let answer = media::ready_answer(&mut c, READER, "reading.m4a", "abcd").await?;
    request(
        &mut c,
        Caller::User(READER),
        &format!("select public.submit_order({id}, {answer})"),
    )
    .await?;
    let object = format!(
        "select count(*) from storage.objects where bucket_id = 'readings' and name = '{READER}/reading.m4a'"
    );
    let seen = |rows: Vec<tokio_postgres::Row>| rows[0].get::<_, i64>(0);
    assert_eq!(
        seen(request(&mut c.storage(), Caller::User(OWNER), &object).await?),
        0
    );
    assert_eq!(
        seen(request(&mut c.storage(), Caller::User(MONITOR), &object).await?),
        1
    );
    request(
        &mut c,
        Caller::User(MONITOR),
        &format!("select public.approve_order({id})"),
    )
    .await?;
    assert_eq!(
        seen(request(&mut c.storage(), Caller::User(OWNER), &object).await?),
        1
    );
    assert_eq!(
        seen(request(&mut c.storage(), Caller::User(OTHER), &object).await?),
        0
    );
    assert_eq!(
        seen(request(&mut c.storage(), Caller::Anon, &object).await?),
        0
    );
    Ok(())
}
