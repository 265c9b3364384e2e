//! LiveKit's webhooks, checked and read as LiveKit's own receiver does
//! (livekit/protocol `webhook/verifier.go`; the sender is
//! `webhook/url_notifier.go`): the `Authorization` header holds a bare JWT
//! (no `Bearer`) of the API key, HS256 with its secret, valid 5 minutes,
//! whose `sha256` claim is the standard base64 of the SHA-256 of the exact
//! body bytes. Only then is the body read, tolerantly: unknown fields are
//! ignored, 64-bit integers may be strings or numbers, enums names or numbers.

use super::models::{int, text, Participant, Room};
use super::token::{self, Mint, TokenError};
use base64::Engine;
use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime};

/// The `Content-Type` LiveKit sends.
pub const CONTENT_TYPE: &str = "application/webhook+json";

/// How long LiveKit's webhook tokens live.
pub const TOKEN_TTL: Duration = Duration::from_secs(300);

/// Why a webhook was refused. None of these says anything about the
/// secret; the HTTP layer answers all of them 401 except [`WebhookError::Body`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("no Authorization header: LiveKit signs every webhook")]
    MissingAuthorization,
    #[error("the Authorization token was refused: {0}")]
    Token(TokenError),
    #[error("the body is not the one the token was signed for (sha256 claim {0})")]
    BodyMismatch(&'static str),
    /// Signed correctly, but not a webhook event LiveKit sends.
    #[error("the signed body is not a LiveKit event: {0}")]
    Body(String),
}

impl WebhookError {
    /// A short stable name.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::MissingAuthorization => "missing_authorization",
            WebhookError::Token(e) => e.code(),
            WebhookError::BodyMismatch(_) => "body_mismatch",
            WebhookError::Body(_) => "bad_event",
        }
    }
}

/// The kinds of event, by LiveKit's names (`webhook/consts.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    RoomStarted,
    RoomFinished,
    ParticipantJoined,
    ParticipantLeft,
    /// Left before the connection was ever up.
    ParticipantConnectionAborted,
    TrackPublished,
    TrackUnpublished,
    /// Anything else (egress, ingress, agents, kinds newer than this code).
    Other(String),
}

const KINDS: &[(&str, EventKind)] = &[
    ("room_started", EventKind::RoomStarted),
    ("room_finished", EventKind::RoomFinished),
    ("participant_joined", EventKind::ParticipantJoined),
    ("participant_left", EventKind::ParticipantLeft),
    (
        "participant_connection_aborted",
        EventKind::ParticipantConnectionAborted,
    ),
    ("track_published", EventKind::TrackPublished),
    ("track_unpublished", EventKind::TrackUnpublished),
];

impl EventKind {
    pub fn parse(name: &str) -> EventKind {
        KINDS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| EventKind::Other(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Other(name) => name,
            known => KINDS
                .iter()
                .find(|(_, k)| k == known)
                .map(|(n, _)| *n)
                .unwrap_or_default(),
        }
    }
}

/// One webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique per event (`EV_...`): LiveKit may deliver one more than once.
    pub id: String,
    pub event: EventKind,
    /// Unix seconds, when LiveKit sent it.
    pub created_at: Option<i64>,
    pub room: Option<Room>,
    /// For `participant_*` and `track_*` events.
    pub participant: Option<Participant>,
}

impl Event {
    /// Why the participant left (`participant_left`), e.g. `CLIENT_INITIATED`.
    pub fn disconnect_reason(&self) -> Option<&str> {
        self.participant.as_ref()?.disconnect_reason.as_deref()
    }

