//! The fake's answers in Google's shapes: FCM's errors
//! `{"error": {"code", "message", "status", "details"}}`, OAuth's token
//! errors `{"error", "error_description"}`, and injected faults.

use crate::faults::Fault;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samia_sidecar::fcm::{BAD_REQUEST_TYPE, FCM_ERROR_TYPE};
use serde_json::{json, Value};

/// Google's message for a request without valid credentials.
pub const INVALID_CREDENTIALS: &str = "Request had invalid authentication credentials. \
    Expected OAuth 2 access token, login cookie or other valid authentication credential. \
    See https://developers.google.com/identity/sign-in/web/devconsole-project.";

/// Google's message for a request with no credentials at all.
pub const MISSING_CREDENTIALS: &str = "Request is missing required authentication credential. \
    Expected OAuth 2 access token, login cookie or other valid authentication credential. \
    See https://developers.google.com/identity/sign-in/web/devconsole-project.";

/// An FCM error: what the fake refuses, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcmRefusal {
    pub status: StatusCode,
    pub message: String,
    /// FCM's own `errorCode` detail, when FCM sends one.
    pub fcm_code: Option<String>,
    /// A `google.rpc.BadRequest` detail: the field and its description.
    pub field: Option<(String, String)>,
}

/// The canonical status Google names for an HTTP status.
pub fn canonical(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        s if s >= 500 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    }
}

impl FcmRefusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> FcmRefusal {
        FcmRefusal {
            status,
            message: message.into(),
            fcm_code: None,
            field: None,
        }
    }

    /// With FCM's `errorCode`.
    pub fn code(mut self, code: &str) -> FcmRefusal {
        self.fcm_code = Some(code.to_string());
        self
    }

    /// With a `BadRequest` detail naming `field`.
    pub fn field(mut self, field: &str, description: impl Into<String>) -> FcmRefusal {
        self.field = Some((field.to_string(), description.into()));
        self
    }

    /// `INVALID_ARGUMENT` (400) with FCM's detail and the field at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> FcmRefusal {
        let message = message.into();
        FcmRefusal::new(StatusCode::BAD_REQUEST, message.clone())
            .code("INVALID_ARGUMENT")
            .field(field, message)
    }

    /// A JSON body Google's parser refuses, before FCM looks at it.
    pub fn unparsable(message: impl Into<String>) -> FcmRefusal {
        let message = format!("Invalid JSON payload received. {}", message.into());
        FcmRefusal::new(StatusCode::BAD_REQUEST, message.clone()).field("", message)
    }

    pub fn body(&self) -> Value {
        let mut details = Vec::new();
        if let Some(code) = &self.fcm_code {
            details.push(json!({ "@type": FCM_ERROR_TYPE, "errorCode": code }));
        }
        if let Some((field, description)) = &self.field {
            let mut violation = json!({ "description": description });
            if !field.is_empty() {
                violation["field"] = json!(field);
            }
            details.push(json!({ "@type": BAD_REQUEST_TYPE, "fieldViolations": [violation] }));
        }
        let mut error = json!({
            "code": self.status.as_u16(),
            "message": self.message,
            "status": canonical(self.status),
        });
        if !details.is_empty() {
            error["details"] = Value::Array(details);
        }
        json!({ "error": error })
    }

    /// The FCM `errorCode` (or canonical status) for the requests log.
    pub fn log_code(&self) -> String {
        self.fcm_code
            .clone()
            .unwrap_or_else(|| canonical(self.status).to_string())
    }
}

impl IntoResponse for FcmRefusal {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
            );
        }
        response
    }
}

/// FCM's error for the status of an injected fault (default: 503
/// `UNAVAILABLE`); `code` names another `errorCode`.
pub fn send_fault(fault: &Fault) -> FcmRefusal {
    let status = fault.status(StatusCode::SERVICE_UNAVAILABLE);
    let (code, message) = match status.as_u16() {
        400 => (
            Some("INVALID_ARGUMENT"),
            "Request contains an invalid argument.",
        ),
        401 => (None, INVALID_CREDENTIALS),
        403 => (None, "The caller does not have permission"),
        404 => (Some("UNREGISTERED"), "Requested entity was not found."),
        429 => (
            Some("QUOTA_EXCEEDED"),
            "Quota exceeded for quota metric 'Send requests' of service 'fcm.googleapis.com'.",
        ),
        500 => (Some("INTERNAL"), "Internal error encountered."),
        503 => (Some("UNAVAILABLE"), "The service is currently unavailable."),
        _ => (None, "Injected fault"),
    };
    let mut refusal = FcmRefusal::new(status, message);
    refusal.fcm_code = fault.text("code").or(code).map(str::to_string);
    refusal
}

/// OAuth's error answer of the token endpoint.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// The token endpoint's answer to an injected fault: Google failing
/// (`internal_failure`) for a 5xx, a refused grant otherwise; `code` names
/// another OAuth error.
pub fn token_fault(fault: &Fault) -> Response {
    let status = fault.status(StatusCode::SERVICE_UNAVAILABLE);
    let (error, description) = match status.as_u16() {
        s if s >= 500 => ("internal_failure", "Backend Error"),
        429 => ("rate_limit_exceeded", "Rate limit exceeded"),
        _ => ("invalid_grant", "Injected fault"),
    };
    oauth_error(status, fault.text("code").unwrap_or(error), description)
}

/// A gateway's page instead of Google's API (`"plain": true` faults).
pub fn plain_page(status: StatusCode) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=en><title>Error {0}</title><p><b>{0}.</b> That's an error.</html>\n",
        status.as_u16()
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        page,
    )
        .into_response()
}

/// Adds `Retry-After` when the fault asks for it.
pub fn with_retry_after(mut response: Response, fault: &Fault) -> Response {
    if let Some(secs) = fault.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
