//! What ffmpeg says about a file: its streams and length (`ffprobe`),
//! whether its first audio stream decodes to the end without an error, and
//! its integrated loudness (EBU R128). Each tool runs as a child process
//! with a timeout (killed when it runs out), never through a shell.

use super::{Audio, Streams, FFMPEG};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use tokio::time::Instant;

/// Where ffmpeg and ffprobe are, and how long each may run.
#[derive(Debug, Clone)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    pub timeout: Duration,
}

impl Tools {
    /// The tools in `dir`, or found on PATH.
    pub fn new(dir: Option<&Path>, timeout: Duration) -> Tools {
        let at = |name: &str| {
            dir.map(|d| d.join(name))
                .unwrap_or_else(|| PathBuf::from(name))
        };
        Tools {
            ffmpeg: at("ffmpeg"),
            ffprobe: at("ffprobe"),
            timeout,
        }
    }
}

impl Tools {
    /// Runs both tools once (`-version`), so a missing ffmpeg is reported
    /// when the daemon starts rather than at the first probe.
    pub async fn check(&self) -> Result<(), ToolError> {
        for program in [&self.ffprobe, &self.ffmpeg] {
            let ran = run(
                program,
                &["-version"],
                self.timeout.min(Duration::from_secs(10)),
            )
            .await?;
            if !ran.success {
                return Err(ToolError::Failed {
                    program: program.display().to_string(),
                    reason: "`-version` failed: reinstall Debian's ffmpeg package".into(),
                });
            }
        }
        Ok(())
    }
}

/// Why a tool gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error(
        "{program} was not found: install Debian's ffmpeg package (apt-get install ffmpeg), \
         or set SAMIA_FFMPEG_DIR to the directory holding ffmpeg and ffprobe"
    )]
    Missing { program: String },
    #[error("{program} did not finish within {ms} ms (it was stopped): raise SAMIA_MEDIA_TIMEOUT_MS or SAMIA_LEASE_MS")]
    TimedOut { program: String, ms: u128 },
    #[error("cannot run {program}: {reason}")]
    Failed { program: String, reason: String },
}

struct Ran {
    success: bool,
    stdout: Vec<u8>,
    stderr: String,
}

