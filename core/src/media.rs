//! Files in Supabase Storage and the `media_assets` rows that describe them
//! (CONTRACT.md section 9): the buckets, who may register what, and the
//! verdict on a probed file. The migrations create the buckets listed in
//! [`BUCKETS`] (a test checks the database against this table); the
//! extension applies [`may_register`]; the sidecar's probe applies
//! [`verdict`].

use crate::roles::AppRole;
use std::fmt;

/// A Storage bucket of the product. All are private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub name: &'static str,
    /// `storage.buckets.file_size_limit`, in bytes.
    pub max_bytes: i64,
    /// Who uploads into `<their uid>/...` of the bucket through the API
    /// (nobody for `horoscopes`: the sidecar writes it).
    pub writers: &'static [AppRole],
    /// The `media_assets.kind`s its objects may be registered as; its
    /// allowed MIME types (`storage.buckets.allowed_mime_types`) are theirs.
    pub kinds: &'static [Kind],
}

impl Bucket {
    /// `storage.buckets.allowed_mime_types`: the types of its kinds.
    pub fn mime_types(&self) -> Vec<&'static str> {
        self.kinds
            .iter()
            .flat_map(|k| k.mime_types())
            .copied()
            .collect()
    }
}

/// The product's buckets.
pub const BUCKETS: [Bucket; 4] = [
    Bucket {
        name: "order-inputs",
        max_bytes: 20 * 1024 * 1024,
        writers: &[AppRole::Client],
        kinds: &[Kind::Image, Kind::Audio],
    },
    Bucket {
        name: "readings",
        max_bytes: 100 * 1024 * 1024,
        writers: &[AppRole::Reader],
        kinds: &[Kind::Audio],
    },
    Bucket {
        name: "horoscopes",
        max_bytes: 100 * 1024 * 1024,
        writers: &[],
        kinds: &[Kind::Audio],
    },
    // What the owner or a monitor uploads for a TikTok post (the post's
    // video or its sound); the sidecar extracts the audio into `horoscopes`.
    Bucket {
        name: "horoscope-sources",
        max_bytes: 500 * 1024 * 1024,
        writers: &[AppRole::Monitor, AppRole::Admin, AppRole::Superadmin],
        kinds: &[Kind::Audio, Kind::Video],
    },
];

/// The bucket of horoscope audio, written by the sidecar's ingest only.
pub const HOROSCOPES_BUCKET: &str = "horoscopes";

/// Is `path` a plain object name: segments separated by single `/`, none
/// empty, `.` or `..`, no leading `/`, no backslash, no control character?
/// Storage would keep other names, but they read differently to different
/// tools (a folder check, a download path, a shell), so none is accepted.
pub fn plain_path(path: &str) -> Result<(), String> {
    let why = if path.is_empty() {
        "it is empty"
    } else if path.starts_with('/') {
        "it starts with /"
    } else if path.contains('\\') {
        "it holds a backslash"
    } else if path.chars().any(char::is_control) {
        "it holds a control character"
    } else if path.split('/').any(str::is_empty) {
        "it has an empty segment (// or a trailing /)"
    } else if path.split('/').any(|s| s == "." || s == "..") {
        "it has a . or .. segment"
    } else {
        return Ok(());
    };
    Err(format!(
        "{path:?} is not a plain object name: {why}; use names such as <your id>/voice-note.m4a"
    ))
}

/// The bucket named `name`, if it is one of the product's.
pub fn bucket(name: &str) -> Option<&'static Bucket> {
    BUCKETS.iter().find(|b| b.name == name)
}

