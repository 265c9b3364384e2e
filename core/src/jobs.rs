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

/// List the owner's TikTok posts and record the new ones (payload
/// `{"full": bool}`: a full listing also flags posts TikTok no longer
/// lists). One is queued or running at a time.
pub const TIKTOK_SYNC: &str = "tiktok.sync";

/// Make a post's audio: extract the sound of an attached file (payload
/// `{"post_id", "media_id", "bucket", "path"}`) or of what the operator's
/// fetch command downloads (`{"post_id", "share_url"}`), store it in the
/// horoscopes bucket and link it to the post.
pub const TIKTOK_AUDIO: &str = "tiktok.audio";

/// End a call at LiveKit: delete its room (payload `{"order_id", "room"}`).
pub const LIVEKIT_DELETE_ROOM: &str = "livekit.delete_room";

/// Take one participant out of a call's room (payload `{"order_id",
/// "room", "identity"}`): a party blocked during the call.
pub const LIVEKIT_REMOVE_PARTICIPANT: &str = "livekit.remove_participant";

/// Push one notice to one device through FCM (payload `{"send_id"}`, a row
/// of `ops.push_sends`, queued with it when the notice was made).
pub const PUSH_SEND: &str = "push.send";

/// Remind a call's client and reader (payload `{"order_id", "scheduled_at",
/// "minutes"}`); a reminder of a call since moved or ended does nothing.
pub const CALL_REMIND: &str = "call.remind";

/// Check a call at a deadline (payload `{"order_id", "check"}`, `check`
/// `missed`: the reader has not joined in time; `overrun`: the call ran past
/// the service's maximum) and end it at LiveKit when it must end.
pub const CALL_DEADLINE: &str = "call.deadline";

/// Every job kind, for operators' listings and checks.
pub const KINDS: [&str; 10] = [
    PHONE_SEND_CODE,
    PHONE_CHECK_CODE,
    MEDIA_PROBE,
    TIKTOK_SYNC,
    TIKTOK_AUDIO,
    LIVEKIT_DELETE_ROOM,
    LIVEKIT_REMOVE_PARTICIPANT,
    CALL_REMIND,
    CALL_DEADLINE,
    PUSH_SEND,
];
