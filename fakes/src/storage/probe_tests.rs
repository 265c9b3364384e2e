//! The `media.probe` job end to end: files made with ffmpeg, uploaded to
//! the fake Storage, probed, and reported through the stand-in of
//! `samia.media_probe_outcome`; each ends with the verdict a user would see.

use super::testing::{finish, start, Scratch, Served, ALICE};
use samia_sidecar::jobs::{Failure, Job};
use samia_sidecar::storage::jobs::{self, Prober, Report};
use samia_sidecar::storage::probe::{Native, Tools};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn job(media_id: i64) -> Job {
    Job {
        id: media_id,
        kind: jobs::PROBE.into(),
        payload: json!({ "media_id": media_id, "bucket": "readings", "path": "p" }),
        attempt: 1,
        max_attempts: 5,
        worker: "test".into(),
    }
}

/// Runs ffmpeg with `args` to make `name` in `dir`.
fn make(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y"])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    out
}

struct Bench {
    scratch: Scratch,
    served: Served,
    prober: Prober,
    work: tempfile::TempDir,
    probe_dir: tempfile::TempDir,
}

impl Bench {
    async fn new() -> Bench {
        let (scratch, served) = start().await;
        let probe_dir = tempfile::tempdir().expect("a directory");
        let prober = Prober {
            storage: served.service_client(),
            tools: Tools::new(None, Duration::from_secs(30)),
            temp_dir: Some(probe_dir.path().to_path_buf()),
            native: Some(Native::new(2)),
        };
        Bench {
            scratch,
            served,
            prober,
            work: tempfile::tempdir().expect("a directory"),
            probe_dir,
        }
    }

    /// Uploads `bytes` as `name` and registers it as media of `kind`.
    async fn register(&self, kind: &str, name: &str, bytes: &[u8], mime: &str) -> i64 {
        let path = format!("{ALICE}/{name}");
        self.prober
            .storage
            .upload("readings", &path, bytes.to_vec().into(), mime, true)
            .await
            .expect("uploaded");
        self.scratch
            .pool
            .get()
            .await
            .expect("a connection")
            .query_one(
                "insert into public.media_assets (kind, bucket, path) values ($1, 'readings', $2)
                 returning id",
                &[&kind, &path],
            )
            .await
            .expect("registered")
            .get(0)
    }

    /// Probes media `id`, records the report, and returns what was recorded.
    async fn probe(&self, id: i64) -> (Report, Value) {
        let report = jobs::perform(
            Some(&self.prober),
            &self.scratch.pool,
            &job(id),
            Duration::from_secs(60),
        )
        .await
        .expect("probed")
        .expect("a report");
        let client = self.scratch.pool.get().await.expect("a connection");
        jobs::apply(&**client, &report).await.expect("recorded");
        let recorded: String = client
            .query_one(
                "select json_build_object('version', object_version, 'outcome', outcome)::text
                   from samia.probe_reports where media_id = $1 order by ctid desc limit 1",
                &[&id],
            )
            .await
            .expect("one report")
            .get(0);
        let leftovers = std::fs::read_dir(self.probe_dir.path())
            .expect("the probe directory")
            .count();
        assert_eq!(leftovers, 0, "the probe removed its files");
        (report, serde_json::from_str(&recorded).expect("JSON"))
    }

    async fn version(&self, name: &str) -> String {
        self.scratch
            .pool
            .get()
            .await
            .expect("a connection")
            .query_one(
                "select version from storage.objects where name = $1",
                &[&format!("{ALICE}/{name}")],
            )
            .await
            .expect("the object")
            .get(0)
    }

    async fn finish(self) {
        finish(self.scratch, self.served).await;
    }
}

