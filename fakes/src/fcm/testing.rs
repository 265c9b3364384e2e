//! A fake FCM on loopback, a client for it, and keys, for the tests. The
//! keys are made by openssl once per test run: none is kept in the
//! repository.

use super::{account, router, Fake, Settings};
use crate::testing::Running;
use samia_sidecar::fcm::{Fcm, FcmConfig, PushMessage, ServiceAccount};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

pub const PROJECT: &str = "samia-fake-test";
pub const EMAIL: &str = "firebase-adminsdk@samia-fake-test.iam.gserviceaccount.com";

/// The fake's key, one for the whole test run.
pub async fn key_pem() -> &'static str {
    static KEY: OnceCell<String> = OnceCell::const_new();
    KEY.get_or_init(|| async { account::generate_key().await.expect("a key") })
        .await
}

/// A key that is not the fake's.
pub async fn other_key_pem() -> &'static str {
    static KEY: OnceCell<String> = OnceCell::const_new();
    KEY.get_or_init(|| async { account::generate_key().await.expect("a key") })
        .await
}

/// A push to `token`.
pub fn push(token: &str) -> PushMessage {
    PushMessage {
        token: token.into(),
        title: "Your reading is ready".into(),
        body: "Open the app to read it".into(),
        data: BTreeMap::from([
            ("kind".to_string(), "order.delivered".to_string()),
            ("order_id".to_string(), "42".to_string()),
        ]),
        collapse_key: Some("order-42".into()),
        time_critical: false,
    }
}

pub struct Served {
    pub base: String,
    pub fake: Arc<Fake>,
    _running: Running,
}

impl Served {
    /// A fake whose access tokens live `token_ttl` seconds.
    pub async fn start(token_ttl: u64) -> Served {
        let key_pem = key_pem().await.to_string();
        let mut fake = None;
        let running = Running::start_with(|addr| {
            let made = Arc::new(
                Fake::new(Settings {
                    project_id: PROJECT.into(),
                    client_email: EMAIL.into(),
                    key_pem,
                    token_uri: format!("http://{addr}/token"),
                    token_ttl,
                })
                .expect("a fake"),
            );
            fake = Some(made.clone());
            router(made)
        })
        .await;
        Served {
            base: running.base.clone(),
            fake: fake.expect("built"),
            _running: running,
        }
    }

    /// The key file the fake writes for the sidecar.
    pub fn account(&self) -> Value {
        self.fake.key_file()
    }

    /// A client of `account` (a key file) sending to the fake.
    pub fn client_of(&self, account: &Value) -> Fcm {
        let account = ServiceAccount::from_json(&account.to_string(), "test").expect("an account");
        Fcm::new(FcmConfig {
            base_url: self.base.clone(),
            account,
            timeout: Duration::from_secs(10),
        })
        .expect("a client")
    }

    /// A client of the fake's own account.
    pub fn client(&self) -> Fcm {
        self.client_of(&self.account())
    }

    /// A request to the fake: `(status, body, headers)`.
    pub async fn call(
        &self,
        path: &str,
        bearer: Option<&str>,
        content_type: &str,
        body: String,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the fake answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        )
    }

    /// A POST of JSON to one of the fake's own endpoints.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let (status, answer, _) = self
            .call(path, None, "application/json", body.to_string())
            .await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    pub async fn get_value(&self, path: &str) -> Value {
        let text = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("the fake answers")
            .text()
            .await
            .expect("a body");
        serde_json::from_str(&text).expect("JSON")
    }

    pub async fn get(&self, path: &str) -> Vec<Value> {
        self.get_value(path)
            .await
            .as_array()
            .cloned()
            .expect("a list")
    }

    /// `(status, code)` of every request to `endpoint` (`token`, `send`).
    pub async fn requests(&self, endpoint: &str) -> Vec<(u64, String)> {
        self.get("/_fake/requests")
            .await
            .iter()
            .filter(|r| r["endpoint"] == endpoint)
            .map(|r| {
                (
                    r["status"].as_u64().expect("a status"),
                    r["code"].as_str().expect("a code").to_string(),
                )
            })
            .collect()
    }

    pub async fn faults(&self, faults: Value) {
        self.control("/_fake/faults", json!({ "faults": faults }))
            .await;
    }

    /// An access token of the fake's account, fetched by hand.
    pub async fn access_token(&self) -> String {
        let account =
            ServiceAccount::from_json(&self.account().to_string(), "test").expect("an account");
        let jwt = samia_sidecar::fcm::token::assertion(&account, std::time::SystemTime::now())
            .expect("signed");
        let (status, answer) = self
            .exchange(secrecy::ExposeSecret::expose_secret(&jwt))
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["access_token"]
            .as_str()
            .expect("a token")
            .to_string()
    }

    /// The token endpoint's answer to `assertion`.
    pub async fn exchange(&self, assertion: &str) -> (u16, Value) {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", samia_sidecar::fcm::token::JWT_BEARER)
            .append_pair("assertion", assertion)
            .finish();
        let (status, answer, _) = self
            .call("/token", None, "application/x-www-form-urlencoded", form)
            .await;
        (status, answer)
    }
}
