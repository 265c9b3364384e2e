//! The in-process probe: symphonia decodes the first audio track to its
//! end, the `ebur128` crate measures its integrated loudness (EBU R128, as
//! ffmpeg's `ebur128` filter does), and the length is read as ffprobe
//! reads it. It runs on tokio's blocking threads, at most as many at once
//! as the pool has permits, so it never holds up the runtime.
//!
//! It answers only when it is sure: a file it does not read, a decoder
//! error, a file cut short or a decoder panic hands the file to ffmpeg,
//! which gives the verdict (and the reason) it always gave.

use super::sniff::{self, Container, Layout, Mp4, Sniffed};
use super::{Audio, Streams};
use ebur128::{EbuR128, Mode};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoderOptions};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known::*;
use symphonia::core::formats::{FormatId, FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, ReadBytes};
use symphonia::core::meta::MetadataOptions;
use tokio::sync::Semaphore;

/// The codecs decoded in process, with ffprobe's name for each (the name
/// the report carries, whichever path probed the file).
const CODECS: &[(AudioCodecId, &str)] = &[
    (CODEC_ID_AAC, "aac"),
    (CODEC_ID_MP3, "mp3"),
    (CODEC_ID_FLAC, "flac"),
    (CODEC_ID_VORBIS, "vorbis"),
    (CODEC_ID_PCM_U8, "pcm_u8"),
    (CODEC_ID_PCM_S16LE, "pcm_s16le"),
    (CODEC_ID_PCM_S16BE, "pcm_s16be"),
    (CODEC_ID_PCM_S24LE, "pcm_s24le"),
    (CODEC_ID_PCM_S24BE, "pcm_s24be"),
    (CODEC_ID_PCM_S32LE, "pcm_s32le"),
    (CODEC_ID_PCM_S32BE, "pcm_s32be"),
    (CODEC_ID_PCM_F32LE, "pcm_f32le"),
    (CODEC_ID_PCM_F32BE, "pcm_f32be"),
    (CODEC_ID_PCM_F64LE, "pcm_f64le"),
    (CODEC_ID_PCM_F64BE, "pcm_f64be"),
    (CODEC_ID_PCM_ALAW, "pcm_alaw"),
    (CODEC_ID_PCM_MULAW, "pcm_mulaw"),
];

/// Where ffprobe takes a file's length from, per container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// `mvhd`: the movie's duration, which counts the edit list (so not
    /// the AAC encoder's priming).
    Movie,
    /// The frame count the header declares (FLAC's STREAMINFO, WAV's data
    /// size, Ogg's last granule), else what decodes.
    Declared,
    /// MP3's Xing/Info frame count times the frame length: encoder delay
    /// and padding included, as ffprobe reports it.
    DeclaredWithDelay,
    /// No length in the file (raw AAC): what decodes, priming included, as
    /// ffmpeg decodes it. (ffprobe only estimates it from the bit rate.)
    Decoded,
}

/// The containers decoded in process: symphonia's reader for each and
/// where its length comes from.
const CONTAINERS: [(Container, FormatId, Length); 6] = [
    (Container::Mp4, FORMAT_ID_ISOMP4, Length::Movie),
    (Container::Adts, FORMAT_ID_ADTS, Length::Decoded),
    (Container::Mp3, FORMAT_ID_MP3, Length::DeclaredWithDelay),
    (Container::Flac, FORMAT_ID_FLAC, Length::Declared),
    (Container::Ogg, FORMAT_ID_OGG, Length::Declared),
    (Container::Wav, FORMAT_ID_WAVE, Length::Declared),
];

/// AAC at or below this rate may carry SBR (HE-AAC) in its fill elements,
/// which symphonia does not synthesise: ffmpeg decodes those.
const HE_AAC_CORE_RATE: u32 = 24_000;

/// The samples of one raw AAC frame.
const ADTS_FRAME: u64 = 1024;

/// What ffmpeg's `ebur128` filter reports when no block passes the gate
/// (silence, or under 400 ms of sound).
const NO_GATED_BLOCK_LUFS: f64 = -70.0;

/// The result of the in-process probe.
#[derive(Debug)]
pub enum Outcome {
    /// Decoded to its end, or to past the longest audio allowed.
    Measured(Audio),
    /// Left to ffmpeg, and why.
    Ffmpeg(String),
}

