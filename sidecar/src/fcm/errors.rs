//! Why a push was not sent, read from FCM's error shape:
//! `{"error": {"code": 404, "message": "...", "status": "NOT_FOUND",
//! "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
//! "errorCode": "UNREGISTERED"}, {"@type": "type.googleapis.com/google.rpc.BadRequest",
//! "fieldViolations": [{"field": "message.token", ...}]}]}}`. FCM's own
//! `errorCode` decides; the canonical `status` and the HTTP status only
//! where it says nothing more.

use crate::http::outbound::{ProviderError, Transport};
use serde_json::Value;
use std::time::Duration;

/// The `@type` of FCM's own error detail.
pub const FCM_ERROR_TYPE: &str = "type.googleapis.com/google.firebase.fcm.v1.FcmError";

/// The `@type` of the detail naming the fields a request got wrong.
pub const BAD_REQUEST_TYPE: &str = "type.googleapis.com/google.rpc.BadRequest";

/// Why FCM (or its token endpoint) did not take a message. Never holds an
/// access token, an assertion or the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FcmError {
    /// Passing trouble: `QUOTA_EXCEEDED` (429), `UNAVAILABLE` (503),
    /// `INTERNAL` (500), any other 5xx; try again after `retry_after`
    /// when FCM sent one.
    #[error("FCM asks to try again later (HTTP {status}, {code}){}: {message}", .retry_after.map(|d| format!(", after {} s", d.as_secs())).unwrap_or_default())]
    RetryLater {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The service account does not get messages sent: its token request
    /// was refused, or FCM refused a freshly fetched access token (401 or
    /// 403) twice. An operator must fix the account; `samia health` warns.
    #[error("FCM refused the service account {client_email} (project {project_id}): {reason}; check FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON (a deleted key, a disabled account, or one without the Firebase Cloud Messaging API Admin role)")]
    AccountRejected {
        project_id: String,
        client_email: String,
        reason: String,
    },
    /// FCM refused this message for good: `INVALID_ARGUMENT` about the
    /// payload, `SENDER_ID_MISMATCH` (the token belongs to another
    /// project), `THIRD_PARTY_AUTH_ERROR` (the project's APNs or web push
    /// credentials), or another client error.
    #[error("FCM refused the message (HTTP {status}, {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// No HTTP answer: timeout, refused or reset connection.
    #[error("FCM did not answer: {0}")]
    Transport(String),
    /// An answer that is not FCM's: `excerpt` is its start (a wrong
    /// FCM_BASE_URL, a gateway's page).
    #[error("FCM answered HTTP {status} with a body that is not its API's: {excerpt:?}")]
    Protocol { status: u16, excerpt: String },
    /// Refused before anything was sent: what was wrong with the message.
    #[error("{0}")]
    Request(String),
}

impl From<Transport> for FcmError {
    fn from(e: Transport) -> FcmError {
        FcmError::Transport(e.0)
    }
}

/// FCM's error answer, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// The canonical status: `NOT_FOUND`, `INVALID_ARGUMENT`, ...
    pub status: Option<String>,
    /// FCM's own `errorCode` detail: `UNREGISTERED`, `QUOTA_EXCEEDED`, ...
    pub fcm_code: Option<String>,
    pub message: String,
    /// The fields a `google.rpc.BadRequest` detail names.
    pub fields: Vec<String>,
}

impl ErrorBody {
    /// The `error` object of a JSON body, when there is one.
    pub fn parse(json: &Value) -> Option<ErrorBody> {
        let error = json.get("error").filter(|e| e.is_object())?;
        let text = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
        let details = error
            .get("details")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let of_type = |t: &'static str| {
            details
                .iter()
                .filter(move |d| d.get("@type").and_then(Value::as_str) == Some(t))
        };
        Some(ErrorBody {
            status: text(error, "status"),
            fcm_code: of_type(FCM_ERROR_TYPE).find_map(|d| text(d, "errorCode")),
            message: text(error, "message").unwrap_or_default(),
            fields: of_type(BAD_REQUEST_TYPE)
                .filter_map(|d| d.get("fieldViolations").and_then(Value::as_array))
                .flatten()
                .filter_map(|v| text(v, "field"))
                .collect(),
        })
    }

    /// The most precise code: FCM's own, else the canonical status.
    pub fn code(&self, http_status: u16) -> String {
        self.fcm_code
            .clone()
            .or_else(|| self.status.clone())
            .unwrap_or_else(|| format!("http_{http_status}"))
    }

    /// Whether an `INVALID_ARGUMENT` is about the registration token (its
    /// format, or a token FCM does not know), not the rest of the message.
    pub fn names_the_token(&self) -> bool {
        self.fields.iter().any(|f| f == "message.token")
            || self.message.to_lowercase().contains("registration token")
    }
}

/// What FCM's answer to a send means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The token will never work again: forget it.
    TokenDead {
        code: String,
        message: String,
    },
    /// The access token was refused (401 or 403 about the credentials).
    AuthRefused {
        status: u16,
        message: String,
    },
    Failed(FcmError),
}

