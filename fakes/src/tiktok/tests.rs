//! The client against the fake TikTok on loopback: the owner's
//! authorization from code to rotated refresh tokens, expiry and
//! revocation (`authorization`), paging and syncing, and TikTok's errors as
//! the client maps them (`listing`).

mod authorization;
mod listing;

use crate::tiktok::testing::id;
use samia_sidecar::tiktok::{SyncOptions, Video};
use std::time::Duration;

fn quick() -> SyncOptions {
    SyncOptions {
        base_backoff: Duration::from_millis(1),
        max_wait: Duration::from_millis(100),
        ..SyncOptions::default()
    }
}

fn ids(videos: &[Video]) -> Vec<String> {
    videos.iter().map(|v| v.id.clone()).collect()
}

fn first(n: usize) -> Vec<String> {
    (0..n).map(id).collect()
}
