//! What a file is, read from its bytes (never from its name or declared
//! type): the container its first bytes announce and, for MP4, the layout
//! of its tracks. The in-process decoder takes a file only when this says
//! it is a container it reads; everything else goes to ffmpeg.

use std::io::{Read, Seek, SeekFrom};

/// The containers the in-process decoder reads, with what ffprobe calls
/// each (`format_name`), so both paths report the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Mp4,
    Adts,
    Mp3,
    Flac,
    Ogg,
    Wav,
}

impl Container {
    /// ffprobe's `format_name` of the container.
    pub const fn ffprobe_name(self) -> &'static str {
        match self {
            Container::Mp4 => "mov,mp4,m4a,3gp,3g2,mj2",
            Container::Adts => "aac",
            Container::Mp3 => "mp3",
            Container::Flac => "flac",
            Container::Ogg => "ogg",
            Container::Wav => "wav",
        }
    }
}

/// What the bytes say: a container for the in-process decoder, or why the
/// file is left to ffmpeg.
#[derive(Debug, Clone, PartialEq)]
pub enum Sniffed {
    Native(Container, Layout),
    Ffmpeg(String),
}

/// What the sniff read of a container beyond its first bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// Nothing: the decoder reads the container's header itself.
    Plain,
    Mp4(Mp4),
    /// Raw AAC: the number of frames (1024 samples each) that tile the
    /// file end to end.
    Adts {
        frames: u64,
    },
}

impl Layout {
    pub fn mp4(&self) -> Option<&Mp4> {
        match self {
            Layout::Mp4(mp4) => Some(mp4),
            _ => None,
        }
    }
}

/// The parts of an MP4 file's `moov` that decide how it is decoded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mp4 {
    /// `mvhd`: the movie's time scale and duration (what ffprobe reports as
    /// the file's duration).
    pub timescale: u32,
    pub duration: u64,
    pub tracks: Vec<Mp4Track>,
    /// An `mvex` box: a fragmented file, whose length is not in `mvhd`.
    pub fragmented: bool,
}

/// One `trak`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mp4Track {
    pub id: u32,
    /// `hdlr`: `soun`, `vide`, `text`, ...
    pub handler: [u8; 4],
    /// `mdhd`: the track's own time scale.
    pub timescale: u32,
    /// `elst` entries as (segment duration in the movie's time scale,
    /// media time in the track's, rate).
    pub edits: Vec<(u64, i64, i32)>,
}

impl Mp4 {
    /// The first sound track, as ffmpeg's `0:a:0` picks it.
    pub fn first_sound(&self) -> Option<&Mp4Track> {
        self.tracks.iter().find(|t| &t.handler == b"soun")
    }
}

impl Mp4Track {
    /// The encoder's priming to skip (track time scale units) when the track
    /// has one plain edit, `None` without an edit list. `Err` for the edit
    /// lists the in-process path does not apply (several segments, an empty
    /// edit, another rate).
    pub fn priming(&self) -> Result<Option<u64>, String> {
        match self.edits.as_slice() {
            [] => Ok(None),
            [(_, media_time, rate)] if *media_time >= 0 && *rate == 0x1_0000 => {
                Ok(Some(*media_time as u64))
            }
            _ => Err(format!(
                "an edit list of {} segments is applied by ffmpeg",
                self.edits.len()
            )),
        }
    }
}

/// The largest `moov` read into memory (a one-hour AAC file's is under 1 MiB).
const MAX_MOOV: u64 = 32 * 1024 * 1024;
/// The most boxes walked at one level.
const MAX_BOXES: usize = 4096;

/// Reads what `file` is.
pub fn sniff<F: Read + Seek>(file: &mut F, len: u64) -> std::io::Result<Sniffed> {
    let mut offset = 0u64;
    // Leading ID3v2 tags (MP3, ADTS or FLAC may follow one).
    for _ in 0..4 {
        let head = read_at(file, offset, 10)?;
        if head.len() == 10 && &head[..3] == b"ID3" {
            let size = head[6..10]
                .iter()
                .fold(0u64, |acc, b| (acc << 7) | u64::from(b & 0x7f));
            let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
            offset += 10 + size + footer;
        } else {
            break;
        }
    }
    let head = read_at(file, offset, 12)?;
    let ffmpeg = |why: &str| Ok(Sniffed::Ffmpeg(why.to_string()));
    if head.len() < 4 {
        return ffmpeg("too short to name its container");
    }
    if offset == 0 && head.len() >= 8 && &head[4..8] == b"ftyp" {
        return mp4(file, len);
    }
    if offset == 0 && head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Ok(Sniffed::Native(Container::Wav, Layout::Plain));
    }
    if offset == 0 && &head[..4] == b"OggS" {
        return Ok(Sniffed::Native(Container::Ogg, Layout::Plain));
    }
    if &head[..4] == b"fLaC" {
        return Ok(Sniffed::Native(Container::Flac, Layout::Plain));
    }
    if head[0] == 0xff && head[1] & 0xf6 == 0xf0 {
        return Ok(match adts_frames(file, offset, len)? {
            Ok(frames) => Sniffed::Native(Container::Adts, Layout::Adts { frames }),
            Err(why) => Sniffed::Ffmpeg(why),
        });
    }
    // MPEG audio frame sync, layer III (bits 01), a version that exists.
    if head[0] == 0xff && head[1] & 0xe0 == 0xe0 && head[1] & 0x06 == 0x02 && head[1] & 0x18 != 0x08
    {
        return Ok(Sniffed::Native(Container::Mp3, Layout::Plain));
    }
    ffmpeg("not a container the in-process decoder reads")
}

