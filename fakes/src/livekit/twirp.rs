//! The fake's RoomService: LiveKit's auth layer (a bad token is a
//! plain-text 401 before Twirp sees the request: livekit/livekit
//! `pkg/service/auth.go`), the grant each method needs
//! (`pkg/service/roomservice.go`), Twirp's routing and error bodies, and
//! the faults queued for tests.

use super::rooms::{self, Create};
use super::{Fake, Shared, WEBHOOK};
use crate::faults::after_delay;
use crate::now_us;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samia_sidecar::http::Body;
use samia_sidecar::livekit::models::{int, text};
use samia_sidecar::livekit::token::{TokenError, VideoGrant};
use serde_json::{json, Value};
use std::time::SystemTime;

const SERVICE: &str = "livekit.RoomService";
const IMPLEMENTED: &[&str] = &[
    "CreateRoom",
    "DeleteRoom",
    "ListParticipants",
    "RemoveParticipant",
];
const UNIMPLEMENTED: &[&str] = &[
    "ListRooms",
    "GetParticipant",
    "MutePublishedTrack",
    "UpdateParticipant",
    "UpdateSubscriptions",
    "SendData",
    "UpdateRoomMetadata",
    "ForwardParticipant",
    "MoveParticipant",
    "PerformRpc",
];

/// The Twirp code an answer carried, for the request log.
#[derive(Clone)]
struct TwirpCode(String);

/// An error as Twirp answers it.
fn twirp_error(status: StatusCode, code: &str, msg: &str) -> Response {
    let mut response = (status, Json(json!({ "code": code, "msg": msg }))).into_response();
    response
        .extensions_mut()
        .insert(TwirpCode(code.to_string()));
    response
}

/// An error as LiveKit's auth layer answers it, before Twirp: plain text.
fn auth_error(msg: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg.to_string(),
    )
        .into_response()
}

fn permissions_denied() -> Response {
    twirp_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "permissions denied",
    )
}

/// Twirp's code for an HTTP status (its spec's table, read backwards).
fn code_for(status: u16) -> &'static str {
    match status {
        400 => "invalid_argument",
        401 => "unauthenticated",
        403 => "permission_denied",
        404 => "not_found",
        408 => "deadline_exceeded",
        409 => "already_exists",
        412 => "failed_precondition",
        429 => "resource_exhausted",
        501 => "unimplemented",
        503 => "unavailable",
        _ => "internal",
    }
}
impl Fake {
    fn log(&self, method: &str, response: &Response, request: &Value) {
        let code = response
            .extensions()
            .get::<TwirpCode>()
            .map(|c| c.0.clone());
        self.lock().requests.push(json!({
            "method": method, "status": response.status().as_u16(), "code": code,
            "room": text(request, "room").or_else(|| text(request, "name")),
            "identity": text(request, "identity"),
            "at_us": now_us(),
        }));
    }

    /// The next fault for `method`, after its delay: `None` when there is
    /// none or it only delays.
    async fn fault(&self, method: &str) -> Option<Response> {
        let fault = self.faults.take(|f| {
            let wanted = f.text("method").unwrap_or("any");
            wanted == method || (wanted == "any" && method != WEBHOOK)
        });
        let fault = after_delay(fault).await?;
        let status = fault.status(StatusCode::SERVICE_UNAVAILABLE);
        let mut response = if fault.flag("plain") {
            (
                status,
                [(header::CONTENT_TYPE, "text/html")],
                format!("<html><body><h1>{status}</h1>injected fault</body></html>"),
            )
                .into_response()
        } else {
            let code = fault
                .text("code")
                .unwrap_or_else(|| code_for(status.as_u16()));
            twirp_error(status, code, "injected fault")
        };
        if let Some(secs) = fault.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        Some(response)
    }

    /// The grant of the request's token, as LiveKit's auth layer reads it:
    /// `Ok(None)` without a token, `Err` with the text of its 401 for a bad one.
    fn authenticate(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<Option<VideoGrant>, String> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or("invalid authorization header. Must start with Bearer ")?;
        match self.check(token, now) {
            Ok(claims) => Ok(claims.video),
            Err(TokenError::UnknownKey(_)) => Err("invalid API key".into()),
            Err(TokenError::Malformed | TokenError::Missing) => {
                Err("invalid authorization token".into())
            }
            Err(e) => Err(format!("invalid authorization token: {e}")),
        }
    }

