//! Faults a test injects into a fake: `POST /_fake/faults` with
//! `{"faults": [{...}, ...]}` queues them, and each of the next API
//! requests (of the kind a fault names, where the fake lets it name one)
//! takes the first in line. Every fake reads these fields:
//!
//! - `status`: the error status to answer with (4xx or 5xx; anything else
//!   is the fake's default, an outage), with the provider's error body;
//! - `retry_after`: seconds, sent as `Retry-After`;
//! - `delay_ms`: wait this long first;
//! - `pass: true`: only the delay, then the request is answered as usual;
//! - `count`: queue the fault this many times (default once).
//!
//! A fake may read more (TikTok's `endpoint` and `code`, LiveKit's
//! `method`, `plain` and `tamper`).

use axum::extract::State;
use axum::http::StatusCode;
use samia_sidecar::http::{ApiError, Body};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Most copies of one fault a `count` queues.
const MAX_COUNT: u64 = 10_000;

/// One queued fault.
#[derive(Debug, Clone)]
pub struct Fault(Value);

impl Fault {
    /// A field of the fault as the test wrote it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A text field of the fault.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// Whether a flag of the fault is `true`.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool) == Some(true)
    }

    /// The error status to answer with, `default` when the fault names
    /// none or one that is not a client or server error.
    pub fn status(&self, default: StatusCode) -> StatusCode {
        self.get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(default)
    }

    /// The `Retry-After` to send, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.get("retry_after").and_then(Value::as_u64)
    }
}

/// Waits out the delay of `fault` (the fault a request took, if any):
/// returns the fault to answer with, or `None` when there is none or it
/// only delays (`"pass": true`).
pub async fn after_delay(fault: Option<Fault>) -> Option<Fault> {
    let fault = fault?;
    if let Some(ms) = fault.get("delay_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    (!fault.flag("pass")).then_some(fault)
}

/// The faults a fake still has to inject, in order (shared by its
/// requests: it locks itself).
#[derive(Debug, Default)]
pub struct Faults(Mutex<VecDeque<Fault>>);

impl Faults {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues the faults of a `POST /_fake/faults` body, each `count` times.
    pub fn queue(&self, body: &[u8]) -> Result<(), ApiError> {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let faults = parsed
            .as_ref()
            .and_then(|v| v.get("faults"))
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad_request("expected {\"faults\": [...]}"))?;
        let mut queued = self.lock();
        for fault in faults {
            let count = fault
                .get("count")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(MAX_COUNT);
            for _ in 0..count {
                queued.push_back(Fault(fault.clone()));
            }
        }
        Ok(())
    }

    /// Takes the first fault that `applies`.
    pub fn take(&self, applies: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut queued = self.lock();
        let at = queued.iter().position(applies)?;
        queued.remove(at)
    }

    /// Takes the first fault.
    pub fn take_first(&self) -> Option<Fault> {
        self.lock().pop_front()
    }

    /// Drops every queued fault.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// A fake that injects faults: its queue.
pub trait Injects: Send + Sync + 'static {
    fn faults(&self) -> &Faults;
}

/// `POST /_fake/faults`: queues the faults of the body.
pub async fn queue<F: Injects>(
    State(fake): State<Arc<F>>,
    Body(body): Body,
) -> Result<&'static str, ApiError> {
    fake.faults().queue(&body)?;
    Ok("ok\n")
}
