//! The LiveKit client: tokens for the parties of a call, and the
//! RoomService over Twirp JSON (`POST {url}/twirp/livekit.RoomService/{Method}`).
//! Each call carries a token of its own, valid ten minutes, whose grant
//! allows only that call, as LiveKit's server SDKs do. The API secret is
//! held as a secret: no help text, log line, error or `Debug` output shows
//! it or a token. Every request has a timeout.

use super::config::LiveKitConfig;
use super::errors::LiveKitError;
use super::models::{Participant, Room};
use super::token::{self, Mint, VideoGrant};
use crate::error::CliError;
use crate::http::outbound::{self, excerpt, scrub};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How much of a body that is not LiveKit's API an error shows.
const EXCERPT: usize = 200;

/// How long a RoomService call's own token lives.
const SERVER_TOKEN_TTL: Duration = Duration::from_secs(600);

/// What a participant may do in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grants {
    pub can_publish: bool,
    pub can_subscribe: bool,
    pub can_publish_data: bool,
    /// Invisible to the other participants.
    pub hidden: bool,
}

impl Grants {
    /// A party of the call: speaks, listens, sends data, is seen.
    pub fn participant() -> Grants {
        Grants {
            can_publish: true,
            can_subscribe: true,
            can_publish_data: true,
            hidden: false,
        }
    }

    /// Silent monitoring: listens only, unseen. Every permission is
    /// written out, since LiveKit reads an unset one as allowed.
    pub fn silent_monitor() -> Grants {
        Grants {
            can_publish: false,
            can_subscribe: true,
            can_publish_data: false,
            hidden: true,
        }
    }

    fn video(self, room: &str) -> VideoGrant {
        VideoGrant {
            room_join: true,
            room: room.to_string(),
            can_publish: Some(self.can_publish),
            can_subscribe: Some(self.can_subscribe),
            can_publish_data: Some(self.can_publish_data),
            hidden: self.hidden,
            ..VideoGrant::default()
        }
    }
}

/// Settings of a room created ahead of its first participant; 0 (the
/// default) leaves LiveKit's own (5 minutes empty, 20 seconds after the
/// last one left, no participant limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomOptions {
    /// Seconds the room stays open when nobody joins.
    pub empty_timeout: u32,
    /// Seconds the room stays open after the last participant left.
    pub departure_timeout: u32,
    pub max_participants: u32,
}

/// What became of a room or participant to be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// LiveKit had no such room or participant: nothing left to do.
    AlreadyGone,
}

/// A LiveKit client; clones share the connection pool.
#[derive(Clone)]
pub struct LiveKitClient {
    http: reqwest::Client,
    config: Arc<LiveKitConfig>,
}

impl std::fmt::Debug for LiveKitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveKitClient")
            .field("url", &self.config.url)
            .field("api_key", &self.config.api_key)
            .field("api_secret", &"[redacted]")
            .finish()
    }
}

fn required<'a>(what: &str, value: &'a str) -> Result<&'a str, LiveKitError> {
    Some(value)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| LiveKitError::Request(format!("the {what} must not be empty")))
}

impl LiveKitClient {
    pub fn new(config: LiveKitConfig) -> Result<LiveKitClient, CliError> {
        let http = outbound::client(config.timeout)?;
        Ok(LiveKitClient {
            http,
            config: Arc::new(config),
        })
    }

