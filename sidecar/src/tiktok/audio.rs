//! The `tiktok.audio` job: make a post's audio.
//!
//! The source is a file a monitor attached (downloaded from Storage) or
//! what the operator's fetch command downloads for the post's share URL
//! (`SAMIA_TIKTOK_FETCH_CMD`, off by default: TikTok's API gives no media
//! URL). ffmpeg extracts the first audio track into `.m4a` (copied when
//! the codec allows, else encoded to AAC, bit-exact so the same sound
//! gives the same bytes), the file is stored in the `horoscopes` bucket
//! under its sha256 (the same sound is stored once), and
//! `samia.tiktok_post_audio` registers it (which queues its probe) and
//! links it to the post. A file that cannot give audio fails the post with
//! the reason, for the monitor.

use crate::db::Query as _;
use crate::jobs::{Failure, Job};
use crate::storage::jobs::{self as media_jobs, transient};
use crate::storage::probe::{self, Tools};
use crate::storage::{StorageClient, StorageError};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::time::Instant;

/// The bucket extracted audio goes to.
pub const BUCKET: &str = "horoscopes";

/// The operator's fetch command.
#[derive(Debug, Clone)]
pub struct FetchCommand {
    /// Run by `/bin/sh -c` with the share URL and the file to write as its
    /// two arguments ("$1" and "$2").
    pub command: String,
    pub timeout: Duration,
    pub max_bytes: u64,
}

/// The fetch command's settings of `samia run`.
#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// A shell command that downloads a TikTok post's video: it is run as
    /// `sh -c 'COMMAND "$1" "$2"'` with the post's share URL and the file
    /// to write, and must exit 0 having written it. Off when unset: post
    /// audio then comes only from files monitors attach.
    #[arg(long, env = "SAMIA_TIKTOK_FETCH_CMD", value_name = "COMMAND")]
    pub fetch_cmd: Option<String>,
    /// How long the fetch command may run (milliseconds); it is killed after.
    #[arg(long, env = "SAMIA_TIKTOK_FETCH_TIMEOUT_MS", default_value_t = 120_000)]
    pub fetch_timeout_ms: u64,
    /// The largest file the fetch command may write (bytes).
    #[arg(
        long,
        env = "SAMIA_TIKTOK_FETCH_MAX_BYTES",
        default_value_t = 524_288_000
    )]
    pub fetch_max_bytes: u64,
}

impl FetchArgs {
    pub fn command(&self) -> Option<FetchCommand> {
        let command = self
            .fetch_cmd
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())?;
        Some(FetchCommand {
            command: command.to_string(),
            timeout: Duration::from_millis(self.fetch_timeout_ms.max(1)),
            max_bytes: self.fetch_max_bytes,
        })
    }
}

/// What the job needs.
pub struct AudioMaker {
    pub storage: StorageClient,
    pub tools: Tools,
    pub temp_dir: Option<PathBuf>,
    pub fetch: Option<FetchCommand>,
}

/// The message when the daemon runs without Storage.
pub const NOT_CONFIGURED: &str = "tiktok.audio needs Supabase Storage: set SUPABASE_URL and \
     SUPABASE_SERVICE_ROLE_KEY for `samia run` and restart it (dead jobs come back with \
     `samia jobs retry --all-dead`)";

/// Where the source comes from.
enum Source {
    Stored { bucket: String, path: String },
    Fetched { share_url: String },
}

fn source(job: &Job) -> Result<(i64, Source), Failure> {
    let p = &job.payload;
    let malformed = || {
        Failure::Permanent(format!(
            "job {}: the payload names no post and source",
            job.id
        ))
    };
    let post = p
        .get("post_id")
        .and_then(|v| v.as_i64())
        .ok_or_else(malformed)?;
    let text = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let source = match (text("bucket"), text("path"), text("share_url")) {
        (Some(bucket), Some(path), _) => Source::Stored { bucket, path },
        (_, _, Some(share_url)) => Source::Fetched { share_url },
        _ => return Err(malformed()),
    };
    Ok((post, source))
}

/// What an attempt made of the source.
enum Outcome {
    /// The audio is stored at `horoscopes/<path>`.
    Stored { path: String, sha256: String },
    /// The source cannot give audio: why, for the monitor.
    Refused(String),
}

/// Does one attempt of a `tiktok.audio` job within `budget`.
pub async fn perform(
    maker: Option<&AudioMaker>,
    pool: &deadpool_postgres::Pool,
    job: &Job,
    budget: Duration,
) -> Result<(), Failure> {
    let (post, source) = source(job)?;
    let Some(maker) = maker else {
        return Err(transient(NOT_CONFIGURED));
    };
    let deadline = Instant::now() + budget;
    let result = make(maker, &source, deadline).await;
    let client = pool
        .get()
        .await
        .map_err(|e| transient(format!("database: {e}")))?;
    let db =
        |e: tokio_postgres::Error| transient(format!("database: {}", crate::error::describe(&e)));
    match result {
        Ok(Outcome::Stored { path, sha256 }) => {
            let media: i64 = client
                .fetch_one(
                    "select samia.tiktok_post_audio($1, $2, $3, $4)",
                    &[&post, &BUCKET, &path, &sha256],
                )
                .await
                .map_err(db)?
                .try_get(0)
                .map_err(db)?;
            tracing::info!(post, media, path = %path, "audio stored for the TikTok post");
            Ok(())
        }
        Ok(Outcome::Refused(reason)) => {
            client
                .exec("select samia.tiktok_post_failed($1, $2)", &[&post, &reason])
                .await
                .map_err(db)?;
            tracing::warn!(post, reason = %reason, "no audio for the TikTok post");
            Ok(())
        }
        Err(e) => {
            if job.is_last_attempt() {
                let reason = match &e {
                    Failure::Transient { error, .. } | Failure::Permanent(error) => error.clone(),
                };
                let _ = client
                    .exec("select samia.tiktok_post_failed($1, $2)", &[&post, &reason])
                    .await;
            }
            Err(e)
        }
    }
}

