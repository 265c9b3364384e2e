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

use crate::error::CliError;
use crate::http::{self, Request, Response};
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

#[derive(Default)]
struct State {
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

fn error(status: u16, code: u32, message: &str) -> Response {
    Response::json(
        status,
        &json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }),
    )
}

fn is_e164(to: &str) -> bool {
    let digits = to.strip_prefix('+').unwrap_or("");
    (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

struct Fake {
    state: Mutex<State>,
    auth: String,
    seed: std::collections::hash_map::RandomState,
}

impl Fake {
    fn authorized(&self, req: &Request) -> bool {
        req.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == self.auth)
    }

    fn code(&self, serial: u64) -> String {
        let mut h = self.seed.build_hasher();
        h.write_u64(serial);
        h.write_u64(now_us());
        format!("{:06}", h.finish() % 1_000_000)
    }

    async fn handle(&self, req: Request) -> Response {
        let path = req.path.as_str();
        match (req.method.as_str(), path) {
            ("GET", "/_fake/messages") => {
                let s = self.lock();
                return Response::json(200, &Value::Array(s.messages.clone()));
            }
            ("GET", "/_fake/requests") => {
                let s = self.lock();
                return Response::json(200, &Value::Array(s.requests.clone()));
            }
            ("POST", "/_fake/faults") => {
                let parsed: Option<Value> = serde_json::from_slice(&req.body).ok();
                let Some(faults) = parsed
                    .as_ref()
                    .and_then(|v| v.get("faults"))
                    .and_then(|f| f.as_array())
                else {
                    return Response::text(400, "expected {\"faults\": [...]}\n");
                };
                self.lock().faults.extend(faults.iter().cloned());
                return Response::text(200, "ok\n");
            }
            ("GET", "/healthz") => return Response::text(200, "ok\n"),
            _ => {}
        }
        let op = match (req.method.as_str(), path.rsplit('/').next()) {
            ("POST", Some("Verifications")) if path.starts_with("/v2/Services/") => "send",
            ("POST", Some("VerificationCheck")) if path.starts_with("/v2/Services/") => "check",
            _ => return error(404, 20404, "The requested resource was not found"),
        };
        let form = http::form(&req.body);
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
            None if !self.authorized(&req) => error(401, 20003, "Authenticate"),
            None if op == "send" => self.send(&to, &field("Channel")),
            None => self.check(&to, &field("Code")),
        };
        self.lock().requests.push(json!({
            "op": op, "to": to, "at_us": now_us(), "status": response.status,
        }));
        response
    }

    async fn inject(&self, fault: &Value) -> Response {
        if let Some(ms) = fault.get("delay_ms").and_then(|d| d.as_u64()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let status = fault.get("status").and_then(|s| s.as_u64()).unwrap_or(503) as u16;
        let code = match status {
            429 => 20429,
            _ => 20500,
        };
        let mut r = error(status, code, "Injected fault");
        if let Some(secs) = fault.get("retry_after").and_then(|s| s.as_u64()) {
            r.headers.push(("retry-after", secs.to_string()));
        }
        r
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, to: &str, channel: &str) -> Response {
        if !is_e164(to) {
            return error(400, 60200, &format!("Invalid parameter `To`: {to}"));
        }
        if !matches!(channel, "sms" | "call" | "whatsapp" | "email") {
            return error(
                400,
                60200,
                &format!("Invalid parameter `Channel`: {channel}"),
            );
        }
        let now = now_us();
        let mut s = self.lock();
        let sends = s.sends.entry(to.to_string()).or_default();
        sends.retain(|t| now.saturating_sub(*t) < TTL.as_micros() as u64);
        if sends.len() >= MAX_SENDS {
            return error(429, 60203, "Max send attempts reached");
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
        Response::json(
            201,
            &json!({ "sid": sid, "to": to, "channel": channel, "status": "pending", "valid": false }),
        )
    }

    fn check(&self, to: &str, code: &str) -> Response {
        let now = now_us();
        let mut s = self.lock();
        let Some(p) = s.pending.get_mut(to) else {
            return error(404, 20404, "The requested resource was not found");
        };
        if now.saturating_sub(p.sent_us) > TTL.as_micros() as u64 {
            s.pending.remove(to);
            return error(404, 20404, "The requested resource was not found");
        }
        if p.wrong >= MAX_CHECKS {
            return error(429, 60202, "Max check attempts reached");
        }
        let sid = p.sid.clone();
        if p.code == code {
            s.pending.remove(to);
            return Response::json(
                200,
                &json!({ "sid": sid, "to": to, "status": "approved", "valid": true }),
            );
        }
        p.wrong += 1;
        Response::json(
            200,
            &json!({ "sid": sid, "to": to, "status": "pending", "valid": false }),
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

pub async fn run(args: &FakeArgs) -> Result<ExitCode, CliError> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| CliError::Config(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Config(format!("cannot listen on {}: {e}", args.listen)))?;
    println!("fake twilio listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let fake = Arc::new(Fake {
        state: Mutex::new(State::default()),
        auth: basic(&args.account_sid, &args.auth_token),
        seed: std::collections::hash_map::RandomState::new(),
    });
    let (stop, shutdown) = watch::channel(false);
    let server = tokio::spawn(http::serve(
        listener,
        move |req| {
            let fake = fake.clone();
            async move { fake.handle(req).await }
        },
        shutdown,
    ));
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(true);
    let _ = server.await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

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
