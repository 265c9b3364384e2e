//! The `media.probe` job: download a registered file from Storage (hashing
//! it on the way), find what it holds (decoded in process, or by ffmpeg:
//! see [`super::probe`]), judge it with
//! `samia_core::media::verdict`, and report through
//! `samia.media_probe_outcome` (which ignores a report on a version the
//! object no longer has).

use super::probe::{self, Audio, Decoders, Native, ToolError, Tools};
use super::{StorageClient, StorageError};
use crate::db::Query as _;
use crate::jobs::{Failure, Job};
use samia_core::media::{self, Kind, Limits, Probe};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_postgres::GenericClient;

pub const PROBE: &str = samia_core::jobs::MEDIA_PROBE;

/// The largest file when neither the bucket nor the product names a limit
/// (Supabase's default upload limit).
pub const FALLBACK_MAX_BYTES: i64 = 50 * 1024 * 1024;

/// The probe's settings of `samia run`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// Longest run of one ffprobe, ffmpeg or in-process decoding pass over a
    /// file (milliseconds); the whole probe must also end within 80% of
    /// SAMIA_LEASE_MS.
    #[arg(long, env = "SAMIA_MEDIA_TIMEOUT_MS", default_value_t = 60_000)]
    media_timeout_ms: u64,
    /// Directory holding ffmpeg and ffprobe (default: found on PATH; Debian's
    /// ffmpeg package installs both).
    #[arg(long, env = "SAMIA_FFMPEG_DIR", value_name = "DIR")]
    ffmpeg_dir: Option<PathBuf>,
    /// Where downloads are kept while probed (default: the system's temporary
    /// directory); each probe's files are removed when it ends.
    #[arg(long, env = "SAMIA_MEDIA_TMPDIR", value_name = "DIR")]
    media_tmpdir: Option<PathBuf>,
    /// Which decoders probe audio: `auto` decodes in process what it reads
    /// (AAC, MP3, FLAC, Ogg Vorbis, WAV) and leaves the rest to ffmpeg;
    /// `ffmpeg` runs ffprobe and ffmpeg on every file.
    #[arg(long, env = "SAMIA_PROBE_DECODER", value_enum, default_value_t = Decoders::Auto)]
    probe_decoder: Decoders,
    /// Most files decoded in process at once, each on a blocking thread
    /// (default: the number of CPU cores).
    #[arg(long, env = "SAMIA_PROBE_THREADS", value_name = "N")]
    probe_threads: Option<usize>,
}

impl Prober {
    /// The prober of `samia run`, or `None` without Storage settings.
    pub fn from_args(
        storage: &super::StorageArgs,
        args: &ProbeArgs,
        timeout: Duration,
    ) -> Result<Option<Prober>, crate::error::CliError> {
        let Some(config) = super::StorageConfig::from_args(storage, timeout)? else {
            return Ok(None);
        };
        if args.media_timeout_ms == 0 {
            return Err(crate::error::CliError::Config(
                "SAMIA_MEDIA_TIMEOUT_MS must be positive".into(),
            ));
        }
        if args.probe_threads == Some(0) {
            return Err(crate::error::CliError::Config(
                "SAMIA_PROBE_THREADS must be at least 1 (or unset for one per CPU core)".into(),
            ));
        }
        let threads = args.probe_threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        Ok(Some(Prober {
            storage: StorageClient::new(config)?,
            tools: Tools::new(
                args.ffmpeg_dir.as_deref(),
                Duration::from_millis(args.media_timeout_ms),
            ),
            temp_dir: args.media_tmpdir.clone(),
            native: (args.probe_decoder == Decoders::Auto).then(|| Native::new(threads)),
        }))
    }
}

/// What the probe needs: Storage, the decoders, and where to put downloads.
pub struct Prober {
    pub storage: StorageClient,
    pub tools: Tools,
    /// Parent of the probe's temporary directories (default: the system's).
    pub temp_dir: Option<PathBuf>,
    /// The in-process decoders (`None`: ffmpeg for every file).
    pub native: Option<Native>,
}

/// What to record about a probed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub media_id: i64,
    /// `storage.objects.version` of the object probed.
    pub object_version: Option<String>,
    pub outcome: Value,
}

/// The media row and the object it names, as the database has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub media_id: i64,
    pub kind: String,
    pub bucket: Option<String>,
    pub path: Option<String>,
    /// `None` when the object is no longer in storage.
    pub version: Option<String>,
    pub limits: Limits,
}

