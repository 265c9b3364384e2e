//! The fake's `POST /v1/projects/{project_id}/messages:send`: the bearer
//! token must be one the fake issued, unexpired, not revoked, with the
//! messaging scope; the project the account's; the body FCM's shape
//! (`shape`). Then a dead registration token is 404 `UNREGISTERED`, and
//! any other message is recorded and named. While requests are held
//! (`hold`), all that waits first, and happens only if the client is
//! still there when they are released.

use super::answers::{
    plain_page, send_fault, with_retry_after, FcmRefusal, INVALID_CREDENTIALS, MISSING_CREDENTIALS,
};
use super::{shape, Shared};
use crate::faults::after_delay;
use crate::now_us;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use samia_sidecar::fcm::token::SCOPE;
use samia_sidecar::http::Body;
use serde_json::json;
use std::time::SystemTime;

/// Scopes that allow sending: FCM's own, or all of Google Cloud.
const SENDING_SCOPES: &[&str] = &[SCOPE, "https://www.googleapis.com/auth/cloud-platform"];

pub async fn send(
    State(fake): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Response {
    super::hold::wait(&fake).await;
    let fault = fake.faults.take(|f| super::fault_applies(f, "send"));
    let (response, code) = match after_delay(fault).await {
        Some(fault) if fault.flag("plain") => {
            let status = fault.status(StatusCode::BAD_GATEWAY);
            (with_retry_after(plain_page(status), &fault), "plain".into())
        }
        Some(fault) => {
            let refusal = send_fault(&fault);
            let code = refusal.log_code();
            (with_retry_after(refusal.into_response(), &fault), code)
        }
        None => match deliver(&fake, &project, &headers, &body) {
            Ok(name) => (Json(json!({ "name": name })).into_response(), "ok".into()),
            Err(refusal) => {
                let code = refusal.log_code();
                (refusal.into_response(), code)
            }
        },
    };
    fake.log("send", response.status().as_u16(), &code);
    response
}

fn deliver(
    fake: &Shared,
    project: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, FcmRefusal> {
    authorize(fake, project, headers)?;
    let accepted = shape::check(body)?;
    let mut inner = fake.lock();
    if accepted.validate_only {
        return Ok(format!("projects/{project}/messages/fake_message_id"));
    }
    match accepted.token.as_ref().and_then(|t| inner.dead.get(t)) {
        Some(true) => {
            return Err(FcmRefusal::invalid(
                "message.token",
                "The registration token is not a valid FCM registration token",
            ))
        }
        Some(false) => {
            return Err(
                FcmRefusal::new(StatusCode::NOT_FOUND, "Requested entity was not found.")
                    .code("UNREGISTERED"),
            )
        }
        None => {}
    }
    inner.serial += 1;
    let name = format!("projects/{project}/messages/{}", inner.serial);
    inner.messages.push(json!({
        "name": name,
        "project": project,
        "token": accepted.token,
        "message": accepted.message,
        "at_us": now_us(),
    }));
    Ok(name)
}

/// The bearer token, as Google checks it before FCM sees the request.
fn authorize(fake: &Shared, project: &str, headers: &HeaderMap) -> Result<(), FcmRefusal> {
    let unauthenticated = |message: &str| FcmRefusal::new(StatusCode::UNAUTHORIZED, message);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated(MISSING_CREDENTIALS))?;
    let inner = fake.lock();
    let issued = inner
        .issued
        .get(token)
        .filter(|t| !t.revoked && SystemTime::now() < t.expires_at)
        .ok_or_else(|| unauthenticated(INVALID_CREDENTIALS))?;
    if !issued
        .scopes
        .iter()
        .any(|s| SENDING_SCOPES.contains(&s.as_str()))
    {
        return Err(FcmRefusal::new(
            StatusCode::FORBIDDEN,
            "Request had insufficient authentication scopes.",
        ));
    }
    if project != fake.settings.project_id || inner.no_permission {
        return Err(FcmRefusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "Permission 'cloudmessaging.messages.create' denied on resource \
                 '//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist)."
            ),
        ));
    }
    Ok(())
}