    /// One RoomService request, authenticated and parsed.
    fn serve(&self, method: &str, grant: Option<&VideoGrant>, request: &Value) -> Response {
        let room = text(request, "room").unwrap_or_default();
        let admin = grant.is_some_and(|g| g.room_admin && g.room == room);
        let create = grant.is_some_and(|g| g.room_create);
        let now = self.now();
        let mut inner = self.lock();
        match method {
            "CreateRoom" if create => {
                let Some(name) = text(request, "name") else {
                    return twirp_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_argument",
                        "room name is required",
                    );
                };
                let number = |field: &str| {
                    int(request, field)
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0)
                };
                let create = Create {
                    name,
                    empty_timeout: number("empty_timeout"),
                    departure_timeout: number("departure_timeout"),
                    max_participants: number("max_participants"),
                    metadata: text(request, "metadata").unwrap_or_default(),
                };
                let (room, emits) = inner.rooms.create(&create, now);
                self.emit(&mut inner, emits, now);
                Json(room).into_response()
            }
            "DeleteRoom" if create => match inner.rooms.close(&room, rooms::ROOM_DELETED, now) {
                Some(emits) => {
                    self.emit(&mut inner, emits, now);
                    Json(json!({})).into_response()
                }
                None => twirp_error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "requested room does not exist",
                ),
            },
            "ListParticipants" if admin => {
                Json(json!({ "participants": inner.rooms.participants(&room) })).into_response()
            }
            "RemoveParticipant" if admin => {
                let identity = text(request, "identity").unwrap_or_default();
                match inner
                    .rooms
                    .leave(&room, &identity, rooms::PARTICIPANT_REMOVED, now)
                {
                    Some(emits) => {
                        self.emit(&mut inner, emits, now);
                        Json(json!({})).into_response()
                    }
                    None => twirp_error(
                        StatusCode::NOT_FOUND,
                        "not_found",
                        "participant does not exist",
                    ),
                }
            }
            _ => permissions_denied(),
        }
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub async fn twirp(
    State(fake): State<Shared>,
    Path((service, method)): Path<(String, String)>,
    http_method: Method,
    uri: Uri,
    headers: HeaderMap,
    Body(body): Body,
) -> Response {
    let request = serde_json::from_slice::<Value>(&body)
        .ok()
        .filter(Value::is_object);
    let bad_route = |msg: String| twirp_error(StatusCode::NOT_FOUND, "bad_route", &msg);
    let response = if http_method != Method::POST {
        bad_route(format!(
            "unsupported method {:?} (only POST is allowed)",
            http_method.as_str()
        ))
    } else if service == SERVICE && UNIMPLEMENTED.contains(&method.as_str()) {
        twirp_error(
            StatusCode::NOT_IMPLEMENTED,
            "unimplemented",
            &format!("the fake LiveKit does not implement {method}"),
        )
    } else if service != SERVICE || !IMPLEMENTED.contains(&method.as_str()) {
        bad_route(format!("no handler for path {:?}", uri.path()))
    } else if !content_type(&headers).starts_with("application/json") {
        bad_route(format!(
            "unexpected Content-Type: {:?} (the fake LiveKit speaks JSON only)",
            content_type(&headers)
        ))
    } else if let Some(fault) = fake.fault(&method).await {
        fault
    } else {
        let now = fake.now();
        match (fake.authenticate(&headers, now), &request) {
            (Err(refused), _) => auth_error(&refused),
            (Ok(grant), Some(request)) => fake.serve(&method, grant.as_ref(), request),
            (Ok(_), None) => twirp_error(
                StatusCode::BAD_REQUEST,
                "malformed",
                "the json request could not be decoded",
            ),
        }
    };
    fake.log(&method, &response, request.as_ref().unwrap_or(&Value::Null));
    response
}