fn read_at<F: Read + Seek>(file: &mut F, offset: u64, n: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(n);
    file.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Counts the ADTS frames from `start`: each must begin where the one
/// before ends, with the first one's rate and channels and one raw block,
/// and the last must end at the end of the file (or before an ID3v1 tag). A
/// damaged header breaks the chain, and ffmpeg then decides.
fn adts_frames<F: Read + Seek>(
    file: &mut F,
    start: u64,
    len: u64,
) -> std::io::Result<Result<u64, String>> {
    let mut reader = std::io::BufReader::new(file);
    reader.seek(SeekFrom::Start(start))?;
    let (mut at, mut frames, mut first) = (start, 0u64, None);
    while at < len {
        let mut head = [0u8; 7];
        if len - at < 7 {
            break;
        }
        reader.read_exact(&mut head)?;
        if head[0] != 0xff || head[1] & 0xf6 != 0xf0 {
            if len - at == 128 && &head[..3] == b"TAG" {
                at = len;
            }
            break;
        }
        let size =
            (u64::from(head[3] & 0x03) << 11) | (u64::from(head[4]) << 3) | u64::from(head[5] >> 5);
        let header = if head[1] & 0x01 == 0 { 9 } else { 7 };
        // Profile, rate index and channels; and the raw blocks.
        let kind = (head[2] & 0xfd, head[3] & 0xc0);
        if size < header || head[6] & 0x03 != 0 || (head[2] >> 2) & 0x0f > 12 {
            return Ok(Err(format!("a damaged ADTS header at byte {at}")));
        }
        if *first.get_or_insert(kind) != kind {
            return Ok(Err(format!("the ADTS stream changes format at byte {at}")));
        }
        at += size;
        frames += 1;
        reader.seek_relative(size as i64 - 7)?;
    }
    Ok(if at == len {
        Ok(frames)
    } else {
        Err(format!(
            "ADTS frames that do not run to the end of the file (byte {at} of {len})"
        ))
    })
}

/// Walks the top-level boxes to `moov` and reads its tracks.
fn mp4<F: Read + Seek>(file: &mut F, len: u64) -> std::io::Result<Sniffed> {
    let mut offset = 0u64;
    for _ in 0..MAX_BOXES {
        if offset >= len {
            break;
        }
        let head = read_at(file, offset, 16)?;
        let Some((kind, header, size)) = box_header(&head, len - offset) else {
            return Ok(Sniffed::Ffmpeg(format!(
                "a broken MP4 box at byte {offset}"
            )));
        };
        if &kind == b"moov" {
            if size - header > MAX_MOOV {
                return Ok(Sniffed::Ffmpeg("an MP4 index over 32 MiB".into()));
            }
            let body = read_at(file, offset + header, (size - header) as usize)?;
            return Ok(match moov(&body) {
                Some(layout) => route(layout),
                None => Sniffed::Ffmpeg("an MP4 index the in-process decoder cannot read".into()),
            });
        }
        offset += size;
    }
    Ok(Sniffed::Ffmpeg(
        "an MP4 file without an index (moov)".into(),
    ))
}

/// Which path an MP4 file takes.
fn route(layout: Mp4) -> Sniffed {
    let why = if layout.tracks.iter().any(|t| &t.handler == b"vide") {
        Some("a video track".to_string())
    } else if layout.fragmented || layout.timescale == 0 || layout.duration == 0 {
        Some("a fragmented MP4 file".to_string())
    } else {
        match layout.first_sound().map(Mp4Track::priming) {
            None => Some("no sound track".to_string()),
            Some(Err(why)) => Some(why),
            Some(Ok(_)) => None,
        }
    };
    match why {
        Some(why) => Sniffed::Ffmpeg(why),
        None => Sniffed::Native(Container::Mp4, Layout::Mp4(layout)),
    }
}

/// A box header in `head`: its type, header length and whole size (at most
/// `left`, the bytes left in the file or parent).
fn box_header(head: &[u8], left: u64) -> Option<([u8; 4], u64, u64)> {
    let kind: [u8; 4] = head.get(4..8)?.try_into().ok()?;
    let size32 = u32::from_be_bytes(head.get(0..4)?.try_into().ok()?);
    let (header, size) = match size32 {
        0 => (8, left),
        1 => (16, u64::from_be_bytes(head.get(8..16)?.try_into().ok()?)),
        n => (8, u64::from(n)),
    };
    (size >= header && size <= left).then_some((kind, header, size))
}

/// The child boxes of a box body, as (type, body).
fn children(body: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let rest = body.get(at..)?;
        let (kind, header, size) = box_header(rest, rest.len() as u64)?;
        let (header, size) = (header as usize, size as usize);
        at += size;
        Some((kind, &rest[header..size]))
    })
    .take(MAX_BOXES)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads a full box's version-dependent (timescale-like, duration-like)
