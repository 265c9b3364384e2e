//! `samia-fake livekit`: a stand-in for a LiveKit server on loopback, for
//! `make up` and the tests. It keeps rooms and participants in memory,
//! answers LiveKit's RoomService as LiveKit does, checks every token as
//! LiveKit does, and posts LiveKit's signed webhooks for every change:
//!
//! - `POST /twirp/livekit.RoomService/{CreateRoom|DeleteRoom|ListParticipants|RemoveParticipant}`
//!   (JSON, `Authorization: Bearer <token>`): the answers of LiveKit's
//!   Twirp server (proto field names, every field, 64-bit integers as
//!   strings). Refused as LiveKit refuses: a header not starting with
//!   `Bearer `, an unreadable, wrongly signed or expired token, or one of
//!   another API key, with LiveKit's plain-text 401; a token whose grant
//!   does not allow the call (`roomCreate` for CreateRoom and DeleteRoom,
//!   `roomAdmin` for the room for the others) or no token with Twirp's 401
//!   `unauthenticated` "permissions denied"; an unknown room or participant
//!   with 404 `not_found` (ListParticipants: an empty list); a body that is
//!   not JSON with 400 `malformed`; another path, method or content type
//!   with 404 `bad_route`; the other RoomService methods with 501
//!   `unimplemented`. Only JSON is spoken, not protobuf.
//! - Webhooks, when `--webhook-url` is given: `POST` with `Content-Type:
//!   application/webhook+json` and `Authorization: <JWT>` of the API key
//!   (5 minutes, `sha256` the base64 SHA-256 of the body), protobuf JSON
//!   bodies (camelCase, zero values left out) with a unique `id` (`EV_...`),
//!   one at a time in order; a failed delivery (no answer or 5xx) is tried
//!   three times in all. Events: `room_started`, `participant_joined`,
//!   `participant_left` (`participant.disconnectReason`), `room_finished`.
//!   Rooms close by themselves as LiveKit's do (see `rooms`).
//!
//! For tests (answers as the other sidecar servers' own, `{"code", "message"}`
//! on errors):
//!
//! - `POST /_fake/rooms/{room}/join` `{"token": "..."}`: a participant
//!   connects with an access token, checked as LiveKit checks it at connect
//!   time: signature, API key, `exp` and `nbf` (one minute of leeway),
//!   `video.roomJoin`, the grant's room (another room than `{room}` is 403
//!   `wrong_room`), an identity; 401 with `bad_signature`,
//!   `invalid_api_key`, `token_expired`, `token_not_yet_valid`,
//!   `invalid_token` or `permission_denied`. Answers `{"room", "participant"}`
//!   with the permissions LiveKit derives from the grant (an unset
//!   `canPublish` is allowed) and `hidden`.
//! - `POST /_fake/rooms/{room}/participants/{identity}/publish`: the
//!   participant publishes a track; 403 `not_allowed` when its grant forbids it.
//! - `POST /_fake/rooms/{room}/participants/{identity}/leave` (optional body
//!   `{"reason": "CLIENT_INITIATED"}`, a `DisconnectReason` name): they leave.
//! - `POST /_fake/rooms/{room}/finish`: the room closes now (anyone still
//!   in it leaves with `ROOM_CLOSED`).
//! - `GET /_fake/rooms`: the open rooms with their participants.
//! - `GET /_fake/events`: every webhook event made, `[{id, event, room,
//!   identity, created_at, body, authorization, tampered, delivery}]`, with
//!   `delivery` `{status, attempts}` or `{error, attempts}` once tried.
//! - `GET /_fake/requests`: every RoomService request, `[{method, status,
//!   code, room, identity, at_us}]` (never a token).
//! - `POST /_fake/clock` `{"advance_secs": N}`: the fake's clock moves on
//!   (token lifetimes, room timeouts, event times).
//! - `POST /_fake/faults` `{"faults": [{"status": 503}, {"method":
//!   "DeleteRoom", "status": 429, "retry_after": 1, "count": 2}, {"status":
//!   502, "plain": true}, {"delay_ms": 3000, "pass": true}, {"method":
//!   "webhook", "tamper": "body"}]}`: the next RoomService requests of
//!   `method` (default `any`), one fault each, in order, with Twirp's error
//!   body for the status (or `code`; `plain`: a gateway's text page); for
//!   `webhook`, the next event is sent with its body changed after signing
//!   (`body`), signed with another secret (`signature`), without
//!   `Authorization` (`unsigned`), or with a token expired (`expired`).

