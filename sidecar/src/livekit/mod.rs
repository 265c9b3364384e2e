//! LiveKit: the calls' rooms. The client mints the tokens a client app
//! joins a room with (`access_token`) and calls the RoomService over Twirp
//! (end a call: `delete_room`; take one party out: `remove_participant`);
//! `webhook` checks the events LiveKit posts and reads them. (The fake
//! LiveKit of development and the tests is `samia-fake livekit`, in the
//! samia-fakes crate, which signs its tokens and webhooks with `token` and
//! `webhook` and reads its requests with `models`.)
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

mod client;
mod config;
mod errors;
pub mod jobs;
pub mod models;
pub mod routes;
pub mod token;
pub mod webhook;

pub use client::{Grants, LiveKitClient, Removal, RoomOptions};
pub use config::{LiveKitArgs, LiveKitConfig};
pub use errors::LiveKitError;
pub use models::{Participant, Room};
