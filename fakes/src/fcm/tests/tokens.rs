use super::super::testing::{other_key_pem, push, Served, EMAIL, PROJECT};
use samia_sidecar::fcm::{FcmError, SendOutcome};
use samia_sidecar::http::outbound::ProviderError;
use serde_json::{json, Value};

fn codes(requests: &[(u64, String)]) -> Vec<u64> {
    requests.iter().map(|(status, _)| *status).collect()
}

#[tokio::test]
async fn concurrent_senders_share_one_token() {
    let fcm = Served::start(3599).await;
    let client = fcm.client();
    let mut sends = Vec::new();
    for i in 0..10 {
        let client = client.clone();
        sends.push(tokio::spawn(async move {
            client.send(&push(&format!("device-{i}"))).await
        }));
    }
    for send in sends {
        assert!(matches!(
            send.await.expect("joined"),
            Ok(SendOutcome::Sent { .. })
        ));
    }
    assert_eq!(codes(&fcm.requests("token").await), [200]);
    assert_eq!(fcm.get("/_fake/messages").await.len(), 10);
}

#[tokio::test]
async fn a_token_is_not_used_in_its_last_five_minutes() {
    // Tokens living five minutes are never kept: each send fetches one.
    let short = Served::start(300).await;
    let client = short.client();
    for _ in 0..2 {
        client.send(&push("device-1")).await.expect("sent");
    }
    assert_eq!(codes(&short.requests("token").await), [200, 200]);
    let long = Served::start(3599).await;
    let client = long.client();
    for _ in 0..2 {
        client.send(&push("device-1")).await.expect("sent");
    }
    assert_eq!(codes(&long.requests("token").await), [200]);
}

#[tokio::test]
async fn a_refused_token_is_dropped_and_fetched_again_once() {
    let fcm = Served::start(3599).await;
    let client = fcm.client();
    client.send(&push("device-1")).await.expect("sent");
    fcm.control("/_fake/revoke", json!({})).await;
    client
        .send(&push("device-2"))
        .await
        .expect("sent with a new token");
    assert_eq!(codes(&fcm.requests("token").await), [200, 200]);
    assert_eq!(codes(&fcm.requests("send").await), [200, 401, 200]);
    // An injected 401 is handled the same way.
    fcm.faults(json!([{ "status": 401 }])).await;
    client.send(&push("device-3")).await.expect("sent");
    assert_eq!(codes(&fcm.requests("token").await), [200, 200, 200]);
    assert_eq!(fcm.get("/_fake/messages").await.len(), 3);
}

#[tokio::test]
async fn an_account_refused_twice_is_the_accounts_fault() {
    let fcm = Served::start(3599).await;
    let client = fcm.client();
    fcm.control("/_fake/account", json!({ "permission": false }))
        .await;
    let e = client.send(&push("device-1")).await.expect_err("refused");
    assert!(e.is_account_rejected(), "{e}");
    assert!(e.awaits_operator() && !e.is_retryable(), "{e}");
    assert_eq!(e.code(), "account_rejected");
    let text = e.to_string();
    for says in [
        EMAIL,
        PROJECT,
        "HTTP 403",
        "cloudmessaging.messages.create",
        "FCM_SERVICE_ACCOUNT_FILE",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    // One token, one refusal, one new token, one refusal: no loop.
    assert_eq!(codes(&fcm.requests("token").await), [200, 200]);
    assert_eq!(codes(&fcm.requests("send").await), [403, 403]);
    // Once the account is fixed, the same client sends again.
    fcm.control("/_fake/account", json!({ "permission": true }))
        .await;
    assert!(matches!(
        client.send(&push("device-1")).await,
        Ok(SendOutcome::Sent { .. })
    ));
}

#[tokio::test]
async fn an_account_google_refuses_gets_no_token() {
    let fcm = Served::start(3599).await;
    let client = fcm.client();
    fcm.control("/_fake/account", json!({ "disabled": true }))
        .await;
    let e = client.check_account().await.expect_err("refused");
    assert!(e.is_account_rejected(), "{e}");
    assert!(
        e.to_string()
            .contains("invalid_grant: Invalid grant: account not found"),
        "{e}"
    );
    let e = client.send(&push("device-1")).await.expect_err("refused");
    assert!(e.is_account_rejected(), "{e}");
    assert!(fcm.requests("send").await.is_empty());

    // A key that is not the account's: its signature does not verify.
    let mut forged = fcm.account();
    forged["private_key"] = Value::from(other_key_pem().await);
    let e = fcm
        .client_of(&forged)
        .send(&push("device-1"))
        .await
        .expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("Invalid JWT Signature."), "{text}");
    let key_line = other_key_pem().await.lines().nth(2).expect("a line");
    assert!(!text.contains(key_line), "{text}");
}

#[tokio::test]
async fn the_token_endpoint_failing_is_passing_trouble() {
    let fcm = Served::start(3599).await;
    fcm.faults(json!([{ "endpoint": "token", "status": 503, "retry_after": 9 }]))
        .await;
    let client = fcm.client();
    let e = client.send(&push("device-1")).await.expect_err("no token");
    assert!(matches!(e, FcmError::RetryLater { .. }), "{e}");
    assert_eq!(e.code(), "internal_failure");
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(9)));
    assert!(client.send(&push("device-1")).await.is_ok());
    assert_eq!(codes(&fcm.requests("token").await), [503, 200]);
}
