//! Why a call to LiveKit's RoomService gave no answer. Twirp errors are
//! `{"code": "not_found", "msg": "...", "meta": {...}}` with the HTTP status
//! of the code (twitchtv/twirp's spec); LiveKit's auth layer answers a bad
//! token with a plain-text 401 before Twirp sees the request
//! (livekit/livekit `pkg/service/auth.go`). The code decides; the HTTP
//! status only when the body is not Twirp's.

use crate::http::outbound::{ProviderError, Transport};
use std::time::Duration;

/// Why LiveKit did not do what was asked. Never holds a token or the API
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveKitError {
    /// `unauthenticated` (401) or `permission_denied` (403): the API key or
    /// secret is wrong, or the token's grant does not allow the call.
    #[error("LiveKit refused the credentials (HTTP {status}, {code}): {message}; check LIVEKIT_API_KEY and LIVEKIT_API_SECRET")]
    Denied {
        status: u16,
        code: String,
        message: String,
    },
    /// `not_found`: no such room or participant (for DeleteRoom and
    /// RemoveParticipant the client reports this as already done).
    #[error("LiveKit has no such room or participant (not_found): {message}")]
    NotFound { message: String },
    /// `resource_exhausted` (429): too many requests.
    #[error("LiveKit's rate limit was reached (resource_exhausted){}: {message}", .retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// `unavailable`, `internal`, `unknown`, `deadline_exceeded`, `canceled`,
    /// `aborted`, or any 5xx: try again later.
    #[error("LiveKit failed (HTTP {status}, {code}): {message}; try again later")]
    Unavailable {
        status: u16,
        code: String,
        message: String,
    },
    /// `invalid_argument`, `malformed`, `bad_route`, `out_of_range`,
    /// `failed_precondition`, `unimplemented`: a bug on this side or a
    /// LIVEKIT_URL that is not a LiveKit server.
    #[error("LiveKit refused the request ({code}): {message}")]
    Invalid {
        status: u16,
        code: String,
        message: String,
    },
    /// No HTTP answer: timeout, refused or reset connection.
    #[error("LiveKit did not answer: {0}")]
    Transport(String),
    /// An answer that is not LiveKit's: `excerpt` is its start.
    #[error("LiveKit answered HTTP {status} with a body that is not its API's: {excerpt:?}")]
    Protocol { status: u16, excerpt: String },
    /// Any other Twirp error, with its code.
    #[error("LiveKit refused the request (HTTP {status}, {code}): {message}")]
    Other {
        status: u16,
        code: String,
        message: String,
    },
    /// Refused before anything was sent: what was wrong with the request.
    #[error("{0}")]
    Request(String),
}

#[derive(Clone, Copy)]
enum Kind {
    Denied,
    NotFound,
    RateLimited,
    Unavailable,
    Invalid,
}

/// Twirp's codes and what each one means here.
const CODES: &[(&str, Kind)] = &[
    ("unauthenticated", Kind::Denied),
    ("permission_denied", Kind::Denied),
    ("not_found", Kind::NotFound),
    ("resource_exhausted", Kind::RateLimited),
    ("unavailable", Kind::Unavailable),
    ("internal", Kind::Unavailable),
    ("unknown", Kind::Unavailable),
    ("deadline_exceeded", Kind::Unavailable),
    ("canceled", Kind::Unavailable),
    ("aborted", Kind::Unavailable),
    ("invalid_argument", Kind::Invalid),
    ("malformed", Kind::Invalid),
    ("bad_route", Kind::Invalid),
    ("out_of_range", Kind::Invalid),
    ("failed_precondition", Kind::Invalid),
    ("unimplemented", Kind::Invalid),
];

impl LiveKitError {
    /// From a Twirp error body (`code` and `msg`), or from the status alone
    /// when the body was not Twirp's (`code` `None`, `message` the body's start).
    pub fn from_answer(
        status: u16,
        code: Option<&str>,
        message: &str,
        retry_after: Option<Duration>,
    ) -> LiveKitError {
        let message: String = Some(message.trim())
            .filter(|m| !m.is_empty())
            .unwrap_or("no error message")
            .chars()
            .take(300)
            .collect();
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        let kind = match code {
            Some(c) => CODES.iter().find(|(name, _)| *name == c).map(|(_, k)| *k),
            // A 404 page is a wrong URL, never a room already gone.
            None => match status {
                401 | 403 => Some(Kind::Denied),
                _ => None,
            },
        };
        let kind = kind.or(match status {
            429 => Some(Kind::RateLimited),
            s if s >= 500 => Some(Kind::Unavailable),
            _ => None,
        });
        let named = || {
            code.map(str::to_string)
                .unwrap_or_else(|| format!("http_{status}"))
        };
        match kind {
            Some(Kind::Denied) => LiveKitError::Denied {
                status,
                code: named(),
                message,
            },
            Some(Kind::NotFound) => LiveKitError::NotFound { message },
            Some(Kind::RateLimited) => LiveKitError::RateLimited {
                retry_after,
                message,
            },
            Some(Kind::Unavailable) => LiveKitError::Unavailable {
                status,
                code: named(),
                message,
            },
            Some(Kind::Invalid) => LiveKitError::Invalid {
                status,
                code: named(),
                message,
            },
            None if code.is_none() => LiveKitError::Protocol {
                status,
                excerpt: message,
            },
            None => LiveKitError::Other {
                status,
                code: named(),
                message,
            },
        }
    }
}