    /// Reads an event body; needs `id` and `event`.
    pub fn from_json(body: &[u8]) -> Result<Event, WebhookError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| WebhookError::Body(format!("not JSON: {e}")))?;
        if !v.is_object() {
            return Err(WebhookError::Body("not a JSON object".into()));
        }
        let id = text(&v, "id").ok_or_else(|| WebhookError::Body("no id".into()))?;
        let event = text(&v, "event").ok_or_else(|| WebhookError::Body("no event".into()))?;
        let room = match v.get("room").filter(|r| !r.is_null()) {
            None => None,
            Some(r) => Some(
                Room::from_json(r)
                    .ok_or_else(|| WebhookError::Body("a room without a name".into()))?,
            ),
        };
        let participant =
            match v.get("participant").filter(|p| !p.is_null()) {
                None => None,
                Some(p) => Some(Participant::from_json(p).ok_or_else(|| {
                    WebhookError::Body("a participant without an identity".into())
                })?),
            };
        Ok(Event {
            id,
            event: EventKind::parse(&event),
            created_at: int(&v, "created_at"),
            room,
            participant,
        })
    }
}

/// The standard base64 of the SHA-256 of `body`.
pub fn body_hash(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
}

/// Checks a webhook as LiveKit's receiver does and reads its event:
/// `authorization` is the `Authorization` header's value (a `Bearer ` in
/// front is tolerated), `body` the exact bytes received.
pub fn verify(
    authorization: Option<&str>,
    body: &[u8],
    key: &str,
    secret: &SecretString,
    now: SystemTime,
) -> Result<Event, WebhookError> {
    let raw = authorization
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or(WebhookError::MissingAuthorization)?;
    let raw = match raw.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => raw[7..].trim(),
        _ => raw,
    };
    let claims = token::verify(raw, key, secret, now).map_err(WebhookError::Token)?;
    let claimed = claims.sha256.ok_or(WebhookError::BodyMismatch("missing"))?;
    let actual = body_hash(body);
    if !constant_time_eq(claimed.as_bytes(), actual.as_bytes()) {
        return Err(WebhookError::BodyMismatch("differs"));
    }
    Event::from_json(body)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `Authorization` value LiveKit sends with `body`, signed at `now`.
pub fn sign_at(
    body: &[u8],
    key: &str,
    secret: &SecretString,
    now: SystemTime,
) -> Result<String, TokenError> {
    let hash = body_hash(body);
    let what = Mint {
        sha256: Some(&hash),
        ..Mint::default()
    };
    token::mint(key, secret, &what, now, TOKEN_TTL).map(|(jwt, _)| jwt)
}