async fn make(maker: &AudioMaker, source: &Source, deadline: Instant) -> Result<Outcome, Failure> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("samia-tiktok-");
    let dir = match &maker.temp_dir {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(|e| transient(format!("cannot create a temporary directory: {e}")))?;
    let file = dir.path().join("source");
    match source {
        Source::Stored { bucket, path } => {
            let budget_ms = deadline
                .saturating_duration_since(Instant::now())
                .as_millis();
            let max = crate::storage::jobs::FALLBACK_MAX_BYTES.max(
                samia_core::media::bucket(bucket)
                    .map(|b| b.max_bytes)
                    .unwrap_or(0),
            );
            match media_jobs::fetch(
                &maker.storage,
                bucket,
                path,
                &file,
                max,
                deadline,
                budget_ms,
            )
            .await?
            {
                Ok(f) if f.over_limit => {
                    return Ok(Outcome::Refused(format!(
                        "the attached file is over {max} bytes: attach a smaller one"
                    )))
                }
                Ok(_) => {}
                Err(StorageError::NotFound { .. }) => {
                    return Ok(Outcome::Refused(format!(
                        "the attached file {bucket}/{path} is no longer in storage: attach it again"
                    )))
                }
                Err(e) => return Err(Failure::from_provider(&e)),
            }
        }
        Source::Fetched { share_url } => {
            let Some(fetch) = &maker.fetch else {
                return Ok(Outcome::Refused(
                    "no fetch command is configured (SAMIA_TIKTOK_FETCH_CMD): attach the post's file"
                        .into(),
                ));
            };
            if let Some(refused) = run_fetch(fetch, share_url, &file, deadline).await? {
                return Ok(Outcome::Refused(refused));
            }
        }
    }
    let tool = |e: probe::ToolError| transient(e.to_string());
    let Some(streams) = probe::inspect(&maker.tools, &file, deadline)
        .await
        .map_err(tool)?
    else {
        return Ok(Outcome::Refused(
            "the file is not audio or video that ffmpeg can read".into(),
        ));
    };
    let Some(codec) = streams.audio_codec else {
        return Ok(Outcome::Refused("the file has no sound".into()));
    };
    let out = dir.path().join("audio.m4a");
    if let Err(reason) = probe::extract_audio(&maker.tools, &file, &codec, &out, deadline)
        .await
        .map_err(tool)?
    {
        return Ok(Outcome::Refused(format!(
            "the sound cannot be extracted: {reason}"
        )));
    }
    let audio = tokio::fs::read(&out)
        .await
        .map_err(|e| transient(format!("cannot read the extracted audio: {e}")))?;
    let sha256 = media_jobs::hex(&Sha256::digest(&audio));
    let path = format!("tiktok/{sha256}.m4a");
    match maker
        .storage
        .upload(BUCKET, &path, Bytes::from(audio), "audio/mp4", false)
        .await
    {
        // Already stored: the same sound came before.
        Ok(_) | Err(StorageError::Duplicate { .. }) => {}
        Err(e) => return Err(Failure::from_provider(&e)),
    }
    drop(dir);
    Ok(Outcome::Stored { path, sha256 })
}

/// Runs the fetch command; `Some(reason)` when it did not give a file.
async fn run_fetch(
    fetch: &FetchCommand,
    share_url: &str,
    file: &Path,
    deadline: Instant,
) -> Result<Option<String>, Failure> {
    let script = format!("{} \"$1\" \"$2\"", fetch.command);
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg("samia-fetch")
        .arg(share_url)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| transient(format!("cannot run the fetch command: {e}")))?;
    let limit = fetch
        .timeout
        .min(deadline.saturating_duration_since(Instant::now()));
    let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(output) => output.map_err(|e| transient(format!("the fetch command failed: {e}")))?,
        Err(_) => {
            return Err(transient(format!(
                "the fetch command did not finish within {} ms (it was stopped): raise SAMIA_TIKTOK_FETCH_TIMEOUT_MS",
                limit.as_millis()
            )))
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if !output.status.success() {
        // It may work next time (the network, TikTok): retried with backoff.
        return Err(transient(format!(
            "the fetch command exited with {}{}",
            output
                .status
                .code()
                .map(|c| format!("code {c}"))
                .unwrap_or_else(|| "a signal".into()),
            if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            }
        )));
    }
    match tokio::fs::metadata(file).await {
        Err(_) => Ok(Some("the fetch command exited 0 but wrote no file".into())),
        Ok(m) if m.len() == 0 => Ok(Some("the fetch command wrote an empty file".into())),
        Ok(m) if m.len() > fetch.max_bytes => Ok(Some(format!(
            "the fetch command wrote {} bytes, over SAMIA_TIKTOK_FETCH_MAX_BYTES ({})",
            m.len(),
            fetch.max_bytes
        ))),
        Ok(_) => Ok(None),
    }
}
