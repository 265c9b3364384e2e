//! `samia-fake storage`: a stand-in for Supabase Storage on loopback, for
//! `make up` and the tests. Files are kept under `--root`, one file per
//! written version; `storage.objects` rows are written through
//! `DATABASE_URL` as the real service writes them: each request's
//! statements run in one transaction with the caller's role and JWT claims
//! (`set_config('role', ...)`, `request.jwt.claims`), so the policies of
//! `storage.objects` decide who may write, read and delete.
//!
//! - `POST /storage/v1/object/{bucket}/{path}` (create; `x-upsert: true`
//!   replaces) and `PUT` (update): `{"Id", "Key"}`; refused with 404
//!   NoSuchBucket, 413 EntityTooLarge, 415 InvalidMimeType, 409
//!   KeyAlreadyExists, 403 AccessDenied (a policy), 400 InvalidKey.
//! - `GET /storage/v1/object/{bucket}/{path}` and
//!   `/storage/v1/object/authenticated/{bucket}/{path}`: the bytes, or 404
//!   NoSuchKey when the row is missing or not visible to the caller.
//! - `POST /storage/v1/object/sign/{bucket}/{path}` `{"expiresIn": secs}`:
//!   `{"signedURL": "/object/sign/{bucket}/{path}?token=..."}`; `GET` on it
//!   serves the object until the token expires (400 InvalidJWT "jwt expired").
//! - `DELETE /storage/v1/object/{bucket}` `{"prefixes": [...]}`: the objects
//!   deleted (those the caller may delete).
//! - `GET /_fake/requests`: every API request, `[{method, path, status, at_us}]`.
//! - `POST /_fake/faults` `{"faults": [{"status": 429, "retry_after": 1},
//!   {"status": 500}, {"delay_ms": 3000, "pass": true}]}`: the next API
//!   requests, one fault each, in order (see `faults`).
//!
//! Error bodies are Storage's (see `answers`): HTTP 400 with the real status
//! as text in `statusCode`. The bearer token is an HS256 JWT signed with
//! `SUPABASE_JWT_SECRET`; its `role` claim (`anon`, `authenticated`,
//! `service_role`) is the database role of the request.

mod answers;
mod objects;
pub mod token;

use crate::faults::{self, after_delay, Fault, Faults, Injects};
use crate::now_us;
use crate::serve::{self, ListenArgs};
use answers::Refusal;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use deadpool_postgres::Pool;
use objects::Write;
use samia_sidecar::db::{self, DbArgs, Target};
use samia_sidecar::error::CliError;
use samia_sidecar::http;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// A fake Supabase Storage API on loopback for development and tests: files
/// on local disk, storage.objects rows written through DATABASE_URL under
/// the caller's role and JWT claims, as the real service does.
#[derive(clap::Args, Debug)]
pub struct FakeArgs {
    /// The database whose storage.objects the fake writes: the owner of the
    /// storage schema (or a superuser), a member of anon, authenticated and
    /// service_role.
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    listen: ListenArgs,
    /// Where the files are kept (default: a new temporary directory, removed at exit).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The project's JWT secret: tokens (the service key included) must be
    /// HS256-signed with it, and signed URLs are.
    #[arg(
        long = "jwt-secret",
        env = "SUPABASE_JWT_SECRET",
        value_name = "SECRET",
        value_parser = samia_sidecar::secret::secret_arg,
        hide_env_values = true
    )]
    jwt_secret: Option<SecretString>,
    /// The project's largest upload in bytes, whatever a bucket allows.
    #[arg(long, value_name = "BYTES", default_value_t = 500 * 1024 * 1024)]
    file_size_limit: u64,
}

/// What the fake has been asked, and the faults still to inject.
#[derive(Default)]
struct Ledger {
    requests: Vec<Value>,
}

pub struct Fake {
    pool: Pool,
    root: PathBuf,
    secret: SecretString,
    file_size_limit: u64,
    ledger: Mutex<Ledger>,
    faults: Faults,
}

/// Who is asking: the database role and the claims of the bearer token.
struct Caller {
    role: String,
    claims: Map<String, Value>,
}

