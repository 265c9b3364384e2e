use super::super::testing::{push, Served, PROJECT};
use samia_sidecar::fcm::{FcmError, SendOutcome};
use samia_sidecar::http::outbound::ProviderError;
use samia_sidecar::jobs::Failure;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_push_arrives_as_fcm_takes_it() {
    let fcm = Served::start(3599).await;
    let client = fcm.client();
    let sent = client.send(&push("device-1:APA91b")).await.expect("sent");
    assert_eq!(
        sent,
        SendOutcome::Sent {
            name: format!("projects/{PROJECT}/messages/1")
        }
    );
    let urgent = samia_sidecar::fcm::PushMessage {
        time_critical: true,
        collapse_key: None,
        ..push("device-2")
    };
    client.send(&urgent).await.expect("sent");
    let messages = fcm.get("/_fake/messages").await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["token"], "device-1:APA91b");
    assert_eq!(
        messages[0]["message"],
        json!({
            "token": "device-1:APA91b",
            "notification": { "title": "Your reading is ready", "body": "Open the app to read it" },
            "data": { "kind": "order.delivered", "order_id": "42" },
            "android": { "priority": "NORMAL", "collapse_key": "order-42" },
            "apns": { "headers": { "apns-priority": "5", "apns-collapse-id": "order-42" } },
        })
    );
    assert_eq!(
        messages[1]["message"]["android"],
        json!({ "priority": "HIGH" })
    );
    assert_eq!(
        messages[1]["message"]["apns"]["headers"],
        json!({ "apns-priority": "10" })
    );
    // One token served both.
    assert_eq!(fcm.requests("token").await.len(), 1);
    assert_eq!(client.project_id(), PROJECT);
}

#[tokio::test]
async fn dead_tokens_are_reported_for_the_caller_to_forget() {
    let fcm = Served::start(3599).await;
    fcm.control("/_fake/tokens/dead", json!({ "tokens": ["gone-1"] }))
        .await;
    fcm.control(
        "/_fake/tokens/dead",
        json!({ "tokens": ["garbled-2"], "invalid": true }),
    )
    .await;
    let client = fcm.client();
    let gone = client.send(&push("gone-1")).await.expect("an outcome");
    assert!(
        matches!(gone, SendOutcome::TokenDead { ref code, .. } if code == "UNREGISTERED"),
        "{gone:?}"
    );
    let garbled = client.send(&push("garbled-2")).await.expect("an outcome");
    assert!(
        matches!(garbled, SendOutcome::TokenDead { ref code, ref message }
            if code == "INVALID_ARGUMENT" && message.contains("registration token")),
        "{garbled:?}"
    );
    // Neither was retried, nor recorded; other devices still get theirs.
    assert_eq!(fcm.requests("send").await.len(), 2);
    assert!(fcm.get("/_fake/messages").await.is_empty());
    assert!(matches!(
        client.send(&push("alive-3")).await,
        Ok(SendOutcome::Sent { .. })
    ));
}

#[tokio::test]
async fn passing_trouble_is_retried_after_what_fcm_asked() {
    let fcm = Served::start(3599).await;
    fcm.faults(json!([
        { "status": 429, "retry_after": 30 },
        { "status": 503, "retry_after": 5 },
        { "status": 500 },
        { "status": 502, "plain": true },
    ]))
    .await;
    let client = fcm.client();
    for (status, code, after) in [
        (429, "QUOTA_EXCEEDED", Some(30)),
        (503, "UNAVAILABLE", Some(5)),
        (500, "INTERNAL", None),
        (502, "http_502", None),
    ] {
        let e = client.send(&push("device-1")).await.expect_err("not sent");
        assert!(
            matches!(e, FcmError::RetryLater { status: s, .. } if s == status),
            "{e}"
        );
        assert_eq!(e.code(), code);
        assert_eq!(e.retry_after(), after.map(Duration::from_secs));
        assert!(e.is_retryable(), "{e}");
        match Failure::from_provider(&e) {
            Failure::Transient { retry_after, .. } => {
                assert_eq!(retry_after, after.map(Duration::from_secs))
            }
            other => panic!("{other:?}"),
        }
    }
    // Once FCM is back, the same push goes; the token was never dropped.
    assert!(matches!(
        client.send(&push("device-1")).await,
        Ok(SendOutcome::Sent { .. })
    ));
    assert_eq!(fcm.requests("token").await.len(), 1);
}

