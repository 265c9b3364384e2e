//! The fake's API answers, as TikTok shapes them: the Display API's
//! `{"data", "error": {"code", "message", "log_id"}}` and OAuth's
//! `{"error", "error_description", "log_id"}`, with the log id also in
//! `x-tt-logid`.

use super::state::{self, ApiRefusal, OauthRefusal};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::SystemTime;

/// An answer of the API, logged before it is sent.
pub struct Reply {
    pub status: u16,
    pub code: Option<String>,
    pub body: Value,
    pub retry_after: Option<u64>,
    pub log_id: Option<String>,
}

pub fn log_id(now: SystemTime) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("{}{}", state::unix(now), &hex[..20])
}

pub fn api_ok(data: Value, now: SystemTime) -> Reply {
    let id = log_id(now);
    Reply {
        status: 200,
        code: Some("ok".into()),
        body: json!({ "data": data, "error": { "code": "ok", "message": "", "log_id": id } }),
        retry_after: None,
        log_id: Some(id),
    }
}

pub fn api_error(refusal: &ApiRefusal, now: SystemTime) -> Reply {
    let id = log_id(now);
    Reply {
        status: refusal.status,
        code: Some(refusal.code.into()),
        body: json!({
            "data": {},
            "error": { "code": refusal.code, "message": refusal.message, "log_id": id },
        }),
        retry_after: None,
        log_id: Some(id),
    }
}

pub fn oauth_error(refusal: &OauthRefusal, now: SystemTime) -> Reply {
    let id = log_id(now);
    Reply {
        status: refusal.status,
        code: Some(refusal.error.into()),
        body: json!({
            "error": refusal.error,
            "error_description": refusal.description,
            "log_id": id,
        }),
        retry_after: None,
        log_id: Some(id),
    }
}

pub fn oauth_refusal(status: u16, error: &'static str, description: &str) -> OauthRefusal {
    OauthRefusal {
        status,
        error,
        description: description.into(),
    }
}

impl Reply {
    pub fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body)).into_response();
        if let Some(id) = self.log_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            response.headers_mut().insert("x-tt-logid", id);
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
