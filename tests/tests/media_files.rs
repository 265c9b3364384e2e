//! Real files end to end: uploads through the fake Supabase Storage (which
//! writes storage.objects as the uploading user, as Storage does),
//! registration through PostgREST, the sidecar's probe with ffprobe, and
//! downloads that only the right people get.

use samia_tests::cluster::{eventually, FakeTwilio, Sidecar};
use samia_tests::fixture::{self, ADMIN, MONITOR, OTHER, OWNER, READER};
use samia_tests::media::register;
use samia_tests::postgrest::{request, Caller};
use samia_tests::storage::{files, service_key, FakeStorage};
use samia_tests::{one_text, TestDb};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_postgres::Client;

const WAIT: Duration = Duration::from_secs(30);

struct Stack {
    db: TestDb,
    c: samia_tests::Session,
    storage: FakeStorage,
    _twilio: FakeTwilio,
    sidecar: Sidecar,
}

async fn stack(env: &[(&str, &str)]) -> anyhow::Result<Stack> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    let storage = FakeStorage::start(&db.url)?;
    let twilio = FakeTwilio::start()?;
    let sidecar = start_sidecar(&db, &storage, &twilio, env)?;
    Ok(Stack {
        db,
        c,
        storage,
        _twilio: twilio,
        sidecar,
    })
}

fn start_sidecar(
    db: &TestDb,
    storage: &FakeStorage,
    twilio: &FakeTwilio,
    env: &[(&str, &str)],
) -> anyhow::Result<Sidecar> {
    let key = service_key()?;
    let url = storage.url();
    let mut all = vec![
        ("SUPABASE_URL", url.as_str()),
        ("SUPABASE_SERVICE_ROLE_KEY", key.as_str()),
    ];
    all.extend_from_slice(env);
    Sidecar::start(&db.url, twilio, &all)
}

/// The media row's status (and error) once it is no longer pending.
async fn probed(c: &Client, id: i64) -> anyhow::Result<(String, Option<String>)> {
    eventually(WAIT, &format!("media {id} to be probed"), || async move {
        let row = c
            .query_one(
                "select status, error from public.media_assets where id = $1",
                &[&id],
            )
            .await?;
        let status: String = row.get(0);
        Ok((status != "pending").then(|| (status, row.get(1))))
    })
    .await
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_cup_photo_goes_in_and_the_reading_comes_back_only_once_delivered() -> anyhow::Result<()>
{
    let mut s = stack(&[]).await?;
    let c = &mut s.c;
    // The client photographs the cup and places a coffee order with it.
    let photo = files::photo_jpg()?;
    let cup = format!("{OWNER}/cup.jpg");
    s.storage
        .put(OWNER, "order-inputs", &cup, "image/jpeg", photo.clone())
        .await?;
    let input = register(c, OWNER, "image", "order-inputs", &cup).await?;
    let id: i64 = request(
        c,
        Caller::User(OWNER),
        &format!("select id from public.place_order('coffee', 'my cup', {input})"),
    )
    .await?[0]
        .get(0);
    assert_eq!(probed(c, input).await?, ("ready".into(), None));
    assert_eq!(
        one_text(
            c,
            &format!("select sha256 from public.media_assets where id = {input}")
        )
        .await?
        .as_deref(),
        Some(hex(&photo).as_str())
    );
    // The assigned reader sees the photo; another client does not.
    request(
        c,
        Caller::User(ADMIN),
        &format!("select public.assign_order({id}, '{READER}')"),
    )
    .await?;
    assert_eq!(
        s.storage
            .download(Some(READER), "order-inputs", &cup)
            .await?,
        (200, photo)
    );
    assert_ne!(
        s.storage
            .download(Some(OTHER), "order-inputs", &cup)
            .await?
            .0,
        200
    );

    // The reader records the answer; the sidecar probes it.
    request(
        c,
        Caller::User(READER),
        &format!("select public.start_order({id})"),
    )
    .await?;
    let audio = files::tone_m4a(3)?;
    let answer_path = format!("{READER}/order-{id}.m4a");
    s.storage
        .put(READER, "readings", &answer_path, "audio/mp4", audio.clone())
        .await?;
    let answer = register(c, READER, "audio", "readings", &answer_path).await?;
    assert_eq!(probed(c, answer).await?, ("ready".into(), None));
    let facts = one_text(
        c,
        &format!(
            "select concat_ws('|', sha256, duration_sec, bytes, meta -> 'probe' -> 'details' ->> 'codec',
                              (meta -> 'probe' -> 'details' ->> 'loudness_lufs') is not null)
               from public.media_assets where id = {answer}"
        ),
    )
    .await?;
    assert_eq!(
        facts.as_deref(),
        Some(format!("{}|3|{}|aac|t", hex(&audio), audio.len()).as_str())
    );
    request(
        c,
        Caller::User(READER),
        &format!("select public.submit_order({id}, {answer})"),
    )
    .await?;
    // Not for the client's ears before approval.
    assert_ne!(
        s.storage
            .download(Some(OWNER), "readings", &answer_path)
            .await?
            .0,
        200
    );
    request(
        c,
        Caller::User(MONITOR),
        &format!("select public.approve_order({id})"),
    )
    .await?;
    assert_eq!(
        s.storage
            .download(Some(OWNER), "readings", &answer_path)
            .await?,
        (200, audio.clone())
    );
    assert_ne!(
        s.storage
            .download(Some(OTHER), "readings", &answer_path)
            .await?
            .0,
        200
    );
    assert_ne!(
        s.storage.download(None, "readings", &answer_path).await?.0,
        200
    );
    // Approved: the reader can no longer replace it in storage.
    let (status, body) = s
        .storage
        .upload(
            Some(READER),
            "readings",
            &answer_path,
            "audio/mp4",
            files::tone_m4a(1)?,
            true,
        )
        .await?;
    assert_ne!(status, 200, "{body}");
    assert_eq!(
        s.storage
            .download(Some(OWNER), "readings", &answer_path)
            .await?,
        (200, audio)
    );
    Ok(())
}