    /// The API's origin (`https://...`).
    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// Where a client app connects to join a room (`wss://...`, or `ws://`
    /// for a fake on loopback).
    pub fn client_url(&self) -> String {
        let url = &self.config.url;
        match url.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", url.trim_start_matches("http://")),
        }
    }

    pub fn api_key(&self) -> &str {
        &self.config.api_key
    }

    /// The API secret, for checking LiveKit's webhooks.
    pub fn api_secret(&self) -> &SecretString {
        &self.config.api_secret
    }

    /// A token that admits `identity` (shown as `name`) to `room` with
    /// `grants`, valid `ttl` (whole seconds) from now; and when it expires.
    /// LiveKit checks it when the participant connects (and reconnects): a
    /// participant in the room stays after it expires, until they leave or
    /// are removed.
    pub fn access_token(
        &self,
        identity: &str,
        name: Option<&str>,
        room: &str,
        grants: Grants,
        ttl: Duration,
    ) -> Result<(String, SystemTime), LiveKitError> {
        self.access_token_at(identity, name, room, grants, ttl, SystemTime::now())
    }

    fn access_token_at(
        &self,
        identity: &str,
        name: Option<&str>,
        room: &str,
        grants: Grants,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<(String, SystemTime), LiveKitError> {
        let identity = required("identity", identity)?;
        let room = required("room name", room)?;
        let video = grants.video(room);
        let what = Mint {
            identity: Some(identity),
            name: name.filter(|n| !n.trim().is_empty()),
            video: Some(&video),
            sha256: None,
        };
        token::mint(
            &self.config.api_key,
            &self.config.api_secret,
            &what,
            now,
            ttl,
        )
        .map_err(|e| LiveKitError::Request(e.to_string()))
    }

    /// A room `name` with `options`; an existing room is returned as it is.
    pub async fn create_room(
        &self,
        name: &str,
        options: &RoomOptions,
    ) -> Result<Room, LiveKitError> {
        let name = required("room name", name)?;
        let grant = VideoGrant {
            room_create: true,
            ..VideoGrant::default()
        };
        let body = json!({
            "name": name,
            "empty_timeout": options.empty_timeout,
            "departure_timeout": options.departure_timeout,
            "max_participants": options.max_participants,
        });
        let answer = self.call("CreateRoom", &grant, &body).await?;
        Room::from_json(&answer).ok_or_else(|| LiveKitError::Protocol {
            status: 200,
            excerpt: "CreateRoom answered a room without a name".into(),
        })
    }

    /// Ends the call in `room`: every participant is disconnected and the
    /// room closes. A room LiveKit does not have is [`Removal::AlreadyGone`].
    pub async fn delete_room(&self, room: &str) -> Result<Removal, LiveKitError> {
        let room = required("room name", room)?;
        let grant = VideoGrant {
            room_create: true,
            ..VideoGrant::default()
        };
        gone(
            self.call("DeleteRoom", &grant, &json!({ "room": room }))
                .await,
        )
    }

    /// Disconnects `identity` from `room`; a participant (or room) LiveKit
    /// does not have is [`Removal::AlreadyGone`]. It does not stop a new
    /// token from admitting them again: refuse them new tokens.
    pub async fn remove_participant(
        &self,
        room: &str,
        identity: &str,
    ) -> Result<Removal, LiveKitError> {
        let room = required("room name", room)?;
        let identity = required("identity", identity)?;
        let grant = admin(room);
        let body = json!({ "room": room, "identity": identity });
        gone(self.call("RemoveParticipant", &grant, &body).await)
    }

    /// Who is in `room` now (none for a room LiveKit does not have).
    pub async fn list_participants(&self, room: &str) -> Result<Vec<Participant>, LiveKitError> {
        let room = required("room name", room)?;
        let answer = match self
            .call("ListParticipants", &admin(room), &json!({ "room": room }))
            .await
        {
            Err(LiveKitError::NotFound { .. }) => return Ok(Vec::new()),
            answer => answer?,
        };
        match answer.get("participants") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|p| {
                    Participant::from_json(p).ok_or_else(|| LiveKitError::Protocol {
                        status: 200,
                        excerpt: "a participant without an identity".into(),
                    })
                })
                .collect(),
            Some(_) => Err(LiveKitError::Protocol {
                status: 200,
                excerpt: "participants is not a list".into(),
            }),
        }
    }

    /// One RoomService call with a token of its own for `grant`.
    async fn call(
        &self,
        method: &str,
        grant: &VideoGrant,
        body: &Value,
    ) -> Result<Value, LiveKitError> {
        let what = Mint {
            video: Some(grant),
            ..Mint::default()
        };
        let (token, _) = token::mint(
            &self.config.api_key,
            &self.config.api_secret,
            &what,
            SystemTime::now(),
            SERVER_TOKEN_TTL,
        )
        .map_err(|e| LiveKitError::Request(e.to_string()))?;
        let secrets = [self.config.api_secret.expose_secret(), token.as_str()];
        let request = self
            .http
            .post(format!(
                "{}/twirp/livekit.RoomService/{method}",
                self.config.url
            ))
            .bearer_auth(&token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let answer = outbound::send(request, &secrets).await?;
        let (status, retry_after, bytes) = (answer.status, answer.retry_after, &answer.body);
        tracing::debug!(method, status, "LiveKit answered");
        let json = answer.json().filter(Value::is_object);
        if answer.is_success() {
            return json.ok_or_else(|| LiveKitError::Protocol {
                status,
                excerpt: excerpt(bytes, &secrets, EXCERPT),
            });
        }
        let code = json
            .as_ref()
            .and_then(|j| j.get("code"))
            .and_then(Value::as_str);
        let message = match code {
            Some(_) => json
                .as_ref()
                .and_then(|j| j.get("msg"))
                .and_then(Value::as_str)
                .map(|m| scrub(m, &secrets))
                .unwrap_or_default(),
            None => excerpt(bytes, &secrets, EXCERPT),
        };
        Err(LiveKitError::from_answer(
            status,
            code,
            &message,
            retry_after,
        ))
    }
}

