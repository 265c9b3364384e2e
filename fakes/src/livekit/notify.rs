//! The fake's webhooks: each event made, signed and logged as LiveKit's
//! notifier makes it (livekit/protocol `webhook/url_notifier.go`,
//! livekit/livekit `pkg/telemetry/events.go`), then posted one at a time,
//! in order.

use super::rooms::{sid, Emit};
use super::{Fake, Settings};
use samia_sidecar::livekit::token::unix;
use samia_sidecar::livekit::webhook;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::Weak;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// Attempts per event, the first included.
const ATTEMPTS: u32 = 3;

/// An event on its way: the exact body and the `Authorization` sent with it.
pub struct Outgoing {
    pub id: String,
    pub body: Vec<u8>,
    pub authorization: Option<String>,
}

/// An event made: its entry in `/_fake/events` and what to post.
pub struct Made {
    pub log: Value,
    pub outgoing: Outgoing,
}

/// The webhook of `emit` at `now`, with a unique id; `tamper` spoils it on
/// purpose (`body`, `signature`, `unsigned`, `expired`).
pub fn event(settings: &Settings, emit: &Emit, now: SystemTime, tamper: Option<&str>) -> Made {
    let id = sid("EV_");
    let mut body = json!({
        "event": emit.event,
        "room": emit.room,
        "id": id,
        "createdAt": unix(now).to_string(),
    });
    if let Some(participant) = &emit.participant {
        body["participant"] = participant.clone();
    }
    let mut bytes = body.to_string().into_bytes();
    let key = settings.api_key.as_str();
    let sign =
        |secret: &SecretString, at: SystemTime| webhook::sign_at(&bytes, key, secret, at).ok();
    let authorization = match tamper {
        Some("signature") => sign(
            &SecretString::from("not-the-api-secret-of-this-server"),
            now,
        ),
        Some("unsigned") => None,
        Some("expired") => sign(&settings.api_secret, now - Duration::from_secs(600)),
        _ => sign(&settings.api_secret, now),
    };
    if tamper == Some("body") {
        // Still JSON, no longer the bytes signed.
        bytes.insert(1, b' ');
    }
    let log = json!({
        "id": id,
        "event": emit.event,
        "room": emit.room.get("name"),
        "identity": emit.participant.as_ref().and_then(|p| p.get("identity")),
        "created_at": unix(now),
        "body": String::from_utf8_lossy(&bytes),
        "authorization": authorization,
        "tampered": tamper,
        "delivery": null,
    });
    Made {
        log,
        outgoing: Outgoing {
            id,
            body: bytes,
            authorization,
        },
    }
}

impl Fake {
    fn delivered(&self, id: &str, outcome: Value) {
        let mut inner = self.lock();
        if let Some(entry) = inner.events.iter_mut().find(|e| e["id"] == id) {
            entry["delivery"] = outcome;
        }
    }
}

/// Posts the events of `outbox` to `url` until the fake is gone.
pub async fn deliver(fake: Weak<Fake>, mut outbox: mpsc::UnboundedReceiver<Outgoing>, url: String) {
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .user_agent("LiveKit")
        .build()
    else {
        return;
    };
    while let Some(out) = outbox.recv().await {
        let outcome = send(&http, &url, &out).await;
        let Some(fake) = fake.upgrade() else { return };
        fake.delivered(&out.id, outcome);
    }
}

async fn send(http: &reqwest::Client, url: &str, out: &Outgoing) -> Value {
    let mut outcome = Value::Null;
    for attempt in 1..=ATTEMPTS {
        let mut request = http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, webhook::CONTENT_TYPE)
            .body(out.body.clone());
        if let Some(authorization) = &out.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        match request.send().await {
            Ok(r) if !r.status().is_server_error() => {
                return json!({ "status": r.status().as_u16(), "attempts": attempt });
            }
            Ok(r) => outcome = json!({ "status": r.status().as_u16(), "attempts": attempt }),
            Err(e) => outcome = json!({ "error": e.to_string(), "attempts": attempt }),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
    }
    outcome
}