fn error_of(recorded: &Value) -> &str {
    recorded["outcome"]["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_short_recording_is_ready_with_its_length_loudness_and_hash() {
    let bench = Bench::new().await;
    let file = make(
        bench.work.path(),
        "sine.m4a",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:a",
            "aac",
        ],
    );
    let bytes = std::fs::read(&file).expect("the file");
    let id = bench
        .register("audio", "sine.m4a", &bytes, "audio/mp4")
        .await;
    let (report, recorded) = bench.probe(id).await;
    let outcome = &recorded["outcome"];
    assert_eq!(outcome["status"], "ready", "{recorded}");
    assert_eq!(recorded["version"], bench.version("sine.m4a").await);
    assert_eq!(
        report.object_version.as_deref(),
        recorded["version"].as_str()
    );
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(outcome["sha256"], sha);
    assert_eq!(outcome["bytes"], bytes.len());
    let duration = outcome["duration_sec"].as_f64().expect("a duration");
    assert!((1.9..2.2).contains(&duration), "{duration}");
    let probe = &outcome["probe"];
    assert_eq!(probe["codec"], "aac");
    assert_eq!(probe["channels"], 1);
    assert_eq!(probe["has_video"], false);
    assert_eq!(probe["decodes"], true);
    assert_eq!(probe["decoder"], "in-process", "{recorded}");
    let lufs = probe["loudness_lufs"].as_f64().expect("a loudness");
    assert!((-40.0..0.0).contains(&lufs), "{lufs}");
    bench.finish().await;
}

#[tokio::test]
async fn empty_random_and_video_files_are_refused_with_a_reason() {
    let bench = Bench::new().await;
    let empty = bench.register("audio", "empty.m4a", b"", "audio/mp4").await;
    let (_, recorded) = bench.probe(empty).await;
    assert_eq!(recorded["outcome"]["status"], "invalid");
    assert!(error_of(&recorded).contains("empty"), "{recorded}");

    let noise: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let random = bench
        .register("audio", "noise.m4a", &noise, "audio/mp4")
        .await;
    let (_, recorded) = bench.probe(random).await;
    assert_eq!(recorded["outcome"]["status"], "invalid");
    assert!(error_of(&recorded).contains("not audio"), "{recorded}");
    assert_eq!(recorded["outcome"]["bytes"], 20_000);

    let video = make(
        bench.work.path(),
        "clip.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=160x120:rate=10",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=2",
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
            "-shortest",
        ],
    );
    let bytes = std::fs::read(&video).expect("the file");
    let clip = bench
        .register("audio", "clip.mp4", &bytes, "video/mp4")
        .await;
    let (_, recorded) = bench.probe(clip).await;
    assert_eq!(recorded["outcome"]["status"], "invalid");
    assert!(error_of(&recorded).contains("is a video"), "{recorded}");
    assert_eq!(recorded["outcome"]["probe"]["has_video"], true);
    assert_eq!(recorded["outcome"]["probe"]["decoder"], "ffmpeg");

    // Cut short after its index: ffprobe reads it, decoding fails.
    let whole = make(
        bench.work.path(),
        "cut.m4a",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=duration=3",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
        ],
    );
    let bytes = std::fs::read(&whole).expect("the file");
    let cut = bench
        .register("audio", "cut.m4a", &bytes[..bytes.len() / 2], "audio/mp4")
        .await;
    let (_, recorded) = bench.probe(cut).await;
    assert_eq!(recorded["outcome"]["status"], "invalid");
    assert!(
        error_of(&recorded).contains("cannot be decoded"),
        "{recorded}"
    );
    assert_eq!(recorded["outcome"]["probe"]["codec"], "aac");

    // A photo is judged by its size only.
    let photo = bench
        .register("image", "cup.bin", &noise, "application/octet-stream")
        .await;
    let (_, recorded) = bench.probe(photo).await;
    assert_eq!(recorded["outcome"]["status"], "ready", "{recorded}");
    bench.finish().await;
}

