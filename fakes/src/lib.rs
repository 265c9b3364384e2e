//! `samia-fake`: stand-ins for the providers `samia run` calls, on
//! loopback, for `make up` and the tests (no internet at test time). Each
//! answers like the real API (status codes, error bodies, limits), keeps
//! what it was asked where a test can read it (`GET /_fake/requests`), and
//! injects the faults a test queues (`POST /_fake/faults`, see [`faults`]).
//!
//! - [`twilio`]: Twilio Verify v2 (`samia-fake twilio`).
//! - [`storage`]: Supabase Storage over a real database (`samia-fake storage`).
//! - [`tiktok`]: the TikTok Display API v2 and its OAuth (`samia-fake tiktok`).
//! - [`livekit`]: a LiveKit server's RoomService, tokens and webhooks
//!   (`samia-fake livekit`).
//! - [`fcm`]: Firebase Cloud Messaging HTTP v1 and Google's token endpoint
//!   for a service account of its own (`samia-fake fcm`).
//!
//! This crate also holds the tests of the product's clients (and of the
//! media probe) against these fakes. It uses the samia-sidecar library for
//! the shared shapes (the HTTP server's rules, Storage's paths, LiveKit's
//! tokens and webhooks, TikTok's request budget, FCM's message rules and
//! key reading); the `samia` binary never contains any of it.

pub mod faults;
pub mod fcm;
pub mod livekit;
pub mod serve;
pub mod storage;
pub mod tiktok;
pub mod twilio;

#[cfg(test)]
mod testing;

/// Microseconds since the Unix epoch: the time of a request in a fake's log.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Parses an `application/x-www-form-urlencoded` body (or a query string).
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}