fn admin(room: &str) -> VideoGrant {
    VideoGrant {
        room_admin: true,
        room: room.to_string(),
        ..VideoGrant::default()
    }
}

fn gone(answer: Result<Value, LiveKitError>) -> Result<Removal, LiveKitError> {
    match answer {
        Ok(_) => Ok(Removal::Removed),
        Err(LiveKitError::NotFound { .. }) => Ok(Removal::AlreadyGone),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn client_of(url: &str) -> LiveKitClient {
        LiveKitClient::new(LiveKitConfig {
            url: url.into(),
            api_key: "APIsamia".into(),
            api_secret: SecretString::from("hunter2-livekit-secret-32-chars-xx"),
            timeout: Duration::from_secs(5),
        })
        .expect("a client")
    }

    fn client() -> LiveKitClient {
        client_of("https://samia.livekit.cloud")
    }

    #[test]
    fn clients_join_over_websockets_of_the_same_host() {
        assert_eq!(client().client_url(), "wss://samia.livekit.cloud");
        assert_eq!(client().url(), "https://samia.livekit.cloud");
        assert_eq!(client().api_key(), "APIsamia");
        assert_eq!(
            client_of("http://127.0.0.1:7880").client_url(),
            "ws://127.0.0.1:7880"
        );
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let shown = format!("{:?}", client());
        assert!(
            !shown.contains("hunter2") && shown.contains("APIsamia"),
            "{shown}"
        );
    }

    #[test]
    fn access_tokens_carry_livekits_claims() {
        let now = UNIX_EPOCH + Duration::from_secs(1_717_200_000);
        let (jwt, expires) = client()
            .access_token_at(
                "user-1",
                Some("Ann"),
                "call-42",
                Grants::participant(),
                Duration::from_secs(3600),
                now,
            )
            .expect("a token");
        assert_eq!(expires, now + Duration::from_secs(3600));
        let header = jsonwebtoken::decode_header(&jwt).expect("a header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
        let claims = token::peek(&jwt).expect("claims");
        assert_eq!(
            Value::Object(claims),
            json!({
                "iss": "APIsamia", "sub": "user-1", "name": "Ann",
                "iat": 1_717_200_000u64, "nbf": 1_717_200_000u64, "exp": 1_717_203_600u64,
                "video": {
                    "roomJoin": true, "room": "call-42", "canPublish": true,
                    "canSubscribe": true, "canPublishData": true,
                },
            })
        );
        let (jwt, _) = client()
            .access_token_at(
                "monitor-1",
                None,
                "call-42",
                Grants::silent_monitor(),
                Duration::from_secs(60),
                now,
            )
            .expect("a token");
        let claims = token::peek(&jwt).expect("claims");
        assert_eq!(claims.get("name"), None);
        assert_eq!(
            claims["video"],
            json!({
                "roomJoin": true, "room": "call-42", "canPublish": false,
                "canSubscribe": true, "canPublishData": false, "hidden": true,
            })
        );
        let secret = SecretString::from("hunter2-livekit-secret-32-chars-xx");
        let checked = token::verify(&jwt, "APIsamia", &secret, now).expect("valid");
        assert_eq!(checked.sub.as_deref(), Some("monitor-1"));
    }

    #[test]
    fn tokens_need_an_identity_a_room_and_a_lifetime() {
        let c = client();
        let ttl = Duration::from_secs(60);
        for (identity, room, ttl) in [
            ("", "call-1", ttl),
            ("u1", " ", ttl),
            ("u1", "call-1", Duration::ZERO),
        ] {
            let e = c
                .access_token(identity, None, room, Grants::participant(), ttl)
                .expect_err("refused");
            assert!(matches!(e, LiveKitError::Request(_)), "{e}");
        }
    }
}