impl From<Transport> for LiveKitError {
    fn from(e: Transport) -> LiveKitError {
        LiveKitError::Transport(e.0)
    }
}

impl ProviderError for LiveKitError {
    /// Worth the same request again later: a rate limit, LiveKit failing,
    /// no answer at all, or a gateway's page instead of LiveKit's.
    fn is_retryable(&self) -> bool {
        match self {
            LiveKitError::RateLimited { .. }
            | LiveKitError::Unavailable { .. }
            | LiveKitError::Transport(_) => true,
            LiveKitError::Protocol { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// How long LiveKit asked to wait, when it did.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            LiveKitError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable name: Twirp's code, or `transport` / `protocol` / `request`.
    fn code(&self) -> &str {
        match self {
            LiveKitError::NotFound { .. } => "not_found",
            LiveKitError::RateLimited { .. } => "resource_exhausted",
            LiveKitError::Denied { code, .. }
            | LiveKitError::Unavailable { code, .. }
            | LiveKitError::Invalid { code, .. }
            | LiveKitError::Other { code, .. } => code,
            LiveKitError::Transport(_) => "transport",
            LiveKitError::Protocol { .. } => "protocol",
            LiveKitError::Request(_) => "request",
        }
    }

    /// Every other refusal, as far as a call job can tell, is LiveKit's
    /// configuration here (the key, the secret, a LIVEKIT_URL that is not
    /// LiveKit): a call must not stay open because a setting was wrong, so
    /// its job waits for the fix.
    fn awaits_operator(&self) -> bool {
        !self.is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twirp(status: u16, code: &str) -> LiveKitError {
        LiveKitError::from_answer(status, Some(code), "m", Some(Duration::from_secs(3)))
    }

    fn plain(status: u16) -> LiveKitError {
        LiveKitError::from_answer(status, None, "<html>", None)
    }

    #[test]
    fn the_twirp_code_decides_and_the_status_only_without_one() {
        assert!(matches!(
            twirp(401, "unauthenticated"),
            LiveKitError::Denied { .. }
        ));
        assert!(matches!(
            twirp(403, "permission_denied"),
            LiveKitError::Denied { .. }
        ));
        assert!(matches!(
            twirp(404, "not_found"),
            LiveKitError::NotFound { .. }
        ));
        assert_eq!(
            twirp(429, "resource_exhausted").retry_after(),
            Some(Duration::from_secs(3))
        );
        assert!(matches!(
            twirp(503, "unavailable"),
            LiveKitError::Unavailable { status: 503, .. }
        ));
        assert!(matches!(
            twirp(400, "invalid_argument"),
            LiveKitError::Invalid { .. }
        ));
        assert!(matches!(
            twirp(404, "bad_route"),
            LiveKitError::Invalid { .. }
        ));
        let exists = twirp(409, "already_exists");
        assert_eq!(exists.code(), "already_exists");
        assert!(matches!(exists, LiveKitError::Other { .. }));
        // LiveKit's auth layer answers a bad token in plain text.
        assert!(matches!(
            plain(401),
            LiveKitError::Denied { status: 401, .. }
        ));
        assert!(matches!(
            plain(502),
            LiveKitError::Unavailable { status: 502, .. }
        ));
        assert!(matches!(plain(429), LiveKitError::RateLimited { .. }));
        // A 404 page is not LiveKit saying "no such room".
        assert!(matches!(
            plain(404),
            LiveKitError::Protocol { status: 404, .. }
        ));
    }

    #[test]
    fn only_passing_trouble_is_retryable() {
        for e in [
            twirp(429, "resource_exhausted"),
            twirp(503, "unavailable"),
            twirp(500, "internal"),
            twirp(504, "deadline_exceeded"),
            plain(502),
            LiveKitError::Transport("timed out".into()),
            LiveKitError::Protocol {
                status: 503,
                excerpt: String::new(),
            },
        ] {
            assert!(e.is_retryable(), "{e}");
        }
        for e in [
            twirp(401, "unauthenticated"),
            twirp(404, "not_found"),
            twirp(400, "invalid_argument"),
            plain(404),
            LiveKitError::Request("no room".into()),
        ] {
            assert!(!e.is_retryable(), "{e}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let denied = twirp(401, "unauthenticated").to_string();
        assert!(denied.contains("LIVEKIT_API_SECRET"), "{denied}");
        let limited = twirp(429, "resource_exhausted").to_string();
        assert!(limited.contains("retry after 3 s"), "{limited}");
    }
}
