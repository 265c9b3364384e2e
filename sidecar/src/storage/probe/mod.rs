//! What a downloaded media file holds: its first audio stream's codec,
//! rate, channels and length, whether it decodes to its end, and its
//! integrated loudness (EBU R128).
//!
//! Audio that symphonia reads (AAC in MP4 or ADTS, MP3, FLAC, Ogg Vorbis,
//! WAV) is decoded in process ([`native`]); everything else (Opus voice
//! notes, AMR, WebM, videos, and whatever the in-process decoder is not
//! sure of) goes to ffmpeg's tools ([`ffmpeg`]). The choice is made from
//! what the file is ([`sniff`]), never from its name or declared type. Both
//! paths report the same names and lengths, so a verdict does not depend on
//! which one ran.

mod ffmpeg;
pub mod native;
pub mod sniff;

pub use ffmpeg::{
    budget, decode_and_measure, extract_audio, has_errors, inspect, parse_loudness, parse_progress,
    parse_streams, Pass, ToolError, Tools, M4A_CODECS,
};
pub use native::Native;

use std::path::Path;
use tokio::time::Instant;

/// `decoder` in a report: the file was decoded in process.
pub const IN_PROCESS: &str = "in-process";
/// `decoder` in a report: ffprobe and ffmpeg examined the file.
pub const FFMPEG: &str = "ffmpeg";

/// The streams of a file, as ffprobe names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Streams {
    pub audio_codec: Option<String>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    /// A video stream other than an attached cover picture.
    pub has_video: bool,
    pub duration_sec: Option<f64>,
    /// ffprobe only estimated the length from the bit rate (raw AAC or MP3
    /// without a frame count): the decoding pass measures it instead.
    pub duration_estimated: bool,
    pub format: Option<String>,
    pub bit_rate: Option<u64>,
}

/// What a probe found in an audio (or video) file.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub streams: Streams,
    /// The first audio stream decodes to its end without an error (in
    /// process: up to the longest audio allowed, past which only its length
    /// is read).
    pub decodes: bool,
    pub loudness: Option<f64>,
    /// [`IN_PROCESS`] or [`FFMPEG`].
    pub decoder: &'static str,
}

/// Which decoders `samia run` may use (`SAMIA_PROBE_DECODER`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoders {
    /// In process for what symphonia reads, ffmpeg for the rest.
    Auto,
    /// ffprobe and ffmpeg for every file.
    Ffmpeg,
}

/// Probes `file`: in process when `native` is given and takes the file,
/// else with ffmpeg. Decoding in process stops past `max_seconds`.
pub async fn examine(
    tools: &Tools,
    native: Option<&Native>,
    file: &Path,
    max_seconds: f64,
    deadline: Instant,
) -> Result<Audio, ToolError> {
    if let Some(native) = native {
        let pass_deadline = Instant::now() + budget(deadline, tools.timeout);
        match native.measure(file, max_seconds, pass_deadline).await {
            Ok(native::Outcome::Measured(audio)) => return Ok(audio),
            Ok(native::Outcome::Ffmpeg(why)) => {
                tracing::debug!(file = %file.display(), reason = %why, "probing with ffmpeg");
            }
            Err(native::OutOfTime) => {
                return Err(ToolError::TimedOut {
                    program: "the in-process decoder".into(),
                    ms: tools.timeout.as_millis(),
                })
            }
        }
    }
    ffmpeg::examine(tools, file, deadline).await
}

#[cfg(test)]
mod tests;