async fn run(program: &Path, args: &[&str], timeout: Duration) -> Result<Ran, ToolError> {
    let name = program.display().to_string();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ToolError::Missing {
                program: name.clone(),
            },
            _ => ToolError::Failed {
                program: name.clone(),
                reason: e.to_string(),
            },
        })?;
    // Dropping the unfinished wait kills the child (kill_on_drop).
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| ToolError::TimedOut {
            program: name.clone(),
            ms: timeout.as_millis(),
        })?
        .map_err(|e| ToolError::Failed {
            program: name,
            reason: e.to_string(),
        })?;
    Ok(Ran {
        success: output.status.success(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// The time left before `deadline`, at most `cap`.
pub fn budget(deadline: Instant, cap: Duration) -> Duration {
    deadline.saturating_duration_since(Instant::now()).min(cap)
}

/// Reads `ffprobe -show_streams -show_format -of json` output.
pub fn parse_streams(json: &Value) -> Streams {
    let streams = json
        .get("streams")
        .and_then(|s| s.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    fn of_type<'a>(streams: &'a [Value], t: &'a str) -> impl Iterator<Item = &'a Value> {
        streams
            .iter()
            .filter(move |s| s.get("codec_type").and_then(|c| c.as_str()) == Some(t))
    }
    let number = |v: Option<&Value>| -> Option<f64> {
        match v? {
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
        .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let audio = of_type(streams, "audio").next();
    let has_video = of_type(streams, "video").any(|s| {
        s.get("disposition")
            .and_then(|d| d.get("attached_pic"))
            .and_then(|a| a.as_i64())
            != Some(1)
    });
    let format = json.get("format");
    let duration_sec = number(format.and_then(|f| f.get("duration")))
        .or_else(|| number(audio.and_then(|a| a.get("duration"))));
    Streams {
        audio_codec: audio
            .and_then(|a| a.get("codec_name"))
            .and_then(|c| c.as_str())
            .map(str::to_string),
        sample_rate: number(audio.and_then(|a| a.get("sample_rate"))).map(|r| r as u32),
        channels: number(audio.and_then(|a| a.get("channels"))).map(|c| c as u32),
        has_video,
        duration_sec,
        duration_estimated: false,
        format: format
            .and_then(|f| f.get("format_name"))
            .and_then(|n| n.as_str())
            .map(str::to_string),
        bit_rate: number(format.and_then(|f| f.get("bit_rate"))).map(|b| b as u64),
    }
}

/// The integrated loudness in the summary ffmpeg's ebur128 filter prints
/// (`I: -23.0 LUFS`).
pub fn parse_loudness(stderr: &str) -> Option<f64> {
    let summary = &stderr[stderr.rfind("Summary:")?..];
    summary
        .lines()
        .map(str::trim)
        .find_map(|line| {
            let rest = line.strip_prefix("I:")?;
            let mut words = rest.split_whitespace();
            let value = words.next()?.parse::<f64>().ok()?;
            (words.next() == Some("LUFS")).then_some(value)
        })
        .filter(|v| v.is_finite())
}

fn input(file: &Path) -> String {
    // The file: protocol keeps ffmpeg from reading a colon as a protocol name.
    format!("file:{}", file.display())
}

/// The streams of `file`, or `None` when ffprobe cannot read it as media.
pub async fn inspect(
    tools: &Tools,
    file: &Path,
    deadline: Instant,
) -> Result<Option<Streams>, ToolError> {
    let file = input(file);
    let ran = run(
        &tools.ffprobe,
        &[
            "-v",
            "warning",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            &file,
        ],
        budget(deadline, tools.timeout),
    )
    .await?;
    if !ran.success {
        return Ok(None);
    }
    let estimated = ran.stderr.contains(ESTIMATED);
    Ok(serde_json::from_slice::<Value>(&ran.stdout)
        .ok()
        .map(|json| Streams {
            duration_estimated: estimated,
            ..parse_streams(&json)
        }))
}

/// ffprobe's warning when a file states no length (raw AAC, MP3 without a
/// frame count) and it guesses one from the first frames' bit rate (off by
/// seconds on a minute of variable-rate AAC).
pub const ESTIMATED: &str = "Estimating duration from bitrate";

/// Audio codecs an `.m4a` (MP4) file carries as they are: copied, not
/// encoded again.
pub const M4A_CODECS: [&str; 2] = ["aac", "alac"];

/// Writes the first audio stream of `file` to `out` as `.m4a`: copied when
/// its codec is one `.m4a` carries, else encoded to AAC. Metadata is
/// dropped and the muxer is bit-exact, so the same sound gives the same
/// bytes (and sha256) every time. `Ok(Err(reason))` when ffmpeg refused
/// the file.
pub async fn extract_audio(
    tools: &Tools,
    file: &Path,
    codec: &str,
    out: &Path,
    deadline: Instant,
) -> Result<Result<(), String>, ToolError> {
    let input = input(file);
    let output = format!("file:{}", out.display());
    let copy = M4A_CODECS.contains(&codec);
    let mut args = vec![
        "-nostdin",
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-y",
        "-i",
        &input,
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
    ];
    if copy {
        args.extend(["-c:a", "copy"]);
    } else {
        args.extend(["-c:a", "aac", "-b:a", "128k"]);
    }
    args.extend([
        "-fflags",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        &output,
    ]);
    let ran = run(&tools.ffmpeg, &args, budget(deadline, tools.timeout)).await?;
    if ran.success {
        return Ok(Ok(()));
    }
    let reason = ran
        .stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("ffmpeg failed")
        .to_string();
    Ok(Err(reason))
}

/// What one decoding pass found.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// The first audio stream decodes to its end without an error.
    pub decodes: bool,
    /// Integrated loudness in LUFS (the ebur128 filter's summary).
    pub loudness: Option<f64>,
    /// The length of the decoded sound in seconds (`-progress`'s last
    /// `out_time_us`).
    pub seconds: Option<f64>,
}

/// One pass over the first audio stream: whether it decodes to its end
/// without an error, its integrated loudness in LUFS (read from the
/// ebur128 filter's summary) and the length of what decoded. Decoding once
/// for all three halves the probe's time on long files.
pub async fn decode_and_measure(
    tools: &Tools,
    file: &Path,
    deadline: Instant,
) -> Result<Pass, ToolError> {
    let file = input(file);
    let ran = run(
        &tools.ffmpeg,
        &[
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
            "-progress",
            "pipe:1",
            "-f",
            "null",
            "-",
        ],
        budget(deadline, tools.timeout),
    )
    .await?;
    let decodes = ran.success && !has_errors(&ran.stderr);
    Ok(Pass {
        decodes,
        loudness: decodes.then(|| parse_loudness(&ran.stderr)).flatten(),
        seconds: parse_progress(&String::from_utf8_lossy(&ran.stdout)),
    })
}

/// The last `out_time_us` of ffmpeg's `-progress` report, in seconds.
pub fn parse_progress(stdout: &str) -> Option<f64> {
    stdout
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("out_time_us="))
        .and_then(|us| us.trim().parse::<i64>().ok())
        .filter(|us| *us >= 0)
        .map(|us| us as f64 / 1e6)
}

/// ffprobe, then one decoding pass when there is audio. A length ffprobe
/// only estimated is replaced by the length of what decoded.
pub async fn examine(tools: &Tools, file: &Path, deadline: Instant) -> Result<Audio, ToolError> {
    let Some(mut streams) = inspect(tools, file, deadline).await? else {
        return Ok(Audio {
            streams: Streams::default(),
            decodes: false,
            loudness: None,
            decoder: FFMPEG,
        });
    };
    let pass = if streams.audio_codec.is_some() {
        decode_and_measure(tools, file, deadline).await?
    } else {
        Pass {
            decodes: false,
            loudness: None,
            seconds: None,
        }
    };
    if streams.duration_estimated && pass.decodes {
        if let Some(seconds) = pass.seconds {
            streams.duration_sec = Some(seconds);
            streams.duration_estimated = false;
        }
    }
    Ok(Audio {
        streams,
        decodes: pass.decodes,
        loudness: pass.loudness,
        decoder: FFMPEG,
    })
}

/// Does ffmpeg's log (with `-loglevel level+...`) report an error?
pub fn has_errors(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.contains("[error]") || l.contains("[fatal]") || l.contains("[panic]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streams_are_read_from_ffprobe_json() {
        let audio = parse_streams(&json!({
            "streams": [
                {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}},
                {"codec_type": "audio", "codec_name": "aac", "sample_rate": "44100", "channels": 2, "duration": "2.1"}
            ],
            "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "2.020000", "bit_rate": "130000"}
        }));
        assert_eq!(
            audio,
            Streams {
                audio_codec: Some("aac".into()),
                sample_rate: Some(44100),
                channels: Some(2),
                has_video: false,
                duration_sec: Some(2.02),
                duration_estimated: false,
                format: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
                bit_rate: Some(130000),
            }
        );
        let video = parse_streams(&json!({
            "streams": [{"codec_type": "video", "codec_name": "h264"}, {"codec_type": "audio", "codec_name": "aac", "duration": "3.5"}],
            "format": {"duration": "N/A"}
        }));
        assert!(video.has_video);
        assert_eq!(video.duration_sec, Some(3.5));
        assert_eq!(parse_streams(&json!({})), Streams::default());
    }

    #[test]
    fn loudness_comes_from_the_summary() {
        let stderr = "[Parsed_ebur128_0 @ 0x1] t: 0.1 M: -120.7 S: -120.7 I: -70.0 LUFS\n\
            [Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -20.6 LUFS\n    \
            Threshold: -30.7 LUFS\n\n  Loudness range:\n    LRA:         0.0 LU\n";
        assert_eq!(parse_loudness(stderr), Some(-20.6));
        assert_eq!(parse_loudness("no summary here"), None);
        assert!(has_errors("[aac @ 0x1] [error] Input buffer exhausted"));
        assert!(!has_errors(
            "[info] video:0kB audio:5168kB\n[Parsed_ebur128_0 @ 0x1] [info] Summary:"
        ));
        assert_eq!(
            parse_loudness("Summary:\n  I:  -inf LUFS\n"),
            None,
            "silence has no finite loudness"
        );
        let progress =
            "out_time_us=500000\nprogress=continue\nout_time_us=60023583\nprogress=end\n";
        assert_eq!(parse_progress(progress), Some(60.023583));
        assert_eq!(parse_progress("out_time_us=N/A\n"), None);
    }

    #[tokio::test]
    async fn a_missing_tool_names_the_package_and_a_slow_one_is_stopped() {
        let tools = Tools::new(Some(Path::new("/nonexistent")), Duration::from_secs(5));
        assert!(matches!(
            tools.check().await,
            Err(ToolError::Missing { .. })
        ));
        Tools::new(None, Duration::from_secs(5))
            .check()
            .await
            .expect("ffmpeg and ffprobe are installed (apt-get install ffmpeg)");
        let missing = inspect(
            &tools,
            Path::new("/dev/null"),
            Instant::now() + Duration::from_secs(5),
        )
        .await
        .expect_err("no ffprobe there");
        assert!(
            missing.to_string().contains("apt-get install ffmpeg"),
            "{missing}"
        );
        let started = std::time::Instant::now();
        let slow = run(Path::new("sleep"), &["30"], Duration::from_millis(200))
            .await
            .err();
        assert!(matches!(slow, Some(ToolError::TimedOut { .. })), "{slow:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
