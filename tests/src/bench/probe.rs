//! Probe throughput: 200 one-minute AAC files, uploaded through the fake
//! Storage and registered by a reader, then probed by one sidecar (download
//! with sha256, decoding with EBU R128 loudness, the report). Timed from the
//! sidecar's start until every file is `ready`. Side by side in one run:
//! the same sidecar decoding in process (symphonia and ebur128, the
//! default), the same sidecar with `SAMIA_PROBE_DECODER=ffmpeg` (ffprobe
//! and one ffmpeg pass per file), and the same ffprobe and ffmpeg commands
//! run straight from files on disk, as many at once as the sidecar's
//! workers: what the tools alone cost on this machine. Each side runs in
//! each of two rounds (the order reversed in the second), and its better
//! round is printed.

use crate::cluster::{FakeTwilio, Sidecar};
use crate::storage::{files, FakeStorage};
use std::time::{Duration, Instant};
use tokio_postgres::Client;

const FILES: usize = 200;
const SECONDS: u32 = 60;
const WORKERS: usize = 4;
const ROUNDS: usize = 2;
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

/// [`FILES`] passes of the tools over `paths` in turn, [`WORKERS`] at a time.
async fn tools_alone_all(paths: &[std::path::PathBuf]) -> anyhow::Result<Duration> {
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
    Ok(started.elapsed())
}

/// One side of the comparison: a name for its files, the sidecar's
/// setting, and the decoder its reports must name.
struct Side {
    label: &'static str,
    setting: &'static str,
    decoder: &'static str,
}

const IN_PROCESS: Side = Side {
    label: "native",
    setting: "auto",
    decoder: "in-process",
};

const FFMPEG: Side = Side {
    label: "ffmpeg",
    setting: "ffmpeg",
    decoder: "ffmpeg",
};

/// Uploads and registers [`FILES`] files named `probe-{pid}-{round}-{side}-N`,
/// then times one sidecar on `side`'s decoder until all are `ready`;
/// checks that every report names that decoder.
async fn probe_all(
    admin: &Client,
    url: &str,
    storage: &FakeStorage,
    sounds: &[Vec<u8>],
    round: &str,
    side: &Side,
) -> anyhow::Result<Duration> {
    let Side {
        label,
        setting,
        decoder,
    } = side;
    let mut api = crate::connect(url).await?;
    let prefix = format!("{READER}/probe-{}-{round}-{label}-", std::process::id());
    for n in 0..FILES {
        let path = format!("{prefix}{n}.m4a");
        storage
            .put(
                READER,
                "readings",
                &path,
                "audio/mp4",
                sounds[n % sounds.len()].clone(),
            )
            .await?;
        crate::media::register(&mut api, READER, "audio", "readings", &path).await?;
    }
    let twilio = FakeTwilio::start()?;
    let key = crate::storage::service_key()?;
    let storage_url = storage.url();
    let workers = WORKERS.to_string();
    let all = [
        ("SUPABASE_URL", storage_url.as_str()),
        ("SUPABASE_SERVICE_ROLE_KEY", key.as_str()),
        ("SAMIA_CONCURRENCY", workers.as_str()),
        ("SAMIA_LEASE_MS", "120000"),
        ("RUST_LOG", "warn"),
        ("SAMIA_PROBE_DECODER", setting),
    ];
    let like = format!("{prefix}%");
    let started = Instant::now();
    let sidecar = Sidecar::start(url, &twilio, &all)?;
    loop {
        let row = admin
            .query_one(
                "select count(*) filter (where status = 'ready'), count(*) filter (where status = 'invalid')
                   from public.media_assets where path like $1",
                &[&like],
            )
            .await?;
        let (ready, invalid): (i64, i64) = (row.get(0), row.get(1));
        anyhow::ensure!(invalid == 0, "{label}: {invalid} files were found invalid");
        if ready == FILES as i64 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "{label}: only {ready} of {FILES} files probed in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    drop(sidecar);
    let others: i64 = admin
        .query_one(
            "select count(*) from public.media_assets
              where path like $1 and meta -> 'probe' -> 'details' ->> 'decoder' is distinct from $2",
            &[&like, &decoder],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        others == 0,
        "{label}: {others} files were not probed by {decoder}"
    );
    Ok(took)
}

pub async fn run(admin: &Client, url: &str) -> anyhow::Result<()> {
    // Four different recordings, each uploaded under 50 names per run.
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
    // The tools alone read the same recordings from disk.
    let dir = std::env::temp_dir().join(format!("samia-probe-bench-{tag}"));
    std::fs::create_dir_all(&dir)?;
    let mut paths = Vec::new();
    for (i, bytes) in sounds.iter().enumerate() {
        let p = dir.join(format!("sound-{i}.m4a"));
        std::fs::write(&p, bytes)?;
        paths.push(p);
    }
    // Each side in every round, in turn (the order reversed every other
    // round), so a machine busy for a while weighs on all three alike.
    let mut best = [Duration::MAX; 3];
    for round in 0..ROUNDS {
        let mut order = [0, 1, 2];
        if round % 2 == 1 {
            order.reverse();
        }
        for side in order {
            let label = format!("r{round}");
            let took = match side {
                0 => probe_all(admin, url, &storage, &sounds, &label, &IN_PROCESS).await?,
                1 => probe_all(admin, url, &storage, &sounds, &label, &FFMPEG).await?,
                _ => tools_alone_all(&paths).await?,
            };
            best[side] = best[side].min(took);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let rate = |d: Duration| FILES as f64 / d.as_secs_f64();
    let [native, ffmpeg, tools] = best.map(rate);
    println!(
        "probe: {FILES} one-minute AAC files ({} KiB each), registered, then probed by one sidecar with {WORKERS} workers; best of {ROUNDS} rounds",
        sounds[0].len() / 1024
    );
    println!(
        "  the sidecar, in process (download, sha256, symphonia + ebur128, report)  {native:>6.1} files/s"
    );
    println!(
        "  the sidecar, SAMIA_PROBE_DECODER=ffmpeg (ffprobe, ffmpeg + ebur128)      {ffmpeg:>6.1} files/s  (in process: {:.2}x)",
        native / ffmpeg
    );
    println!(
        "  ffprobe + ffmpeg alone on the same files, {WORKERS} at a time                  {tools:>6.1} files/s  (in process: {:.2}x)",
        native / tools
    );
    println!(
        "  goal: at least 20 files/s in process: {}",
        if native >= 20.0 { "met" } else { "NOT met" }
    );
    admin
        .batch_execute(&format!(
            "delete from public.media_assets where path like '{READER}/probe-%'"
        ))
        .await?;
    drop(storage);
    Ok(())
}
