//! TikTok: the Display API v2 client that syncs the owner's posts, and the
//! jobs: `tiktok.sync` (list posts, record them: `ingest`) and
//! `tiktok.audio` (make a post's audio: `audio`), the OAuth callback and
//! the tokens (`account`). (The fake TikTok of development and the tests is
//! `samia-fake tiktok`, in the samia-fakes crate.)

pub mod account;
pub mod audio;
pub mod callback;
mod client;
mod config;
mod errors;
pub mod ingest;
pub mod jobs;
pub mod limit;
mod sync;

pub use client::{TikTokClient, Tokens, Video, VideoPage};
pub use config::{TikTokArgs, TikTokConfig};
pub use errors::TikTokError;
pub use sync::{Stop, SyncOptions};
