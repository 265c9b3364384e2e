//! `samia-fake twilio`: a stand-in for Twilio Verify v2 on loopback, for
//! `make up` and the tests. It answers like the real API (status codes,
//! error bodies with Twilio error codes, its send and check limits) and
//! keeps what it "sent" where a test can read it:
//!
//! - `POST /v2/Services/{sid}/Verifications` (To, Channel): 201, or 400
//!   60200 for a bad number, 429 60203 after five sends to one number in ten
//!   minutes, 401 20003 for wrong credentials.
//! - `POST /v2/Services/{sid}/VerificationCheck` (To, Code): 200 `approved`
//!   or `pending` (wrong code), 404 20404 with no pending verification, 429
//!   60202 after five wrong codes.
//! - `GET /_fake/messages`: every code sent, `[{to, code, sid, at_us}]`.
//! - `GET /_fake/requests`: every API request, `[{op, to, at_us, status}]`.
//! - `POST /_fake/faults` `{"faults": [{"status": 500}, {"status": 429,
//!   "retry_after": 1}, {"delay_ms": 3000}]}`: the next API requests, one
//!   fault each, in order (`"pass": true` delays and then answers normally;
//!   see `faults`).
//!
//! Unknown paths answer Twilio's 404 20404 and a wrong method on a Verify
//! resource Twilio's 405 20004, with `Allow`; the fake's own endpoints answer
//! errors as the other sidecar servers do (`{"code", "message"}`).

use crate::faults::{self, after_delay, Fault, Faults, Injects};
use crate::serve::{self, ListenArgs};
use crate::{form, now_us};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use samia_sidecar::error::CliError;
use samia_sidecar::http::{self, Body};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fake Twilio Verify API on loopback for development and tests
/// (no DATABASE_URL needed).
#[derive(clap::Args, Debug)]
pub struct FakeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    /// The account SID clients must present.
    #[arg(long, default_value = "ACfake")]
    account_sid: String,
    /// The auth token clients must present (a fake one: this is not a secret).
    #[arg(long, default_value = "fake-token")]
    auth_token: String,
}

const TTL: Duration = Duration::from_secs(600);
const MAX_SENDS: usize = 5;
const MAX_CHECKS: u32 = 5;

struct Pending {
    sid: String,
    code: String,
    sent_us: u64,
    wrong: u32,
}

/// What the fake has sent and been asked, and the faults still to inject.
#[derive(Default)]
struct Ledger {
    pending: HashMap<String, Pending>,
    sends: HashMap<String, Vec<u64>>,
    messages: Vec<Value>,
    requests: Vec<Value>,
    serial: u64,
}

/// An error as Twilio answers it.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        20404,
        "The requested resource was not found",
    )
}

