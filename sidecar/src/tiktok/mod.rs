//! TikTok: the Display API v2 client that syncs the owner's posts, the
//! fake server that stands in for TikTok in development and tests, and the
//! jobs: `tiktok.sync` (list posts, record them: `ingest`) and
//! `tiktok.audio` (make a post's audio: `audio`), the OAuth callback and
//! the tokens (`account`).

pub mod account;
pub mod audio;
pub mod callback;
mod client;
mod errors;
pub mod fake;
pub mod ingest;
pub mod jobs;
mod limit;
mod sync;

#[cfg(test)]
mod fake_tests;
#[cfg(test)]
mod testing;

pub use client::{TikTokArgs, TikTokClient, TikTokConfig};
#[cfg(test)]
pub use client::{Tokens, Video};
#[cfg(test)]
pub use errors::TikTokError;
#[cfg(test)]
pub use sync::{Stop, SyncOptions};
