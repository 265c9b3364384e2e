//! `samia-fake tiktok`: a stand-in for the TikTok Display API v2 and its
//! OAuth on loopback, for `make up` and the tests. One creator, whose posts
//! come from `--posts`, and who agrees to every authorization asked:
//!
//! - `GET /v2/auth/authorize/?client_key&scope&redirect_uri&state&response_type=code`:
//!   302 to `redirect_uri?code=..&scopes=..&state=..` (an unknown scope or
//!   response type is sent back as `error=` instead); 400 for a wrong
//!   client key or a missing redirect URI.
//! - `POST /v2/oauth/token/` (form: client_key, client_secret, and code +
//!   redirect_uri + `grant_type=authorization_code`, or refresh_token +
//!   `grant_type=refresh_token`): the tokens, or OAuth's
//!   `{"error", "error_description", "log_id"}`: `invalid_client` (401) for
//!   a wrong key or secret, `invalid_grant` (400) for a code used, expired
//!   (after 10 minutes) or issued for another redirect URI, and for a
//!   refresh token used before (each refresh issues a new one and the old
//!   one dies), expired, or whose authorization was removed.
//! - `POST /v2/oauth/revoke/` (form: client_key, client_secret, token):
//!   `{}`, and the access token's authorization is gone.
//! - `POST /v2/video/list/?fields=..` `{"cursor", "max_count"}` with
//!   `Authorization: Bearer`: `{"data": {"videos", "cursor", "has_more"},
//!   "error": {"code": "ok", ..}}`, newest first. Refused with 401
//!   `access_token_invalid` (unknown, expired or revoked token), 401
//!   `scope_not_authorized` (no video.list), 400 `invalid_params` (no or an
//!   unknown field, max_count outside 1..=20, a body that is not JSON), 429
//!   `rate_limit_exceeded` past `--rate-limit` requests a minute. The
//!   cursor is a time in Unix milliseconds (see `state`). With
//!   `--short-pages` every other answer, the first included, holds half of
//!   max_count (at least one), with `has_more` true while posts remain, so
//!   a page shorter than asked is not the last.
//!
//! For tests (answers as the other sidecar servers' own, `{"code", "message"}`
//! on errors):
//!
//! - `GET /_fake/posts`: every listed post with every field;
//!   `POST /_fake/posts` a post, a list of posts or `{"posts": [...]}` (as
//!   in the seed file); `DELETE /_fake/posts/{id}`: the post is deleted.
//! - `POST /_fake/revoke` (no body, or `{"scope": "video.list"}`): the
//!   creator removes the app's authorization, or that one scope.
//! - `POST /_fake/clock` `{"advance_secs": N}`: the fake's clock (token and
//!   code lifetimes, `age_secs`) moves on N seconds.
//! - `POST /_fake/faults` `{"faults": [{"status": 429, "retry_after": 1},
//!   {"status": 500, "count": 2}, {"status": 401, "code": "scope_not_authorized"},
//!   {"delay_ms": 3000, "pass": true}, {"status": 500, "endpoint": "oauth.token"}]}`:
//!   the next requests to `endpoint` (`video.list` unless given,
//!   `oauth.token`, `oauth.revoke`, `oauth.authorize`, or `any`), one fault
//!   each, in order, `count` times (default once), with TikTok's error
//!   body for the status (or `code`); see `faults`.
//! - `GET /_fake/requests`: every request, `[{endpoint, status, code, at_us}]`.
//! - `GET /_fake/media/{post_id}`: the file `<post_id>.<ext>` of
//!   `--media-dir` while the post is listed, else 404 (TikTok itself serves
//!   no media: this stands in for an operator's fetch).
//!
//! The seed file is JSON: `{"username": "samia.tarot", "open_id": "...",
//! "posts": [{"id": "7391820465512345601", "create_time": 1717200000 (or
//! "age_secs": 7200), "title", "video_description", "duration",
//! "share_url", "embed_link", "cover_image_url"}]}`, or just the list of
//! posts; only `id` is required. `share_url` defaults to
//! `https://www.tiktok.com/@<username>/video/<id>`. `sql/demo/tiktok_posts.json`
//! is the demo's.

