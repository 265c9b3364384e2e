//! The fake Twilio answered straight from its router: codes sent and
//! checked, Twilio's errors, injected faults, its own endpoints.

use super::*;
use axum::http::Request;
use samia_sidecar::http::testing::{send, Answer};

fn app() -> Router {
    router(Arc::new(Fake::new("ACfake", "fake-token")))
}

async fn call(app: &Router, method: &str, path: &str, form: &str, auth: bool) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if auth {
        request = request.header("authorization", basic("ACfake", "fake-token"));
    }
    let request = request
        .body(axum::body::Body::from(form.to_string()))
        .expect("a valid request");
    send(app, request).await
}

const SEND: &str = "/v2/Services/VAfake/Verifications";
const CHECK: &str = "/v2/Services/VAfake/VerificationCheck";

#[tokio::test]
async fn a_code_sent_can_be_read_and_checked() {
    let app = app();
    let sent = call(&app, "POST", SEND, "To=%2B201001234567&Channel=sms", true).await;
    assert_eq!(sent.status, StatusCode::CREATED);
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.json()["status"], "pending");
    let messages = call(&app, "GET", "/_fake/messages", "", false).await;
    let code = messages.json()[0]["code"]
        .as_str()
        .expect("a code")
        .to_string();
    let wrong = call(&app, "POST", CHECK, "To=%2B201001234567&Code=x", true).await;
    assert_eq!(
        (wrong.status, wrong.json()["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    let right = call(
        &app,
        "POST",
        CHECK,
        &format!("To=%2B201001234567&Code={code}"),
        true,
    )
    .await;
    assert_eq!(right.json()["status"], "approved");
    let requests = call(&app, "GET", "/_fake/requests", "", false).await.json();
    let statuses: Vec<_> = requests
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| (r["op"].clone(), r["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("send"), json!(201)),
            (json!("check"), json!(200)),
            (json!("check"), json!(200))
        ]
    );
}

#[tokio::test]
async fn errors_on_the_api_are_twilio_errors() {
    let app = app();
    let denied = call(&app, "POST", SEND, "To=%2B201001234567&Channel=sms", false).await;
    assert_eq!(
        (denied.status, denied.json()["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!(20003))
    );
    let unknown = call(&app, "GET", "/v2/Services/VAfake/Nothing", "", true).await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].clone()),
        (StatusCode::NOT_FOUND, json!(20404))
    );
    let get = call(&app, "GET", SEND, "", true).await;
    assert_eq!(
        (get.status, get.json()["code"].clone(), get.header("allow")),
        (StatusCode::METHOD_NOT_ALLOWED, json!(20004), Some("POST"))
    );
}

#[tokio::test]
async fn faults_are_injected_in_order_with_retry_after() {
    let app = app();
    let queued = call(
        &app,
        "POST",
        "/_fake/faults",
        r#"{"faults": [{"status": 429, "retry_after": 7}, {"status": 99999}]}"#,
        false,
    )
    .await;
    assert_eq!(
        (queued.status, queued.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    let limited = call(&app, "POST", SEND, "To=%2B201001234567&Channel=sms", true).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(limited.json()["code"], 20429);
    let outage = call(&app, "POST", SEND, "To=%2B201001234567&Channel=sms", true).await;
    assert_eq!(outage.status, StatusCode::SERVICE_UNAVAILABLE);
    let normal = call(&app, "POST", SEND, "To=%2B201001234567&Channel=sms", true).await;
    assert_eq!(normal.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_fakes_own_endpoints_answer_json_errors() {
    let app = app();
    let bad = call(&app, "POST", "/_fake/faults", "[]", false).await;
    assert_eq!(
        (bad.status, bad.json()["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("bad_request"))
    );
    let wrong = call(&app, "POST", "/_fake/messages", "", false).await;
    assert_eq!(
        (wrong.status, wrong.json()["code"].clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!("method_not_allowed"))
    );
    let big = "x".repeat(http::MAX_BODY + 1);
    let too_big = call(&app, "POST", SEND, &big, true).await;
    assert_eq!(
        (too_big.status, too_big.json()["code"].clone()),
        (StatusCode::PAYLOAD_TOO_LARGE, json!("payload_too_large"))
    );
    let health = call(&app, "GET", "/healthz", "", false).await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
}

#[test]
fn basic_auth_is_standard_base64() {
    assert_eq!(
        basic("Aladdin", "open sesame"),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert_eq!(basic("a", "b"), "Basic YTpi");
}

#[test]
fn e164_is_checked() {
    assert!(is_e164("+201001234567"));
    assert!(!is_e164("201001234567"));
    assert!(!is_e164("+0123456789"));
    assert!(!is_e164("+12"));
}
