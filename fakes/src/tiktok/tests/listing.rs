//! The owner's posts against the fake TikTok: paging and syncing, and
//! TikTok's errors (rate limits, failures, bad parameters, timeouts) as the
//! client maps them; the media a fetch command downloads.

use super::{first, ids, quick};
use crate::tiktok::testing::{id, seed, settings, Served, SECRET};
use reqwest::Method;
use samia_sidecar::http::outbound::ProviderError;
use samia_sidecar::tiktok::{Stop, TikTokClient, TikTokError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn forty_five_posts_page_in_full_and_short_pages() {
    let mut short = settings();
    short.short_pages = true;
    let (served, client, tokens) = Served::connected(seed(45), short).await;
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
    let (served, client, tokens) = Served::connected(seed(45), settings()).await;
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
    let (served, client, tokens) = Served::connected(seed(30), settings()).await;
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
    let (served, client, tokens) = Served::connected(seed(5), settings()).await;
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
    let (_served, client, tokens) = Served::connected(seed(1), tight).await;
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
    let (served, client, tokens) = Served::connected(seed(2), settings()).await;
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
    let (served, client, tokens) = Served::connected(seed(2), settings()).await;
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