#[tokio::test]
async fn refusals_of_the_message_are_not_retried() {
    let fcm = Served::start(3599).await;
    fcm.faults(json!([
        { "status": 403, "code": "SENDER_ID_MISMATCH" },
        { "status": 401, "code": "THIRD_PARTY_AUTH_ERROR" },
        { "status": 400 },
    ]))
    .await;
    let client = fcm.client();
    let mismatch = client.send(&push("device-1")).await.expect_err("refused");
    assert_eq!(mismatch.code(), "SENDER_ID_MISMATCH");
    assert!(matches!(
        Failure::from_provider(&mismatch),
        Failure::Permanent(_)
    ));
    let apns = client.send(&push("device-1")).await.expect_err("refused");
    assert_eq!(apns.code(), "THIRD_PARTY_AUTH_ERROR");
    // The project's APNs credentials: an operator's fix, then it goes.
    assert!(apns.awaits_operator() && !apns.is_retryable());
    let invalid = client.send(&push("device-1")).await.expect_err("refused");
    assert!(
        matches!(invalid, FcmError::Rejected { status: 400, .. }),
        "{invalid}"
    );
    // None of them made the client drop its access token.
    assert_eq!(fcm.requests("token").await.len(), 1);
    // A message FCM would refuse is refused before it is sent.
    let reserved = samia_sidecar::fcm::PushMessage {
        data: [("from".to_string(), "x".to_string())].into(),
        ..push("device-1")
    };
    let e = client.send(&reserved).await.expect_err("refused");
    assert!(matches!(e, FcmError::Request(_)), "{e}");
    assert_eq!(fcm.requests("send").await.len(), 3);
}

/// Polls the hold's counts until `done` says so (within 10 s).
async fn hold_until(fcm: &Served, what: &str, done: impl Fn(&serde_json::Value) -> bool) {
    for _ in 0..400 {
        let state = fcm.get_value("/_fake/hold").await;
        if done(&state) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what}: {}", fcm.get_value("/_fake/hold").await);
}

#[tokio::test]
async fn a_held_send_is_accepted_when_released_and_never_once_its_client_is_gone() {
    let fcm = Served::start(3599).await;
    let client = fcm.client();
    // The access token first, so the held requests are sends.
    client.send(&push("warm")).await.expect("sent");
    let on = fcm.control("/_fake/hold", json!({ "hold": true })).await;
    assert_eq!(on, json!({ "hold": true, "held": 0, "abandoned": 0 }));

    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.send(&push("kept")).await }
    });
    let gone = tokio::spawn({
        let client = client.clone();
        async move { client.send(&push("gone")).await }
    });
    hold_until(&fcm, "two held", |s| s["held"] == 2).await;
    assert_eq!(fcm.get("/_fake/messages").await.len(), 1);

    // The second's client goes away: its request is never answered.
    gone.abort();
    let _ = gone.await;
    hold_until(&fcm, "one abandoned", |s| s["abandoned"] == 1).await;
    fcm.control("/_fake/hold", json!({ "hold": false })).await;
    let sent = waiting.await.expect("joined").expect("sent");
    assert!(matches!(sent, SendOutcome::Sent { .. }), "{sent:?}");
    let tokens: Vec<_> = fcm
        .get("/_fake/messages")
        .await
        .iter()
        .map(|m| m["token"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(tokens, ["warm", "kept"]);
    assert_eq!(
        fcm.get_value("/_fake/hold").await,
        json!({ "hold": false, "held": 0, "abandoned": 1 })
    );
    assert!(fcm
        .requests("send")
        .await
        .contains(&(499, "abandoned".to_string())));
}
