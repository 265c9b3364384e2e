//! Why a call to TikTok gave no answer, mapped from TikTok's own error
//! codes. The Display API answers `{"error": {"code", "message", "log_id"}}`
//! (developers.tiktok.com/doc/tiktok-api-v2-error-handling); the token
//! endpoint answers OAuth's `{"error", "error_description", "log_id"}`
//! (developers.tiktok.com/doc/oauth-error-handling). The code decides; the
//! HTTP status only when there is no code.
//!
//! TikTok has no error code for an authorization the owner removed: it
//! sends the `authorization.removed` webhook and the token is already
//! revoked (developers.tiktok.com/doc/webhooks-events), so the API answers
//! `access_token_invalid`, and refreshing answers `invalid_grant`.

use crate::http::outbound::{ProviderError, Transport};
use std::time::Duration;

/// Why TikTok did not do what was asked. Never holds a token or the client
/// secret: messages are TikTok's, with anything the request sent as a
/// secret cut out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TikTokError {
    /// `access_token_invalid` (401): expired, revoked or unknown. Refresh
    /// the tokens and try again; when refreshing fails the authorization is gone.
    #[error("TikTok refused the access token (access_token_invalid): {message}{}; refresh the tokens and try again", log(.log_id))]
    AccessTokenInvalid {
        message: String,
        log_id: Option<String>,
    },
    /// `scope_not_authorized` (401) or `scope_permission_missed` (400): the
    /// owner did not grant `video.list`.
    #[error("TikTok says the owner did not allow what this needs ({code}): {message}{}; the owner must connect TikTok again and allow video.list", log(.log_id))]
    ScopeNotAuthorized {
        code: String,
        message: String,
        log_id: Option<String>,
    },
    /// `rate_limit_exceeded` (429): over 600 requests a minute.
    #[error("TikTok's rate limit was reached (rate_limit_exceeded){}: {message}{}", .retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default(), log(.log_id))]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
        log_id: Option<String>,
    },
    /// `invalid_params` (400), or OAuth's `invalid_request`: a bug on this side.
    #[error("TikTok refused the request as malformed ({code}): {message}{}", log(.log_id))]
    InvalidParams {
        code: String,
        message: String,
        log_id: Option<String>,
    },
    /// `internal_error` (500), OAuth's `server_error` and
    /// `temporarily_unavailable`, or any 5xx: try again later.
    #[error("TikTok failed (HTTP {status}, {code}): {message}{}; try again later", log(.log_id))]
    Internal {
        status: u16,
        code: String,
        message: String,
        log_id: Option<String>,
    },
    /// OAuth's `invalid_grant`: the code or refresh token is used, expired,
    /// revoked, or was issued for another redirect URI.
    #[error("TikTok refused the authorization (invalid_grant): {message}{}; the owner must connect TikTok again", log(.log_id))]
    InvalidGrant {
        message: String,
        log_id: Option<String>,
    },
    /// OAuth's `invalid_client` or `unauthorized_client`: the app's key or
    /// secret is wrong, or the app may not do this.
    #[error("TikTok refused the app's credentials ({code}): {message}{}; check TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET", log(.log_id))]
    InvalidClient {
        code: String,
        message: String,
        log_id: Option<String>,
    },
    /// No HTTP answer: timeout, refused or reset connection.
    #[error("TikTok did not answer: {0}")]
    Transport(String),
    /// An answer that is not TikTok's API: `excerpt` is its start.
    #[error("TikTok answered HTTP {status} with a body that is not its API's: {excerpt:?}")]
    Protocol { status: u16, excerpt: String },
    /// Any other refusal, with TikTok's code.
    #[error("TikTok refused the request (HTTP {status}, {code}): {message}{}", log(.log_id))]
    Other {
        status: u16,
        code: String,
        message: String,
        log_id: Option<String>,
    },
}

fn log(log_id: &Option<String>) -> String {
    log_id
        .as_ref()
        .map(|id| format!(" (log_id {id})"))
        .unwrap_or_default()
}

