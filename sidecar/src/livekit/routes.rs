//! The call routes of `samia run` (CONTRACT.md sections 11 and 12):
//!
//! - `POST /v1/calls/{order_id}/join` with the user's Supabase access token
//!   answers `{url, room, identity, token, expires_at}`. The database
//!   decides who may join: `samia.call_join` runs as the caller, exactly as
//!   PostgREST runs a request (`SET LOCAL ROLE authenticated` with the
//!   token's claims), so RLS and block state are the authority. 401 for no
//!   or a bad token, 403 for a blocked caller, 404 for an order the caller
//!   cannot see (whether or not it exists), 409 outside the call's window.
//! - `POST /v1/webhooks/livekit` checks LiveKit's signature and body hash
//!   (401 otherwise) and hands the event to `samia.livekit_event`, which
//!   records it once by its id.

use super::client::{Grants, LiveKitClient};
use super::webhook::{self, EventKind};
use crate::db::Query as _;
use crate::http::auth::Verifier;
use crate::http::{ApiError, Body};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use deadpool_postgres::Pool;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What the call routes need.
pub struct Calls {
    pub pool: Pool,
    pub livekit: LiveKitClient,
    pub verifier: Verifier,
    /// How long a join token admits its holder.
    pub token_ttl: Duration,
}

pub fn router(calls: Calls) -> Router {
    Router::new()
        .route("/v1/calls/{order_id}/join", post(join))
        .route("/v1/webhooks/livekit", post(livekit_webhook))
        .with_state(Arc::new(calls))
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, "{what}");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        format!("{what}; try again shortly"),
    )
}

/// A database refusal as the HTTP answer the contract names.
fn refusal(e: &tokio_postgres::Error) -> Option<ApiError> {
    let db = e.as_db_error()?;
    let message = db.message().to_string();
    let (status, code) = match db.code().code() {
        "P0002" => (StatusCode::NOT_FOUND, "not_found"),
        "42501" => (StatusCode::FORBIDDEN, "forbidden"),
        "55000" => (StatusCode::CONFLICT, "not_now"),
        _ => return None,
    };
    Some(ApiError::new(status, code, message))
}

/// The request as PostgREST makes it, in one round trip: a query string of
/// several statements runs as one transaction (rolled back by any error),
/// so `set local` holds for the decision and ends with it. The claims come
/// from a verified token and go in dollar-quoted (refused if they hold the
/// quote's tag); the order id is a number.
fn join_script(claims: &str, order: i64) -> Option<String> {
    const TAG: &str = "$samia_claims$";
    if claims.contains(TAG) || claims.contains('\0') {
        return None;
    }
    Some(format!(
        "set local role authenticated; \
         select pg_catalog.set_config('request.jwt.claims', {TAG}{claims}{TAG}, true); \
         select samia.call_join({order})::text"
    ))
}

async fn join(
    State(calls): State<Arc<Calls>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let user = calls
        .verifier
        .verify(authorization)
        .await
        .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string()))?;
    let Ok(order) = order_id.parse::<i64>() else {
        return Err(ApiError::not_found(format!(
            "there is no call order {order_id:?}"
        )));
    };
    let client = calls
        .pool
        .get()
        .await
        .map_err(|e| unavailable("the database is not reachable", e))?;
    let claims = Value::Object(user.claims.clone()).to_string();
    let Some(script) = join_script(&claims, order) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token's claims cannot be passed on",
        ));
    };
    let decided = match client.simple_query(&script).await {
        Ok(messages) => messages.into_iter().rev().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        }),
        Err(e) => {
            return Err(refusal(&e).unwrap_or_else(|| {
                unavailable("cannot decide on the call", crate::error::describe(&e))
            }))
        }
    };
    let decided = decided.ok_or_else(|| unavailable("the database gave no decision", "no row"))?;
    let decision: Value = serde_json::from_str(&decided)
        .map_err(|e| unavailable("the database answered something unreadable", e))?;
    let room = decision["room"].as_str().unwrap_or_default();
    let hidden = decision["hidden"].as_bool().unwrap_or(true);
    let grants = if hidden {
        Grants::silent_monitor()
    } else {
        Grants::participant()
    };
    let Some(ttl) = window_ttl(
        calls.token_ttl,
        decision["closes_at"].as_str(),
        SystemTime::now(),
    ) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "outside_window",
            "the call's window has closed",
        ));
    };
    let (token, expires) = calls
        .livekit
        .access_token(&user.user, None, room, grants, ttl)
        .map_err(|e| unavailable("cannot mint the call token", e))?;
    tracing::info!(
        order,
        user = %user.user,
        role = decision["role"].as_str().unwrap_or_default(),
        hidden,
        "call token issued"
    );
    Ok(Json(json!({
        "url": calls.livekit.client_url(),
        "room": room,
        "identity": user.user,
        "token": token,
        "expires_at": rfc3339(expires),
        "role": decision["role"],
    })))
}

