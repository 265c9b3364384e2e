//! Probe throughput: 200 one-minute audio files, uploaded through the fake
//! Storage and registered by a reader, then probed by one sidecar (download
//! with sha256, ffprobe, one decoding pass with EBU R128 loudness, the
//! report). Timed from the sidecar's start until every file is `ready`.
//! Side by side, the same files probed by the same ffprobe and ffmpeg
//! commands run straight from files on disk, as many at once as the
//! sidecar's workers: what the tools alone cost on this machine.

use crate::cluster::{FakeTwilio, Sidecar};
use crate::storage::{files, FakeStorage};
use std::time::{Duration, Instant};
use tokio_postgres::Client;

const FILES: usize = 200;
const SECONDS: u32 = 60;
const WORKERS: usize = 4;
const READER: &str = "40000000-0000-4000-8000-000000000002";

/// The ffprobe and ffmpeg passes of the probe, on a file on disk.
async fn tools_alone(path: &std::path::Path) -> anyhow::Result<()> {
    let file = format!("file:{}", path.display());
    let probe = tokio::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            &file,
        ])
        .output()
        .await?;
    anyhow::ensure!(probe.status.success(), "ffprobe failed");
    let pass = tokio::process::Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "level+info",
            "-xerror",
            "-i",
            &file,
            "-map",
            "0:a:0",
            "-af",
            "ebur128=framelog=verbose",
            "-f",
            "null",
            "-",
        ])
        .output()
        .await?;
    anyhow::ensure!(pass.status.success(), "ffmpeg failed");
    Ok(())
}

pub async fn run(admin: &Client, url: &str) -> anyhow::Result<()> {
    // Four different recordings, each uploaded under 50 names.
    let sounds: Vec<Vec<u8>> = (0..4)
        .map(|i| files::tone_m4a_at(SECONDS, 300 + 110 * i))
        .collect::<anyhow::Result<_>>()?;
    admin
        .batch_execute(&format!(
            "insert into auth.users (id, email) values ('{READER}', 'prober@bench.test') on conflict do nothing;
             update public.profiles set role_id = 3 where id = '{READER}';"
        ))
        .await?;
    let storage = FakeStorage::start(url)?;
    let tag = std::process::id();
    let mut ids = Vec::with_capacity(FILES);
    let mut api = crate::connect(url).await?;
    for n in 0..FILES {
        let path = format!("{READER}/probe-{tag}-{n}.m4a");
        storage
            .put(
                READER,
                "readings",
                &path,
                "audio/mp4",
                sounds[n % sounds.len()].clone(),
            )
            .await?;
        ids.push(crate::media::register(&mut api, READER, "audio", "readings", &path).await?);
    }
    let first = ids[0];

    let twilio = FakeTwilio::start()?;
    let key = crate::storage::service_key()?;
    let storage_url = storage.url();
    let workers = WORKERS.to_string();
    let started = Instant::now();
    let sidecar = Sidecar::start(
        url,
        &twilio,
        &[
            ("SUPABASE_URL", storage_url.as_str()),
            ("SUPABASE_SERVICE_ROLE_KEY", key.as_str()),
            ("SAMIA_CONCURRENCY", workers.as_str()),
            ("SAMIA_LEASE_MS", "120000"),
            ("RUST_LOG", "warn"),
        ],
    )?;
    loop {
        let row = admin
            .query_one(
                "select count(*) filter (where status = 'ready'), count(*) filter (where status = 'invalid')
                   from public.media_assets where id >= $1 and path like $2",
                &[&first, &format!("{READER}/probe-{tag}-%")],
            )
            .await?;
        let (ready, invalid): (i64, i64) = (row.get(0), row.get(1));
        anyhow::ensure!(invalid == 0, "{invalid} files were found invalid");
        if ready == FILES as i64 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "only {ready} of {FILES} files probed in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sidecar_time = started.elapsed();
    drop(sidecar);

    // The tools alone, WORKERS at a time, on the same files from disk.
    let dir = std::env::temp_dir().join(format!("samia-probe-bench-{tag}"));
    std::fs::create_dir_all(&dir)?;
    let mut paths = Vec::new();
    for (i, bytes) in sounds.iter().enumerate() {
        let p = dir.join(format!("sound-{i}.m4a"));
        std::fs::write(&p, bytes)?;
        paths.push(p);
    }
    let started = Instant::now();
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(WORKERS));
    let mut tasks = Vec::new();
    for n in 0..FILES {
        let permit = semaphore.clone().acquire_owned().await?;
        let path = paths[n % paths.len()].clone();
        tasks.push(tokio::spawn(async move {
            let result = tools_alone(&path).await;
            drop(permit);
            result
        }));
    }
    for task in tasks {
        task.await??;
    }
    let tools_time = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);

    let rate = |d: Duration| FILES as f64 / d.as_secs_f64();
    println!(
        "probe: {FILES} one-minute AAC files ({} KiB each), registered, then probed by one sidecar with {WORKERS} workers",
        sounds[0].len() / 1024
    );
    println!(
        "  the sidecar (download, sha256, ffprobe, decode + loudness, report)  {:>6.1} files/s",
        rate(sidecar_time)
    );
    println!(
        "  ffprobe + ffmpeg alone on the same files, {WORKERS} at a time            {:>6.1} files/s  (the sidecar: {:.2}x)",
        rate(tools_time),
        rate(sidecar_time) / rate(tools_time)
    );
    println!(
        "  goal: at least 20 files/s: {}",
        if rate(sidecar_time) >= 20.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    admin
        .batch_execute(&format!(
            "delete from public.media_assets where path like '{READER}/probe-%'"
        ))
        .await?;
    drop(storage);
    Ok(())
}
