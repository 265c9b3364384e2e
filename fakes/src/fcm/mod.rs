//! `samia-fake fcm`: a stand-in for Firebase Cloud Messaging (HTTP v1) and
//! Google's token endpoint on loopback, for `make up` and the tests. On
//! start it makes (or reads, `--key`) the RSA key of a service account and
//! writes the account's key file (`--service-account-out`) as Google's
//! console downloads it, with `token_uri` pointing at the fake: the sidecar
//! reads it as `FCM_SERVICE_ACCOUNT_FILE`, with `FCM_BASE_URL` the fake.
//!
//! - `POST /token` (form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`,
//!   `assertion`): the assertion's RS256 signature is checked with the
//!   account's public key, and its claims: `iss` the account's email, `aud`
//!   this endpoint, a `scope`, `iat` and `exp` at most an hour apart, now
//!   (a minute of skew). Answers `{"access_token", "expires_in"
//!   (`--token-ttl-secs`, 3599), "token_type": "Bearer"}`, or OAuth's 400
//!   `{"error", "error_description"}`: `invalid_grant` ("Invalid JWT
//!   Signature.", the short-lived token rule, "Invalid grant: account not
//!   found" for another issuer or a disabled account, a wrong audience),
//!   `invalid_scope` (no scope), `unsupported_grant_type`,
//!   `invalid_request` (not a form, no assertion).
//! - `POST /v1/projects/{project_id}/messages:send` (`Authorization: Bearer`):
//!   401 `UNAUTHENTICATED` without a token, or with one the fake did not
//!   issue, expired or revoked; 403 `PERMISSION_DENIED` for a token without
//!   the messaging scope, another project, or an account without
//!   permission; 400 for a body that is not FCM's shape (see `shape`: an
//!   unknown field, no recipient, a registration token that is not one,
//!   data that is not strings or uses a reserved key, a bad Android
//!   priority or TTL, a bad APNs priority or collapse id, over 4096 bytes);
//!   404 `UNREGISTERED` (or 400 `INVALID_ARGUMENT`) for a registration
//!   token registered as dead. Else
//!   the message is recorded and answered `{"name":
//!   "projects/{project_id}/messages/{n}"}` (`validate_only`: named, not
//!   recorded). Errors are FCM's `{"error": {"code", "message", "status",
//!   "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
//!   "errorCode"}, ...]}}`.
//!
//! For tests (answers as the other sidecar servers' own, `{"code",
//! "message"}` on errors):
//!
//! - `GET /_fake/messages`: every message accepted, `[{name, project,
//!   token, message, at_us}]`.
//! - `GET /_fake/requests`: every token and send request, `[{endpoint,
//!   status, code, at_us}]` (never a token).
//! - `GET /_fake/service-account`: the account's key file.
//! - `POST /_fake/tokens/dead` `{"tokens": [...]}`: these registration
//!   tokens answer 404 `UNREGISTERED` from now on (`"invalid": true`: 400
//!   `INVALID_ARGUMENT` "The registration token is not a valid FCM
//!   registration token", as FCM answers a token it cannot read).
//! - `POST /_fake/revoke`: every access token issued so far answers 401.
//! - `POST /_fake/account` `{"disabled": true}` (no more tokens, those
//!   issued stop working) or `{"permission": false}` (every send 403).
//! - `POST /_fake/reset`: messages, requests, dead tokens and faults
//!   forgotten, the account restored, held requests released.
//! - `POST /_fake/hold` `{"hold": true}`: send requests are held unanswered
//!   until `{"hold": false}`; a held request whose client goes away is never
//!   answered, so never accepted; `GET /_fake/hold` counts them (see `hold`).
//! - `POST /_fake/faults` `{"faults": [{"status": 429, "retry_after": 30,
//!   "count": 2}, {"status": 503}, {"status": 500}, {"status": 401},
//!   {"status": 403, "code": "SENDER_ID_MISMATCH"}, {"status": 502, "plain":
//!   true}, {"endpoint": "token", "status": 500}, {"delay_ms": 3000,
//!   "pass": true}]}`: the next requests to `endpoint` (`send` unless
//!   given, `token`, or `any`), one fault each, in order, with FCM's error
//!   for the status (429 `QUOTA_EXCEEDED`, 503 `UNAVAILABLE`, 500
//!   `INTERNAL`, 404 `UNREGISTERED`, 401 `UNAUTHENTICATED`, or `code`) or
//!   OAuth's (`internal_failure` for a 5xx, `invalid_grant`); see `faults`.

mod account;
mod answers;
mod control;
mod hold;
mod oauth;
mod send;
mod shape;

