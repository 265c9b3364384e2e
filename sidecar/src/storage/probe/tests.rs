//! The in-process probe against ffmpeg on files ffmpeg makes: the same
//! names, loudness within 0.1 LU and length within 10 ms; damaged and
//! hostile files end in a verdict; what symphonia does not read goes to
//! ffmpeg; decoding never holds up the runtime.

use super::native::{self, Outcome};
use super::*;
use samia_core::media::{self, Kind, Limits, Probe};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const LOUDNESS_LU: f64 = 0.1;
const LENGTH_S: f64 = 0.010;
/// Bit-flipped copies of each format in the damaged corpus.
const FLIPS: usize = 40;

/// The encodings of the corpus: extension and ffmpeg's output options.
const FORMATS: [(&str, &[&str]); 6] = [
    ("m4a", &["-c:a", "aac", "-b:a", "96k"]),
    ("aac", &["-c:a", "aac", "-b:a", "96k", "-f", "adts"]),
    ("mp3", &["-c:a", "libmp3lame", "-b:a", "128k"]),
    ("flac", &["-c:a", "flac"]),
    ("ogg", &["-c:a", "libvorbis", "-q:a", "4"]),
    ("wav", &["-c:a", "pcm_s16le"]),
];

/// Sounds at several loudness levels and rates: a name, a lavfi source
/// (its duration appended) and the filters after it.
const SOUNDS: [(&str, &str, &str); 4] = [
    ("tone", "sine=frequency=440:sample_rate=44100", ""),
    (
        "quiet-tone-48k",
        "sine=frequency=1000:sample_rate=48000",
        ",volume=-18dB",
    ),
    (
        "pink-stereo",
        "anoisesrc=color=pink:amplitude=0.5:seed=7:sample_rate=44100",
        ",aformat=channel_layouts=stereo",
    ),
    (
        "brown-32k",
        "anoisesrc=color=brown:amplitude=0.8:seed=11:sample_rate=32000",
        ",volume=-6dB",
    ),
];

