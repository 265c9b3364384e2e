//! The fake's endpoints for tests: participants connect with a token (as
//! LiveKit checks it at connect time), publish and leave; rooms close; the
//! events, requests and rooms are shown; faults are queued; the clock moves.

use super::rooms::{self, JoinRefusal, PublishRefusal};
use super::Shared;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use samia_sidecar::http::{ApiError, Body};
use samia_sidecar::livekit::models::DISCONNECT_REASONS;
use samia_sidecar::livekit::token::TokenError;
use serde_json::{json, Value};
use std::time::Duration;

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))
}

fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

/// A participant connects to `room` with `{"token": "..."}`.
pub async fn join(
    State(fake): State<Shared>,
    Path(room): Path<String>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(&body)?;
    let token = request
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let now = fake.now();
    let claims = fake.check(token, now).map_err(|e| match e {
        TokenError::Missing => unauthorized(e.code(), "no token: expected {\"token\": \"...\"}"),
        e => unauthorized(e.code(), format!("LiveKit would refuse this token: {e}")),
    })?;
    let grant = claims.video.filter(|v| v.room_join).ok_or_else(|| {
        unauthorized(
            "permission_denied",
            "the token does not allow joining a room (no video.roomJoin)",
        )
    })?;
    if grant.room.is_empty() {
        return Err(ApiError::bad_request(
            "the token's grant names no room (video.room)",
        ));
    }
    if grant.room != room {
        return Err(forbidden(
            "wrong_room",
            format!("the token admits to room {:?}, not {room:?}", grant.room),
        ));
    }
    let identity = claims
        .sub
        .ok_or_else(|| ApiError::bad_request("the token has no identity (sub)"))?;
    let name = claims.name.unwrap_or_default();
    let mut inner = fake.lock();
    let (participant, emits) = inner
        .rooms
        .join(&room, &identity, &name, &grant, now)
        .map_err(|JoinRefusal::Full(max)| {
            forbidden(
                "room_full",
                format!("room {room:?} already holds its {max} participants"),
            )
        })?;
    fake.emit(&mut inner, emits, now);
    Ok(Json(json!({ "room": room, "participant": participant })))
}

/// `identity` leaves `room`, for `{"reason": NAME}` (default `CLIENT_INITIATED`).
pub async fn leave(
    State(fake): State<Shared>,
    Path((room, identity)): Path<(String, String)>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(&body)?;
    let reason = match request.get("reason") {
        None | Some(Value::Null) => rooms::CLIENT_INITIATED,
        Some(Value::String(name)) => rooms::reason_number(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown reason {name:?}: one of {}",
                DISCONNECT_REASONS.join(", ")
            ))
        })?,
        Some(_) => return Err(ApiError::bad_request("\"reason\" must be a string")),
    };
    let now = fake.now();
    let mut inner = fake.lock();
    let emits = inner
        .rooms
        .leave(&room, &identity, reason, now)
        .ok_or_else(|| ApiError::not_found(format!("{identity:?} is not in room {room:?}")))?;
    fake.emit(&mut inner, emits, now);
    Ok(Json(json!({ "left": identity })))
}

/// `identity` publishes a track in `room`, if its grant allows it.
pub async fn publish(
    State(fake): State<Shared>,
    Path((room, identity)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    match fake.lock().rooms.publish(&room, &identity) {
        Ok(participant) => Ok(Json(json!({ "participant": participant }))),
        Err(PublishRefusal::NotInRoom) => Err(ApiError::not_found(format!(
            "{identity:?} is not in room {room:?}"
        ))),
        Err(PublishRefusal::NotAllowed) => Err(forbidden(
            "not_allowed",
            format!("{identity:?} may not publish: its token says canPublish false"),
        )),
    }
}

/// `room` closes now.
pub async fn finish(
    State(fake): State<Shared>,
    Path(room): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let now = fake.now();
    let mut inner = fake.lock();
    let emits = inner
        .rooms
        .close(&room, rooms::ROOM_CLOSED, now)
        .ok_or_else(|| ApiError::not_found(format!("no room {room:?} is open")))?;
    fake.emit(&mut inner, emits, now);
    Ok(Json(json!({ "finished": room })))
}

pub async fn rooms(State(fake): State<Shared>) -> Json<Value> {
    Json(fake.lock().rooms.snapshot())
}

pub async fn events(State(fake): State<Shared>) -> Json<Value> {
    Json(Value::Array(fake.lock().events.clone()))
}

pub async fn requests(State(fake): State<Shared>) -> Json<Value> {
    Json(Value::Array(fake.lock().requests.clone()))
}

pub async fn clock(State(fake): State<Shared>, Body(body): Body) -> Result<Json<Value>, ApiError> {
    let secs = json_body(&body)?
        .get("advance_secs")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::bad_request("expected {\"advance_secs\": N}"))?;
    fake.lock().offset += Duration::from_secs(secs);
    fake.close_idle();
    Ok(Json(
        json!({ "now": samia_sidecar::livekit::token::unix(fake.now()) }),
    ))
}
