//! TikTok: the Display API v2 client that syncs the owner's posts, and the
//! fake server that stands in for TikTok in development and tests.
//!
//! The client's first caller outside the tests is the `tiktok.sync` job;
//! until it is wired in, only the tests and the fake reach these modules.

#[cfg_attr(not(test), allow(dead_code))]
mod client;
#[cfg_attr(not(test), allow(dead_code))]
mod errors;
pub mod fake;
#[cfg_attr(not(test), allow(dead_code))]
mod limit;
#[cfg_attr(not(test), allow(dead_code))]
mod sync;

#[cfg(test)]
mod fake_tests;
#[cfg(test)]
mod testing;

#[allow(unused_imports)]
pub use client::{
    TikTokArgs, TikTokClient, TikTokConfig, Tokens, Video, VideoPage, MAX_COUNT, SCOPES,
    VIDEO_FIELDS,
};
#[allow(unused_imports)]
pub use errors::TikTokError;
#[allow(unused_imports)]
pub use sync::{sync_pages, Pages, Stop, SyncFailure, SyncOptions, Synced};