fn tools() -> Tools {
    Tools::new(None, Duration::from_secs(120))
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

/// Makes `name` in `dir` with ffmpeg from `inputs` (lavfi sources) and
/// output `options`.
fn make(dir: &Path, name: &str, inputs: &[&str], options: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut command = std::process::Command::new("ffmpeg");
    command.args(["-nostdin", "-hide_banner", "-v", "error", "-y"]);
    for input in inputs {
        command.args(["-f", "lavfi", "-i", input]);
    }
    let status = command
        .args(options)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg made {name}");
    out
}

/// `seconds` of sound `n` of [`SOUNDS`] in format `f` of [`FORMATS`].
fn sound(dir: &Path, n: usize, f: usize, seconds: &str) -> PathBuf {
    let (name, source, filters) = SOUNDS[n];
    let (ext, options) = FORMATS[f];
    let input = format!("{source}:duration={seconds}{filters}");
    make(dir, &format!("{name}-{seconds}.{ext}"), &[&input], options)
}

/// The files of the agreement test: every sound at 1 s and 7.3 s, and the
/// tone at 60 s, in every format; made two at a time.
fn corpus(dir: &Path) -> Vec<PathBuf> {
    let mut jobs: Vec<(usize, usize, &str)> = Vec::new();
    for f in 0..FORMATS.len() {
        for n in 0..SOUNDS.len() {
            jobs.extend([(n, f, "1"), (n, f, "7.3")]);
        }
        jobs.push((0, f, "60"));
    }
    let half = jobs.len() / 2;
    std::thread::scope(|s| {
        let (a, b) = jobs.split_at(half);
        let first = s.spawn(|| a.iter().map(|&(n, f, d)| sound(dir, n, f, d)).collect());
        let mut files: Vec<PathBuf> = b.iter().map(|&(n, f, d)| sound(dir, n, f, d)).collect();
        let mut all: Vec<PathBuf> = first.join().expect("ffmpeg made the files");
        all.append(&mut files);
        all
    })
}

async fn in_process(native: &Native, file: &Path, max_seconds: f64) -> Audio {
    match native.measure(file, max_seconds, far()).await {
        Ok(Outcome::Measured(audio)) => audio,
        other => panic!("{}: not decoded in process: {other:?}", file.display()),
    }
}

fn verdict(audio: &Audio, bytes: i64, max_audio_seconds: f64) -> Result<(), String> {
    let probe = Probe {
        bytes,
        audio_codec: audio.streams.audio_codec.clone(),
        has_video: audio.streams.has_video,
        duration_sec: audio.streams.duration_sec,
        decodes: audio.decodes,
    };
    let limits = Limits {
        max_bytes: i64::MAX,
        max_audio_seconds,
    };
    media::verdict(Kind::Audio, &probe, limits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_loudness_and_length_agree_with_ffmpeg() {
    let dir = tempfile::tempdir().expect("a directory");
    let files = corpus(dir.path());
    let native = Native::new(2);
    let (mut worst_lu, mut worst_s) = (0.0f64, 0.0f64);
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let ours = in_process(&native, file, 3600.0).await;
        let theirs = ffmpeg::examine(&tools(), file, far())
            .await
            .expect("ffmpeg ran");
        assert_eq!((ours.decoder, theirs.decoder), (IN_PROCESS, FFMPEG));
        assert!(
            ours.decodes && theirs.decodes,
            "{name}: {ours:?} {theirs:?}"
        );
        let (a, b) = (&ours.streams, &theirs.streams);
        assert_eq!(
            (
                &a.audio_codec,
                a.sample_rate,
                a.channels,
                &a.format,
                a.has_video
            ),
            (
                &b.audio_codec,
                b.sample_rate,
                b.channels,
                &b.format,
                b.has_video
            ),
            "{name}"
        );
        let lu = (ours.loudness.expect("loudness") - theirs.loudness.expect("loudness")).abs();
        let s = (a.duration_sec.expect("length") - b.duration_sec.expect("length")).abs();
        eprintln!(
            "{name:<24} {:>7.2} LUFS (ffmpeg {:>6.1})  {:>9.6} s (ffmpeg {:>9.6})",
            ours.loudness.unwrap_or_default(),
            theirs.loudness.unwrap_or_default(),
            a.duration_sec.unwrap_or_default(),
            b.duration_sec.unwrap_or_default()
        );
        assert!(
            lu <= LOUDNESS_LU + 1e-9,
            "{name}: loudness {ours:?} vs {theirs:?}"
        );
        assert!(s <= LENGTH_S, "{name}: length {ours:?} vs {theirs:?}");
        assert_eq!(verdict(&ours, 1, 3600.0), verdict(&theirs, 1, 3600.0));
        (worst_lu, worst_s) = (worst_lu.max(lu), worst_s.max(s));
    }
    eprintln!(
        "{} files: largest difference {worst_lu:.3} LU, {:.3} ms",
        files.len(),
        worst_s * 1000.0
    );
}

/// A small deterministic generator (xorshift64*) for the damaged copies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The corrupt-file corpus of the media tests plus, for a short file of
/// each format, truncated copies and copies with flipped bits (in the
/// headers and anywhere), from fixed seeds.
fn damaged(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let noise: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut files = vec![
        (
            "corrupt.m4a".to_string(),
            b"not audio at all, just bytes ".repeat(200),
        ),
        ("noise.m4a".to_string(), noise),
        ("empty.m4a".to_string(), Vec::new()),
    ];
    let video = make(
        dir,
        "clip.mp4",
        &["testsrc=duration=2:size=160x120:rate=10", "sine=duration=2"],
        &["-c:v", "mpeg4", "-c:a", "aac", "-shortest"],
    );
    let cut = make(
        dir,
        "cut.m4a",
        &["sine=duration=3"],
        &["-c:a", "aac", "-movflags", "+faststart"],
    );
    let cut = std::fs::read(cut).expect("the file");
    files.push(("video.mp4".into(), std::fs::read(video).expect("the file")));
    files.push(("cut.m4a".into(), cut[..cut.len() / 2].to_vec()));
    let mut rng = Rng(0x5a31_a7a2_0c0f_fee5);
    for (f, (ext, _)) in FORMATS.iter().enumerate() {
        let path = sound(dir, 0, f, "3");
        let whole = std::fs::read(path).expect("the file");
        for (n, share) in [0.02, 0.3, 0.5, 0.9, 0.999].into_iter().enumerate() {
            let len = (whole.len() as f64 * share) as usize;
            files.push((format!("cut-{n}.{ext}"), whole[..len].to_vec()));
        }
        for n in 0..FLIPS {
            let mut copy = whole.clone();
            // The first copies hit the headers, the rest anywhere.
            let span = if n < 4 {
                copy.len().min(512)
            } else {
                copy.len()
            };
            for _ in 0..(1 << (n % 6)) {
                let at = rng.below(span);
                copy[at] ^= 1 << rng.below(8);
            }
            files.push((format!("flip-{n}.{ext}"), copy));
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_and_hostile_files_end_in_a_verdict() {
    let dir = tempfile::tempdir().expect("a directory");
    let native = Native::new(2);
    let files = damaged(dir.path());
    let (mut measured, mut louder, mut disagree) = (0, 0, Vec::new());
    for (name, bytes) in &files {
        let path = dir.path().join(format!("damaged-{name}"));
        std::fs::write(&path, bytes).expect("written");
        // The decoder returns: no panic gets past it.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let outcome = native::guarded(&path, 3600.0, deadline, &AtomicBool::new(false));
        let outcome = outcome.expect("within its time");
        measured += usize::from(matches!(outcome, Outcome::Measured(_)));
        let audio = examine(&tools(), Some(&native), &path, 3600.0, far())
            .await
            .expect("a probe, not a tool error");
        let ours = verdict(&audio, bytes.len() as i64, 3600.0);
        if let Err(reason) = &ours {
            let known = [
                "empty",
                "not audio",
                "is a video",
                "cannot be decoded",
                "has no length",
                "over the limit",
            ];
            assert!(known.iter().any(|k| reason.contains(k)), "{name}: {reason}");
        }
        let alone = ffmpeg::examine(&tools(), &path, far())
            .await
            .expect("ffmpeg ran");
        let theirs = verdict(&alone, bytes.len() as i64, 3600.0);
        let length = |a: &Audio| a.streams.duration_sec.unwrap_or(0.0);
        if ours != theirs || (length(&audio) - length(&alone)).abs() > LENGTH_S {
            disagree.push(format!(
                "{name}: {ours:?} {} s / ffmpeg {theirs:?} {} s",
                length(&audio),
                length(&alone)
            ));
        }
        // Damaged audio decodes to different noise in different decoders:
        // its loudness is counted, not compared.
        if let (Some(a), Some(b)) = (audio.loudness, alone.loudness) {
            louder += usize::from((a - b).abs() > LOUDNESS_LU);
        }
    }
    let by_name = |name: &str| {
        let bytes = &files
            .iter()
            .find(|(n, _)| n == name)
            .expect("in the corpus")
            .1;
        let path = dir.path().join(format!("damaged-{name}"));
        (path, bytes.len() as i64)
    };
    for (name, reason) in [
        ("corrupt.m4a", "not audio"),
        ("noise.m4a", "not audio"),
        ("empty.m4a", "empty"),
        ("video.mp4", "is a video"),
        ("cut.m4a", "cannot be decoded"),
    ] {
        let (path, bytes) = by_name(name);
        let audio = examine(&tools(), Some(&native), &path, 3600.0, far()).await;
        let verdict = verdict(&audio.expect("a probe"), bytes, 3600.0);
        assert!(
            verdict.as_ref().is_err_and(|e| e.contains(reason)),
            "{name}: {verdict:?}"
        );
    }
    eprintln!(
        "{} damaged files: {measured} decoded in process, {} by ffmpeg; verdicts or lengths that differ from ffmpeg alone: {}; loudness more than {LOUDNESS_LU} LU apart: {louder}",
        files.len(),
        files.len() - measured,
        disagree.len()
    );
    for line in &disagree {
        eprintln!("  {line}");
    }
    // Only a damaged file can differ, and only where symphonia decodes
    // what ffmpeg's stricter decoder refuses, or reads a damaged length
    // field differently (see docs/files.md): a handful in hundreds.
    assert!(
        disagree.len() * 50 <= files.len(),
        "more than 2% differ: {disagree:#?}"
    );
}

#[test]
fn a_panic_in_the_decoder_hands_the_file_to_ffmpeg() {
    let outcome = native::shielded(Path::new("x.m4a"), || panic!("index out of bounds"));
    assert!(
        matches!(&outcome, Ok(Outcome::Ffmpeg(why)) if why.contains("panicked: index out of bounds")),
        "{outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_symphonia_does_not_read_goes_to_ffmpeg() {
    let dir = tempfile::tempdir().expect("a directory");
    let d = dir.path();
    let tone = "sine=frequency=440:duration=2";
    let cases = [
        // A WhatsApp-style voice note: Opus in Ogg, and in WebM.
        make(d, "voice.ogg", &[tone], &["-c:a", "libopus"]),
        make(d, "voice.webm", &[tone], &["-c:a", "libopus"]),
        // AAC at a rate HE-AAC uses: it may carry SBR.
        make(
            d,
            "low.m4a",
            &[&format!("{tone}:sample_rate=16000")],
            &["-c:a", "aac"],
        ),
        // MPEG audio layer II.
        make(d, "tone.mp2", &[tone], &["-c:a", "mp2"]),
        // ALAC: symphonia's decoder takes damaged frames that ffmpeg refuses.
        make(d, "lossless.m4a", &[tone], &["-c:a", "alac"]),
        // Named like audio, but an MP4 with a video track.
        make(
            d,
            "clip.m4a",
            &["testsrc=duration=2:size=160x120:rate=10", tone],
            &["-c:v", "mpeg4", "-c:a", "aac", "-shortest", "-f", "mp4"],
        ),
    ];
    let native = Native::new(2);
    for file in &cases {
        let outcome = native.measure(file, 3600.0, far()).await;
        assert!(
            matches!(outcome, Ok(Outcome::Ffmpeg(_))),
            "{}: {outcome:?}",
            file.display()
        );
        let audio = examine(&tools(), Some(&native), file, 3600.0, far())
            .await
            .expect("ffmpeg ran");
        assert_eq!(audio.decoder, FFMPEG);
        assert!(audio.decodes, "{}: {audio:?}", file.display());
        let expected = if audio.streams.has_video {
            Err("video".to_string())
        } else {
            Ok(())
        };
        let got = verdict(&audio, 1, 3600.0).map_err(|e| {
            if e.contains("is a video") {
                "video".to_string()
            } else {
                e
            }
        });
        assert_eq!(got, expected, "{}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoding_stops_past_the_longest_audio_but_the_length_is_still_read() {
    let dir = tempfile::tempdir().expect("a directory");
    let native = Native::new(2);
    for f in 0..FORMATS.len() {
        let file = sound(dir.path(), 0, f, "7.3");
        let whole = in_process(&native, &file, 3600.0).await;
        let cut = in_process(&native, &file, 2.0).await;
        assert!(cut.decodes, "{}", file.display());
        assert_eq!(cut.loudness, None, "only part of it was heard");
        let (a, b) = (whole.streams.duration_sec, cut.streams.duration_sec);
        assert!(
            (a.unwrap_or(0.0) - b.unwrap_or(-1.0)).abs() < 1e-9,
            "{}: {a:?} vs {b:?}",
            file.display()
        );
        let reason = verdict(&cut, 1, 2.0).expect_err("too long");
        assert!(reason.contains("over the limit of 2 s"), "{reason}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn decoding_never_holds_up_the_runtime_and_stops_at_its_deadline() {
    let dir = tempfile::tempdir().expect("a directory");
    let file = sound(dir.path(), 2, 0, "60");
    let native = Native::new(2);
    // On a one-thread runtime, a timer keeps its pace while files decode.
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let ticking = tokio::spawn({
        let done = done.clone();
        async move {
            let mut worst = Duration::ZERO;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let before = Instant::now();
                tokio::time::sleep(Duration::from_millis(5)).await;
                worst = worst.max(before.elapsed());
            }
            worst
        }
    });
    let started = Instant::now();
    let (a, b, c) = tokio::join!(
        in_process(&native, &file, 3600.0),
        in_process(&native, &file, 3600.0),
        in_process(&native, &file, 3600.0)
    );
    let took = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let worst = ticking.await.expect("the timer ran");
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert!(
        worst < Duration::from_millis(250),
        "a 5 ms timer took {worst:?} while decoding ({took:?})"
    );
    // Past its deadline, a probe stops with a timeout rather than a verdict.
    let late = native.measure(&file, 3600.0, Instant::now()).await;
    assert!(matches!(late, Err(native::OutOfTime)), "{late:?}");
    let stopped = native::decode(
        &file,
        3600.0,
        std::time::Instant::now() + Duration::from_millis(1),
        &AtomicBool::new(true),
    );
    assert!(matches!(stopped, Err(native::OutOfTime)), "{stopped:?}");
}