mod control;
mod notify;
mod proto;
mod rooms;
mod twirp;

use crate::faults::{self, Faults, Injects};
use crate::serve::{self, ListenArgs};
use axum::http::Uri;
use axum::routing::{any, get, post};
use axum::Router;
use notify::Outgoing;
use rooms::{Emit, Rooms};
use samia_sidecar::error::CliError;
use samia_sidecar::http::{self, ApiError};
use samia_sidecar::livekit::token::{self, TokenError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// A fake LiveKit server on loopback for development and tests: rooms
/// in memory, the RoomService, tokens checked as LiveKit checks them,
/// signed webhooks (LIVEKIT_API_KEY and LIVEKIT_API_SECRET; no
/// DATABASE_URL needed).
#[derive(clap::Args, Debug)]
pub struct FakeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    /// The API key tokens must be issued by.
    #[arg(long, env = "LIVEKIT_API_KEY", value_name = "KEY")]
    api_key: Option<String>,
    /// The API key's secret tokens must be signed with.
    #[arg(
        long,
        env = "LIVEKIT_API_SECRET",
        value_name = "SECRET",
        value_parser = samia_sidecar::secret::secret_arg,
        hide_env_values = true
    )]
    api_secret: Option<SecretString>,
    /// Where to post the webhooks (e.g. `samia run`'s
    /// http://127.0.0.1:PORT/v1/webhooks/livekit); without it none are sent.
    #[arg(long, value_name = "URL")]
    webhook_url: Option<String>,
    /// Seconds a room nobody joined stays open (LiveKit's default: 300).
    #[arg(long, default_value_t = 300)]
    empty_timeout_secs: u32,
    /// Seconds a room stays open after the last participant left (LiveKit's
    /// default: 20).
    #[arg(long, default_value_t = 20)]
    departure_timeout_secs: u32,
}

/// How the fake behaves.
pub struct Settings {
    pub api_key: String,
    pub api_secret: SecretString,
    pub webhook_url: Option<String>,
    pub empty_timeout: u32,
    pub departure_timeout: u32,
}

/// The `method` of faults that spoil the next webhook.
const WEBHOOK: &str = "webhook";

struct Inner {
    rooms: Rooms,
    events: Vec<Value>,
    requests: Vec<Value>,
    /// How far the fake's clock is ahead of the machine's.
    offset: Duration,
}

pub struct Fake {
    settings: Settings,
    inner: Mutex<Inner>,
    faults: Faults,
    outbox: Option<mpsc::UnboundedSender<Outgoing>>,
}

type Shared = Arc<Fake>;

impl Injects for Fake {
    fn faults(&self) -> &Faults {
        &self.faults
    }
}

