//! Finding the owner's new posts: pages newest first until a page holds a
//! post already known, or TikTok has no more. A page shorter than asked
//! while `has_more` is true is normal (TikTok withholds some posts) and
//! paging goes on.
//!
//! Rate limits, TikTok failing and lost connections are retried here, a
//! bounded number of times per page with backoff, honouring `Retry-After`
//! when TikTok sends one; a wait longer than [`SyncOptions::max_wait`] is
//! not slept but returned, so the job can be rescheduled. Every other error
//! is returned at once; an expired access token is the caller's to refresh.
//!
//! The outcome must be stored whole or not at all: storing the first pages
//! of a sync that failed later would make the next sync stop at them and
//! never see the older new posts beneath.

use super::client::{TikTokClient, Video, VideoPage, MAX_COUNT};
use super::errors::TikTokError;
use crate::http::outbound::ProviderError;
use secrecy::SecretString;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

/// Where the pages come from: [`TikTokClient::pages`], or a script in tests.
pub trait Pages {
    fn page(
        &self,
        cursor: Option<i64>,
        max_count: u8,
    ) -> impl Future<Output = Result<VideoPage, TikTokError>> + Send;
}

/// The owner's posts as one access token sees them.
pub struct Lister<'a> {
    client: &'a TikTokClient,
    access_token: &'a SecretString,
}

impl Pages for Lister<'_> {
    fn page(
        &self,
        cursor: Option<i64>,
        max_count: u8,
    ) -> impl Future<Output = Result<VideoPage, TikTokError>> + Send {
        self.client
            .list_videos(self.access_token, cursor, max_count)
    }
}

impl TikTokClient {
    pub fn pages<'a>(&'a self, access_token: &'a SecretString) -> Lister<'a> {
        Lister {
            client: self,
            access_token,
        }
    }

    /// [`sync_pages`] over this client's pages for `access_token`.
    pub async fn sync_pages(
        &self,
        access_token: &SecretString,
        is_known: impl FnMut(&str) -> bool,
        options: &SyncOptions,
    ) -> Result<Synced, SyncFailure> {
        sync_pages(&self.pages(access_token), is_known, options).await
    }
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Posts asked per page (1 to 20).
    pub max_count: u8,
    /// Pages read at most in one sync; deeper posts are left unread.
    pub max_pages: u32,
    /// Requests per page at most, the first one included.
    pub max_attempts: u32,
    /// The first wait after a retryable error without `Retry-After`; doubles.
    pub base_backoff: Duration,
    /// The longest wait slept here; a longer one ends the sync.
    pub max_wait: Duration,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            max_count: MAX_COUNT,
            max_pages: 100,
            max_attempts: 4,
            base_backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
        }
    }
}

/// Why paging ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A page held a post already known: everything newer has been read.
    KnownPost,
    /// TikTok has no more posts.
    End,
    /// [`SyncOptions::max_pages`] pages were read.
    PageLimit,
}

/// The new posts, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    pub videos: Vec<Video>,
    /// Requests made, retries included.
    pub requests: u32,
    pub stop: Stop,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (syncing TikTok posts, after {requests} requests)")]
pub struct SyncFailure {
    pub error: TikTokError,
    pub requests: u32,
}