fn is_e164(to: &str) -> bool {
    let digits = to.strip_prefix('+').unwrap_or("");
    (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

struct Fake {
    state: Mutex<Ledger>,
    faults: Faults,
    auth: String,
    seed: std::collections::hash_map::RandomState,
}

impl Fake {
    fn new(account_sid: &str, auth_token: &str) -> Fake {
        Fake {
            state: Mutex::new(Ledger::default()),
            faults: Faults::default(),
            auth: basic(account_sid, auth_token),
            seed: std::collections::hash_map::RandomState::new(),
        }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == self.auth)
    }

    fn code(&self, serial: u64) -> String {
        let mut h = self.seed.build_hasher();
        h.write_u64(serial);
        h.write_u64(now_us());
        format!("{:06}", h.finish() % 1_000_000)
    }

    /// One Verify API request: `op` is `send` or `check`.
    async fn api(&self, op: &'static str, headers: &HeaderMap, body: &[u8]) -> Response {
        let form = form(body);
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let to = field("To");
        let fault = self.faults.take_first();
        let response = match after_delay(fault).await {
            Some(f) => inject(&f),
            None if !self.authorized(headers) => {
                error(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
            }
            None if op == "send" => self.send(&to, &field("Channel")),
            None => self.check(&to, &field("Code")),
        };
        self.lock().requests.push(json!({
            "op": op, "to": to, "at_us": now_us(), "status": response.status().as_u16(),
        }));
        response
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, to: &str, channel: &str) -> Response {
        if !is_e164(to) {
            return error(
                StatusCode::BAD_REQUEST,
                60200,
                &format!("Invalid parameter `To`: {to}"),
            );
        }
        if !matches!(channel, "sms" | "call" | "whatsapp" | "email") {
            return error(
                StatusCode::BAD_REQUEST,
                60200,
                &format!("Invalid parameter `Channel`: {channel}"),
            );
        }
        let now = now_us();
        let mut s = self.lock();
        let sends = s.sends.entry(to.to_string()).or_default();
        sends.retain(|t| now.saturating_sub(*t) < TTL.as_micros() as u64);
        if sends.len() >= MAX_SENDS {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                60203,
                "Max send attempts reached",
            );
        }
        sends.push(now);
        s.serial += 1;
        let serial = s.serial;
        let sid = format!("VE{serial:032x}");
        let code = self.code(serial);
        s.pending.insert(
            to.to_string(),
            Pending {
                sid: sid.clone(),
                code: code.clone(),
                sent_us: now,
                wrong: 0,
            },
        );
        s.messages
            .push(json!({ "to": to, "code": code, "sid": sid, "at_us": now }));
        answer(
            StatusCode::CREATED,
            json!({ "sid": sid, "to": to, "channel": channel, "status": "pending", "valid": false }),
        )
    }

    fn check(&self, to: &str, code: &str) -> Response {
        let now = now_us();
        let mut s = self.lock();
        let Some(p) = s.pending.get_mut(to) else {
            return not_found();
        };
        if now.saturating_sub(p.sent_us) > TTL.as_micros() as u64 {
            s.pending.remove(to);
            return not_found();
        }
        if p.wrong >= MAX_CHECKS {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                60202,
                "Max check attempts reached",
            );
        }
        let sid = p.sid.clone();
        if p.code == code {
            s.pending.remove(to);
            return answer(
                StatusCode::OK,
                json!({ "sid": sid, "to": to, "status": "approved", "valid": true }),
            );
        }
        p.wrong += 1;
        answer(
            StatusCode::OK,
            json!({ "sid": sid, "to": to, "status": "pending", "valid": false }),
        )
    }
}

/// A fault's answer: Twilio's error for its status (a missing or
/// impossible status is an outage).
fn inject(fault: &Fault) -> Response {
    let status = fault.status(StatusCode::SERVICE_UNAVAILABLE);
    let code = match status {
        StatusCode::TOO_MANY_REQUESTS => 20429,
        _ => 20500,
    };
    let mut r = error(status, code, "Injected fault");
    if let Some(secs) = fault.retry_after() {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

fn basic(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let bytes = input.as_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

type Shared = Arc<Fake>;

async fn messages(State(fake): State<Shared>) -> Response {
    let messages = fake.lock().messages.clone();
    answer(StatusCode::OK, Value::Array(messages))
}

async fn requests(State(fake): State<Shared>) -> Response {
    let requests = fake.lock().requests.clone();
    answer(StatusCode::OK, Value::Array(requests))
}

impl Injects for Fake {
    fn faults(&self) -> &Faults {
        &self.faults
    }
}

async fn start_verification(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Body(body): Body,
) -> Response {
    fake.api("send", &headers, &body).await
}

async fn check_verification(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Body(body): Body,
) -> Response {
    fake.api("check", &headers, &body).await
}

async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed")
}

async fn unknown() -> Response {
    not_found()
}

fn router(fake: Shared) -> Router {
    http::finish(
        Router::new()
            .route("/_fake/messages", get(messages))
            .route("/_fake/requests", get(requests))
            .route("/_fake/faults", post(faults::queue::<Fake>))
            .route("/healthz", get(|| async { "ok\n" }))
            .route(
                "/v2/Services/{service}/Verifications",
                post(start_verification).fallback(method_not_allowed),
            )
            .route(
                "/v2/Services/{service}/VerificationCheck",
                post(check_verification).fallback(method_not_allowed),
            )
            .fallback(unknown)
            .with_state(fake),
    )
}

pub async fn run(args: &FakeArgs) -> Result<ExitCode, CliError> {
    let fake = Arc::new(Fake::new(&args.account_sid, &args.auth_token));
    serve::until_signal(&args.listen, "Twilio", router(fake)).await
}

#[cfg(test)]
mod tests;