impl Fake {
    /// The fake, and the receiving end of its webhooks when it sends them.
    pub fn new(settings: Settings) -> (Fake, Option<mpsc::UnboundedReceiver<Outgoing>>) {
        let (outbox, receiver) = match settings.webhook_url {
            Some(_) => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let rooms = Rooms::new(settings.empty_timeout, settings.departure_timeout);
        let fake = Fake {
            settings,
            inner: Mutex::new(Inner {
                rooms,
                events: Vec::new(),
                requests: Vec::new(),
                offset: Duration::ZERO,
            }),
            faults: Faults::default(),
            outbox,
        };
        (fake, receiver)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> SystemTime {
        SystemTime::now() + self.lock().offset
    }

    /// Checks a token as LiveKit does, with the fake's clock.
    fn check(&self, token: &str, now: SystemTime) -> Result<token::Verified, TokenError> {
        token::verify(
            token,
            &self.settings.api_key,
            &self.settings.api_secret,
            now,
        )
    }

    /// Makes, logs and queues the webhook events of a change, in order.
    fn emit(&self, inner: &mut Inner, emits: Vec<Emit>, now: SystemTime) {
        for emit in emits {
            let tamper = self
                .faults
                .take(|f| f.text("method") == Some(WEBHOOK))
                .and_then(|f| f.text("tamper").map(str::to_string));
            let event = notify::event(&self.settings, &emit, now, tamper.as_deref());
            inner.events.push(event.log);
            if let Some(outbox) = &self.outbox {
                // The receiver lives as long as the fake serves.
                let _ = outbox.send(event.outgoing);
            }
        }
    }

    /// Closes the rooms that have been empty too long.
    fn close_idle(&self) {
        let now = self.now();
        let mut inner = self.lock();
        let emits = inner.rooms.close_idle(now);
        self.emit(&mut inner, emits, now);
    }
}

async fn unknown(uri: Uri) -> ApiError {
    ApiError::not_found(format!("nothing at {}", uri.path()))
}

pub fn router(fake: Shared) -> Router {
    http::finish(
        Router::new()
            .route("/twirp/{service}/{method}", any(twirp::twirp))
            .route("/_fake/rooms", get(control::rooms))
            .route("/_fake/rooms/{room}/join", post(control::join))
            .route("/_fake/rooms/{room}/finish", post(control::finish))
            .route(
                "/_fake/rooms/{room}/participants/{identity}/leave",
                post(control::leave),
            )
            .route(
                "/_fake/rooms/{room}/participants/{identity}/publish",
                post(control::publish),
            )
            .route("/_fake/events", get(control::events))
            .route("/_fake/requests", get(control::requests))
            .route("/_fake/faults", post(faults::queue::<Fake>))
            .route("/_fake/clock", post(control::clock))
            .route("/healthz", get(|| async { "ok\n" }))
            .fallback(unknown)
            .with_state(fake),
    )
}

/// The fake, with its webhook sender and the closing of idle rooms
/// running; both stop once the fake is dropped.
pub fn start(settings: Settings) -> Shared {
    let (fake, outbox) = Fake::new(settings);
    let url = fake.settings.webhook_url.clone();
    let fake = Arc::new(fake);
    if let (Some(url), Some(outbox)) = (url, outbox) {
        tokio::spawn(notify::deliver(Arc::downgrade(&fake), outbox, url));
    }
    tokio::spawn(close_idle_rooms(Arc::downgrade(&fake)));
    fake
}

async fn close_idle_rooms(fake: Weak<Fake>) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        let Some(fake) = fake.upgrade() else { return };
        fake.close_idle();
    }
}

pub async fn run(args: &FakeArgs) -> Result<ExitCode, CliError> {
    let api_key = args
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            CliError::Config(
                "LIVEKIT_API_KEY is not set: export the API key the fake should accept".into(),
            )
        })?;
    let api_secret = args
        .api_secret
        .clone()
        .filter(|s| !s.expose_secret().trim().is_empty())
        .ok_or_else(|| {
            CliError::Config(
                "LIVEKIT_API_SECRET is not set: export the API secret the fake should accept"
                    .into(),
            )
        })?;
    let webhook_url = args
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(url) = webhook_url {
        if reqwest::Url::parse(url)
            .map(|u| !matches!(u.scheme(), "http" | "https"))
            .unwrap_or(true)
        {
            return Err(CliError::Config(format!(
                "--webhook-url {url:?} is not an http:// or https:// URL"
            )));
        }
    }
    let settings = Settings {
        api_key: api_key.to_string(),
        api_secret,
        webhook_url: webhook_url.map(str::to_string),
        empty_timeout: args.empty_timeout_secs,
        departure_timeout: args.departure_timeout_secs,
    };
    serve::until_signal(&args.listen, "LiveKit", router(start(settings))).await
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
