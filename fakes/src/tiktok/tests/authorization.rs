//! The owner's authorization against the fake TikTok: a code exchanged
//! once, refresh tokens rotated, expiry and revocation, the authorize page,
//! and secrets kept out of errors and `Debug` output.

use super::{first, ids};
use crate::tiktok::testing::{id, seed, settings, Served, REDIRECT, SECRET};
use reqwest::Method;
use samia_sidecar::http::outbound::ProviderError;
use samia_sidecar::tiktok::{TikTokClient, TikTokError};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

#[tokio::test]
async fn a_code_is_exchanged_once_for_tokens_with_both_scopes() {
    let served = Served::start(seed(3), settings()).await;
    let client = served.client();
    let back = served.redirect(&client, "st-1").await;
    let get = |k: &str| {
        back.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("state").as_deref(), Some("st-1"));
    assert_eq!(get("scopes").as_deref(), Some("user.info.basic,video.list"));
    let code = get("code").expect("a code");
    let before = SystemTime::now();
    let tokens = client.exchange_code(&code).await.expect("tokens");
    let after = SystemTime::now();
    assert!(tokens.has_scope("video.list") && tokens.has_scope("user.info.basic"));
    assert_eq!(tokens.open_id, "7c1e2a9e-5b1f-4c55-9d0e-3f1b2a6c8d40");
    let two_hours = Duration::from_secs(7200);
    assert!(tokens.access_expires_at >= before + two_hours);
    assert!(tokens.access_expires_at <= after + two_hours);
    let days_180 = Duration::from_secs(180 * 86400);
    assert!(tokens.refresh_expires_at >= before + days_180);

    let again = client.exchange_code(&code).await.expect_err("used");
    assert!(matches!(again, TikTokError::InvalidGrant { .. }), "{again}");
    assert!(again.stops_sync());
    assert!(!again.to_string().contains(&code), "{again}");

    let page = client
        .list_videos(&tokens.access_token, None, 20)
        .await
        .expect("a page");
    assert_eq!(ids(&page.videos), first(3));
    assert!(!page.has_more);
    let video = &page.videos[0];
    assert_eq!(
        video.share_url.as_deref(),
        Some(format!("https://www.tiktok.com/@samia.tarot/video/{}", id(0)).as_str())
    );
    assert_eq!(video.video_description.as_deref(), Some("post 0"));
    assert_eq!(video.title, None, "absent fields stay absent");
}

#[tokio::test]
async fn the_wrong_secret_is_refused_and_never_shown() {
    let served = Served::start(seed(1), settings()).await;
    let good = served.client();
    let back = served.redirect(&good, "s").await;
    let code = back
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.clone())
        .expect("a code");
    let wrong = TikTokClient::new(served.config("wrong-secret-hunter6")).expect("a client");
    let refused = wrong.exchange_code(&code).await.expect_err("refused");
    assert!(
        matches!(refused, TikTokError::InvalidClient { .. }),
        "{refused}"
    );
    assert!(refused.stops_sync());
    let shown = format!("{refused} {refused:?} {wrong:?}");
    assert!(
        !shown.contains("hunter6") && !shown.contains(SECRET),
        "{shown}"
    );
    // The code was not spent by the refused request.
    good.exchange_code(&code).await.expect("tokens");
}

#[tokio::test]
async fn each_refresh_rotates_and_the_old_refresh_token_dies() {
    let served = Served::start(seed(2), settings()).await;
    let client = served.client();
    let first_tokens = served.connect(&client).await;
    let second = client
        .refresh(&first_tokens.refresh_token)
        .await
        .expect("refreshed");
    assert_ne!(
        second.refresh_token.expose_secret(),
        first_tokens.refresh_token.expose_secret()
    );
    assert_ne!(
        second.access_token.expose_secret(),
        first_tokens.access_token.expose_secret()
    );
    let reused = client
        .refresh(&first_tokens.refresh_token)
        .await
        .expect_err("the old one is dead");
    assert!(
        matches!(reused, TikTokError::InvalidGrant { .. }),
        "{reused}"
    );
    assert!(!reused
        .to_string()
        .contains(first_tokens.refresh_token.expose_secret()));
    let third = client
        .refresh(&second.refresh_token)
        .await
        .expect("the new one works");
    client
        .list_videos(&third.access_token, None, 5)
        .await
        .expect("the newest access token works");
}

#[tokio::test]
async fn an_expired_access_token_is_refused_until_refreshed() {
    let (served, client, tokens) = Served::connected(seed(2), settings()).await;
    client
        .list_videos(&tokens.access_token, None, 5)
        .await
        .expect("fresh");
    served.advance(7200).await;
    let expired = client
        .list_videos(&tokens.access_token, None, 5)
        .await
        .expect_err("expired");
    assert!(
        matches!(expired, TikTokError::AccessTokenInvalid { .. }),
        "{expired}"
    );
    assert!(expired.needs_refresh() && !expired.stops_sync() && !expired.is_retryable());
    let renewed = client
        .refresh(&tokens.refresh_token)
        .await
        .expect("refreshed");
    client
        .list_videos(&renewed.access_token, None, 5)
        .await
        .expect("works again");
    // The refresh token expires too, after 180 days.
    served.advance(180 * 86400).await;
    let late = client
        .refresh(&renewed.refresh_token)
        .await
        .expect_err("expired");
    assert!(late.stops_sync(), "{late}");
}

