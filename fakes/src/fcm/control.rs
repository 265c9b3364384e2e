//! The fake's endpoints for tests: what it received, dead registration
//! tokens, access tokens revoked, the account broken, a reset.

use super::Shared;
use axum::extract::State;
use axum::Json;
use samia_sidecar::http::{ApiError, Body};
use serde_json::{json, Value};

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))
}

pub async fn messages(State(fake): State<Shared>) -> Json<Value> {
    Json(Value::Array(fake.lock().messages.clone()))
}

pub async fn requests(State(fake): State<Shared>) -> Json<Value> {
    Json(Value::Array(fake.lock().requests.clone()))
}

/// The key file the fake's account has (what `--service-account-out` wrote).
pub async fn service_account(State(fake): State<Shared>) -> Json<Value> {
    Json(fake.key_file())
}

/// `{"tokens": [...]}`: these registration tokens answer 404 UNREGISTERED
/// from now on (`"invalid": true`: 400 INVALID_ARGUMENT).
pub async fn dead_tokens(
    State(fake): State<Shared>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(&body)?;
    let tokens = request
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("expected {\"tokens\": [\"...\"]}"))?;
    let invalid = request.get("invalid").and_then(Value::as_bool) == Some(true);
    let mut inner = fake.lock();
    for token in tokens {
        let token = token
            .as_str()
            .ok_or_else(|| ApiError::bad_request("each token must be a string"))?;
        inner.dead.insert(token.to_string(), invalid);
    }
    Ok(Json(json!({ "dead": inner.dead.len() })))
}

/// Every access token issued so far stops working (401), as when Google
/// revokes them; new ones can be fetched.
pub async fn revoke(State(fake): State<Shared>) -> Json<Value> {
    let mut inner = fake.lock();
    let mut n = 0;
    for issued in inner.issued.values_mut().filter(|t| !t.revoked) {
        issued.revoked = true;
        n += 1;
    }
    Json(json!({ "revoked": n }))
}

/// `{"disabled": bool, "permission": bool}` (either or both): a disabled
/// account gets no token (`invalid_grant`) and its tokens stop working; an
/// account without permission gets tokens, but every send answers 403
/// PERMISSION_DENIED.
pub async fn account(
    State(fake): State<Shared>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(&body)?;
    let flag = |name: &str| match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad_request(format!(
            "\"{name}\" must be true or false"
        ))),
    };
    let (disabled, permission) = (flag("disabled")?, flag("permission")?);
    let mut inner = fake.lock();
    if let Some(disabled) = disabled {
        inner.disabled = disabled;
        if disabled {
            inner.issued.values_mut().for_each(|t| t.revoked = true);
        }
    }
    if let Some(permission) = permission {
        inner.no_permission = !permission;
    }
    Ok(Json(
        json!({ "disabled": inner.disabled, "permission": !inner.no_permission }),
    ))
}

/// Forgets the messages, requests, dead tokens and queued faults, restores
/// the account and releases held requests; access tokens already issued
/// keep working.
pub async fn reset(State(fake): State<Shared>) -> Json<Value> {
    fake.faults.clear();
    fake.hold.set(false);
    let mut inner = fake.lock();
    inner.messages.clear();
    inner.requests.clear();
    inner.dead.clear();
    inner.disabled = false;
    inner.no_permission = false;
    Json(json!({ "reset": true }))
}
