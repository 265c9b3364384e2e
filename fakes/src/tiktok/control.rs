//! The fake's endpoints for tests: posts added and deleted, the
//! authorization removed, the clock moved on, faults queued, the requests
//! answered, and the media of a post.

use super::{state, Fake, Shared, MEDIA};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samia_sidecar::http::{ApiError, Body};
use serde_json::{json, Value};
use std::time::Duration;

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))
}

pub async fn list_posts(State(fake): State<Shared>) -> Json<Value> {
    let inner = fake.lock();
    let page = inner.account.page(None, usize::MAX, state::FIELDS);
    Json(page["videos"].clone())
}

pub async fn add_posts(
    State(fake): State<Shared>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let posts = state::posts_of(&json_body(&body)?).map_err(ApiError::bad_request)?;
    let now = fake.now();
    let added = fake
        .lock()
        .account
        .add(posts, now)
        .map_err(ApiError::bad_request)?;
    Ok(Json(json!({ "added": added })))
}

pub async fn remove_post(
    State(fake): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if fake.lock().account.remove(&id) {
        Ok(Json(json!({ "removed": id })))
    } else {
        Err(ApiError::not_found(format!("no post {id} is listed")))
    }
}

pub async fn revoke_authorization(
    State(fake): State<Shared>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let scope = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match json_body(&body)?.get("scope") {
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => None,
            Some(_) => return Err(ApiError::bad_request("\"scope\" must be a string")),
        }
    };
    let revoked = fake.lock().account.revoke(scope.as_deref());
    Ok(Json(json!({ "revoked": revoked })))
}

pub async fn clock(State(fake): State<Shared>, Body(body): Body) -> Result<Json<Value>, ApiError> {
    let secs = json_body(&body)?
        .get("advance_secs")
        .and_then(|s| s.as_u64())
        .ok_or_else(|| ApiError::bad_request("expected {\"advance_secs\": N}"))?;
    fake.lock().offset += Duration::from_secs(secs);
    Ok(Json(json!({ "now": state::unix(fake.now()) })))
}

pub async fn requests(State(fake): State<Shared>) -> Json<Value> {
    Json(Value::Array(fake.lock().requests.clone()))
}

fn content_type(extension: &str) -> &'static str {
    match extension.to_ascii_lowercase().as_str() {
        "mp4" | "mov" => "video/mp4",
        "m4a" | "aac" => "audio/mp4",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" | "opus" => "audio/ogg",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

pub async fn media(State(fake): State<Shared>, Path(id): Path<String>) -> Response {
    let answer = media_file(&fake, &id).await;
    let status = match &answer {
        Ok(_) => 200,
        Err(e) => e.status.as_u16(),
    };
    fake.log(MEDIA, status, None);
    match answer {
        Ok((kind, bytes)) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn media_file(fake: &Fake, id: &str) -> Result<(&'static str, Vec<u8>), ApiError> {
    let missing = || ApiError::not_found(format!("no media for post {id}"));
    if fake.lock().account.post(id).is_none() {
        return Err(missing());
    }
    let dir = fake.settings.media_dir.as_ref().ok_or_else(missing)?;
    let mut entries = tokio::fs::read_dir(dir).await.map_err(|_| missing())?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        if path.file_stem().and_then(|s| s.to_str()) != Some(id) || !path.is_file() {
            continue;
        }
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("cannot read the media: {e}"),
            )
        })?;
        return Ok((content_type(extension), bytes));
    }
    Err(missing())
}