#[tokio::test]
async fn a_removed_authorization_ends_listing_and_refreshing() {
    let (served, client, tokens) = Served::connected(seed(2), settings()).await;
    let (status, body) = served
        .call(Method::POST, "/_fake/revoke", Value::Null)
        .await;
    assert_eq!((status, body), (200, json!({ "revoked": 1 })));
    let listed = client
        .list_videos(&tokens.access_token, None, 5)
        .await
        .expect_err("revoked");
    assert!(listed.needs_refresh(), "{listed}");
    let refreshed = client
        .refresh(&tokens.refresh_token)
        .await
        .expect_err("revoked");
    assert!(
        matches!(refreshed, TikTokError::InvalidGrant { .. }),
        "{refreshed}"
    );
    assert!(refreshed.stops_sync());
}

#[tokio::test]
async fn a_scope_taken_back_is_scope_not_authorized() {
    let (served, client, tokens) = Served::connected(seed(2), settings()).await;
    let (status, _) = served
        .call(
            Method::POST,
            "/_fake/revoke",
            json!({ "scope": "video.list" }),
        )
        .await;
    assert_eq!(status, 200);
    let refused = client
        .list_videos(&tokens.access_token, None, 5)
        .await
        .expect_err("no scope");
    assert!(
        matches!(refused, TikTokError::ScopeNotAuthorized { .. }),
        "{refused}"
    );
    assert!(refused.stops_sync());
    assert_eq!(refused.code(), "scope_not_authorized");
}

#[tokio::test]
async fn real_tokens_never_show_in_debug_output() {
    let (_served, client, tokens) = Served::connected(seed(1), settings()).await;
    let shown = format!("{tokens:?} {client:?}");
    assert!(
        !shown.contains(tokens.access_token.expose_secret()),
        "{shown}"
    );
    assert!(
        !shown.contains(tokens.refresh_token.expose_secret()),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn the_authorize_page_checks_the_app_and_the_scopes() {
    let served = Served::start(seed(1), settings()).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let url = |query: &str| format!("{}/v2/auth/authorize/?{query}", served.base);
    let redirect = form_urlencoded::Serializer::new(String::new())
        .append_pair("redirect_uri", REDIRECT)
        .finish();
    let wrong_key = browser
        .get(url(&format!(
            "client_key=nope&scope=video.list&response_type=code&{redirect}"
        )))
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong_key.status().as_u16(), 400);
    let bad_scope = browser
        .get(url(&format!(
            "client_key=test-client-key&scope=video.everything&response_type=code&state=z&{redirect}"
        )))
        .send()
        .await
        .expect("an answer");
    assert_eq!(bad_scope.status().as_u16(), 302);
    let location = bad_scope
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a Location");
    assert!(
        location.starts_with(REDIRECT)
            && location.contains("error=invalid_scope")
            && location.contains("state=z")
            && !location.contains("code="),
        "{location}"
    );
}

#[tokio::test]
async fn the_revoke_endpoint_ends_an_authorization_and_odd_grants_are_refused() {
    let (served, client, tokens) = Served::connected(seed(1), settings()).await;
    let form = |pairs: &[(&str, &str)]| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    let post = |path: &'static str, body: String| {
        let url = format!("{}{path}", served.base);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            let json: Value =
                serde_json::from_slice(&response.bytes().await.expect("a body")).expect("JSON");
            (status, json)
        }
    };
    let odd = post(
        "/v2/oauth/token/",
        form(&[
            ("client_key", "test-client-key"),
            ("client_secret", SECRET),
            ("grant_type", "password"),
        ]),
    )
    .await;
    assert_eq!(
        (odd.0, odd.1["error"].clone()),
        (400, json!("unsupported_grant_type"))
    );
    assert!(odd.1["log_id"].is_string());
    let revoked = post(
        "/v2/oauth/revoke/",
        form(&[
            ("client_key", "test-client-key"),
            ("client_secret", SECRET),
            ("token", tokens.access_token.expose_secret()),
        ]),
    )
    .await;
    assert_eq!(revoked, (200, json!({})));
    let listed = client
        .list_videos(&tokens.access_token, None, 1)
        .await
        .expect_err("revoked");
    assert!(listed.needs_refresh(), "{listed}");
    let refreshed = client
        .refresh(&tokens.refresh_token)
        .await
        .expect_err("revoked");
    assert!(refreshed.stops_sync(), "{refreshed}");
}