mod answers;
mod control;
mod oauth;
mod seed;
mod state;

use crate::faults::{self, after_delay, Faults, Injects};
use crate::serve::{self, ListenArgs};
use crate::{form, now_us};
use answers::{api_error, api_ok, oauth_error, oauth_refusal, Reply};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use samia_sidecar::error::CliError;
use samia_sidecar::http::{self, ApiError, Body};
use samia_sidecar::tiktok::limit::{Window, MINUTE, REQUESTS_PER_MINUTE};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use state::{Account, Seed};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

pub use state::parse_seed;

/// A fake TikTok Display API and OAuth on loopback for development and
/// tests: one creator's posts from a seed file, authorizations approved
/// at once (TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET; no DATABASE_URL
/// needed).
#[derive(clap::Args, Debug)]
pub struct FakeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    /// The creator's posts: a JSON seed file (see sql/demo/tiktok_posts.json).
    /// Without it the creator has none until some are added.
    #[arg(long, value_name = "FILE")]
    posts: Option<PathBuf>,
    /// Files served at /_fake/media/{post_id}, named <post_id>.<ext>.
    #[arg(long, value_name = "DIR")]
    media_dir: Option<PathBuf>,
    /// The client key the app must present.
    #[arg(long, env = "TIKTOK_CLIENT_KEY", value_name = "KEY")]
    client_key: Option<String>,
    /// The client secret the app must present.
    #[arg(
        long,
        env = "TIKTOK_CLIENT_SECRET",
        value_name = "SECRET",
        value_parser = samia_sidecar::secret::secret_arg,
        hide_env_values = true
    )]
    client_secret: Option<SecretString>,
    /// Lifetime of an access token, in seconds (TikTok's: 2 hours).
    #[arg(long, default_value_t = 7200)]
    access_ttl_secs: u64,
    /// Lifetime of a refresh token, in seconds (TikTok's: 180 days).
    #[arg(long, default_value_t = 15_552_000)]
    refresh_ttl_secs: u64,
    /// Every other video list answer holds half the posts asked for, with
    /// has_more still true, as TikTok's sometimes do.
    #[arg(long)]
    short_pages: bool,
    /// Video list requests allowed in any minute of real time (TikTok's:
    /// 600); past it the answer is 429 rate_limit_exceeded.
    #[arg(long, default_value_t = REQUESTS_PER_MINUTE)]
    rate_limit: u32,
}

/// How the fake behaves.
pub struct Settings {
    pub client_key: String,
    pub client_secret: SecretString,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub short_pages: bool,
    pub rate_limit: u32,
    pub media_dir: Option<PathBuf>,
}

impl Settings {
    fn ttls(&self) -> (Duration, Duration) {
        (self.access_ttl, self.refresh_ttl)
    }
}

const VIDEO_LIST: &str = "video.list";
const TOKEN: &str = "oauth.token";
const REVOKE: &str = "oauth.revoke";
const AUTHORIZE: &str = "oauth.authorize";
const MEDIA: &str = "media";

struct Inner {
    account: Account,
    requests: Vec<Value>,
    window: Window,
    list_answers: u64,
    /// How far the fake's clock is ahead of the machine's.
    offset: Duration,
}

pub struct Fake {
    settings: Settings,
    inner: Mutex<Inner>,
    faults: Faults,
}

fn query(uri: &Uri) -> Vec<(String, String)> {
    form(uri.query().unwrap_or("").as_bytes())
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let prefix = value.get(..7)?;
    prefix
        .eq_ignore_ascii_case("bearer ")
        .then(|| value[7..].trim())
}

