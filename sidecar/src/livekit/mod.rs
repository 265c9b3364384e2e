//! LiveKit: the calls' rooms. The client mints the tokens a client app
//! joins a room with (`access_token`) and calls the RoomService over Twirp
//! (end a call: `delete_room`; take one party out: `remove_participant`);
//! `webhook` checks the events LiveKit posts and reads them; the fake
//! server stands in for LiveKit in development and tests.
//!
//! What this follows, from LiveKit's own source (livekit/protocol `auth/`,
//! `webhook/`, `protobufs/`; livekit/livekit `pkg/service/`; the server SDKs):
//!
//! - Every token is an HS256 JWT signed with the API secret: `iss` the API
//!   key, `sub` the participant's identity, `nbf`, `exp` (required), `iat`,
//!   `name`, and a `video` grant with camelCase names (`roomJoin`, `room`,
//!   `canPublish`, `canSubscribe`, `canPublishData`, `hidden`, `roomAdmin`,
//!   `roomCreate`, ...). LiveKit allows one minute of clock skew. An unset
//!   `canPublish` or `canSubscribe` means *allowed*, and an unset
//!   `canPublishData` follows `canPublish`, so a listen-only token must say
//!   `false` explicitly.
//! - RoomService calls carry `Authorization: Bearer <token>` whose grant
//!   allows that call: `roomCreate` for CreateRoom and DeleteRoom, `roomAdmin`
//!   with `room` for ListParticipants and RemoveParticipant. A refused grant
//!   is Twirp's `unauthenticated` ("permissions denied"); a bad token is a
//!   plain-text 401 from LiveKit's auth layer, before Twirp.
//! - Twirp JSON answers use the proto field names (`joined_at`), every field
//!   present, 64-bit integers as strings; webhook bodies use protobuf JSON's
//!   camelCase names (`createdAt`, `disconnectReason`) and leave out fields
//!   at their zero value.
//! - Webhooks are `POST`s with `Content-Type: application/webhook+json` and
//!   `Authorization: <JWT>` (no `Bearer`), valid 5 minutes, whose `sha256`
//!   claim is the standard base64 of the SHA-256 of the raw body.

// CreateRoom, ListParticipants and a few readers of answers are exercised
// by the fake's tests only: `samia run` lets LiveKit create a room when its
// first party joins.
#![cfg_attr(not(test), allow(dead_code))]

mod client;
mod config;
mod errors;
pub mod fake;
pub mod jobs;
mod models;
pub mod routes;
mod token;
pub mod webhook;

#[cfg(test)]
mod fake_tests;
#[cfg(test)]
mod testing;

pub use client::LiveKitClient;
pub use config::LiveKitConfig;
// For the daemon's settings and the callers' reading of answers.
#[allow(unused_imports)]
pub use config::LiveKitArgs;
#[allow(unused_imports)]
pub use models::{Participant, Room};