impl Caller {
    fn sub(&self) -> Option<&str> {
        self.claims.get("sub").and_then(|s| s.as_str())
    }
}

const ROLES: &[&str] = &["anon", "authenticated", "service_role"];

impl Fake {
    pub fn new(pool: Pool, root: PathBuf, secret: SecretString, file_size_limit: u64) -> Fake {
        Fake {
            pool,
            root,
            secret,
            file_size_limit,
            ledger: Mutex::new(Ledger::default()),
            faults: Faults::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn secret(&self) -> &[u8] {
        self.secret.expose_secret().as_bytes()
    }

    fn caller(&self, headers: &HeaderMap) -> Result<Caller, Refusal> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let token = value
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("bearer "))
            .map(|_| &value[7..])
            .unwrap_or("");
        let claims = token::verify(self.secret(), token)
            .map_err(|e| Refusal::access_denied(e.to_string()))?;
        let role = claims
            .get("role")
            .and_then(|r| r.as_str())
            .unwrap_or("anon")
            .to_string();
        if !ROLES.contains(&role.as_str()) {
            return Err(Refusal::access_denied(format!(
                "role \"{role}\" does not exist"
            )));
        }
        Ok(Caller { role, claims })
    }

    fn blob(&self, version: &str) -> PathBuf {
        self.root.join("blobs").join(version)
    }

    /// A transaction acting as the caller, as Storage opens one per request.
    /// Like Storage it allows its own deletes from `storage.objects`, which
    /// Supabase's `storage.protect_delete` trigger refuses to anyone else
    /// (the setting means nothing where that trigger does not exist).
    async fn begin<'a>(
        client: &'a mut deadpool_postgres::Client,
        caller: &Caller,
    ) -> Result<deadpool_postgres::Transaction<'a>, Refusal> {
        let tx = client
            .transaction()
            .await
            .map_err(|e| Refusal::from_db(&e))?;
        let claims = Value::Object(caller.claims.clone()).to_string();
        tx.execute(
            "select set_config('role', $1, true), set_config('request.jwt.claim.role', $1, true),
                    set_config('request.jwt.claims', $2, true),
                    set_config('request.jwt.claim.sub', $3, true),
                    set_config('storage.allow_delete_query', 'true', true)",
            &[&caller.role, &claims, &caller.sub().unwrap_or("")],
        )
        .await
        .map_err(|e| Refusal::from_db(&e))?;
        Ok(tx)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, Refusal> {
        self.pool
            .get()
            .await
            .map_err(|e| Refusal::internal(format!("the database is unavailable: {e}")))
    }

    /// One API request: faults first, then the operation, then the log.
    async fn api(
        self: &Arc<Self>,
        method: Method,
        uri: &Uri,
        rest: &str,
        headers: HeaderMap,
        body: axum::body::Body,
    ) -> Response {
        let fault = self.faults.take_first();
        let response = match after_delay(fault).await {
            Some(f) => inject(&f),
            None => self.dispatch(&method, uri, rest, &headers, body).await,
        };
        self.lock().requests.push(json!({
            "method": method.as_str(),
            "path": uri.path(),
            "status": response.status().as_u16(),
            "at_us": now_us(),
        }));
        response
    }

    async fn dispatch(
        &self,
        method: &Method,
        uri: &Uri,
        rest: &str,
        headers: &HeaderMap,
        body: axum::body::Body,
    ) -> Response {
        let (first, remainder) = rest.split_once('/').unwrap_or((rest, ""));
        let outcome = match (first, method) {
            ("sign", &Method::GET) => {
                let (bucket, name) = split(remainder);
                self.signed_download(bucket, name, uri.query().unwrap_or(""))
                    .await
            }
            ("sign", &Method::POST) => {
                let (bucket, name) = split(remainder);
                match read_json(body).await {
                    Ok(json) => self.sign(headers, bucket, name, &json).await,
                    Err(r) => return r,
                }
            }
            ("authenticated", &Method::GET) => {
                let (bucket, name) = split(remainder);
                self.download(headers, bucket, name).await
            }
            (bucket, &Method::DELETE) if remainder.is_empty() => match read_json(body).await {
                Ok(json) => self.delete(headers, bucket, &json).await,
                Err(r) => return r,
            },
            (bucket, &Method::GET) if !remainder.is_empty() => {
                self.download(headers, bucket, remainder).await
            }
            (bucket, &Method::POST) if !remainder.is_empty() => {
                let upsert = headers
                    .get("x-upsert")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == "true");
                let write = if upsert { Write::Upsert } else { Write::Create };
                self.upload(headers, bucket, remainder, body, write).await
            }
            (bucket, &Method::PUT) if !remainder.is_empty() => {
                self.upload(headers, bucket, remainder, body, Write::Update)
                    .await
            }
            _ => {
                return answers::framework(
                    StatusCode::NOT_FOUND,
                    "Not Found",
                    &format!("Route {method}:{} not found", uri.path()),
                )
            }
        };
        outcome.unwrap_or_else(IntoResponse::into_response)
    }
}