/// How long a join token may admit its holder: `longest`, but never past
/// `closes_at` (the end of the call's window, RFC 3339), so a token kept
/// after a drop, a block or the call's end opens nothing. `None` when the
/// window has closed (or its end is unreadable).
fn window_ttl(longest: Duration, closes_at: Option<&str>, now: SystemTime) -> Option<Duration> {
    let closes =
        time::OffsetDateTime::parse(closes_at?, &time::format_description::well_known::Rfc3339)
            .ok()?;
    let closes = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(
        u64::try_from(closes.unix_timestamp()).ok()?,
    ))?;
    let left = closes.duration_since(now).ok()?;
    let ttl = longest.min(Duration::from_secs(left.as_secs()));
    (ttl.as_secs() > 0).then_some(ttl)
}

fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

async fn livekit_webhook(
    State(calls): State<Arc<Calls>>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let event = webhook::verify(
        authorization,
        &body,
        calls.livekit.api_key(),
        calls.livekit.api_secret(),
        SystemTime::now(),
    )
    .map_err(|e| {
        let status = match e {
            webhook::WebhookError::Body(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNAUTHORIZED,
        };
        tracing::warn!(error = %e, "a LiveKit webhook was refused");
        ApiError::new(status, e.code(), e.to_string())
    })?;
    let room = event.room.as_ref().map(|r| r.name.clone());
    let sid = event
        .room
        .as_ref()
        .map(|r| r.sid.clone())
        .filter(|s| !s.is_empty());
    let identity = event.participant.as_ref().map(|p| p.identity.clone());
    let reason = event.disconnect_reason().map(str::to_string);
    let kind = event.event.as_str().to_string();
    let client = calls
        .pool
        .get()
        .await
        .map_err(|e| unavailable("the database is not reachable", e))?;
    let outcome: String = client
        .fetch_one(
            "select samia.livekit_event($1, $2, $3, $4, $5, $6)",
            &[&event.id, &kind, &room, &identity, &reason, &sid],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| unavailable("cannot record the event", crate::error::describe(&e)))?;
    if !matches!(event.event, EventKind::Other(_)) {
        tracing::info!(event = %kind, room = room.as_deref().unwrap_or(""), outcome = %outcome, "LiveKit event");
    }
    Ok(Json(json!({ "id": event.id, "outcome": outcome })))
}

#[cfg(test)]
mod tests {
    use super::{join_script, window_ttl};
    use std::time::{Duration, SystemTime};

    #[test]
    fn a_join_token_never_outlives_the_calls_window() {
        // 2026-12-07T12:00:00Z.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_644_800);
        let hour = Duration::from_secs(3600);
        assert_eq!(
            window_ttl(hour, Some("2026-12-07T12:10:00Z"), now),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            window_ttl(hour, Some("2026-12-07T14:00:00.000000Z"), now),
            Some(hour)
        );
        assert_eq!(window_ttl(hour, Some("2026-12-07T12:00:00Z"), now), None);
        assert_eq!(window_ttl(hour, Some("2026-12-07T11:00:00Z"), now), None);
        assert_eq!(window_ttl(hour, Some("not a time"), now), None);
        assert_eq!(window_ttl(hour, None, now), None);
    }

    #[test]
    fn the_join_script_quotes_the_claims_and_refuses_the_tag() {
        let script = join_script(r#"{"sub":"x","name":"O'Brien"}"#, 42).unwrap_or_default();
        assert!(script.contains(r#"$samia_claims${"sub":"x","name":"O'Brien"}$samia_claims$"#));
        assert!(script.ends_with("samia.call_join(42)::text"));
        assert_eq!(join_script(r#"{"x":"$samia_claims$; drop"}"#, 1), None);
    }
}
