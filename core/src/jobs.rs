//! The names the extension (which queues jobs in `ops.jobs`) and the sidecar
//! (which does them) must agree on: one copy each, here.

/// The channel `NOTIFY`ed when a job is queued; the sidecar `LISTEN`s on it.
pub const CHANNEL: &str = "samia_jobs";

/// Send a Twilio Verify code to a phone verification's number.
pub const PHONE_SEND_CODE: &str = "phone.send_code";

/// Check a code the user typed against Twilio Verify.
pub const PHONE_CHECK_CODE: &str = "phone.check_code";

/// Download a registered file from Storage and probe it (payload
/// `{"media_id", "bucket", "path"}`).
pub const MEDIA_PROBE: &str = "media.probe";

/// Every job kind, for operators' listings and checks.
pub const KINDS: [&str; 3] = [PHONE_SEND_CODE, PHONE_CHECK_CODE, MEDIA_PROBE];