/// The probe's time ran out (or its caller went away) while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfTime;

/// The bounded pool of in-process decoders.
#[derive(Debug, Clone)]
pub struct Native {
    permits: Arc<Semaphore>,
}

impl Native {
    /// At most `threads` files decoded at once (at least one).
    pub fn new(threads: usize) -> Native {
        Native {
            permits: Arc::new(Semaphore::new(threads.max(1))),
        }
    }

    /// Probes `file` on a blocking thread once a permit is free. Decoding
    /// stops once the audio passes `max_seconds` (its length is still
    /// found) and at `deadline`.
    pub async fn measure(
        &self,
        file: &Path,
        max_seconds: f64,
        deadline: tokio::time::Instant,
    ) -> Result<Outcome, OutOfTime> {
        let permit = tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| OutOfTime)?
            .map_err(|_| OutOfTime)?;
        let cancel = Arc::new(AtomicBool::new(false));
        // Dropping this future (the job given up) stops the decoding too.
        let _stop = CancelOnDrop(cancel.clone());
        let path = file.to_path_buf();
        let deadline = deadline.into_std();
        let decoding = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            guarded(&path, max_seconds, deadline, &cancel)
        });
        match decoding.await {
            Ok(outcome) => outcome,
            Err(e) => Ok(Outcome::Ffmpeg(format!(
                "the in-process decoder stopped: {e}"
            ))),
        }
    }
}

struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// [`decode`], with a panic of the decoder turned into a hand-over to ffmpeg.
pub fn guarded(
    path: &Path,
    max_seconds: f64,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<Outcome, OutOfTime> {
    shielded(path, || decode(path, max_seconds, deadline, cancel))
}

/// Runs `work`; a panic in it becomes a hand-over to ffmpeg, with the
/// panic's message as the reason.
pub fn shielded(
    path: &Path,
    work: impl FnOnce() -> Result<Outcome, OutOfTime>,
) -> Result<Outcome, OutOfTime> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        tracing::warn!(file = %path.display(), %message, "the in-process decoder panicked");
        Ok(Outcome::Ffmpeg(format!(
            "the in-process decoder panicked: {message}"
        )))
    })
}