/// FCM codes that come with 401 or 403 but are not about the access token.
const NOT_THE_ACCESS_TOKEN: &[&str] = &["THIRD_PARTY_AUTH_ERROR", "SENDER_ID_MISMATCH"];

/// Reads an error answer of `messages:send` (`body` `None`: not FCM's JSON,
/// `excerpt` the start of what came).
pub fn verdict(
    status: u16,
    body: Option<ErrorBody>,
    excerpt: String,
    retry_after: Option<Duration>,
) -> Verdict {
    let Some(body) = body else {
        return Verdict::Failed(FcmError::from_plain_answer(status, excerpt, retry_after));
    };
    let code = body.code(status);
    let message: String = Some(body.message.trim())
        .filter(|m| !m.is_empty())
        .unwrap_or("no error message")
        .chars()
        .take(300)
        .collect();
    let fcm_code = body.fcm_code.as_deref();
    if fcm_code == Some("UNREGISTERED") {
        return Verdict::TokenDead { code, message };
    }
    let invalid = fcm_code == Some("INVALID_ARGUMENT")
        || (fcm_code.is_none() && body.status.as_deref() == Some("INVALID_ARGUMENT"));
    if status == 400 && invalid && body.names_the_token() {
        return Verdict::TokenDead {
            code: "INVALID_ARGUMENT".into(),
            message,
        };
    }
    if matches!(status, 401 | 403) && !fcm_code.is_some_and(|c| NOT_THE_ACCESS_TOKEN.contains(&c)) {
        return Verdict::AuthRefused { status, message };
    }
    if status == 429 || status >= 500 {
        return Verdict::Failed(FcmError::RetryLater {
            status,
            code,
            message,
            retry_after,
        });
    }
    Verdict::Failed(FcmError::Rejected {
        status,
        code,
        message,
    })
}

impl FcmError {
    /// An answer without FCM's (or OAuth's) error shape.
    pub fn from_plain_answer(
        status: u16,
        excerpt: String,
        retry_after: Option<Duration>,
    ) -> FcmError {
        if status == 429 || status >= 500 {
            FcmError::RetryLater {
                status,
                code: format!("http_{status}"),
                message: excerpt,
                retry_after,
            }
        } else {
            FcmError::Protocol { status, excerpt }
        }
    }

    /// A refusal of the token endpoint, `{"error": code, "error_description"}`:
    /// Google failing (`internal_failure`, 429, 5xx) passes; anything else
    /// is the account's. The account's names are filled in by the client.
    pub fn from_token_refusal(
        status: u16,
        code: &str,
        description: &str,
        retry_after: Option<Duration>,
    ) -> FcmError {
        let reason = match description.trim() {
            "" => code.to_string(),
            d => format!("{code}: {}", d.chars().take(300).collect::<String>()),
        };
        if code == "internal_failure" || status == 429 || status >= 500 {
            FcmError::RetryLater {
                status,
                code: code.to_string(),
                message: format!("the token endpoint failed: {reason}"),
                retry_after,
            }
        } else {
            FcmError::AccountRejected {
                project_id: String::new(),
                client_email: String::new(),
                reason: format!("the token endpoint answered HTTP {status}, {reason}"),
            }
        }
    }

    /// Whether this is the account's fault, to be shown as a warning by
    /// `samia health` until an operator fixes it.
    pub fn is_account_rejected(&self) -> bool {
        matches!(self, FcmError::AccountRejected { .. })
    }
}

