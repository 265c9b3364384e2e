//! Horoscopes from TikTok (CONTRACT.md section 10; caption rules in
//! `samia_core::caption`).
//!
//! - `samia.classify_caption` is the classifier, callable by anyone
//!   ([`classify`]).
//! - The sidecar records synced posts (`tiktok_record_posts`), flags posts
//!   TikTok no longer lists (`tiktok_mark_removed`), links the audio it
//!   extracted (`tiktok_post_audio`) or says why it could not
//!   (`tiktok_post_failed`) ([`posts`]).
//! - Every write of a post passes `tiktok_posts_write` ([`posts`]): a new or
//!   edited caption is classified (unless a monitor classified the post by
//!   hand), and a classified post whose audio is ready becomes a draft
//!   horoscope.
//! - Monitors classify a post by hand, attach a file to it, or ignore it
//!   ([`review`]); they publish (approve) or reject a horoscope by writing
//!   it, checked and recorded by `horoscopes_authority` ([`publishing`]).

use crate::errors;
use pgrx::prelude::*;

mod classify;
mod posts;
mod publishing;
mod review;

pub use publishing::audio_probed;

const POSTS: &str = "public.tiktok_posts";

/// Statuses in which the classifier (or a monitor) still decides the sign.
fn open(status: &str) -> bool {
    matches!(status, "unclassified" | "classified")
}

/// The post, locked for the change; 22023 when there is none.
fn post_status(post: i64) -> String {
    errors::spi_optional(
        Spi::get_one_with_args::<String>(
            "select status from public.tiktok_posts where id = $1 for update",
            &[post.into()],
        ),
        "reading the post",
    )
    .unwrap_or_else(|| errors::invalid_value(format!("there is no TikTok post {post}"), None))
}