fn split(rest: &str) -> (&str, &str) {
    rest.split_once('/').unwrap_or((rest, ""))
}

async fn read_json(body: axum::body::Body) -> Result<Value, Response> {
    let bytes = axum::body::to_bytes(body, http::MAX_BODY)
        .await
        .map_err(|_| {
            answers::framework(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                "Request body is too large",
            )
        })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        answers::framework(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Body is not valid JSON",
        )
    })
}

/// A fault's answer, as Storage renders an error of its status (a missing
/// or impossible status is an outage).
fn inject(fault: &Fault) -> Response {
    answers::fault(
        fault.status(StatusCode::SERVICE_UNAVAILABLE),
        fault.retry_after(),
    )
}

type Shared = Arc<Fake>;

async fn requests(State(fake): State<Shared>) -> Response {
    let requests = fake.lock().requests.clone();
    Json(Value::Array(requests)).into_response()
}

impl Injects for Fake {
    fn faults(&self) -> &Faults {
        &self.faults
    }
}

async fn object(
    State(fake): State<Shared>,
    method: Method,
    uri: Uri,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    fake.api(method, &uri, &rest, headers, body).await
}

async fn unknown(method: Method, uri: Uri) -> Response {
    answers::framework(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("Route {method}:{} not found", uri.path()),
    )
}

pub fn router(fake: Shared) -> Router {
    http::finish(
        Router::new()
            .route("/_fake/requests", get(requests))
            .route("/_fake/faults", post(faults::queue::<Fake>))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/storage/v1/object/{*rest}", any(object))
            .fallback(unknown)
            .with_state(fake),
    )
}

pub async fn run(args: &FakeArgs) -> Result<ExitCode, CliError> {
    let secret = args
        .jwt_secret
        .as_ref()
        .filter(|s| s.expose_secret().len() >= 32)
        .cloned()
        .ok_or_else(|| {
            CliError::Config(
                "SUPABASE_JWT_SECRET is not set or shorter than 32 characters: export the \
                 secret the fake's tokens are signed with (the service key is an HS256 JWT \
                 with \"role\": \"service_role\" signed with it)"
                    .into(),
            )
        })?;
    let target = Target::from_args(&args.db)?;
    let pool = db::pool(&target)?;
    db::require_table(&pool, &target, "storage.objects").await?;
    let (_temp, root) = match &args.root {
        Some(root) => (None, root.clone()),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("samia-fake-storage-")
                .tempdir()
                .map_err(|e| {
                    CliError::Config(format!("cannot create a temporary directory: {e}"))
                })?;
            let root = temp.path().to_path_buf();
            (Some(temp), root)
        }
    };
    std::fs::create_dir_all(root.join("blobs"))
        .map_err(|e| CliError::Config(format!("cannot use {} as --root: {e}", root.display())))?;
    let fake = Arc::new(Fake::new(pool, root, secret, args.file_size_limit));
    // Until SIGINT or SIGTERM; then a temporary root is removed.
    serve::until_signal(&args.listen, "Storage", router(fake)).await
}

#[cfg(test)]
mod probe_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