/// Decodes `path` on the calling thread.
pub fn decode(
    path: &Path,
    max_seconds: f64,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<Outcome, OutOfTime> {
    let ffmpeg = |why: String| Ok(Outcome::Ffmpeg(why));
    let opened = File::open(path).and_then(|mut f| {
        let len = f.metadata()?.len();
        let sniffed = sniff::sniff(&mut f, len)?;
        f.seek(SeekFrom::Start(0))?;
        Ok((f, len, sniffed))
    });
    let (file, bytes, container, layout) = match opened {
        Ok((f, len, Sniffed::Native(container, layout))) => (f, len, container, layout),
        Ok((_, _, Sniffed::Ffmpeg(why))) => return ffmpeg(why),
        Err(e) => return ffmpeg(format!("cannot read the file: {e}")),
    };
    let Some(&(_, format, length)) = CONTAINERS.iter().find(|(c, _, _)| *c == container) else {
        return ffmpeg(format!("{container:?} has no in-process reader"));
    };
    let source = MediaSourceStream::new(Box::new(file), Default::default());
    let mut reader = match symphonia::default::get_probe().probe(
        &Hint::new(),
        source,
        FormatOptions::default(),
        MetadataOptions::default(),
    ) {
        Ok(reader) => reader,
        Err(e) => return ffmpeg(format!("symphonia cannot read it: {e}")),
    };
    if reader.format_info().format != format {
        return ffmpeg(format!(
            "symphonia read it as {}",
            reader.format_info().short_name
        ));
    }
    if reader
        .tracks()
        .iter()
        .any(|t| t.track_type() == Some(TrackType::Video))
    {
        return ffmpeg("a video track".into());
    }
    let Some(track) = reader
        .tracks()
        .iter()
        .find(|t| t.track_type() == Some(TrackType::Audio))
        .cloned()
    else {
        return ffmpeg("no audio track".into());
    };
    if let Some(sound) = layout.mp4().and_then(Mp4::first_sound) {
        if sound.id != track.id {
            return ffmpeg("its first sound track is not symphonia's".into());
        }
    }
    let Some(CodecParameters::Audio(params)) = &track.codec_params else {
        return ffmpeg("no audio track".into());
    };
    let Some(&(_, codec)) = CODECS.iter().find(|(id, _)| *id == params.codec) else {
        return ffmpeg(format!("codec {} is decoded by ffmpeg", params.codec));
    };
    let (Some(rate), Some(channels)) = (
        params.sample_rate.filter(|r| *r > 0),
        params
            .channels
            .as_ref()
            .map(|c| c.count())
            .filter(|c| *c > 0),
    ) else {
        return ffmpeg("no sample rate or channels".into());
    };
    if params.codec == CODEC_ID_AAC && rate <= HE_AAC_CORE_RATE {
        return ffmpeg(format!("AAC at {rate} Hz may be HE-AAC"));
    }
    let mut decoder = match symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
    {
        Ok(decoder) => decoder,
        Err(e) => return ffmpeg(format!("symphonia cannot decode it: {e}")),
    };
    let Ok(mut meter) = EbuR128::new(channels as u32, rate, Mode::I) else {
        return ffmpeg(format!(
            "no loudness meter for {channels} channels at {rate} Hz"
        ));
    };
    // MP4: the edit skips the encoder's priming and ends the sound.
    let mut edit = Edit::of(layout.mp4(), u64::from(rate));
    let limit_frames = (max_seconds * f64::from(rate)).ceil() as u64;
    let (mut decoded, mut beyond) = (0u64, 0u64);
    let mut samples: Vec<f32> = Vec::new();
    loop {
        if cancel.load(Ordering::Relaxed) || Instant::now() >= deadline {
            return Err(OutOfTime);
        }
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(e) => return ffmpeg(format!("reading after {decoded} frames: {e}")),
        };
        if packet.track_id != track.id {
            continue;
        }
        if decoded > limit_frames {
            // Over the limit: only the length is still wanted.
            beyond += packet.block_dur().get();
            continue;
        }
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            Err(e) => return ffmpeg(format!("decoding after {decoded} frames: {e}")),
        };
        if buffer.frames() == 0 {
            continue;
        }
        if buffer.spec().rate() != rate || buffer.spec().channels().count() != channels {
            return ffmpeg("the sample rate or channels change midway".into());
        }
        buffer.copy_to_vec_interleaved(&mut samples);
        let frames = buffer.frames() as u64;
        let (from, to) = edit.take(frames);
        decoded += frames;
        if from < to {
            let part = &samples[from as usize * channels..to as usize * channels];
            if meter.add_frames_f32(part).is_err() {
                return ffmpeg("the loudness meter refused the samples".into());
            }
        }
    }
    let over = decoded > limit_frames;
    let rate_f = f64::from(rate);
    let declared = track.num_frames;
    let untrimmed = declared
        .map(|n| n + u64::from(track.delay.unwrap_or(0)) + u64::from(track.padding.unwrap_or(0)));
    // What decoded must be what the file declares: fewer frames is a file
    // cut short, a different count a damaged header.
    let mismatch = !over
        && match (length, &edit, &layout) {
            (Length::Movie, Edit::Mp4 { wanted, slack, .. }, _) => edit.kept() + slack < *wanted,
            (Length::Movie, _, _) => declared.is_some_and(|n| decoded < n),
            (Length::Declared | Length::DeclaredWithDelay, _, _) => {
                declared.is_some_and(|n| decoded != n)
            }
            (Length::Decoded, _, Layout::Adts { frames }) => decoded != frames * ADTS_FRAME,
            (Length::Decoded, _, _) => false,
        };
    // An Ogg stream that ends before the file does (a damaged page read as
    // its last) is ffmpeg's to judge.
    let unread = if container == Container::Ogg && !over {
        bytes.saturating_sub(reader.into_inner().pos())
    } else {
        0
    };
    if unread > 0 {
        return ffmpeg(format!("the stream ends {unread} bytes before the file"));
    }
    if mismatch {
        return ffmpeg(format!(
            "{decoded} frames decoded, {} declared",
            declared.unwrap_or(0)
        ));
    }
    let seconds = match (length, layout.mp4()) {
        (Length::Movie, Some(mp4)) => mp4.duration as f64 / f64::from(mp4.timescale),
        (Length::Declared, _) if declared.is_some() => declared.unwrap_or(0) as f64 / rate_f,
        (Length::DeclaredWithDelay, _) if untrimmed.is_some() => {
            untrimmed.unwrap_or(0) as f64 / rate_f
        }
        _ => (decoded + beyond) as f64 / rate_f,
    };
    let loudness = if over {
        None
    } else {
        meter.loudness_global().ok().map(|l| {
            if l.is_finite() {
                (l * 100.0).round() / 100.0
            } else {
                NO_GATED_BLOCK_LUFS
            }
        })
    };
    Ok(Outcome::Measured(Audio {
        streams: Streams {
            audio_codec: Some(codec.into()),
            sample_rate: Some(rate),
            channels: Some(channels as u32),
            has_video: false,
            duration_sec: Some(seconds),
            duration_estimated: false,
            format: Some(container.ffprobe_name().into()),
            bit_rate: (seconds > 0.0).then(|| (bytes as f64 * 8.0 / seconds).round() as u64),
        },
        decodes: true,
        loudness,
        decoder: super::IN_PROCESS,
    }))
}

