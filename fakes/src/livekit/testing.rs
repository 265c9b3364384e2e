//! A fake LiveKit on loopback, a client for it, and a webhook receiver,
//! for the tests.

use super::{router, start, Settings};
use crate::testing::Running;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use samia_sidecar::livekit::{LiveKitClient, LiveKitConfig};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "APItestkey";
pub const SECRET: &str = "test-livekit-secret-hunter7-32-chars";

pub fn secret() -> SecretString {
    SecretString::from(SECRET)
}

pub fn settings(webhook_url: Option<String>) -> Settings {
    Settings {
        api_key: KEY.into(),
        api_secret: secret(),
        webhook_url,
        empty_timeout: 300,
        departure_timeout: 20,
    }
}

pub struct Served {
    pub base: String,
    running: Running,
}

impl Served {
    pub async fn start(settings: Settings) -> Served {
        let running = Running::start(router(start(settings))).await;
        Served {
            base: running.base.clone(),
            running,
        }
    }

    pub fn config(&self, key: &str, secret: &str) -> LiveKitConfig {
        LiveKitConfig {
            url: self.base.clone(),
            api_key: key.into(),
            api_secret: SecretString::from(secret.to_string()),
            timeout: Duration::from_secs(10),
        }
    }

    pub fn client(&self) -> LiveKitClient {
        LiveKitClient::new(self.config(KEY, SECRET)).expect("a client")
    }

    /// A request to the fake, with an optional bearer token.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Value,
    ) -> (u16, String) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the fake answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.call(reqwest::Method::POST, path, None, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, text) = self
            .call(reqwest::Method::GET, path, None, Value::Null)
            .await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).expect("JSON")
    }

    /// A participant connects to `room` with `token`.
    pub async fn join(&self, room: &str, token: &str) -> (u16, Value) {
        self.control(
            &format!("/_fake/rooms/{room}/join"),
            json!({ "token": token }),
        )
        .await
    }

    pub async fn events(&self) -> Vec<Value> {
        self.get("/_fake/events")
            .await
            .as_array()
            .cloned()
            .expect("a list")
    }

    pub async fn faults(&self, faults: Value) {
        self.running.faults(faults).await;
    }

    pub async fn advance(&self, secs: u64) {
        let (status, _) = self
            .control("/_fake/clock", json!({ "advance_secs": secs }))
            .await;
        assert_eq!(status, 200);
    }
}

/// One webhook as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub body: Vec<u8>,
}

/// A tiny webhook receiver on loopback: keeps every POST to `/hook` and
/// answers 500 to the first `failures` of them, 200 after.
pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    _running: Running,
}

impl Receiver {
    pub async fn start(failures: usize) -> Receiver {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = seen.clone();
        let router = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: bytes::Bytes| {
                let kept = kept.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    let mut all = kept.lock().expect("not poisoned");
                    all.push(Received {
                        authorization: header("authorization"),
                        content_type: header("content-type"),
                        user_agent: header("user-agent"),
                        body: body.to_vec(),
                    });
                    if all.len() <= failures {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        );
        let running = Running::start(router).await;
        Receiver {
            url: format!("{}/hook", running.base),
            seen,
            _running: running,
        }
    }

    /// The first `n` webhooks received, waiting up to ten seconds for them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            {
                let seen = self.seen.lock().expect("not poisoned");
                if seen.len() >= n {
                    return seen[..n].to_vec();
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen = self.seen.lock().expect("not poisoned");
        panic!("{} webhooks arrived, not {n}", seen.len());
    }

    pub fn count(&self) -> usize {
        self.seen.lock().expect("not poisoned").len()
    }
}
