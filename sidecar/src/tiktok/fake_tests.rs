//! The client against the fake TikTok on loopback: the owner's
//! authorization from code to rotated refresh tokens, expiry and
//! revocation, paging and syncing, and TikTok's errors as the client maps them.

use super::testing::{id, seed, settings, Served, REDIRECT, SECRET};
use super::{Stop, SyncOptions, TikTokClient, TikTokError};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

fn quick() -> SyncOptions {
    SyncOptions {
        base_backoff: Duration::from_millis(1),
        max_wait: Duration::from_millis(100),
        ..SyncOptions::default()
    }
}

fn ids(videos: &[super::Video]) -> Vec<String> {
    videos.iter().map(|v| v.id.clone()).collect()
}

fn first(n: usize) -> Vec<String> {
    (0..n).map(id).collect()
}

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
    let served = Served::start(seed(2), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
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
    let served = Served::start(seed(2), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
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
    let served = Served::start(seed(2), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
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
async fn forty_five_posts_page_in_full_and_short_pages() {
    let mut short = settings();
    short.short_pages = true;
    let served = Served::start(seed(45), short).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    let synced = client
        .sync_pages(&tokens.access_token, |_| false, &quick())
        .await
        .expect("synced");
    assert_eq!(ids(&synced.videos), first(45));
    assert_eq!(synced.stop, Stop::End);
    // Short (10), full (20), short (10), the last 5.
    assert_eq!(synced.requests, 4);
    let page = client
        .list_videos(&tokens.access_token, None, 20)
        .await
        .expect("a page");
    assert_eq!(ids(&page.videos), first(10));
    assert!(page.has_more, "short, with more to come");
    let answered = served.requests("video.list").await;
    assert_eq!(answered.len(), 5, "{answered:?}");
    assert!(answered.iter().all(|(status, _)| *status == 200));

    let full = Served::start(seed(45), settings()).await;
    let client = full.client();
    let tokens = full.connect(&client).await;
    let synced = client
        .sync_pages(&tokens.access_token, |_| false, &quick())
        .await
        .expect("synced");
    assert_eq!((synced.videos.len(), synced.requests), (45, 3));
}

#[tokio::test]
async fn syncing_stops_at_the_page_with_a_known_post() {
    let served = Served::start(seed(45), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    let known: Vec<String> = (25..45).map(id).collect();
    let synced = client
        .sync_pages(
            &tokens.access_token,
            |i| known.iter().any(|k| k == i),
            &quick(),
        )
        .await
        .expect("synced");
    assert_eq!(ids(&synced.videos), first(25));
    assert_eq!((synced.stop, synced.requests), (Stop::KnownPost, 2));
    assert_eq!(served.requests("video.list").await.len(), 2);
}

#[tokio::test]
async fn pages_do_not_move_when_a_post_is_added_on_top_or_one_is_deleted() {
    let served = Served::start(seed(30), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    let page = client
        .list_videos(&tokens.access_token, None, 20)
        .await
        .expect("a page");
    assert_eq!(ids(&page.videos), first(20));
    let (status, _) = served
        .call(
            Method::POST,
            "/_fake/posts",
            json!({ "id": "7399999999999999999", "age_secs": 0, "video_description": "new" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = served
        .call(
            Method::DELETE,
            &format!("/_fake/posts/{}", id(25)),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let next = client
        .list_videos(&tokens.access_token, page.cursor, 20)
        .await
        .expect("the next page");
    let expected: Vec<String> = (20..30).filter(|&i| i != 25).map(id).collect();
    assert_eq!(ids(&next.videos), expected);
    assert!(!next.has_more);
    let top = client
        .list_videos(&tokens.access_token, None, 1)
        .await
        .expect("the top");
    assert_eq!(ids(&top.videos), ["7399999999999999999"]);
}

#[tokio::test]
async fn rate_limits_are_retried_and_then_the_page_comes() {
    let served = Served::start(seed(5), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    served
        .faults(json!([{ "status": 429, "retry_after": 0 }, { "status": 429 }]))
        .await;
    let synced = client
        .sync_pages(&tokens.access_token, |_| false, &quick())
        .await
        .expect("synced");
    assert_eq!((synced.videos.len(), synced.requests), (5, 3));
    let answered = served.requests("video.list").await;
    let codes: Vec<_> = answered.iter().map(|(s, c)| (*s, c.as_deref())).collect();
    assert_eq!(
        codes,
        [
            (429, Some("rate_limit_exceeded")),
            (429, Some("rate_limit_exceeded")),
            (200, Some("ok"))
        ]
    );
}

#[tokio::test]
async fn the_fakes_own_budget_answers_rate_limit_exceeded() {
    let mut tight = settings();
    tight.rate_limit = 2;
    let served = Served::start(seed(1), tight).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    for _ in 0..2 {
        client
            .list_videos(&tokens.access_token, None, 1)
            .await
            .expect("within the budget");
    }
    let limited = client
        .list_videos(&tokens.access_token, None, 1)
        .await
        .expect_err("over the budget");
    assert!(
        matches!(limited, TikTokError::RateLimited { .. }),
        "{limited}"
    );
    assert!(limited.is_retryable());
}

#[tokio::test]
async fn internal_errors_are_retryable_and_bounded() {
    let served = Served::start(seed(2), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    served.faults(json!([{ "status": 500 }])).await;
    let failed = client
        .list_videos(&tokens.access_token, None, 5)
        .await
        .expect_err("injected");
    assert!(
        matches!(&failed, TikTokError::Internal { status: 500, code, log_id: Some(_), .. } if code == "internal_error"),
        "{failed:?}"
    );
    assert!(failed.is_retryable());

    served.faults(json!([{ "status": 500, "count": 4 }])).await;
    let gave_up = client
        .sync_pages(&tokens.access_token, |_| false, &quick())
        .await
        .expect_err("four failures");
    assert_eq!(gave_up.requests, 4);
    assert!(matches!(gave_up.error, TikTokError::Internal { .. }));

    served
        .faults(json!([{ "status": 503, "endpoint": "oauth.token" }]))
        .await;
    let token_failed = client
        .refresh(&tokens.refresh_token)
        .await
        .expect_err("injected");
    assert!(token_failed.is_retryable(), "{token_failed}");
    client
        .refresh(&tokens.refresh_token)
        .await
        .expect("the refresh token survived the failure");
}

#[tokio::test]
async fn invalid_params_are_refused_by_the_client_and_by_the_fake() {
    let served = Served::start(seed(2), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
    for bad in [0, 21] {
        let refused = client
            .list_videos(&tokens.access_token, None, bad)
            .await
            .expect_err("refused");
        assert!(
            matches!(refused, TikTokError::InvalidParams { .. }),
            "{refused}"
        );
    }
    assert!(
        served.requests("video.list").await.is_empty(),
        "nothing sent"
    );

    let raw = |query: &'static str, body: &'static str| {
        let url = format!("{}/v2/video/list/{query}", served.base);
        let token = tokens.access_token.expose_secret().to_string();
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            let json: Value =
                serde_json::from_slice(&response.bytes().await.expect("a body")).expect("JSON");
            (status, json["error"]["code"].clone())
        }
    };
    let invalid = (400, json!("invalid_params"));
    assert_eq!(raw("", "{}").await, invalid, "no fields");
    assert_eq!(
        raw("?fields=id,colour", "{}").await,
        invalid,
        "an unknown field"
    );
    assert_eq!(raw("?fields=id", r#"{"max_count": 25}"#).await, invalid);
    assert_eq!(raw("?fields=id", r#"{"cursor": -5}"#).await, invalid);
    assert_eq!(raw("?fields=id", "not json").await, invalid);
    assert_eq!(raw("?fields=id", "").await, (200, json!("ok")), "defaults");
}

#[tokio::test]
async fn a_slow_answer_times_out_and_a_closed_port_is_a_transport_error() {
    let served = Served::start(seed(1), settings()).await;
    let mut config = served.config(SECRET);
    config.timeout = Duration::from_millis(300);
    let client = TikTokClient::new(config).expect("a client");
    let tokens = served.connect(&client).await;
    served
        .faults(json!([{ "delay_ms": 3000, "pass": true }]))
        .await;
    let slow = client
        .list_videos(&tokens.access_token, None, 1)
        .await
        .expect_err("timed out");
    assert!(
        matches!(&slow, TikTokError::Transport(m) if m.contains("timed out")),
        "{slow}"
    );
    assert!(slow.is_retryable());

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = closed.local_addr().expect("an address");
    drop(closed);
    let mut config = served.config(SECRET);
    config.api_url = format!("http://{addr}");
    let nowhere = TikTokClient::new(config).expect("a client");
    let refused = nowhere
        .refresh(&SecretString::from("rft.hunter7"))
        .await
        .expect_err("no server");
    assert!(matches!(refused, TikTokError::Transport(_)), "{refused}");
    assert!(!refused.to_string().contains("hunter7"));
}

#[tokio::test]
async fn real_tokens_never_show_in_debug_output() {
    let served = Served::start(seed(1), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
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
async fn media_is_served_for_listed_posts_only() {
    let dir = tempfile::tempdir().expect("a directory");
    std::fs::write(dir.path().join(format!("{}.m4a", id(0))), b"audio bytes").expect("written");
    std::fs::write(dir.path().join(format!("{}.m4a", id(1))), b"other").expect("written");
    let mut with_media = settings();
    with_media.media_dir = Some(dir.path().to_path_buf());
    let served = Served::start(seed(1), with_media).await;
    let get = |post: String| {
        let url = format!("{}/_fake/media/{post}", served.base);
        async move {
            let response = reqwest::get(url).await.expect("an answer");
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            (
                status,
                kind,
                response.bytes().await.expect("a body").to_vec(),
            )
        }
    };
    assert_eq!(
        get(id(0)).await,
        (200, Some("audio/mp4".into()), b"audio bytes".to_vec())
    );
    // A file without a listed post, and a post without a file.
    assert_eq!(get(id(1)).await.0, 404);
    served
        .call(
            Method::DELETE,
            &format!("/_fake/posts/{}", id(0)),
            Value::Null,
        )
        .await;
    assert_eq!(get(id(0)).await.0, 404);
}

#[tokio::test]
async fn the_revoke_endpoint_ends_an_authorization_and_odd_grants_are_refused() {
    let served = Served::start(seed(1), settings()).await;
    let client = served.client();
    let tokens = served.connect(&client).await;
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