/// `media_assets.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Audio,
    /// A video whose sound is used (a TikTok post's source file).
    Video,
    Image,
    Pdf,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Audio,
        Kind::Video,
        Kind::Image,
        Kind::Pdf,
        Kind::Other,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Kind::Audio => "audio",
            Kind::Video => "video",
            Kind::Image => "image",
            Kind::Pdf => "pdf",
            Kind::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The MIME types a bucket accepts for this kind.
    pub const fn mime_types(self) -> &'static [&'static str] {
        match self {
            Kind::Audio => &[
                "audio/mpeg",
                "audio/mp4",
                "audio/x-m4a",
                "audio/aac",
                "audio/ogg",
                "audio/opus",
                "audio/wav",
                "audio/x-wav",
                "audio/webm",
                "audio/flac",
            ],
            Kind::Video => &["video/mp4", "video/quicktime", "video/webm"],
            Kind::Image => &["image/jpeg", "image/png", "image/webp", "image/heic"],
            Kind::Pdf => &["application/pdf"],
            Kind::Other => &[],
        }
    }

    /// Does a MIME type fit this kind?
    pub fn accepts(self, mime: &str) -> bool {
        let mime = mime.trim().to_ascii_lowercase();
        match self {
            Kind::Audio => mime.starts_with("audio/"),
            Kind::Video => mime.starts_with("video/"),
            Kind::Image => mime.starts_with("image/"),
            Kind::Pdf => mime == "application/pdf",
            Kind::Other => true,
        }
    }
}

/// `media_assets.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Registered, not probed yet (or changed in storage since).
    Pending,
    /// Probed: the file is what its kind says, within the limits.
    Ready,
    /// Probed and refused; `error` says why.
    Invalid,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Pending, Status::Ready, Status::Invalid];

    pub const fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Ready => "ready",
            Status::Invalid => "invalid",
        }
    }

    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Why a user may not register an object as media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not this user's to register (42501).
    Denied(String),
    /// A value that does not fit (22023).
    Invalid(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Denied(m) | Refusal::Invalid(m) => f.write_str(m),
        }
    }
}

/// May a user with `role` register the object at `bucket`/`path`, whose
/// stored MIME type is `mime`, as media of `kind`? The object's existence
/// and owner are checked by the caller (they live in the database).
pub fn may_register(
    role: AppRole,
    uid: &str,
    kind: &str,
    bucket_name: &str,
    path: &str,
    mime: Option<&str>,
) -> Result<Kind, Refusal> {
    let Some(kind) = Kind::from_name(kind) else {
        return Err(Refusal::Invalid(format!(
            "unknown media kind {kind:?}: use audio, image, pdf or other"
        )));
    };
    let Some(bucket) = bucket(bucket_name) else {
        let names: Vec<&str> = BUCKETS.iter().map(|b| b.name).collect();
        return Err(Refusal::Invalid(format!(
            "unknown bucket {bucket_name:?}: the product's buckets are {}",
            names.join(", ")
        )));
    };
    if !bucket.writers.contains(&role) {
        return Err(Refusal::Denied(match bucket.writers {
            [] => format!("files in {} are written by the system only", bucket.name),
            writers => format!(
                "only {} register files in {}",
                writers
                    .iter()
                    .map(|w| format!("{w}s"))
                    .collect::<Vec<_>>()
                    .join(", "),
                bucket.name
            ),
        }));
    }
    plain_path(path).map_err(Refusal::Invalid)?;
    let folder = path.split('/').next().unwrap_or("");
    if !folder.eq_ignore_ascii_case(uid) || !path.contains('/') {
        return Err(Refusal::Denied(format!(
            "{}/{path} is not in your folder: your files are under {}/{uid}/",
            bucket.name, bucket.name
        )));
    }
    if !bucket.kinds.contains(&kind) {
        return Err(Refusal::Invalid(format!(
            "{} holds {} files, not {}",
            bucket.name,
            bucket
                .kinds
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(" or "),
            kind.name()
        )));
    }
    if let Some(mime) = mime.filter(|m| !kind.accepts(m)) {
        return Err(Refusal::Invalid(format!(
            "{}/{path} is stored as {mime}, which is not {} media",
            bucket.name,
            kind.name()
        )));
    }
    Ok(kind)
}

/// `media_assets.url` of an object: its Storage API path for an
/// authenticated download, relative to the project's URL.
pub fn object_url(bucket: &str, path: &str) -> String {
    format!("/storage/v1/object/authenticated/{bucket}/{path}")
}

/// The longest audio accepted unless `app_config` `media.max_audio_seconds`
/// says otherwise.
pub const DEFAULT_MAX_AUDIO_SECONDS: f64 = 3600.0;