#[tokio::test]
async fn a_file_over_the_limit_stops_the_download_and_is_refused() {
    let bench = Bench::new().await;
    let file = make(
        bench.work.path(),
        "long.m4a",
        &["-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac"],
    );
    let bytes = std::fs::read(&file).expect("the file");
    assert!(bytes.len() > 4096);
    let id = bench
        .register("audio", "long.m4a", &bytes, "audio/mp4")
        .await;
    bench
        .scratch
        .execute("update storage.buckets set file_size_limit = 4096 where id = 'readings'")
        .await;
    let (_, recorded) = bench.probe(id).await;
    let outcome = &recorded["outcome"];
    assert_eq!(outcome["status"], "invalid");
    assert!(
        error_of(&recorded).contains(&format!(
            "is {} bytes, over the limit of 4096 bytes",
            bytes.len()
        )),
        "{recorded}"
    );
    assert_eq!(outcome["sha256"], Value::Null, "a partial file has no hash");

    // The longest audio comes from app_config.
    bench
        .scratch
        .execute(
            "update storage.buckets set file_size_limit = 1048576 where id = 'readings';
             insert into public.app_config values ('media.max_audio_seconds', '2')",
        )
        .await;
    let (_, recorded) = bench.probe(id).await;
    assert!(
        error_of(&recorded).contains("over the limit of 2 s"),
        "{recorded}"
    );
    bench.finish().await;
}

#[tokio::test]
async fn a_missing_object_is_invalid_and_outages_are_retried() {
    let bench = Bench::new().await;
    let id: i64 = bench
        .scratch
        .pool
        .get()
        .await
        .expect("a connection")
        .query_one(
            "insert into public.media_assets (kind, bucket, path)
             values ('audio', 'readings', 'gone/answer.m4a') returning id",
            &[],
        )
        .await
        .expect("registered")
        .get(0);
    let (report, recorded) = bench.probe(id).await;
    assert_eq!(report.object_version, None);
    assert_eq!(recorded["outcome"]["status"], "invalid");
    assert!(
        error_of(&recorded).contains("no longer in storage"),
        "{recorded}"
    );

    // The row says the object exists, but Storage no longer has it.
    let kept = bench
        .register("audio", "kept.m4a", b"abc", "audio/mp4")
        .await;
    for blob in bench.served.blobs() {
        std::fs::remove_file(blob).expect("removed");
    }
    let (_, recorded) = bench.probe(kept).await;
    assert!(
        error_of(&recorded).contains("no longer in storage"),
        "{recorded}"
    );

    let other = bench
        .register("audio", "busy.m4a", b"abc", "audio/mp4")
        .await;
    bench
        .served
        .faults(json!([{"status": 429, "retry_after": 7}]))
        .await;
    let busy = jobs::perform(
        Some(&bench.prober),
        &bench.scratch.pool,
        &job(other),
        Duration::from_secs(60),
    )
    .await;
    assert!(
        matches!(&busy, Err(Failure::Transient { retry_after: Some(d), .. }) if *d == Duration::from_secs(7)),
        "{busy:?}"
    );
    let deleted = jobs::perform(
        Some(&bench.prober),
        &bench.scratch.pool,
        &job(999_999),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(
        deleted,
        Ok(None),
        "a deleted media row has nothing to report"
    );
    bench.finish().await;
}

#[tokio::test]
async fn without_storage_settings_the_job_says_what_to_set() {
    let pool = samia_sidecar::db::pool(
        &samia_sidecar::db::Target::parse("host=/nonexistent dbname=x").expect("a target"),
    )
    .expect("a pool");
    let failed = jobs::perform(None, &pool, &job(1), Duration::from_secs(1)).await;
    let Err(Failure::Transient { error, .. }) = failed else {
        panic!("expected a retry, got {failed:?}");
    };
    assert!(
        error.contains("SUPABASE_URL") && error.contains("SUPABASE_SERVICE_ROLE_KEY"),
        "{error}"
    );
    let malformed = Job {
        payload: json!({ "bucket": "readings" }),
        ..job(1)
    };
    assert!(matches!(
        jobs::perform(None, &pool, &malformed, Duration::from_secs(1)).await,
        Err(Failure::Permanent(_))
    ));
}