/// pair at `v0` (version 0, 32-bit fields) or `v1` (version 1, 64-bit).
fn versioned(body: &[u8], v0: usize, v1: usize) -> Option<(u32, u64)> {
    match body.first()? {
        0 => Some((be_u32(body, v0)?, u64::from(be_u32(body, v0 + 4)?))),
        1 => Some((be_u32(body, v1)?, be_u64(body, v1 + 4)?)),
        _ => None,
    }
}

fn moov(body: &[u8]) -> Option<Mp4> {
    let mut layout = Mp4::default();
    for (kind, child) in children(body) {
        match &kind {
            b"mvhd" => (layout.timescale, layout.duration) = versioned(child, 12, 20)?,
            b"mvex" => layout.fragmented = true,
            b"trak" => layout.tracks.push(trak(child)?),
            _ => {}
        }
    }
    Some(layout)
}

fn trak(body: &[u8]) -> Option<Mp4Track> {
    let mut track = Mp4Track::default();
    for (kind, child) in children(body) {
        match &kind {
            b"tkhd" => {
                track.id = match child.first()? {
                    0 => be_u32(child, 12)?,
                    _ => be_u32(child, 20)?,
                }
            }
            b"edts" => {
                if let Some((_, elst)) = children(child).find(|(k, _)| k == b"elst") {
                    track.edits = edits(elst)?;
                }
            }
            b"mdia" => {
                for (kind, part) in children(child) {
                    match &kind {
                        b"mdhd" => track.timescale = versioned(part, 12, 20)?.0,
                        b"hdlr" => track.handler = part.get(8..12)?.try_into().ok()?,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(track)
}

fn edits(elst: &[u8]) -> Option<Vec<(u64, i64, i32)>> {
    let version = *elst.first()?;
    let count = be_u32(elst, 4)? as usize;
    let entry = if version == 1 { 20 } else { 12 };
    if count > MAX_BOXES || elst.len() < 8 + count * entry {
        return None;
    }
    (0..count)
        .map(|i| {
            let at = 8 + i * entry;
            Some(if version == 1 {
                (
                    be_u64(elst, at)?,
                    be_u64(elst, at + 8)? as i64,
                    be_u32(elst, at + 16)? as i32,
                )
            } else {
                (
                    u64::from(be_u32(elst, at)?),
                    i64::from(be_u32(elst, at + 4)? as i32),
                    be_u32(elst, at + 8)? as i32,
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(version_flags: u32, rest: &[u32]) -> Vec<u8> {
        std::iter::once(version_flags)
            .chain(rest.iter().copied())
            .flat_map(u32::to_be_bytes)
            .collect()
    }

    /// An MP4 file with one track per handler; `edits` go on the sound track.
    fn mp4(handlers: &[&[u8; 4]], edits: &[(u32, i32)]) -> Vec<u8> {
        let mut moov = boxed(b"mvhd", &full(0, &[0, 0, 1000, 7300]));
        for (n, handler) in handlers.iter().enumerate() {
            let mut trak = boxed(b"tkhd", &full(0, &[0, 0, n as u32 + 1]));
            if handler == &b"soun" && !edits.is_empty() {
                let mut elst = vec![edits.len() as u32];
                for (duration, media_time) in edits {
                    elst.extend([*duration, *media_time as u32, 0x1_0000]);
                }
                trak.extend(boxed(b"edts", &boxed(b"elst", &full(0, &elst))));
            }
            let mut mdia = boxed(b"mdhd", &full(0, &[0, 0, 44100, 321930]));
            let mut hdlr = full(0, &[0]);
            hdlr.extend_from_slice(*handler);
            mdia.extend(boxed(b"hdlr", &hdlr));
            trak.extend(boxed(b"mdia", &mdia));
            moov.extend(boxed(b"trak", &trak));
        }
        let mut file = boxed(b"ftyp", b"M4A \0\0\0\0isomM4A ");
        file.extend(boxed(b"mdat", &[0; 64]));
        file.extend(boxed(b"moov", &moov));
        file
    }

    fn sniffed(bytes: &[u8]) -> Sniffed {
        sniff(&mut Cursor::new(bytes), bytes.len() as u64).expect("read from memory")
    }

    #[test]
    fn the_container_comes_from_the_first_bytes() {
        let mut id3 = b"ID3\x04\0\0\0\0\0\x05hello".to_vec();
        id3.extend([0xff, 0xfb, 0x90, 0x64]);
        for (bytes, container) in [
            (id3, Container::Mp3),
            (b"fLaC\0\0\0\x22".to_vec(), Container::Flac),
            (b"OggS\0\x02\0\0".to_vec(), Container::Ogg),
            (b"RIFF\x24\0\0\0WAVEfmt ".to_vec(), Container::Wav),
        ] {
            assert_eq!(
                sniffed(&bytes),
                Sniffed::Native(container, Layout::Plain),
                "{bytes:?}"
            );
        }
        for other in [
            b"#!AMR\n\x3c\x91".to_vec(),
            vec![0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81],
            b"not audio at all, just bytes".to_vec(),
            vec![0xff, 0xfd, 0x90, 0x64],
            b"ID3".to_vec(),
            Vec::new(),
        ] {
            assert!(matches!(sniffed(&other), Sniffed::Ffmpeg(_)), "{other:?}");
        }
    }

    #[test]
    fn an_mp4_file_is_read_by_its_tracks_and_edits() {
        let Sniffed::Native(Container::Mp4, Layout::Mp4(layout)) =
            sniffed(&mp4(&[b"soun"], &[(7300, 1024)]))
        else {
            panic!("an audio-only m4a is decoded in process");
        };
        assert_eq!((layout.timescale, layout.duration), (1000, 7300));
        let sound = layout.first_sound().expect("a sound track");
        assert_eq!((sound.id, sound.timescale), (1, 44100));
        assert_eq!(sound.priming(), Ok(Some(1024)));
        assert!(matches!(
            sniffed(&mp4(&[b"soun"], &[])),
            Sniffed::Native(Container::Mp4, Layout::Mp4(l)) if l.tracks[0].priming() == Ok(None)
        ));
        for (bytes, why) in [
            (mp4(&[b"vide", b"soun"], &[]), "video"),
            (mp4(&[b"soun", b"vide"], &[]), "video"),
            (mp4(&[b"text"], &[]), "no sound"),
            (mp4(&[b"soun"], &[(100, -1), (7200, 0)]), "edit list"),
        ] {
            let Sniffed::Ffmpeg(reason) = sniffed(&bytes) else {
                panic!("{why}: expected ffmpeg");
            };
            assert!(reason.contains(why), "{reason}");
        }
        let whole = mp4(&[b"soun"], &[]);
        for cut in [whole.len() - 3, 40, 12] {
            assert!(
                matches!(sniffed(&whole[..cut]), Sniffed::Ffmpeg(_)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn raw_aac_is_read_frame_by_frame_to_the_end() {
        // A frame of `size` bytes (header included), 44.1 kHz stereo LC.
        let frame = |size: usize| {
            let mut f = vec![0xff, 0xf1, 0x50, 0x80, 0, 0x1f, 0xfc];
            f[3] |= ((size >> 11) & 0x03) as u8;
            f[4] = ((size >> 3) & 0xff) as u8;
            f[5] = (((size & 0x07) << 5) as u8) | 0x1f;
            f.resize(size, 0x21);
            f
        };
        let stream: Vec<u8> = [frame(200), frame(180), frame(190)].concat();
        assert_eq!(
            sniffed(&stream),
            Sniffed::Native(Container::Adts, Layout::Adts { frames: 3 })
        );
        let mut tagged = stream.clone();
        tagged.extend(b"TAG");
        tagged.resize(stream.len() + 128, b' ');
        assert_eq!(
            sniffed(&tagged),
            Sniffed::Native(Container::Adts, Layout::Adts { frames: 3 })
        );
        let mut broken = stream.clone();
        broken[200 + 4] ^= 0x08; // the second frame's length
        let mut cut = stream.clone();
        cut.truncate(stream.len() - 1);
        let mut mono = stream.clone();
        mono[380 + 3] = 0x40; // the third frame's channels
        for bytes in [broken, cut, mono] {
            assert!(matches!(sniffed(&bytes), Sniffed::Ffmpeg(_)), "{bytes:?}");
        }
    }
}
