//! The error answers of the fake Storage, as Supabase Storage renders them
//! (`src/internal/errors/codes.ts`, `src/http/error-handler.ts` and
//! `src/storage/database/errors.ts` of supabase/storage): a body
//! `{"statusCode": "<status as text>", "code", "error", "message"}` sent
//! with HTTP 400, or 500 for an internal error.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// One of Storage's errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `httpStatusCode`, shown in the body as text.
    pub status: u16,
    pub code: &'static str,
    /// The backwards-compatible `error` field (the code when absent).
    pub error: Option<&'static str>,
    pub message: String,
}

impl Refusal {
    fn new(
        status: u16,
        code: &'static str,
        error: Option<&'static str>,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal {
            status,
            code,
            error,
            message: message.into(),
        }
    }

    pub fn no_such_key() -> Refusal {
        Refusal::new(404, "NoSuchKey", Some("not_found"), "Object not found")
    }

    pub fn no_such_bucket() -> Refusal {
        Refusal::new(
            404,
            "NoSuchBucket",
            Some("Bucket not found"),
            "Bucket not found",
        )
    }

    pub fn key_exists() -> Refusal {
        Refusal::new(
            409,
            "KeyAlreadyExists",
            Some("Duplicate"),
            "The resource already exists",
        )
    }

    pub fn resource_exists() -> Refusal {
        Refusal::new(
            409,
            "ResourceAlreadyExists",
            Some("Duplicate"),
            "The resource already exists",
        )
    }

    pub fn too_large() -> Refusal {
        Refusal::new(
            413,
            "EntityTooLarge",
            Some("Payload too large"),
            "The object exceeded the maximum allowed size",
        )
    }

    pub fn invalid_mime(mime: &str) -> Refusal {
        Refusal::new(
            415,
            "InvalidMimeType",
            Some("invalid_mime_type"),
            format!("mime type {mime} is not supported"),
        )
    }

    pub fn access_denied(message: impl Into<String>) -> Refusal {
        Refusal::new(403, "AccessDenied", Some("Unauthorized"), message)
    }

    pub fn invalid_jwt(message: impl Into<String>) -> Refusal {
        Refusal::new(400, "InvalidJWT", None, message)
    }

    pub fn invalid_signature() -> Refusal {
        Refusal::new(
            400,
            "InvalidSignature",
            None,
            "The url do not match the signature",
        )
    }

    pub fn invalid_key(key: &str) -> Refusal {
        Refusal::new(400, "InvalidKey", None, format!("Invalid key: {key}"))
    }

    pub fn invalid_request(message: impl Into<String>) -> Refusal {
        Refusal::new(400, "InvalidRequest", None, message)
    }

    pub fn internal(message: impl Into<String>) -> Refusal {
        Refusal::new(500, "InternalError", None, message)
    }

    /// A database error, as `DBError.fromDBError` maps SQLSTATEs.
    pub fn from_db(e: &tokio_postgres::Error) -> Refusal {
        let Some(db) = e.as_db_error() else {
            return Refusal::new(
                500,
                "DatabaseError",
                None,
                format!("database error: {}", samia_sidecar::error::describe(e)),
            );
        };
        let code = db.code().code();
        match code {
            "42501" if db.message().contains("row-level security") => {
                Refusal::access_denied("new row violates row-level security policy")
            }
            "42501" => Refusal::access_denied(db.message()),
            "23505" => Refusal::resource_exists(),
            "23503" => Refusal::new(
                404,
                "InvalidRequest",
                None,
                "The related resource does not exist",
            ),
            "55P03" => Refusal::new(423, "ResourceLocked", None, "The resource is locked"),
            "57014" => Refusal::new(
                544,
                "DatabaseTimeout",
                None,
                "The connection to the database timed out",
            ),
            "25006" => Refusal::new(
                503,
                "DatabaseReadOnly",
                None,
                "The database is currently in read-only mode. Please try again later.",
            ),
            "22P02" => Refusal::new(400, "InvalidParameter", None, db.message()),
            _ => Refusal::new(
                500,
                "DatabaseError",
                None,
                format!("database error, code: {code}"),
            ),
        }
    }

    /// The HTTP status of the answer: 500 for an internal error, 544 for a
    /// database timeout, 400 for everything else.
    pub fn http_status(&self) -> StatusCode {
        match self.status {
            500 => StatusCode::INTERNAL_SERVER_ERROR,
            544 => StatusCode::from_u16(544).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.http_status(),
            Json(json!({
                "statusCode": self.status.to_string(),
                "code": self.code,
                "error": self.error.unwrap_or(self.code),
                "message": self.message,
            })),
        )
            .into_response()
    }
}

/// A request the router itself refuses (Fastify's own errors): the real
/// HTTP status, with the status as text in the body.
pub fn framework(status: StatusCode, error: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "statusCode": status.as_u16().to_string(),
            "error": error,
            "message": message,
        })),
    )
        .into_response()
}

/// An injected fault: a real 429 (a busy database, as Storage answers it)
/// or an outage with the status asked for.
pub fn fault(status: StatusCode, retry_after: Option<u64>) -> Response {
    let mut response = if status == StatusCode::TOO_MANY_REQUESTS {
        (
            status,
            Json(json!({
                "statusCode": "429",
                "error": "too_many_connections",
                "code": "SlowDown",
                "message": "Too many connections issued to the database",
            })),
        )
            .into_response()
    } else {
        (
            status,
            Json(json!({
                "statusCode": status.as_u16().to_string(),
                "code": "InternalError",
                "error": "InternalError",
                "message": "Injected fault",
            })),
        )
            .into_response()
    };
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_http_400_with_the_status_as_text() {
        let r = Refusal::no_such_key();
        assert_eq!(r.http_status(), StatusCode::BAD_REQUEST);
        assert_eq!(Refusal::too_large().status, 413);
        assert_eq!(
            Refusal::internal("x").http_status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            Refusal::invalid_mime("text/plain").message,
            "mime type text/plain is not supported"
        );
    }
}