use crate::faults::{self, Fault, Faults, Injects};
use crate::now_us;
use crate::serve::{self, ListenArgs};
use axum::http::Uri;
use axum::routing::{get, post};
use axum::Router;
use jsonwebtoken::DecodingKey;
use samia_sidecar::error::CliError;
use samia_sidecar::fcm::SigningKey;
use samia_sidecar::http::{self, ApiError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// A fake Firebase Cloud Messaging (HTTP v1) and Google token endpoint on
/// loopback for development and tests: a service account of its own,
/// token assertions checked, messages checked and kept (no DATABASE_URL
/// needed).
#[derive(clap::Args, Debug)]
pub struct FakeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    /// Where to write the service account key file for the sidecar
    /// (FCM_SERVICE_ACCOUNT_FILE), its token_uri pointing at the fake; it is
    /// also served at /_fake/service-account.
    #[arg(long, value_name = "PATH")]
    service_account_out: Option<PathBuf>,
    /// The account's RSA private key (PKCS#8 PEM); without it a new one is
    /// made with openssl.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The Firebase project the account sends for.
    #[arg(long, default_value = "samia-fake")]
    project_id: String,
    /// The account's email (the assertions' issuer); default
    /// firebase-adminsdk@<project-id>.iam.gserviceaccount.com.
    #[arg(long, value_name = "EMAIL")]
    client_email: Option<String>,
    /// Lifetime of an access token, in seconds (Google's: 3599).
    #[arg(long, default_value_t = 3599)]
    token_ttl_secs: u64,
}

/// How the fake behaves.
pub struct Settings {
    pub project_id: String,
    pub client_email: String,
    /// The account's private key, PKCS#8 PEM.
    pub key_pem: String,
    /// Where the fake's token endpoint answers (the assertions' audience).
    pub token_uri: String,
    /// `expires_in` of the access tokens.
    pub token_ttl: u64,
}

/// An access token the fake issued.
struct Issued {
    expires_at: SystemTime,
    scopes: Vec<String>,
    revoked: bool,
}

#[derive(Default)]
struct Inner {
    issued: HashMap<String, Issued>,
    /// Registration tokens FCM no longer takes: `true` when FCM calls them
    /// invalid (400 INVALID_ARGUMENT) rather than unregistered (404).
    dead: HashMap<String, bool>,
    messages: Vec<Value>,
    requests: Vec<Value>,
    serial: u64,
    disabled: bool,
    no_permission: bool,
}

pub struct Fake {
    settings: Settings,
    public_key: DecodingKey,
    inner: Mutex<Inner>,
    faults: Faults,
    hold: hold::Hold,
}

type Shared = Arc<Fake>;

impl Injects for Fake {
    fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// Whether a queued fault is for requests to `endpoint` (`send` unless
/// the fault names another, or `any`).
fn fault_applies(fault: &Fault, endpoint: &str) -> bool {
    match fault.text("endpoint").unwrap_or("send") {
        "any" => true,
        named => named == endpoint,
    }
}

impl Fake {
    pub fn new(settings: Settings) -> Result<Fake, CliError> {
        let key = SigningKey::from_pem(&settings.key_pem)
            .map_err(|e| CliError::Config(format!("the fake's key {e}")))?;
        Ok(Fake {
            public_key: DecodingKey::from_rsa_der(&key.public_key_der()),
            settings,
            inner: Mutex::new(Inner::default()),
            faults: Faults::default(),
            hold: hold::Hold::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, endpoint: &str, status: u16, code: &str) {
        self.lock().requests.push(json!({
            "endpoint": endpoint, "status": status, "code": code, "at_us": now_us(),
        }));
    }

    /// The service account's key file, as the sidecar reads it.
    pub fn key_file(&self) -> Value {
        let s = &self.settings;
        account::key_file(&s.project_id, &s.client_email, &s.key_pem, &s.token_uri)
    }
}

async fn unknown(uri: Uri) -> ApiError {
    ApiError::not_found(format!("nothing at {}", uri.path()))
}

pub fn router(fake: Shared) -> Router {
    http::finish(
        Router::new()
            .route("/token", post(oauth::token))
            .route("/v1/projects/{project}/messages:send", post(send::send))
            .route("/_fake/messages", get(control::messages))
            .route("/_fake/requests", get(control::requests))
            .route("/_fake/service-account", get(control::service_account))
            .route("/_fake/tokens/dead", post(control::dead_tokens))
            .route("/_fake/revoke", post(control::revoke))
            .route("/_fake/account", post(control::account))
            .route("/_fake/reset", post(control::reset))
            .route("/_fake/faults", post(faults::queue::<Fake>))
            .route("/_fake/hold", get(hold::state).post(hold::switch))
            .route("/healthz", get(|| async { "ok\n" }))
            .fallback(unknown)
            .with_state(fake),
    )
}

pub async fn run(args: &FakeArgs) -> Result<ExitCode, CliError> {
    let project_id = args.project_id.trim().to_string();
    if project_id.is_empty()
        || !project_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(CliError::Config(format!(
            "--project-id {project_id:?} is not a project ID (letters, digits and hyphens)"
        )));
    }
    let client_email = args
        .client_email
        .clone()
        .unwrap_or_else(|| format!("firebase-adminsdk@{project_id}.iam.gserviceaccount.com"));
    let key_pem = account::key(args.key.as_deref()).await?;
    let out = args.service_account_out.clone();
    let token_ttl = args.token_ttl_secs;
    serve::until_signal_with(&args.listen, "FCM", move |addr| {
        let fake = Fake::new(Settings {
            project_id,
            client_email,
            key_pem,
            token_uri: format!("http://{addr}/token"),
            token_ttl,
        })?;
        if let Some(path) = &out {
            account::write(path, &fake.key_file())?;
        }
        Ok(router(Arc::new(fake)))
    })
    .await
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
