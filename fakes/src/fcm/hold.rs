//! Holding `messages:send` requests: `POST /_fake/hold` `{"hold": true}`
//! keeps every send request that arrives from then on (its body received)
//! unanswered until `{"hold": false}` releases them; each is then answered
//! as usual. A message counts as accepted (`/_fake/messages`) only when
//! the fake answers it, as FCM accepts a message only when it answers: a
//! held request whose client goes away (killed, timed out) is dropped
//! unanswered, counted as `abandoned` and logged in `/_fake/requests` with
//! status 499 and code `abandoned`. `GET /_fake/hold` (and every `POST`)
//! answers `{"hold", "held", "abandoned"}`: whether requests are held, how
//! many wait now, and how many were abandoned so far.

use super::Shared;
use axum::extract::State;
use axum::Json;
use samia_sidecar::http::{ApiError, Body};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

/// The switch and its counts.
pub struct Hold {
    on: watch::Sender<bool>,
    held: AtomicU64,
    abandoned: AtomicU64,
}

impl Default for Hold {
    fn default() -> Hold {
        Hold {
            on: watch::Sender::new(false),
            held: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
        }
    }
}

/// A request waiting for the release: counted while it waits, and as
/// abandoned when it is dropped before (its connection closed).
struct Waiting<'a> {
    fake: &'a Shared,
    released: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let hold = &self.fake.hold;
        hold.held.fetch_sub(1, Ordering::SeqCst);
        if !self.released {
            hold.abandoned.fetch_add(1, Ordering::SeqCst);
            self.fake.log("send", 499, "abandoned");
        }
    }
}

impl Hold {
    fn state(&self) -> Value {
        json!({
            "hold": *self.on.borrow(),
            "held": self.held.load(Ordering::SeqCst),
            "abandoned": self.abandoned.load(Ordering::SeqCst),
        })
    }

    /// Turns holding on or off; off releases every held request.
    pub fn set(&self, on: bool) {
        self.on.send_replace(on);
    }
}

/// Waits while requests are held. A request that is dropped here (its
/// client went away) is never answered, so never accepted.
pub async fn wait(fake: &Shared) {
    let mut on = fake.hold.on.subscribe();
    if !*on.borrow_and_update() {
        return;
    }
    fake.hold.held.fetch_add(1, Ordering::SeqCst);
    let mut waiting = Waiting {
        fake,
        released: false,
    };
    // An error: the switch is gone with the fake; nothing to wait for.
    let _ = on.wait_for(|on| !on).await;
    waiting.released = true;
}

/// `GET /_fake/hold`: whether requests are held, and how many.
pub async fn state(State(fake): State<Shared>) -> Json<Value> {
    Json(fake.hold.state())
}

/// `POST /_fake/hold` `{"hold": bool}`.
pub async fn switch(State(fake): State<Shared>, Body(body): Body) -> Result<Json<Value>, ApiError> {
    let request: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let on = request
        .get("hold")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::bad_request("expected {\"hold\": true} or {\"hold\": false}"))?;
    fake.hold.set(on);
    Ok(Json(fake.hold.state()))
}
