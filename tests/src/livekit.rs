//! A running `samia-fake livekit` for the call tests, and requests to the
//! sidecar's call routes as the apps make them.

use crate::cluster::{samia_fake_bin, spawn_listening};
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::process::{Child, Command};

pub const API_KEY: &str = "APItestkey";
/// Only the fake and the sidecar under test know it; built here so no
/// literal secret sits in a test.
pub fn api_secret() -> String {
    format!("livekit-secret-{}", "for-the-call-tests-only")
}

/// A loopback port free right now (for a sidecar the fake must post to).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

pub struct FakeLiveKit {
    child: Child,
    pub addr: String,
    http: reqwest::Client,
}

impl FakeLiveKit {
    /// Starts the fake, posting its webhooks to `webhook_url`.
    pub fn start(webhook_url: &str) -> Result<FakeLiveKit> {
        let mut cmd = Command::new(samia_fake_bin());
        cmd.args([
            "livekit",
            "--listen",
            "127.0.0.1:0",
            "--webhook-url",
            webhook_url,
        ])
        .env("LIVEKIT_API_KEY", API_KEY)
        .env("LIVEKIT_API_SECRET", api_secret());
        let (child, addr) = spawn_listening(cmd, "fake livekit listening on http://")?;
        Ok(FakeLiveKit {
            child,
            addr,
            http: reqwest::Client::new(),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What `samia run` needs to use the fake.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("LIVEKIT_URL".into(), self.url()),
            ("LIVEKIT_API_KEY".into(), API_KEY.into()),
            ("LIVEKIT_API_SECRET".into(), api_secret()),
        ]
    }

    async fn post(&self, path: &str, body: Value) -> Result<(u16, Value)> {
        let r = self
            .http
            .post(format!("{}{path}", self.url()))
            .json(&body)
            .send()
            .await?;
        let status = r.status().as_u16();
        let body = r.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn get(&self, path: &str) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}{path}", self.url()))
            .send()
            .await?
            .json::<Value>()
            .await?)
    }

    /// A participant connects to `room` with `token`.
    pub async fn join(&self, room: &str, token: &str) -> Result<(u16, Value)> {
        self.post(
            &format!("/_fake/rooms/{room}/join"),
            json!({ "token": token }),
        )
        .await
    }

    pub async fn leave(&self, room: &str, identity: &str, reason: &str) -> Result<(u16, Value)> {
        self.post(
            &format!("/_fake/rooms/{room}/participants/{identity}/leave"),
            json!({ "reason": reason }),
        )
        .await
    }

    /// The participant publishes a track (403 when its grant forbids it).
    pub async fn post_publish(&self, room: &str, identity: &str) -> Result<(u16, Value)> {
        self.post(
            &format!("/_fake/rooms/{room}/participants/{identity}/publish"),
            json!({}),
        )
        .await
    }

    pub async fn finish(&self, room: &str) -> Result<(u16, Value)> {
        self.post(&format!("/_fake/rooms/{room}/finish"), json!({}))
            .await
    }

    pub async fn faults(&self, faults: Value) -> Result<()> {
        let (status, body) = self
            .post("/_fake/faults", json!({ "faults": faults }))
            .await?;
        anyhow::ensure!(status == 200, "faults refused: {status} {body}");
        Ok(())
    }

    pub async fn rooms(&self) -> Result<Value> {
        self.get("/_fake/rooms").await
    }

    pub async fn events(&self) -> Result<Vec<Value>> {
        let v = self.get("/_fake/events").await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    pub async fn requests(&self) -> Result<Vec<Value>> {
        let v = self.get("/_fake/requests").await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// Names of the participants in `room` now.
    pub async fn in_room(&self, room: &str) -> Result<Vec<String>> {
        let rooms = self.rooms().await?;
        let list = rooms
            .as_array()
            .or_else(|| rooms.get("rooms").and_then(Value::as_array))
            .cloned()
            .unwrap_or_default();
        Ok(list
            .iter()
            .filter(|r| r["name"] == room)
            .flat_map(|r| r["participants"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p["identity"].as_str().map(str::to_string))
            .collect())
    }
}

impl Drop for FakeLiveKit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST /v1/calls/{order}/join` on the sidecar at `addr` with `token` as
/// the bearer (none when `None`): the status and the JSON body.
pub async fn join_route(addr: &str, order: &str, token: Option<&str>) -> Result<(u16, Value)> {
    let mut request = reqwest::Client::new().post(format!("http://{addr}/v1/calls/{order}/join"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.context("calling the join route")?;
    let status = r.status().as_u16();
    Ok((status, r.json::<Value>().await.unwrap_or(Value::Null)))
}