#[tokio::test]
async fn bad_files_end_invalid_with_a_reason_a_person_can_act_on() -> anyhow::Result<()> {
    let mut s = stack(&[]).await?;
    s.c.batch_execute(
        "update public.app_config set value = '2' where key = 'media.max_audio_seconds'",
    )
    .await?;
    let c = &mut s.c;
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "corrupt.m4a",
            b"not audio at all, just bytes ".repeat(200),
            "not",
        ),
        ("video.m4a", files::video_mp4()?, "video"),
        ("empty.m4a", Vec::new(), "empty"),
        ("long.m4a", files::tone_m4a(3)?, "over the limit of 2 s"),
    ];
    for (name, bytes, reason) in cases {
        let path = format!("{READER}/{name}");
        s.storage
            .put(READER, "readings", &path, "audio/mp4", bytes)
            .await?;
        let id = register(c, READER, "audio", "readings", &path).await?;
        let (status, error) = probed(c, id).await?;
        assert_eq!(status, "invalid", "{name}");
        let error = error.unwrap_or_default();
        assert!(error.contains(reason), "{name}: {error}");
    }
    // Over the bucket's size limit: Storage itself refuses the upload.
    let (status, body) = s
        .storage
        .upload(
            Some(READER),
            "readings",
            &format!("{READER}/huge.m4a"),
            "audio/mp4",
            vec![0u8; 100 * 1024 * 1024 + 1],
            false,
        )
        .await?;
    assert_eq!(
        (status, body["statusCode"].as_str()),
        (400, Some("413")),
        "{body}"
    );
    // A file over a limit lowered after it was uploaded: the probe judges it.
    let path = format!("{READER}/kept.m4a");
    s.storage
        .put(READER, "readings", &path, "audio/mp4", files::tone_m4a(1)?)
        .await?;
    s.c.batch_execute("update storage.buckets set file_size_limit = 1000 where id = 'readings'")
        .await?;
    let id = register(&mut s.c, READER, "audio", "readings", &path).await?;
    let (status, error) = probed(&s.c, id).await?;
    let error = error.unwrap_or_default();
    assert_eq!(status, "invalid");
    assert!(error.contains("over the limit of 1000 bytes"), "{error}");
    s.c.batch_execute(
        "update storage.buckets set file_size_limit = 104857600 where id = 'readings'",
    )
    .await?;
    // And a type the bucket does not take.
    let (status, body) = s
        .storage
        .upload(
            Some(READER),
            "readings",
            &format!("{READER}/x.jpg"),
            "image/jpeg",
            vec![1; 10],
            false,
        )
        .await?;
    assert_eq!(
        (status, body["statusCode"].as_str()),
        (400, Some("415")),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn a_sidecar_killed_mid_probe_loses_nothing() -> anyhow::Result<()> {
    let mut s = stack(&[]).await?;
    let path = format!("{READER}/answer.m4a");
    let audio = files::tone_m4a(2)?;
    s.storage
        .put(READER, "readings", &path, "audio/mp4", audio.clone())
        .await?;
    // The next download hangs for a while; the sidecar is killed during it.
    s.storage
        .inject(serde_json::json!([{ "delay_ms": 4000, "pass": true }]))?;
    let id = register(&mut s.c, READER, "audio", "readings", &path).await?;
    let c = &s.c;
    eventually(WAIT, "the probe to start", || async move {
        let n: i64 = c
            .query_one(
                "select count(*) from ops.jobs where kind = 'media.probe' and status = 'running'
                   and (payload ->> 'media_id')::bigint = $1",
                &[&id],
            )
            .await?
            .get(0);
        Ok((n == 1).then_some(()))
    })
    .await?;
    s.sidecar.kill();
    assert_eq!(
        one_text(
            &s.c,
            &format!("select status from public.media_assets where id = {id}")
        )
        .await?
        .as_deref(),
        Some("pending")
    );
    // Another sidecar takes the job over once its lease runs out.
    let twilio = FakeTwilio::start()?;
    let _again = start_sidecar(&s.db, &s.storage, &twilio, &[])?;
    assert_eq!(probed(&s.c, id).await?, ("ready".into(), None));
    assert_eq!(
        one_text(
            &s.c,
            &format!("select sha256 from public.media_assets where id = {id}")
        )
        .await?
        .as_deref(),
        Some(hex(&audio).as_str())
    );
    // The killed attempt counted; the job was taken again and finished (a
    // busy machine may time an attempt out on the way: at least two).
    let row = s
        .c
        .query_one(
            "select attempts, status from ops.jobs where kind = 'media.probe' and (payload ->> 'media_id')::bigint = $1",
            &[&id],
        )
        .await?;
    let (attempts, status): (i32, String) = (row.get(0), row.get(1));
    assert!(attempts >= 2, "{attempts} attempts");
    assert_eq!(status, "done");
    Ok(())
}
