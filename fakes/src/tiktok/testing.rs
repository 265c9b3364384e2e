//! A fake TikTok on loopback, and a client for it, for the tests.

use super::{parse_seed, router, Fake, Settings};
use crate::testing::Running;
use samia_sidecar::tiktok::{TikTokClient, TikTokConfig, Tokens};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub const KEY: &str = "test-client-key";
pub const SECRET: &str = "test-client-secret-hunter5";
pub const REDIRECT: &str = "http://127.0.0.1:9/tiktok/callback";

pub fn settings() -> Settings {
    Settings {
        client_key: KEY.into(),
        client_secret: SecretString::from(SECRET),
        access_ttl: Duration::from_secs(7200),
        refresh_ttl: Duration::from_secs(15_552_000),
        short_pages: false,
        rate_limit: 600,
        media_dir: None,
    }
}

/// `count` posts, a minute apart, the newest `ids(0)`, an hour ago.
pub fn seed(count: usize) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let posts: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "id": id(i),
                "create_time": now - 3600 - 60 * i as i64,
                "video_description": format!("post {i}"),
            })
        })
        .collect();
    json!({ "username": "samia.tarot", "posts": posts })
}

/// The id of the `i`-th newest post of [`seed`].
pub fn id(i: usize) -> String {
    format!("{}", 7_391_000_000_000_000_000u64 + i as u64)
}

pub struct Served {
    pub base: String,
    running: Running,
}

impl Served {
    pub async fn start(seed: Value, settings: Settings) -> Served {
        let seed = parse_seed(seed.to_string().as_bytes()).expect("a seed");
        let fake = Fake::new(settings, seed).expect("a fake");
        let running = Running::start(router(Arc::new(fake))).await;
        Served {
            base: running.base.clone(),
            running,
        }
    }

    pub fn config(&self, secret: &str) -> TikTokConfig {
        TikTokConfig {
            api_url: self.base.clone(),
            auth_url: self.base.clone(),
            client_key: KEY.into(),
            client_secret: SecretString::from(secret.to_string()),
            redirect_uri: REDIRECT.into(),
            timeout: Duration::from_secs(10),
        }
    }

    pub fn client(&self) -> TikTokClient {
        TikTokClient::new(self.config(SECRET)).expect("a client")
    }

    /// The owner allows the app: the authorize page's redirect, parsed.
    pub async fn redirect(&self, client: &TikTokClient, state: &str) -> Vec<(String, String)> {
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let response = browser
            .get(client.authorize_url(state))
            .send()
            .await
            .expect("the fake answers");
        assert_eq!(response.status().as_u16(), 302);
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("a Location")
            .to_string();
        let (to, query) = location.split_once('?').expect("a query");
        assert_eq!(to, REDIRECT);
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    /// A fake with `seed` and `settings`, a client, and the owner's
    /// first tokens.
    pub async fn connected(seed: Value, settings: Settings) -> (Served, TikTokClient, Tokens) {
        let served = Served::start(seed, settings).await;
        let client = served.client();
        let tokens = served.connect(&client).await;
        (served, client, tokens)
    }

    /// A code, exchanged: the owner's first tokens.
    pub async fn connect(&self, client: &TikTokClient) -> Tokens {
        let back = self.redirect(client, "s1").await;
        let code = back
            .iter()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.clone())
            .expect("a code");
        client.exchange_code(&code).await.expect("tokens")
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the fake answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("a body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn faults(&self, faults: Value) {
        self.running.faults(faults).await;
    }

    /// The requests to `endpoint` the fake answered: `(status, code)`.
    pub async fn requests(&self, endpoint: &str) -> Vec<(u64, Option<String>)> {
        let (_, all) = self
            .call(reqwest::Method::GET, "/_fake/requests", Value::Null)
            .await;
        all.as_array()
            .expect("a list")
            .iter()
            .filter(|r| r["endpoint"] == endpoint)
            .map(|r| {
                (
                    r["status"].as_u64().expect("a status"),
                    r["code"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    pub async fn advance(&self, secs: u64) {
        let (status, _) = self
            .call(
                reqwest::Method::POST,
                "/_fake/clock",
                json!({ "advance_secs": secs }),
            )
            .await;
        assert_eq!(status, 200);
    }
}