/// Pages `pages` newest first, collecting the posts `is_known` does not know,
/// until a page holds a known one, TikTok has no more, or
/// `options.max_pages` pages have been read. The unknown posts of the last
/// page count too.
pub async fn sync_pages(
    pages: &impl Pages,
    mut is_known: impl FnMut(&str) -> bool,
    options: &SyncOptions,
) -> Result<Synced, SyncFailure> {
    let mut requests = 0u32;
    let mut cursor = None;
    let mut seen = HashSet::new();
    let mut videos = Vec::new();
    let fail = |error, requests| SyncFailure { error, requests };
    for _ in 0..options.max_pages.max(1) {
        let page = fetch(pages, cursor, options, &mut requests)
            .await
            .map_err(|e| fail(e, requests))?;
        let mut known = false;
        for video in page.videos {
            if is_known(&video.id) {
                known = true;
            } else if seen.insert(video.id.clone()) {
                videos.push(video);
            }
        }
        let stop = if known {
            Some(Stop::KnownPost)
        } else if !page.has_more {
            Some(Stop::End)
        } else {
            None
        };
        if let Some(stop) = stop {
            return Ok(finish(videos, requests, stop));
        }
        match page.cursor {
            Some(next) if Some(next) != cursor => cursor = Some(next),
            other => {
                let excerpt = match other {
                    None => "has_more is true without a cursor".to_string(),
                    Some(c) => format!("the cursor did not move from {c}"),
                };
                return Err(fail(
                    TikTokError::Protocol {
                        status: 200,
                        excerpt,
                    },
                    requests,
                ));
            }
        }
    }
    Ok(finish(videos, requests, Stop::PageLimit))
}

fn finish(mut videos: Vec<Video>, requests: u32, stop: Stop) -> Synced {
    // TikTok's order, made sure of (the sort is stable).
    videos.sort_by_key(|v| std::cmp::Reverse(v.create_time));
    Synced {
        videos,
        requests,
        stop,
    }
}