/// What the sidecar's probe found in a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    pub bytes: i64,
    /// The first audio stream's codec, if any.
    pub audio_codec: Option<String>,
    /// Whether a video stream other than an attached cover picture exists.
    pub has_video: bool,
    /// The container's duration in seconds, if known.
    pub duration_sec: Option<f64>,
    /// Whether the whole file decoded without errors.
    pub decodes: bool,
}

/// The limits a probed file is judged against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_bytes: i64,
    pub max_audio_seconds: f64,
}

/// Is a probed file fit to be `kind` media? The reason is for the person
/// who uploaded it.
pub fn verdict(kind: Kind, probe: &Probe, limits: Limits) -> Result<(), String> {
    if probe.bytes == 0 {
        return Err("the file is empty: upload it again".into());
    }
    if probe.bytes > limits.max_bytes {
        return Err(format!(
            "the file is {} bytes, over the limit of {} bytes: upload a smaller file",
            probe.bytes, limits.max_bytes
        ));
    }
    if kind == Kind::Video {
        // Only its sound is used.
        return match (&probe.audio_codec, probe.decodes) {
            (None, _) => Err("the video has no sound: upload one with the horoscope's audio".into()),
            (Some(_), false) => Err(
                "the video's sound cannot be decoded (the file is damaged or cut short): upload it again"
                    .into(),
            ),
            (Some(_), true) => Ok(()),
        };
    }
    if kind != Kind::Audio {
        return Ok(());
    }
    if probe.audio_codec.is_none() {
        return Err(if probe.has_video {
            "the file is a video without sound, not audio: upload an audio recording".into()
        } else {
            "the file is not audio: upload an audio recording (for example m4a or mp3)".into()
        });
    }
    if probe.has_video {
        return Err(
            "the file is a video, not audio: export the sound alone (for example as m4a)".into(),
        );
    }
    if !probe.decodes {
        return Err(
            "the audio cannot be decoded (the file is damaged or cut short): record or export it again"
                .into(),
        );
    }
    match probe.duration_sec {
        None | Some(0.0) => Err("the audio has no length: record or export it again".into()),
        Some(d) if d > limits.max_audio_seconds => Err(format!(
            "the audio lasts {:.0} s, over the limit of {:.0} s: shorten it",
            d, limits.max_audio_seconds
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_object_names_are_accepted() {
        let me = "10000000-0000-4000-8000-00000000000a";
        for good in [
            format!("{me}/voice.m4a"),
            format!("{me}/2026/12/cup 1.jpg"),
            format!("{me}/..hidden.m4a"),
        ] {
            assert_eq!(plain_path(&good), Ok(()), "{good}");
        }
        for bad in [
            String::new(),
            format!("/{me}/a.m4a"),
            format!("{me}//a.m4a"),
            format!("{me}/a.m4a/"),
            format!("{me}/../other/a.m4a"),
            format!("{me}/./a.m4a"),
            format!("{me}\\a.m4a"),
            format!("{me}/a\nb.m4a"),
            format!("{me}/a{}.m4a", '\u{7f}'),
        ] {
            assert!(plain_path(&bad).is_err(), "{bad:?}");
            assert!(
                matches!(
                    may_register(AppRole::Client, me, "audio", "order-inputs", &bad, None),
                    Err(Refusal::Invalid(_))
                ),
                "{bad:?}"
            );
        }
    }

    use super::*;

    const UID: &str = "10000000-0000-4000-8000-000000000001";

    #[test]
    fn who_registers_what_where() {
        let path = format!("{UID}/cup.jpg");
        assert_eq!(
            may_register(
                AppRole::Client,
                UID,
                "image",
                "order-inputs",
                &path,
                Some("image/jpeg")
            ),
            Ok(Kind::Image)
        );
        assert!(matches!(
            may_register(AppRole::Reader, UID, "image", "order-inputs", &path, None),
            Err(Refusal::Denied(_))
        ));
        assert!(matches!(
            may_register(AppRole::Client, UID, "audio", "readings", &path, None),
            Err(Refusal::Denied(_))
        ));
        assert!(matches!(
            may_register(AppRole::Reader, UID, "audio", "horoscopes", &path, None),
            Err(Refusal::Denied(_))
        ));
        // A monitor (or admin) brings a post's video; a reader or client cannot.
        let video = format!("{UID}/post.mp4");
        assert_eq!(
            may_register(
                AppRole::Monitor,
                UID,
                "video",
                "horoscope-sources",
                &video,
                Some("video/mp4")
            ),
            Ok(Kind::Video)
        );
        assert!(matches!(
            may_register(
                AppRole::Reader,
                UID,
                "video",
                "horoscope-sources",
                &video,
                None
            ),
            Err(Refusal::Denied(_))
        ));
        assert!(matches!(
            may_register(
                AppRole::Admin,
                UID,
                "image",
                "horoscope-sources",
                &video,
                None
            ),
            Err(Refusal::Invalid(_))
        ));
        // Someone else's folder, or no folder at all.
        let theirs = "10000000-0000-4000-8000-000000000002/cup.jpg";
        assert!(matches!(
            may_register(AppRole::Client, UID, "image", "order-inputs", theirs, None),
            Err(Refusal::Denied(_))
        ));
        assert!(matches!(
            may_register(AppRole::Client, UID, "image", "order-inputs", UID, None),
            Err(Refusal::Denied(_))
        ));
        // The wrong kind for the bucket or for the stored type.
        let answer = format!("{UID}/answer.m4a");
        assert!(matches!(
            may_register(AppRole::Reader, UID, "image", "readings", &answer, None),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            may_register(
                AppRole::Client,
                UID,
                "audio",
                "order-inputs",
                &path,
                Some("image/jpeg")
            ),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            may_register(AppRole::Client, UID, "audio", "elsewhere", &path, None),
            Err(Refusal::Invalid(_))
        ));
        assert!(matches!(
            may_register(AppRole::Client, UID, "movie", "order-inputs", &path, None),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(
            may_register(
                AppRole::Reader,
                UID,
                "audio",
                "readings",
                &answer,
                Some("audio/mp4")
            ),
            Ok(Kind::Audio)
        );
    }

    #[test]
    fn bucket_types_fit_their_kinds() {
        for b in BUCKETS {
            for mime in b.mime_types() {
                assert!(
                    b.kinds.iter().any(|k| k.accepts(mime)),
                    "{}: {mime}",
                    b.name
                );
            }
        }
    }

    #[test]
    fn verdicts() {
        let limits = Limits {
            max_bytes: 1000,
            max_audio_seconds: 60.0,
        };
        let good = Probe {
            bytes: 500,
            audio_codec: Some("aac".into()),
            has_video: false,
            duration_sec: Some(30.0),
            decodes: true,
        };
        assert_eq!(verdict(Kind::Audio, &good, limits), Ok(()));
        let with = |f: &dyn Fn(&mut Probe)| {
            let mut p = good.clone();
            f(&mut p);
            verdict(Kind::Audio, &p, limits).expect_err("refused")
        };
        assert!(with(&|p| p.bytes = 0).contains("empty"));
        assert!(with(&|p| p.bytes = 1001).contains("over the limit"));
        assert!(with(&|p| p.audio_codec = None).contains("not audio"));
        assert!(with(&|p| p.has_video = true).contains("video"));
        assert!(with(&|p| {
            p.has_video = true;
            p.audio_codec = None
        })
        .contains("video without sound"));
        assert!(with(&|p| p.decodes = false).contains("cannot be decoded"));
        assert!(with(&|p| p.duration_sec = Some(61.0)).contains("lasts 61 s"));
        assert!(with(&|p| p.duration_sec = None).contains("no length"));
        // A video is judged by its sound; its picture and length do not matter.
        let video = Probe {
            has_video: true,
            duration_sec: Some(600.0),
            ..good.clone()
        };
        assert_eq!(verdict(Kind::Video, &video, limits), Ok(()));
        let silent = Probe {
            audio_codec: None,
            ..video.clone()
        };
        assert!(verdict(Kind::Video, &silent, limits)
            .expect_err("refused")
            .contains("no sound"));
        let broken = Probe {
            decodes: false,
            ..video
        };
        assert!(verdict(Kind::Video, &broken, limits)
            .expect_err("refused")
            .contains("cannot be decoded"));
        // Images are judged by size only.
        let photo = Probe {
            bytes: 10,
            ..Probe::default()
        };
        assert_eq!(verdict(Kind::Image, &photo, limits), Ok(()));
    }
}