pub fn transient(error: impl Into<String>) -> Failure {
    Failure::Transient {
        error: error.into(),
        retry_after: None,
    }
}

/// The message when the daemon was started without Storage settings.
pub const NOT_CONFIGURED: &str = "media.probe needs Supabase Storage: set SUPABASE_URL and \
     SUPABASE_SERVICE_ROLE_KEY for `samia run` and restart it (dead jobs come back with \
     `samia jobs retry --all-dead`)";

pub fn media_id(job: &Job) -> Result<i64, Failure> {
    job.payload
        .get("media_id")
        .and_then(|m| m.as_i64())
        .ok_or_else(|| {
            Failure::Permanent(format!(
                "job {}: the payload has no numeric media_id",
                job.id
            ))
        })
}

/// Reads the media row, its object's version and the limits (as the sidecar).
pub async fn target<C: GenericClient>(
    client: &C,
    media_id: i64,
) -> Result<Option<Target>, Failure> {
    let row = client
        .fetch_opt(
            "select m.kind, m.bucket, m.path, o.version, b.file_size_limit,
                    (select c.value #>> '{}' from public.app_config c
                      where c.key = 'media.max_audio_seconds')
               from public.media_assets m
               left join storage.objects o on o.bucket_id = m.bucket and o.name = m.path
               left join storage.buckets b on b.id = m.bucket
              where m.id = $1",
            &[&media_id],
        )
        .await
        .map_err(|e| {
            transient(format!(
                "reading media {media_id}: {}",
                crate::error::describe(&e)
            ))
        })?;
    let Some(row) = row else { return Ok(None) };
    let get = |e: tokio_postgres::Error| {
        transient(format!(
            "reading media {media_id}: {}",
            crate::error::describe(&e)
        ))
    };
    let kind: String = row.try_get(0).map_err(get)?;
    let bucket: Option<String> = row.try_get(1).map_err(get)?;
    let path: Option<String> = row.try_get(2).map_err(get)?;
    let version: Option<String> = row.try_get(3).map_err(get)?;
    let bucket_limit: Option<i64> = row.try_get(4).map_err(get)?;
    let max_audio: Option<String> = row.try_get(5).map_err(get)?;
    let max_bytes = bucket_limit
        .or_else(|| {
            bucket
                .as_deref()
                .and_then(media::bucket)
                .map(|b| b.max_bytes)
        })
        .unwrap_or(FALLBACK_MAX_BYTES);
    let max_audio_seconds = match max_audio {
        None => media::DEFAULT_MAX_AUDIO_SECONDS,
        Some(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .ok_or_else(|| {
                transient(format!(
                    "app_config media.max_audio_seconds is {text:?}, not a positive number of \
                     seconds: set it, e.g. update public.app_config set value = '3600' where key = \
                     'media.max_audio_seconds'"
                ))
            })?,
    };
    Ok(Some(Target {
        media_id,
        kind,
        bucket,
        path,
        version,
        limits: Limits {
            max_bytes,
            max_audio_seconds,
        },
    }))
}

/// A downloaded object: where it is, its SHA-256 (of the whole file) and size.
pub struct Fetched {
    pub sha256: Option<String>,
    pub bytes: i64,
    pub over_limit: bool,
    pub content_type: Option<String>,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn out_of_time(deadline_ms: u128) -> Failure {
    transient(format!(
        "the probe did not finish within its {deadline_ms} ms budget: raise SAMIA_LEASE_MS"
    ))
}

/// Downloads into `file`, hashing and counting; stops past `max_bytes`.
pub async fn fetch(
    storage: &StorageClient,
    bucket: &str,
    path: &str,
    file: &Path,
    max_bytes: i64,
    deadline: Instant,
    budget_ms: u128,
) -> Result<Result<Fetched, StorageError>, Failure> {
    let work = async {
        let mut download = match storage.download(bucket, path).await {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let announced = download
            .content_length()
            .and_then(|n| i64::try_from(n).ok());
        let content_type = download.content_type().map(str::to_string);
        let mut out = tokio::fs::File::create(file)
            .await
            .map_err(|e| transient(format!("cannot write {}: {e}", file.display())))?;
        let mut sha = Sha256::new();
        let mut bytes: i64 = 0;
        let mut over_limit = false;
        loop {
            let chunk = match download.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return Ok(Err(e)),
            };
            bytes = bytes.saturating_add(i64::try_from(chunk.len()).unwrap_or(i64::MAX));
            if bytes > max_bytes {
                over_limit = true;
                break;
            }
            sha.update(&chunk);
            out.write_all(&chunk)
                .await
                .map_err(|e| transient(format!("cannot write {}: {e}", file.display())))?;
        }
        out.flush()
            .await
            .map_err(|e| transient(format!("cannot write {}: {e}", file.display())))?;
        Ok(Ok(Fetched {
            sha256: (!over_limit).then(|| hex(&sha.finalize())),
            bytes: if over_limit {
                bytes.max(announced.unwrap_or(0))
            } else {
                bytes
            },
            over_limit,
            content_type,
        }))
    };
    tokio::time::timeout_at(deadline, work)
        .await
        .map_err(|_| out_of_time(budget_ms))?
}

fn tool_failure(e: ToolError) -> Failure {
    transient(e.to_string())
}

/// Does one attempt of a `media.probe` job within `budget`: `Ok(None)`
/// when the media row is gone (nothing to report). No connection is held
/// while the file is downloaded and probed.
pub async fn perform(
    prober: Option<&Prober>,
    pool: &deadpool_postgres::Pool,
    job: &Job,
    budget: Duration,
) -> Result<Option<Report>, Failure> {
    let started = Instant::now();
    let deadline = started + budget;
    let media_id = media_id(job)?;
    let prober = prober.ok_or_else(|| transient(NOT_CONFIGURED))?;
    let found = {
        let client = pool
            .get()
            .await
            .map_err(|e| transient(format!("cannot reach the database: {e}")))?;
        target(&**client, media_id).await?
    };
    let Some(target) = found else {
        tracing::info!(
            media_id,
            "media row not found (deleted, or not readable by this role): nothing to probe"
        );
        return Ok(None);
    };
    probe_target(prober, &target, deadline, budget.as_millis())
        .await
        .map(Some)
}

/// Probes the object of `target` and builds the report.
pub async fn probe_target(
    prober: &Prober,
    target: &Target,
    deadline: Instant,
    budget_ms: u128,
) -> Result<Report, Failure> {
    let invalid = |error: &str| Report {
        media_id: target.media_id,
        object_version: target.version.clone(),
        outcome: json!({ "status": "invalid", "error": error }),
    };
    let kind = Kind::from_name(&target.kind).ok_or_else(|| {
        Failure::Permanent(format!(
            "media {} has an unknown kind {:?}",
            target.media_id, target.kind
        ))
    })?;
    let (Some(bucket), Some(path), Some(_)) = (&target.bucket, &target.path, &target.version)
    else {
        return Ok(invalid("the file is no longer in storage: upload it again"));
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix("samia-probe-");
    let dir = match &prober.temp_dir {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(|e| {
        transient(format!(
            "cannot create a temporary directory for the probe: {e}"
        ))
    })?;
    // The directory and the download in it are removed when `dir` drops.
    let file = dir.path().join("object");
    let fetched = fetch(
        &prober.storage,
        bucket,
        path,
        &file,
        target.limits.max_bytes,
        deadline,
        budget_ms,
    )
    .await?;
    let fetched = match fetched {
        Ok(f) => f,
        Err(StorageError::NotFound { .. }) => {
            return Ok(invalid("the file is no longer in storage: upload it again"))
        }
        Err(e) => return Err(Failure::from_provider(&e)),
    };
    let streams =
        if matches!(kind, Kind::Audio | Kind::Video) && fetched.bytes > 0 && !fetched.over_limit {
            inspect_audio(prober, &file, target.limits, deadline, budget_ms).await?
        } else {
            None
        };
    let report = judge(target, kind, &fetched, streams.as_ref());
    drop(dir);
    Ok(report)
}

async fn inspect_audio(
    prober: &Prober,
    file: &Path,
    limits: Limits,
    deadline: Instant,
    budget_ms: u128,
) -> Result<Option<Audio>, Failure> {
    probe::examine(
        &prober.tools,
        prober.native.as_ref(),
        file,
        limits.max_audio_seconds,
        deadline,
    )
    .await
    .map(Some)
    .map_err(|e| match e {
        ToolError::TimedOut { .. } if Instant::now() >= deadline => out_of_time(budget_ms),
        other => tool_failure(other),
    })
}

fn judge(target: &Target, kind: Kind, fetched: &Fetched, audio: Option<&Audio>) -> Report {
    let probe = Probe {
        bytes: fetched.bytes,
        audio_codec: audio.and_then(|a| a.streams.audio_codec.clone()),
        has_video: audio.is_some_and(|a| a.streams.has_video),
        duration_sec: audio.and_then(|a| a.streams.duration_sec),
        decodes: audio.is_some_and(|a| a.decodes),
    };
    let verdict = media::verdict(kind, &probe, target.limits);
    let details = json!({
        "content_type": fetched.content_type,
        "codec": probe.audio_codec,
        "sample_rate": audio.and_then(|a| a.streams.sample_rate),
        "channels": audio.and_then(|a| a.streams.channels),
        "format": audio.and_then(|a| a.streams.format.clone()),
        "bit_rate": audio.and_then(|a| a.streams.bit_rate),
        "has_video": probe.has_video,
        "decodes": audio.map(|a| a.decodes),
        "loudness_lufs": audio.and_then(|a| a.loudness),
        "decoder": audio.map(|a| a.decoder),
    });
    let mut outcome = json!({
        "status": if verdict.is_ok() { "ready" } else { "invalid" },
        "sha256": fetched.sha256,
        "bytes": fetched.bytes,
        "duration_sec": probe.duration_sec,
        "probe": details,
    });
    if let Err(reason) = verdict {
        outcome["error"] = Value::String(reason);
    }
    Report {
        media_id: target.media_id,
        object_version: target.version.clone(),
        outcome,
    }
}

/// Records a report (in the caller's transaction).
pub async fn apply<C: crate::db::Query>(
    client: &C,
    report: &Report,
) -> Result<(), tokio_postgres::Error> {
    client
        .fetch_one(
            "select samia.media_probe_outcome($1, $2, ($3::text)::jsonb)",
            &[
                &report.media_id,
                &report.object_version,
                &report.outcome.to_string(),
            ],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str) -> Target {
        Target {
            media_id: 7,
            kind: kind.into(),
            bucket: Some("readings".into()),
            path: Some("u1/a.m4a".into()),
            version: Some("v1".into()),
            limits: Limits {
                max_bytes: 1000,
                max_audio_seconds: 60.0,
            },
        }
    }

    fn fetched(bytes: i64) -> Fetched {
        Fetched {
            sha256: Some("ab".into()),
            bytes,
            over_limit: false,
            content_type: Some("audio/mp4".into()),
        }
    }

    #[test]
    fn a_report_carries_the_verdict_and_the_version_probed() {
        let audio = Audio {
            streams: probe::Streams {
                audio_codec: Some("aac".into()),
                duration_sec: Some(2.0),
                ..probe::Streams::default()
            },
            decodes: true,
            loudness: Some(-20.0),
            decoder: probe::IN_PROCESS,
        };
        let ready = judge(&target("audio"), Kind::Audio, &fetched(500), Some(&audio));
        assert_eq!(ready.object_version.as_deref(), Some("v1"));
        assert_eq!(ready.outcome["status"], "ready");
        assert_eq!(ready.outcome["duration_sec"], 2.0);
        assert_eq!(ready.outcome["probe"]["loudness_lufs"], -20.0);
        assert!(ready.outcome.get("error").is_none());
        let photo = judge(&target("image"), Kind::Image, &fetched(500), None);
        assert_eq!(photo.outcome["status"], "ready");
        assert_eq!(photo.outcome["sha256"], "ab");
        let silent = judge(&target("audio"), Kind::Audio, &fetched(500), None);
        assert_eq!(silent.outcome["status"], "invalid");
        assert!(silent.outcome["error"]
            .as_str()
            .is_some_and(|e| e.contains("not audio")));
    }

    #[test]
    fn storage_errors_become_retries_or_dead_jobs() {
        let retry = Failure::from_provider(&StorageError::Retryable {
            status: Some(429),
            retry_after: Some(Duration::from_secs(4)),
            message: "m".into(),
        });
        assert!(matches!(
            retry,
            Failure::Transient {
                retry_after: Some(d),
                ..
            } if d == Duration::from_secs(4)
        ));
        assert!(matches!(
            Failure::from_provider(&StorageError::Denied {
                message: "m".into()
            }),
            Failure::Transient { .. }
        ));
        assert!(matches!(
            Failure::from_provider(&StorageError::Other {
                status: 400,
                message: "m".into()
            }),
            Failure::Permanent(_)
        ));
    }
}