/// One page, retried while the error is retryable and attempts are left.
async fn fetch(
    pages: &impl Pages,
    cursor: Option<i64>,
    options: &SyncOptions,
    requests: &mut u32,
) -> Result<VideoPage, TikTokError> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        *requests += 1;
        let error = match pages.page(cursor, options.max_count).await {
            Ok(page) => return Ok(page),
            Err(e) => e,
        };
        if !error.is_retryable() || attempt >= options.max_attempts.max(1) {
            return Err(error);
        }
        let wait = match error.retry_after() {
            Some(asked) if asked > options.max_wait => return Err(error),
            Some(asked) => asked,
            None => options
                .base_backoff
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(options.max_wait),
        };
        tracing::info!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            error = %error,
            "TikTok video list failed; trying again"
        );
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// Answers in order, and records the cursors asked for.
    struct Script {
        answers: Mutex<VecDeque<Result<VideoPage, TikTokError>>>,
        asked: Mutex<Vec<Option<i64>>>,
    }

    impl Script {
        fn new(answers: Vec<Result<VideoPage, TikTokError>>) -> Script {
            Script {
                answers: Mutex::new(answers.into()),
                asked: Mutex::new(Vec::new()),
            }
        }

        fn asked(&self) -> Vec<Option<i64>> {
            self.asked.lock().expect("not poisoned").clone()
        }
    }

    impl Pages for Script {
        fn page(
            &self,
            cursor: Option<i64>,
            _max_count: u8,
        ) -> impl Future<Output = Result<VideoPage, TikTokError>> + Send {
            self.asked.lock().expect("not poisoned").push(cursor);
            let answer = self
                .answers
                .lock()
                .expect("not poisoned")
                .pop_front()
                .expect("no more answers scripted");
            async move { answer }
        }
    }

    fn video(id: u32) -> Video {
        Video {
            id: id.to_string(),
            create_time: i64::from(id),
            title: None,
            video_description: None,
            duration: None,
            share_url: None,
            embed_link: None,
            cover_image_url: None,
        }
    }

    /// Posts `ids` (newest first), the next page's cursor, and `has_more`.
    fn page(ids: &[u32], cursor: i64, has_more: bool) -> Result<VideoPage, TikTokError> {
        Ok(VideoPage {
            videos: ids.iter().map(|&i| video(i)).collect(),
            cursor: Some(cursor),
            has_more,
        })
    }

    fn ids(synced: &Synced) -> Vec<String> {
        synced.videos.iter().map(|v| v.id.clone()).collect()
    }

    fn quick() -> SyncOptions {
        SyncOptions {
            max_count: 3,
            base_backoff: Duration::from_millis(1),
            max_wait: Duration::from_millis(50),
            ..SyncOptions::default()
        }
    }

    fn limited(retry_after: Option<Duration>) -> Result<VideoPage, TikTokError> {
        Err(TikTokError::RateLimited {
            retry_after,
            message: "m".into(),
            log_id: None,
        })
    }

    #[tokio::test]
    async fn paging_stops_at_the_first_page_with_a_known_post() {
        let script = Script::new(vec![
            page(&[9, 8], 8000, true), // short, has_more: go on
            page(&[7, 6, 5], 5000, true),
            page(&[4, 3, 2], 2000, true),
        ]);
        let known = |id: &str| id == "3" || id == "1";
        let synced = sync_pages(&script, known, &quick()).await.expect("synced");
        assert_eq!(ids(&synced), ["9", "8", "7", "6", "5", "4", "2"]);
        assert_eq!((synced.requests, synced.stop), (3, Stop::KnownPost));
        assert_eq!(script.asked(), [None, Some(8000), Some(5000)]);
    }

    #[tokio::test]
    async fn paging_ends_when_tiktok_has_no_more_and_counts_each_post_once() {
        let script = Script::new(vec![
            page(&[5, 4, 3], 3000, true),
            page(&[3, 2], 2000, true),
            page(&[], 1500, true), // empty, still more
            page(&[1], 1000, false),
        ]);
        let synced = sync_pages(&script, |_| false, &quick())
            .await
            .expect("synced");
        assert_eq!(ids(&synced), ["5", "4", "3", "2", "1"]);
        assert_eq!((synced.requests, synced.stop), (4, Stop::End));
    }

    #[tokio::test]
    async fn rate_limits_are_waited_out_and_counted() {
        let script = Script::new(vec![
            limited(None),
            limited(Some(Duration::ZERO)),
            page(&[2, 1], 1000, false),
        ]);
        let synced = sync_pages(&script, |_| false, &quick())
            .await
            .expect("synced");
        assert_eq!((ids(&synced).len(), synced.requests), (2, 3));
    }

    #[tokio::test]
    async fn attempts_are_bounded_and_a_long_retry_after_is_handed_back() {
        let script = Script::new(vec![
            limited(None),
            limited(None),
            limited(None),
            limited(None),
        ]);
        let failed = sync_pages(&script, |_| false, &quick())
            .await
            .expect_err("gave up");
        assert_eq!(failed.requests, 4);
        assert!(matches!(failed.error, TikTokError::RateLimited { .. }));

        let script = Script::new(vec![limited(Some(Duration::from_secs(600)))]);
        let failed = sync_pages(&script, |_| false, &quick())
            .await
            .expect_err("handed back");
        assert_eq!(failed.requests, 1);
        assert_eq!(failed.error.retry_after(), Some(Duration::from_secs(600)));
    }

    #[tokio::test]
    async fn errors_that_retrying_cannot_fix_end_the_sync_at_once() {
        let expired = Err(TikTokError::AccessTokenInvalid {
            message: "m".into(),
            log_id: None,
        });
        let script = Script::new(vec![page(&[3], 3000, true), expired]);
        let failed = sync_pages(&script, |_| false, &quick())
            .await
            .expect_err("failed");
        assert!(failed.error.needs_refresh());
        assert_eq!(failed.requests, 2);
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_move_is_refused_and_pages_are_bounded() {
        let script = Script::new(vec![page(&[3], 3000, true), page(&[2], 3000, true)]);
        let failed = sync_pages(&script, |_| false, &quick())
            .await
            .expect_err("refused");
        assert!(matches!(failed.error, TikTokError::Protocol { .. }));

        let script = Script::new(vec![page(&[3], 3000, true), page(&[2], 2000, true)]);
        let options = SyncOptions {
            max_pages: 2,
            ..quick()
        };
        let synced = sync_pages(&script, |_| false, &options)
            .await
            .expect("synced");
        assert_eq!(
            (ids(&synced), synced.stop),
            (vec!["3".to_string(), "2".to_string()], Stop::PageLimit)
        );
    }
}