/// The `Authorization` value LiveKit sends with `body`, signed now.
#[cfg(test)]
pub fn sign(body: &[u8], key: &str, secret: &SecretString) -> Result<String, TokenError> {
    sign_at(body, key, secret, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "APIhooks";

    fn secret() -> SecretString {
        SecretString::from("webhook-secret-of-32-characters-xxx")
    }

    /// A participant_left as LiveKit's protobuf JSON writes it.
    fn left() -> Vec<u8> {
        json!({
            "event": "participant_left",
            "room": {"sid": "RM_hycBMAjmt6Ub", "name": "call-42", "emptyTimeout": 300,
                     "departureTimeout": 20, "creationTime": "1717200000",
                     "creationTimeMs": "1717200000123", "numParticipants": 1},
            "participant": {"sid": "PA_Rr5JpCWgHqjA", "identity": "client-7",
                            "state": "DISCONNECTED", "joinedAt": "1717200010",
                            "name": "Ann", "version": 4,
                            "permission": {"canSubscribe": true, "canPublish": true,
                                           "canPublishData": true},
                            "isPublisher": true, "disconnectReason": "CLIENT_INITIATED",
                            "kindDetails": [], "someFutureField": {"x": 1}},
            "id": "EV_3aGcZ8mVnGyU",
            "createdAt": "1717200900",
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_signed_event_verifies_and_reads() {
        let body = left();
        let auth = sign(&body, KEY, &secret()).expect("signed");
        assert!(!auth.starts_with("Bearer"));
        let event = verify(Some(&auth), &body, KEY, &secret(), SystemTime::now()).expect("valid");
        assert_eq!(event.id, "EV_3aGcZ8mVnGyU");
        assert_eq!(event.event, EventKind::ParticipantLeft);
        assert_eq!(event.event.as_str(), "participant_left");
        assert_eq!(event.created_at, Some(1_717_200_900));
        let room = event.room.as_ref().expect("a room");
        assert_eq!(
            (room.name.as_str(), room.sid.as_str()),
            ("call-42", "RM_hycBMAjmt6Ub")
        );
        let p = event.participant.as_ref().expect("a participant");
        assert_eq!(
            (p.identity.as_str(), p.sid.as_str(), p.state.as_str()),
            ("client-7", "PA_Rr5JpCWgHqjA", "DISCONNECTED")
        );
        assert_eq!(event.disconnect_reason(), Some("CLIENT_INITIATED"));
        let bearer = format!("Bearer {auth}");
        assert!(verify(Some(&bearer), &body, KEY, &secret(), SystemTime::now()).is_ok());
    }

    #[test]
    fn anything_but_the_signed_body_and_a_good_token_is_refused() {
        let body = left();
        let now = SystemTime::now();
        let auth = sign(&body, KEY, &secret()).expect("signed");
        let mut changed = body.clone();
        changed.push(b' ');
        assert_eq!(
            verify(Some(&auth), &changed, KEY, &secret(), now),
            Err(WebhookError::BodyMismatch("differs"))
        );
        assert_eq!(
            verify(None, &body, KEY, &secret(), now),
            Err(WebhookError::MissingAuthorization)
        );
        assert_eq!(
            verify(Some(" "), &body, KEY, &secret(), now),
            Err(WebhookError::MissingAuthorization)
        );
        let wrong = SecretString::from("another-secret-of-32-characters-xx");
        let e = verify(Some(&auth), &body, KEY, &wrong, now).expect_err("refused");
        assert_eq!(e, WebhookError::Token(TokenError::BadSignature));
        assert_eq!(e.code(), "bad_signature");
        assert!(matches!(
            verify(Some(&auth), &body, "APIother", &secret(), now),
            Err(WebhookError::Token(TokenError::UnknownKey(_)))
        ));
        // Five minutes of life and one of leeway.
        let late = now + Duration::from_secs(362);
        assert!(matches!(
            verify(Some(&auth), &body, KEY, &secret(), late),
            Err(WebhookError::Token(TokenError::Expired(_)))
        ));
        assert!(verify(
            Some(&auth),
            &body,
            KEY,
            &secret(),
            now + Duration::from_secs(300)
        )
        .is_ok());
        // A token of the right key without a body hash proves nothing.
        let (bare, _) =
            token::mint(KEY, &secret(), &Mint::default(), now, TOKEN_TTL).expect("minted");
        assert_eq!(
            verify(Some(&bare), &body, KEY, &secret(), now),
            Err(WebhookError::BodyMismatch("missing"))
        );
        assert!(matches!(
            verify(Some("not-a-jwt"), &body, KEY, &secret(), now),
            Err(WebhookError::Token(TokenError::Malformed))
        ));
    }

    #[test]
    fn a_signed_body_that_is_no_event_is_refused_as_such() {
        for body in [&b"[1]"[..], b"{\"event\": \"room_started\"}", b"not json"] {
            let auth = sign(body, KEY, &secret()).expect("signed");
            let e =
                verify(Some(&auth), body, KEY, &secret(), SystemTime::now()).expect_err("refused");
            assert!(matches!(e, WebhookError::Body(_)), "{e}");
        }
        let numbers = json!({"id": "EV_1", "event": "egress_started", "createdAt": 1717200000});
        let body = numbers.to_string().into_bytes();
        let auth = sign(&body, KEY, &secret()).expect("signed");
        let event = verify(Some(&auth), &body, KEY, &secret(), SystemTime::now()).expect("valid");
        assert_eq!(event.event, EventKind::Other("egress_started".into()));
        assert_eq!(
            (event.created_at, event.room, event.participant),
            (Some(1717200000), None, None)
        );
    }

    #[test]
    fn the_hash_is_standard_base64_of_sha256() {
        // echo -n abc | sha256sum | xxd -r -p | base64
        assert_eq!(
            body_hash(b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }
}
