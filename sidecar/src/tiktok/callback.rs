//! `GET /v1/tiktok/callback`: where TikTok sends the owner back after they
//! allowed the app (the redirect URI). The `state` must be one that
//! `samia tiktok connect` handed out and not used yet; the `code` is
//! exchanged for tokens, which are stored (never shown or logged), and a
//! full sync is queued.

use super::account;
use super::client::TikTokClient;
use crate::http::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::routing::get;
use axum::Router;
use deadpool_postgres::Pool;
use std::collections::HashMap;

#[derive(Clone)]
pub struct Callback {
    pub pool: Pool,
    pub tiktok: TikTokClient,
}

pub fn router(callback: Callback) -> Router {
    Router::new()
        .route("/v1/tiktok/callback", get(callback_handler))
        .with_state(callback)
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        format!("the database is not available ({e}): try the link again in a minute"),
    )
}

async fn callback_handler(
    State(cb): State<Callback>,
    uri: Uri,
) -> Result<(StatusCode, String), ApiError> {
    let query: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let Some(state) = query.get("state").filter(|s| !s.is_empty()) else {
        return Err(ApiError::bad_request(
            "the callback has no state: open the link `samia tiktok connect` printed",
        ));
    };
    let client = cb.pool.get().await.map_err(unavailable)?;
    let known = account::take_state(&**client, state)
        .await
        .map_err(|e| unavailable(crate::error::describe(&e)))?;
    if !known {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_state",
            "this link is unknown, used or expired: run `samia tiktok connect` again",
        ));
    }
    if let Some(error) = query.get("error") {
        let why = query
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_authorized",
            format!(
                "TikTok did not authorize the app ({error}{why}): run `samia tiktok connect` again"
            ),
        ));
    }
    let Some(code) = query.get("code").filter(|c| !c.is_empty()) else {
        return Err(ApiError::bad_request("the callback has no code"));
    };
    let tokens = cb.tiktok.exchange_code(code).await.map_err(|e| {
        tracing::warn!(error = %e, "the TikTok code exchange failed");
        ApiError::new(StatusCode::BAD_GATEWAY, "tiktok_refused", format!("{e}"))
    })?;
    if !tokens.has_scope("video.list") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "scope_missing",
            "the owner did not allow video.list: run `samia tiktok connect` again and allow it",
        ));
    }
    account::store(&**client, &tokens, true)
        .await
        .map_err(|e| unavailable(crate::error::describe(&e)))?;
    super::ingest::queue(&**client, true)
        .await
        .map_err(|e| unavailable(crate::error::describe(&e)))?;
    tracing::info!(open_id = %tokens.open_id, "TikTok connected");
    Ok((
        StatusCode::OK,
        "TikTok is connected: the owner's posts are being synced. You can close this page.\n"
            .into(),
    ))
}
