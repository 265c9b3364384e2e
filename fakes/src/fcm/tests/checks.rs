use super::super::testing::{key_pem, other_key_pem, Served, EMAIL, PROJECT};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use samia_sidecar::fcm::token::SCOPE;
use samia_sidecar::fcm::{ServiceAccount, SigningKey, FCM_ERROR_TYPE};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A JWT of `header` and `claims` signed RS256 with `key_pem`.
fn jwt(key_pem: &str, header: Value, claims: Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = SigningKey::from_pem(key_pem).expect("a key");
    let signature = key.sign(input.as_bytes()).expect("signed");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn claims(fcm: &Served) -> Value {
    json!({
        "iss": EMAIL,
        "scope": SCOPE,
        "aud": format!("{}/token", fcm.base),
        "iat": now(),
        "exp": now() + 3600,
    })
}

fn rs256() -> Value {
    json!({ "alg": "RS256", "typ": "JWT" })
}

#[tokio::test]
async fn assertions_are_checked_as_google_checks_them() {
    let fcm = Served::start(3599).await;
    let key = key_pem().await;
    let (status, answer) = fcm.exchange(&jwt(key, rs256(), claims(&fcm))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3599);
    assert!(answer["access_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("ya29.")));

    let with = |name: &str, value: Value| {
        let mut c = claims(&fcm);
        c[name] = value;
        c
    };
    let mut no_exp = claims(&fcm);
    no_exp.as_object_mut().expect("an object").remove("exp");
    let other = other_key_pem().await;
    for (assertion, error, says) in [
        (
            jwt(other, rs256(), claims(&fcm)),
            "invalid_grant",
            "Invalid JWT Signature.",
        ),
        (
            jwt(
                key,
                rs256(),
                with("iss", json!("someone@else.iam.gserviceaccount.com")),
            ),
            "invalid_grant",
            "account not found",
        ),
        (
            jwt(
                key,
                rs256(),
                with("aud", json!("https://oauth2.googleapis.com/token")),
            ),
            "invalid_grant",
            "audience",
        ),
        (
            jwt(key, rs256(), with("exp", json!(now() + 7200))),
            "invalid_grant",
            "short-lived",
        ),
        (
            jwt(key, rs256(), with("exp", json!(now() - 600))),
            "invalid_grant",
            "short-lived",
        ),
        (
            jwt(key, rs256(), with("iat", json!(now() + 600))),
            "invalid_grant",
            "short-lived",
        ),
        (jwt(key, rs256(), no_exp), "invalid_grant", "exp"),
        (
            jwt(key, rs256(), with("scope", json!(""))),
            "invalid_scope",
            "scope",
        ),
        (
            jwt(key, json!({ "alg": "HS256", "typ": "JWT" }), claims(&fcm)),
            "invalid_grant",
            "not RS256",
        ),
        ("not-a-jwt".to_string(), "invalid_grant", "not a JWT"),
    ] {
        let (status, answer) = fcm.exchange(&assertion).await;
        assert_eq!(status, 400, "{says}: {answer}");
        assert_eq!(answer["error"], error, "{says}: {answer}");
        let description = answer["error_description"].as_str().expect("a description");
        assert!(description.contains(says), "{says}: {answer}");
    }
    for (form, content_type, error) in [
        (
            "grant_type=client_credentials&assertion=x",
            "application/x-www-form-urlencoded",
            "unsupported_grant_type",
        ),
        (
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
            "application/x-www-form-urlencoded",
            "invalid_request",
        ),
        ("{}", "application/json", "invalid_request"),
    ] {
        let (status, answer, _) = fcm.call("/token", None, content_type, form.into()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(error)),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn sends_need_a_token_the_fake_issued_for_its_project() {
    let fcm = Served::start(3599).await;
    let path = format!("/v1/projects/{PROJECT}/messages:send");
    let body = json!({ "message": { "token": "device-1", "notification": { "title": "t" } } });
    let send = |bearer: Option<String>, path: String| {
        let body = body.to_string();
        let fcm = &fcm;
        async move {
            fcm.call(&path, bearer.as_deref(), "application/json", body)
                .await
        }
    };
    let (status, answer, headers) = send(None, path.clone()).await;
    assert_eq!(
        (status, answer["error"]["status"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    assert!(headers.contains_key("www-authenticate"));
    let (status, _, _) = send(Some("ya29.made-up".into()), path.clone()).await;
    assert_eq!(status, 401);

    let token = fcm.access_token().await;
    let (status, answer, _) = send(Some(token.clone()), path.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["name"], format!("projects/{PROJECT}/messages/1"));
    let (status, answer, _) = send(
        Some(token.clone()),
        "/v1/projects/other-project/messages:send".into(),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["status"].as_str()),
        (403, Some("PERMISSION_DENIED")),
        "{answer}"
    );

    // A token for another scope is not enough.
    let mut narrow = claims(&fcm);
    narrow["scope"] = json!("https://www.googleapis.com/auth/userinfo.email");
    let (_, answer) = fcm.exchange(&jwt(key_pem().await, rs256(), narrow)).await;
    let narrow = answer["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    let (status, answer, _) = send(Some(narrow), path.clone()).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("scopes")));
}

#[tokio::test]
async fn messages_are_checked_recorded_and_reset() {
    let fcm = Served::start(3599).await;
    let token = fcm.access_token().await;
    let path = format!("/v1/projects/{PROJECT}/messages:send");
    let send = |body: Value| {
        let (fcm, token, path) = (&fcm, token.clone(), path.clone());
        async move {
            let (status, answer, _) = fcm
                .call(&path, Some(&token), "application/json", body.to_string())
                .await;
            (status, answer)
        }
    };
    let (status, answer) = send(json!({ "message": { "topic": "news" } })).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) =
        send(json!({ "message": { "token": "device-1" }, "validate_only": true })).await;
    assert_eq!(
        (status, answer["name"].as_str()),
        (
            200,
            Some(&*format!("projects/{PROJECT}/messages/fake_message_id"))
        )
    );
    let (status, answer) = send(json!({ "message": { "token": "not a token" } })).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"],
        json!({
            "code": 400,
            "message": "The registration token is not a valid FCM registration token",
            "status": "INVALID_ARGUMENT",
            "details": [
                { "@type": FCM_ERROR_TYPE, "errorCode": "INVALID_ARGUMENT" },
                { "@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{
                    "field": "message.token",
                    "description": "The registration token is not a valid FCM registration token",
                }] },
            ],
        })
    );
    fcm.control("/_fake/tokens/dead", json!({ "tokens": ["device-9"] }))
        .await;
    let (status, answer) = send(json!({ "message": { "token": "device-9" } })).await;
    assert_eq!(status, 404);
    assert_eq!(
        answer,
        json!({ "error": {
            "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
            "details": [{ "@type": FCM_ERROR_TYPE, "errorCode": "UNREGISTERED" }],
        }})
    );
    // Only the topic message was kept; a reset forgets it and the dead token.
    let messages = fcm.get("/_fake/messages").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["message"], json!({ "topic": "news" }));
    fcm.control("/_fake/reset", json!({})).await;
    assert!(fcm.get("/_fake/messages").await.is_empty());
    assert!(fcm.get("/_fake/requests").await.is_empty());
    let (status, _) = send(json!({ "message": { "token": "device-9" } })).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_key_file_written_is_one_the_sidecar_reads() {
    let fcm = Served::start(3599).await;
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("fcm-account.json");
    super::super::account::write(&path, &fcm.account()).expect("written");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
    let text = std::fs::read_to_string(&path).expect("readable");
    let account = ServiceAccount::from_json(&text, "FCM_SERVICE_ACCOUNT_FILE").expect("valid");
    assert_eq!(account.project_id, PROJECT);
    assert_eq!(account.client_email, EMAIL);
    assert_eq!(account.token_uri, format!("{}/token", fcm.base));
    let served = fcm.get_value("/_fake/service-account").await;
    assert_eq!(served, serde_json::from_str::<Value>(&text).expect("JSON"));
}