impl Fake {
    pub fn new(settings: Settings, seed: Seed) -> Result<Fake, String> {
        let account = Account::new(seed, SystemTime::now())?;
        let window = Window::new(settings.rate_limit, MINUTE);
        Ok(Fake {
            settings,
            inner: Mutex::new(Inner {
                account,
                requests: Vec::new(),
                window,
                list_answers: 0,
                offset: Duration::ZERO,
            }),
            faults: Faults::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> SystemTime {
        SystemTime::now() + self.lock().offset
    }

    fn log(&self, endpoint: &str, status: u16, code: Option<&str>) {
        self.lock().requests.push(json!({
            "endpoint": endpoint, "status": status, "code": code, "at_us": now_us(),
        }));
    }

    fn finish(&self, endpoint: &str, reply: Reply) -> Response {
        self.log(endpoint, reply.status, reply.code.as_deref());
        reply.into_response()
    }

    /// The next fault for `endpoint`, after its delay: `None` when there is
    /// none or it only delays (`"pass": true`).
    async fn fault(&self, endpoint: &str) -> Option<Reply> {
        let fault = self.faults.take(|f| {
            let wanted = f.text("endpoint").unwrap_or(VIDEO_LIST);
            wanted == endpoint || wanted == "any"
        });
        let fault = after_delay(fault).await?;
        let status = fault.status(StatusCode::INTERNAL_SERVER_ERROR).as_u16();
        let given = fault.text("code").map(str::to_string);
        let now = self.now();
        let mut reply = if endpoint == TOKEN {
            let error = match status {
                400 => "invalid_request",
                401 => "invalid_client",
                429 => "rate_limit_exceeded",
                _ => "server_error",
            };
            oauth_error(&oauth_refusal(status, error, "Injected fault"), now)
        } else {
            let code = match status {
                400 => "invalid_params",
                401 => "access_token_invalid",
                429 => "rate_limit_exceeded",
                _ => "internal_error",
            };
            api_error(&state::api(status, code, "Injected fault"), now)
        };
        if let Some(code) = given {
            if endpoint == TOKEN {
                reply.body["error"] = json!(code);
            } else {
                reply.body["error"]["code"] = json!(code);
            }
            reply.code = Some(code);
        }
        reply.retry_after = fault.retry_after();
        Some(reply)
    }

    fn list(&self, headers: &HeaderMap, uri: &Uri, body: &[u8]) -> Reply {
        let now = self.now();
        let mut inner = self.lock();
        if !inner.window.admit(Instant::now()) {
            return api_error(
                &state::api(
                    429,
                    "rate_limit_exceeded",
                    "The API rate limit was exceeded. Please try again later.",
                ),
                now,
            );
        }
        if let Err(refusal) = inner
            .account
            .check_access(bearer(headers), "video.list", now)
        {
            return api_error(&refusal, now);
        }
        let invalid = |message: String| api_error(&state::api(400, "invalid_params", message), now);
        let pairs = query(uri);
        let Some(fields) = field(&pairs, "fields").filter(|f| !f.trim().is_empty()) else {
            return invalid(
                "fields is required: ask for the video fields wanted, e.g. fields=id,create_time"
                    .into(),
            );
        };
        let fields: Vec<&str> = fields.split(',').map(str::trim).collect();
        if let Some(unknown) = fields.iter().find(|f| !state::FIELDS.contains(f)) {
            return invalid(format!("Invalid field: {unknown}"));
        }
        let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice(body) {
                Ok(v @ Value::Object(_)) => v,
                _ => return invalid("The request body is not a JSON object".into()),
            }
        };
        let max_count = match request.get("max_count") {
            None | Some(Value::Null) => 10,
            Some(v) => match v.as_u64().filter(|n| (1..=20).contains(n)) {
                Some(n) => n as usize,
                None => return invalid(format!("max_count must be 1 to 20, not {v}")),
            },
        };
        let cursor = match request.get("cursor") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().filter(|c| *c >= 0) {
                Some(c) => Some(c),
                None => {
                    return invalid(format!(
                        "cursor must be a Unix time in milliseconds, not {v}"
                    ))
                }
            },
        };
        let short = self.settings.short_pages && inner.list_answers.is_multiple_of(2);
        inner.list_answers += 1;
        let take = if short {
            (max_count / 2).max(1)
        } else {
            max_count
        };
        api_ok(inner.account.page(cursor, take, &fields), now)
    }
}

impl Injects for Fake {
    fn faults(&self) -> &Faults {
        &self.faults
    }
}

type Shared = Arc<Fake>;

async fn authorize(State(fake): State<Shared>, uri: Uri) -> Response {
    if let Some(reply) = fake.fault(AUTHORIZE).await {
        return fake.finish(AUTHORIZE, reply);
    }
    fake.authorize(&uri)
}

async fn token(State(fake): State<Shared>, Body(body): Body) -> Response {
    if let Some(reply) = fake.fault(TOKEN).await {
        return fake.finish(TOKEN, reply);
    }
    let reply = fake.token(&body);
    fake.finish(TOKEN, reply)
}

async fn revoke(State(fake): State<Shared>, Body(body): Body) -> Response {
    if let Some(reply) = fake.fault(REVOKE).await {
        return fake.finish(REVOKE, reply);
    }
    let reply = fake.revoke(&body);
    fake.finish(REVOKE, reply)
}

async fn video_list(
    State(fake): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Body(body): Body,
) -> Response {
    if let Some(reply) = fake.fault(VIDEO_LIST).await {
        return fake.finish(VIDEO_LIST, reply);
    }
    let reply = fake.list(&headers, &uri, &body);
    fake.finish(VIDEO_LIST, reply)
}

async fn unknown(uri: Uri) -> ApiError {
    ApiError::not_found(format!("nothing at {}", uri.path()))
}

pub fn router(fake: Shared) -> Router {
    http::finish(
        Router::new()
            .route("/v2/auth/authorize/", get(authorize))
            .route("/v2/oauth/token/", post(token))
            .route("/v2/oauth/revoke/", post(revoke))
            .route("/v2/video/list/", post(video_list))
            .route(
                "/_fake/posts",
                get(control::list_posts).post(control::add_posts),
            )
            .route("/_fake/posts/{id}", delete(control::remove_post))
            .route("/_fake/revoke", post(control::revoke_authorization))
            .route("/_fake/clock", post(control::clock))
            .route("/_fake/faults", post(faults::queue::<Fake>))
            .route("/_fake/requests", get(control::requests))
            .route("/_fake/media/{id}", get(control::media))
            .route("/healthz", get(|| async { "ok\n" }))
            .fallback(unknown)
            .with_state(fake),
    )
}

pub async fn run(args: &FakeArgs) -> Result<ExitCode, CliError> {
    let client_key = args
        .client_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            CliError::Config(
                "TIKTOK_CLIENT_KEY is not set: export the client key the fake should accept".into(),
            )
        })?;
    let client_secret = args
        .client_secret
        .clone()
        .filter(|s| !s.expose_secret().trim().is_empty())
        .ok_or_else(|| {
            CliError::Config(
                "TIKTOK_CLIENT_SECRET is not set: export the client secret the fake should accept"
                    .into(),
            )
        })?;
    let seed = match &args.posts {
        None => Seed::default(),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                CliError::Config(format!("cannot read --posts {}: {e}", path.display()))
            })?;
            parse_seed(&bytes)
                .map_err(|e| CliError::Config(format!("--posts {}: {e}", path.display())))?
        }
    };
    if let Some(dir) = &args.media_dir {
        if !dir.is_dir() {
            return Err(CliError::Config(format!(
                "--media-dir {} is not a directory",
                dir.display()
            )));
        }
    }
    let settings = Settings {
        client_key: client_key.to_string(),
        client_secret,
        access_ttl: Duration::from_secs(args.access_ttl_secs),
        refresh_ttl: Duration::from_secs(args.refresh_ttl_secs),
        short_pages: args.short_pages,
        rate_limit: args.rate_limit,
        media_dir: args.media_dir.clone(),
    };
    let fake = Fake::new(settings, seed).map_err(|e| CliError::Config(format!("--posts: {e}")))?;
    serve::until_signal(&args.listen, "TikTok", router(Arc::new(fake))).await
}

#[cfg(test)]
mod callback_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