#[derive(Clone, Copy)]
enum Kind {
    AccessToken,
    Scope,
    RateLimit,
    Params,
    Internal,
    Grant,
    Client,
}

/// TikTok's codes, Display API and OAuth, and what each one means here.
const CODES: &[(&str, Kind)] = &[
    ("access_token_invalid", Kind::AccessToken),
    ("scope_not_authorized", Kind::Scope),
    ("scope_permission_missed", Kind::Scope),
    ("rate_limit_exceeded", Kind::RateLimit),
    ("invalid_params", Kind::Params),
    ("internal_error", Kind::Internal),
    ("invalid_grant", Kind::Grant),
    ("invalid_client", Kind::Client),
    ("unauthorized_client", Kind::Client),
    ("invalid_request", Kind::Params),
    ("server_error", Kind::Internal),
    ("temporarily_unavailable", Kind::Internal),
];

impl TikTokError {
    /// From an answer that carried an error: TikTok's code (when the body
    /// had one) decides, else the HTTP status.
    pub fn from_answer(
        status: u16,
        code: Option<&str>,
        message: Option<&str>,
        log_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> TikTokError {
        let message: String = message
            .filter(|m| !m.trim().is_empty())
            .unwrap_or("no error message")
            .chars()
            .take(300)
            .collect();
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        let kind = match code {
            Some(c) => CODES.iter().find(|(name, _)| *name == c).map(|(_, k)| *k),
            None => match status {
                400 => Some(Kind::Params),
                401 => Some(Kind::AccessToken),
                _ => None,
            },
        };
        let kind = kind.or(match status {
            429 => Some(Kind::RateLimit),
            s if s >= 500 => Some(Kind::Internal),
            _ => None,
        });
        let code = code
            .map(str::to_string)
            .unwrap_or_else(|| format!("http_{status}"));
        match kind {
            Some(Kind::AccessToken) => TikTokError::AccessTokenInvalid { message, log_id },
            Some(Kind::Scope) => TikTokError::ScopeNotAuthorized {
                code,
                message,
                log_id,
            },
            Some(Kind::RateLimit) => TikTokError::RateLimited {
                retry_after,
                message,
                log_id,
            },
            Some(Kind::Params) => TikTokError::InvalidParams {
                code,
                message,
                log_id,
            },
            Some(Kind::Internal) => TikTokError::Internal {
                status,
                code,
                message,
                log_id,
            },
            Some(Kind::Grant) => TikTokError::InvalidGrant { message, log_id },
            Some(Kind::Client) => TikTokError::InvalidClient {
                code,
                message,
                log_id,
            },
            None => TikTokError::Other {
                status,
                code,
                message,
                log_id,
            },
        }
    }

    /// Refreshing the tokens may help (and is the only thing that may).
    pub fn needs_refresh(&self) -> bool {
        matches!(self, TikTokError::AccessTokenInvalid { .. })
    }

    /// Nothing works again until an operator acts: the owner must connect
    /// TikTok again (a dead grant, a missing scope), or the app's
    /// credentials must be fixed. Syncing stops instead of retrying.
    pub fn stops_sync(&self) -> bool {
        matches!(
            self,
            TikTokError::InvalidGrant { .. }
                | TikTokError::ScopeNotAuthorized { .. }
                | TikTokError::InvalidClient { .. }
        )
    }
}

impl From<Transport> for TikTokError {
    fn from(e: Transport) -> TikTokError {
        TikTokError::Transport(e.0)
    }
}

impl ProviderError for TikTokError {
    /// Worth the same request again later: a rate limit, TikTok failing, no
    /// answer at all, or a gateway's page instead of TikTok's.
    fn is_retryable(&self) -> bool {
        match self {
            TikTokError::RateLimited { .. }
            | TikTokError::Internal { .. }
            | TikTokError::Transport(_) => true,
            TikTokError::Protocol { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// How long TikTok asked to wait, when it did.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            TikTokError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable name: TikTok's code, or `transport` / `protocol`.
    fn code(&self) -> &str {
        match self {
            TikTokError::AccessTokenInvalid { .. } => "access_token_invalid",
            TikTokError::RateLimited { .. } => "rate_limit_exceeded",
            TikTokError::InvalidGrant { .. } => "invalid_grant",
            TikTokError::ScopeNotAuthorized { code, .. }
            | TikTokError::InvalidParams { code, .. }
            | TikTokError::Internal { code, .. }
            | TikTokError::InvalidClient { code, .. }
            | TikTokError::Other { code, .. } => code,
            TikTokError::Transport(_) => "transport",
            TikTokError::Protocol { .. } => "protocol",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, code: Option<&str>) -> TikTokError {
        TikTokError::from_answer(
            status,
            code,
            Some("m"),
            Some("L1".into()),
            Some(Duration::from_secs(2)),
        )
    }

    #[test]
    fn the_code_decides_and_the_status_only_without_one() {
        assert!(matches!(
            answer(401, Some("access_token_invalid")),
            TikTokError::AccessTokenInvalid { .. }
        ));
        assert!(matches!(
            answer(401, Some("scope_not_authorized")),
            TikTokError::ScopeNotAuthorized { .. }
        ));
        assert!(matches!(
            answer(400, Some("scope_permission_missed")),
            TikTokError::ScopeNotAuthorized { .. }
        ));
        assert_eq!(
            answer(429, Some("rate_limit_exceeded")).retry_after(),
            Some(Duration::from_secs(2))
        );
        assert!(matches!(
            answer(500, Some("internal_error")),
            TikTokError::Internal { status: 500, .. }
        ));
        // OAuth errors may come with any status: the code still decides.
        assert!(matches!(
            answer(200, Some("invalid_grant")),
            TikTokError::InvalidGrant { .. }
        ));
        assert!(matches!(
            answer(401, Some("invalid_client")),
            TikTokError::InvalidClient { .. }
        ));
        // Without a code, the status.
        assert!(matches!(
            answer(401, None),
            TikTokError::AccessTokenInvalid { .. }
        ));
        assert!(matches!(
            answer(400, None),
            TikTokError::InvalidParams { .. }
        ));
        assert!(matches!(answer(429, None), TikTokError::RateLimited { .. }));
        assert!(matches!(
            answer(502, None),
            TikTokError::Internal { status: 502, .. }
        ));
        // An unknown code keeps its name; under a 5xx it is still retryable.
        let unknown = answer(403, Some("spam_risk_too_many_posts"));
        assert_eq!(unknown.code(), "spam_risk_too_many_posts");
        assert!(!unknown.is_retryable());
        assert!(answer(503, Some("brand_new_code")).is_retryable());
    }

    #[test]
    fn what_to_do_next_follows_from_the_error() {
        let retryable = [
            answer(429, Some("rate_limit_exceeded")),
            answer(500, Some("internal_error")),
            TikTokError::Transport("timed out".into()),
            TikTokError::Protocol {
                status: 502,
                excerpt: "<html>".into(),
            },
        ];
        for e in &retryable {
            assert!(
                e.is_retryable() && !e.stops_sync() && !e.needs_refresh(),
                "{e}"
            );
        }
        let stopping = [
            answer(400, Some("invalid_grant")),
            answer(401, Some("scope_not_authorized")),
            answer(401, Some("invalid_client")),
        ];
        for e in &stopping {
            assert!(e.stops_sync() && !e.is_retryable(), "{e}");
        }
        let expired = answer(401, Some("access_token_invalid"));
        assert!(expired.needs_refresh() && !expired.stops_sync() && !expired.is_retryable());
        let bug = answer(400, Some("invalid_params"));
        assert!(!bug.is_retryable() && !bug.stops_sync());
        assert!(!TikTokError::Protocol {
            status: 200,
            excerpt: String::new()
        }
        .is_retryable());
    }

    #[test]
    fn messages_name_the_code_the_log_id_and_what_to_do() {
        let e = answer(400, Some("invalid_grant"));
        let text = e.to_string();
        assert!(
            text.contains("invalid_grant") && text.contains("L1") && text.contains("connect"),
            "{text}"
        );
        let limited = answer(429, None).to_string();
        assert!(limited.contains("retry after 2 s"), "{limited}");
    }
}
