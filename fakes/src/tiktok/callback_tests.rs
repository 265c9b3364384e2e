//! `samia run`'s TikTok callback (`samia_sidecar::tiktok::callback`) with a
//! refusal the fake TikTok gives: whoever followed the link is not shown
//! TikTok's words.

use super::testing::{seed, settings, Served};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use samia_sidecar::tiktok::callback::Failure;

#[tokio::test]
async fn a_refusal_from_the_fake_tiktok_is_not_shown() {
    let served = Served::start(seed(1), settings()).await;
    let refused = served
        .client()
        .exchange_code("a-code-tiktok-never-issued")
        .await
        .expect_err("an unknown code");
    let said = refused.to_string();
    assert!(said.contains("Authorization code is invalid"), "{said}");
    let response = Failure::Exchange(refused).answer().into_response();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(!body.contains("Authorization code"), "{body}");
    assert!(!body.contains("invalid_grant"), "{body}");
    assert!(!body.contains("log_id"), "{body}");
}