/// The part of the decoded frames the sound is made of.
enum Edit {
    /// Every frame.
    All,
    /// An MP4 edit: skip the priming, keep the edit's length (`slack`:
    /// the frames one tick of the movie's time scale is worth).
    Mp4 {
        skip: u64,
        wanted: u64,
        kept: u64,
        slack: u64,
    },
}

impl Edit {
    fn of(layout: Option<&Mp4>, rate: u64) -> Edit {
        let Some(mp4) = layout else { return Edit::All };
        let Some(sound) = mp4.first_sound() else {
            return Edit::All;
        };
        let Ok(Some(priming)) = sound.priming() else {
            return Edit::All;
        };
        let to_frames = |value: u64, scale: u32| -> u64 {
            if scale == 0 {
                0
            } else {
                (u128::from(value) * u128::from(rate) / u128::from(scale)) as u64
            }
        };
        let segment = sound.edits.first().map_or(0, |e| e.0);
        Edit::Mp4 {
            skip: to_frames(priming, sound.timescale),
            wanted: to_frames(segment, mp4.timescale),
            kept: 0,
            slack: to_frames(1, mp4.timescale) + 1,
        }
    }

    /// Of the next `frames` decoded frames, the range that belongs to the sound.
    fn take(&mut self, frames: u64) -> (u64, u64) {
        match self {
            Edit::All => (0, frames),
            Edit::Mp4 {
                skip, wanted, kept, ..
            } => {
                let from = (*skip).min(frames);
                *skip -= from;
                let to = from + (frames - from).min(wanted.saturating_sub(*kept));
                *kept += to - from;
                (from, to)
            }
        }
    }

    fn kept(&self) -> u64 {
        match self {
            Edit::All => 0,
            Edit::Mp4 { kept, .. } => *kept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_skips_the_priming_and_ends_the_sound() {
        let mut edit = Edit::Mp4 {
            skip: 1024,
            wanted: 2000,
            kept: 0,
            slack: 1,
        };
        assert_eq!(edit.take(1024), (1024, 1024));
        assert_eq!(edit.take(1024), (0, 1024));
        assert_eq!(edit.take(1024), (0, 976));
        assert_eq!(edit.take(1024), (0, 0));
        assert_eq!(edit.kept(), 2000);
        let mut late = Edit::Mp4 {
            skip: 1500,
            wanted: 10_000,
            kept: 0,
            slack: 1,
        };
        assert_eq!(late.take(1024), (1024, 1024));
        assert_eq!(late.take(1024), (476, 1024));
        assert_eq!(Edit::All.take(7), (0, 7));
    }

    #[test]
    fn every_container_has_one_reader() {
        for (container, _, _) in CONTAINERS {
            assert_eq!(
                CONTAINERS
                    .iter()
                    .filter(|(c, _, _)| *c == container)
                    .count(),
                1
            );
        }
        assert!(CODECS.iter().all(|(_, name)| !name.is_empty()));
    }
}