impl ProviderError for FcmError {
    /// Worth the same request later: FCM asking for it, no answer, or a
    /// gateway's page.
    fn is_retryable(&self) -> bool {
        matches!(self, FcmError::RetryLater { .. } | FcmError::Transport(_))
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            FcmError::RetryLater { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// FCM's code (`QUOTA_EXCEEDED`, `SENDER_ID_MISMATCH`, ...), or
    /// `account_rejected`, `transport`, `protocol`, `request`.
    fn code(&self) -> &str {
        match self {
            FcmError::RetryLater { code, .. } | FcmError::Rejected { code, .. } => code,
            FcmError::AccountRejected { .. } => "account_rejected",
            FcmError::Transport(_) => "transport",
            FcmError::Protocol { .. } => "protocol",
            FcmError::Request(_) => "request",
        }
    }

    /// The account, the project's APNs credentials or FCM_BASE_URL: an
    /// operator's fix, after which the same message goes.
    fn awaits_operator(&self) -> bool {
        match self {
            FcmError::AccountRejected { .. } | FcmError::Protocol { .. } => true,
            FcmError::Rejected { code, .. } => code == "THIRD_PARTY_AUTH_ERROR",
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fcm(status: u16, canonical: &str, code: Option<&str>, message: &str) -> Verdict {
        let mut details = vec![];
        if let Some(code) = code {
            details.push(json!({ "@type": FCM_ERROR_TYPE, "errorCode": code }));
        }
        let body = json!({ "error": {
            "code": status, "message": message, "status": canonical, "details": details,
        }});
        verdict(
            status,
            ErrorBody::parse(&body),
            String::new(),
            Some(Duration::from_secs(7)),
        )
    }

    #[test]
    fn dead_tokens_are_told_apart_from_bad_messages() {
        let unregistered = fcm(
            404,
            "NOT_FOUND",
            Some("UNREGISTERED"),
            "Requested entity was not found.",
        );
        assert!(
            matches!(unregistered, Verdict::TokenDead { ref code, .. } if code == "UNREGISTERED")
        );
        let bad_token = fcm(
            400,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            "The registration token is not a valid FCM registration token",
        );
        assert!(
            matches!(bad_token, Verdict::TokenDead { ref code, .. } if code == "INVALID_ARGUMENT")
        );
        // The token named by a BadRequest detail, as FCM also answers.
        let body = json!({ "error": {
            "code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT",
            "details": [
                { "@type": FCM_ERROR_TYPE, "errorCode": "INVALID_ARGUMENT" },
                { "@type": BAD_REQUEST_TYPE, "fieldViolations": [
                    { "field": "message.token", "description": "Invalid registration token" }] },
            ],
        }});
        assert!(matches!(
            verdict(400, ErrorBody::parse(&body), String::new(), None),
            Verdict::TokenDead { .. }
        ));
        // Another field wrong: the message's fault, not the token's.
        let data = fcm(
            400,
            "INVALID_ARGUMENT",
            None,
            "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
        );
        assert!(matches!(
            data,
            Verdict::Failed(FcmError::Rejected { status: 400, ref code, .. }) if code == "INVALID_ARGUMENT"
        ));
        // A 404 without FCM's UNREGISTERED is no dead token.
        let page = verdict(404, None, "<html>Not Found".into(), None);
        assert!(matches!(
            page,
            Verdict::Failed(FcmError::Protocol { status: 404, .. })
        ));
    }

    #[test]
    fn credentials_refusals_are_told_apart_from_the_projects_setup() {
        for (status, canonical) in [(401, "UNAUTHENTICATED"), (403, "PERMISSION_DENIED")] {
            assert!(matches!(
                fcm(
                    status,
                    canonical,
                    None,
                    "Request had invalid authentication credentials."
                ),
                Verdict::AuthRefused { .. }
            ));
        }
        let apns = fcm(
            401,
            "UNAUTHENTICATED",
            Some("THIRD_PARTY_AUTH_ERROR"),
            "Auth error from APNS or Web Push Service",
        );
        let Verdict::Failed(apns) = apns else {
            panic!("{apns:?}")
        };
        assert!(apns.awaits_operator() && !apns.is_retryable(), "{apns}");
        let mismatch = fcm(
            403,
            "PERMISSION_DENIED",
            Some("SENDER_ID_MISMATCH"),
            "SenderId mismatch",
        );
        let Verdict::Failed(mismatch) = mismatch else {
            panic!("{mismatch:?}")
        };
        assert!(!mismatch.awaits_operator() && !mismatch.is_retryable());
        assert_eq!(mismatch.code(), "SENDER_ID_MISMATCH");
    }

    #[test]
    fn passing_trouble_is_retried_after_what_fcm_asked() {
        for (status, canonical, code) in [
            (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
            (503, "UNAVAILABLE", "UNAVAILABLE"),
            (500, "INTERNAL", "INTERNAL"),
        ] {
            let Verdict::Failed(e) = fcm(status, canonical, Some(code), "m") else {
                panic!("{status}")
            };
            assert!(e.is_retryable(), "{e}");
            assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
            assert_eq!(e.code(), code);
            assert!(e.to_string().contains("after 7 s"), "{e}");
        }
        let Verdict::Failed(gateway) = verdict(502, None, "<html>".into(), None) else {
            panic!("a failure")
        };
        assert!(gateway.is_retryable() && gateway.code() == "http_502");
    }

    #[test]
    fn token_endpoint_refusals_are_the_accounts_unless_google_fails() {
        let refused =
            FcmError::from_token_refusal(400, "invalid_grant", "Invalid JWT Signature.", None);
        assert!(
            refused.is_account_rejected() && refused.awaits_operator() && !refused.is_retryable()
        );
        assert!(
            refused
                .to_string()
                .contains("invalid_grant: Invalid JWT Signature."),
            "{refused}"
        );
        assert!(
            refused.to_string().contains("FCM_SERVICE_ACCOUNT_FILE"),
            "{refused}"
        );
        for (status, code) in [
            (500, "internal_failure"),
            (400, "internal_failure"),
            (503, "x"),
        ] {
            let e = FcmError::from_token_refusal(status, code, "", Some(Duration::from_secs(2)));
            assert!(
                e.is_retryable() && e.retry_after() == Some(Duration::from_secs(2)),
                "{e}"
            );
        }
    }
}
