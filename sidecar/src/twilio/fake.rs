//! `samia fake-twilio`: a stand-in for Twilio Verify v2 on loopback, for
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
//!   fault each, in order (`"pass": true` delays and then answers normally).
//!
//! Unknown paths answer Twilio's 404 20404 and a wrong method on a Verify
//! resource Twilio's 405 20004, with `Allow`; the fake's own endpoints answer
//! errors as the other sidecar servers do (`{"code", "message"}`).

use crate::error::CliError;
use crate::http::{self, ApiError, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

#[derive(clap::Args, Debug)]
pub struct FakeArgs {
    /// Address to listen on (port 0 picks a free port; the first line printed names it).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
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
    faults: VecDeque<Value>,
    serial: u64,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
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
    auth: String,
    seed: std::collections::hash_map::RandomState,
}

impl Fake {
    fn new(account_sid: &str, auth_token: &str) -> Fake {
        Fake {
            state: Mutex::new(Ledger::default()),
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
        let form = http::form(body);
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let to = field("To");
        let fault = self.lock().faults.pop_front();
        let fault = match fault {
            Some(f) if f.get("pass").and_then(|p| p.as_bool()) == Some(true) => {
                let ms = f.get("delay_ms").and_then(|d| d.as_u64()).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                None
            }
            other => other,
        };
        let response = match fault {
            Some(f) => self.inject(&f).await,
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

    async fn inject(&self, fault: &Value) -> Response {
        if let Some(ms) = fault.get("delay_ms").and_then(|d| d.as_u64()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        // A missing or impossible status is an outage.
        let status = fault
            .get("status")
            .and_then(|s| s.as_u64())
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let code = match status {
            StatusCode::TOO_MANY_REQUESTS => 20429,
            _ => 20500,
        };
        let mut r = error(status, code, "Injected fault");
        if let Some(secs) = fault.get("retry_after").and_then(|s| s.as_u64()) {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
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

async fn faults(State(fake): State<Shared>, Body(body): Body) -> Result<&'static str, ApiError> {
    let faults = http::faults(&body)?;
    fake.lock().faults.extend(faults);
    Ok("ok\n")
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
            .route("/_fake/faults", post(faults))
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
    let (listener, addr) = http::bind(&args.listen, "fake twilio ").await?;
    let fake = Arc::new(Fake::new(&args.account_sid, &args.auth_token));
    let (stop, shutdown) = watch::channel(false);
    let mut server = tokio::spawn(http::serve(listener, router(fake), shutdown));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        ended = &mut server => {
            return Err(CliError::Config(match ended {
                Ok(Ok(())) => format!("the fake Twilio on {addr} stopped by itself"),
                Ok(Err(e)) => format!("the fake Twilio on {addr} failed: {e}"),
                Err(e) => format!("the fake Twilio on {addr} failed: {e}"),
            }));
        }
    }
    let _ = stop.send(true);
    // Answers in progress get a moment; a long injected delay is not waited for.
    let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{send, Answer};
    use axum::http::Request;

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
}
