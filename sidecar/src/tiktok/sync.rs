//! Syncing the owner's posts into `tiktok_posts`.
//!
//! Pages are listed newest first until a page holds a post already
//! recorded (a full listing goes to the end), then everything new is
//! recorded in one transaction through `samia.tiktok_record_posts`, which
//! classifies each caption. Nothing is recorded before the listing ends,
//! so a sync cut short (the sidecar killed, TikTok failing) leaves the
//! table as it was and the next one starts over; recording is an upsert on
//! the post id, so two sidecars syncing at once record each post once.
//! A full listing also flags posts TikTok no longer lists (`removed`).

use super::account::{self, AccountError};
use super::client::{TikTokClient, Video, VideoPage, MAX_COUNT};
use super::errors::TikTokError;
use std::collections::HashSet;
use std::time::Duration;

/// Posts recorded per statement.
const CHUNK: usize = 500;
/// Rate-limit answers tolerated in one sync before giving up until the
/// next attempt.
const RATE_LIMIT_RETRIES: u32 = 5;
/// A listing longer than this is not TikTok's (a cursor that never ends).
const MAX_PAGES: usize = 10_000;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Synced {
    pub requests: u32,
    pub listed: usize,
    pub new: i64,
    pub updated: i64,
    pub removed: i64,
    /// Audio jobs queued for new posts (with a fetch command).
    pub fetches: i64,
    /// A full listing reached the end (and flagged removed posts).
    pub full: bool,
}

/// Why a sync did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The operator must act (connect again, fix credentials); retrying
    /// does not help.
    #[error("{0}")]
    Stopped(String),
    #[error("{0}")]
    NotConnected(String),
    /// Worth another try later.
    #[error("{error}")]
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
}

impl From<AccountError> for SyncError {
    fn from(e: AccountError) -> SyncError {
        match e {
            AccountError::NotConnected => SyncError::NotConnected(e.to_string()),
            AccountError::Stopped(_) => SyncError::Stopped(e.to_string()),
            AccountError::TikTok(t) => from_tiktok(t),
            AccountError::Db(d) => SyncError::Transient {
                error: format!("database: {d}"),
                retry_after: None,
            },
        }
    }
}

fn from_tiktok(e: TikTokError) -> SyncError {
    if e.stops_sync() {
        return SyncError::Stopped(e.to_string());
    }
    SyncError::Transient {
        retry_after: e.retry_after(),
        error: e.to_string(),
    }
}

fn db(e: tokio_postgres::Error) -> SyncError {
    SyncError::Transient {
        error: format!("database: {}", crate::error::describe(&e)),
        retry_after: None,
    }
}

/// How a sync runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// List every post (and flag those TikTok no longer lists).
    pub full: bool,
    /// Queue a `tiktok.audio` fetch for every new post (a fetch command is
    /// configured).
    pub fetch: bool,
    /// Pause after a rate-limit answer without Retry-After.
    pub rate_limit_pause: Duration,
}

/// Lists and records the owner's posts; `progress` hears about each page.
pub async fn sync(
    db_client: &mut tokio_postgres::Client,
    tiktok: &TikTokClient,
    options: Options,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Synced, SyncError> {
    let mut out = Synced::default();
    let result = list_and_record(db_client, tiktok, options, progress, &mut out).await;
    let error = match &result {
        Ok(()) => None,
        Err(e) => Some(e.to_string()),
    };
    // What happened, for `samia health` (best effort: the error itself is returned).
    let _ = db_client
        .execute(
            "update ops.tiktok_account
                set last_sync_at = case when $1::text is null then now() else last_sync_at end,
                    last_sync_new = case when $1::text is null then $2 else last_sync_new end,
                    last_full_sync_at = case when $3 then now() else last_full_sync_at end,
                    last_sync_error = $1, updated_at = now()",
            &[&error, &(out.new as i32), &out.full],
        )
        .await;
    result.map(|()| out)
}

async fn list_and_record(
    db_client: &mut tokio_postgres::Client,
    tiktok: &TikTokClient,
    options: Options,
    progress: &mut (dyn FnMut(&str) + Send),
    out: &mut Synced,
) -> Result<(), SyncError> {
    let mut token = account::access_token(db_client, tiktok, false).await?;
    let mut refreshed = false;
    let mut rate_limited = 0;
    let mut cursor = None;
    let mut seen: HashSet<String> = HashSet::new();
    let mut listed: Vec<Video> = Vec::new();
    let mut complete = false;
    for page_no in 1..=MAX_PAGES {
        let page: VideoPage = loop {
            out.requests += 1;
            match tiktok.list_videos(&token, cursor, MAX_COUNT).await {
                Ok(page) => break page,
                Err(e) if e.needs_refresh() && !refreshed => {
                    refreshed = true;
                    token = account::access_token(db_client, tiktok, true).await?;
                }
                Err(e @ TikTokError::RateLimited { .. }) if rate_limited < RATE_LIMIT_RETRIES => {
                    rate_limited += 1;
                    let pause = e.retry_after().unwrap_or(options.rate_limit_pause);
                    progress(&format!(
                        "TikTok's rate limit was reached: waiting {} ms",
                        pause.as_millis()
                    ));
                    tokio::time::sleep(pause).await;
                }
                Err(e) if e.needs_refresh() => {
                    // Refreshed and still refused: the grant is gone.
                    let reason = e.to_string();
                    account::stop(&*db_client, &reason).await.map_err(db)?;
                    return Err(SyncError::Stopped(format!(
                        "TikTok syncing stopped: {reason}; run `samia tiktok connect` again"
                    )));
                }
                Err(e) => {
                    if e.stops_sync() {
                        let reason = e.to_string();
                        account::stop(&*db_client, &reason).await.map_err(db)?;
                    }
                    return Err(from_tiktok(e));
                }
            }
        };
        let ids: Vec<String> = page.videos.iter().map(|v| v.id.clone()).collect();
        let known: HashSet<String> = db_client
            .query(
                "select post_id from public.tiktok_posts where post_id = any($1)",
                &[&ids],
            )
            .await
            .map_err(db)?
            .iter()
            .filter_map(|r| r.try_get::<_, String>(0).ok())
            .collect();
        let reached_known = !known.is_empty();
        for video in page.videos {
            if !seen.insert(video.id.clone()) {
                continue;
            }
            if options.full || !known.contains(&video.id) {
                listed.push(video);
            }
        }
        progress(&format!(
            "page {page_no}: {} posts listed, {} known",
            ids.len(),
            known.len()
        ));
        if !page.has_more {
            complete = true;
            break;
        }
        if reached_known && !options.full {
            break;
        }
        if page.cursor.is_none() || page.cursor == cursor {
            return Err(SyncError::Transient {
                error: "TikTok said there were more posts but gave no new cursor".into(),
                retry_after: None,
            });
        }
        cursor = page.cursor;
    }
    out.listed = listed.len();
    record(db_client, &listed, &seen, options, complete, out).await
}

async fn record(
    db_client: &mut tokio_postgres::Client,
    listed: &[Video],
    seen: &HashSet<String>,
    options: Options,
    complete: bool,
    out: &mut Synced,
) -> Result<(), SyncError> {
    let tx = db_client.transaction().await.map_err(db)?;
    for chunk in listed.chunks(CHUNK) {
        let videos = serde_json::to_value(chunk).unwrap_or_default();
        let counts: serde_json::Value = tx
            .query_one("select samia.tiktok_record_posts($1)", &[&videos])
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
        out.new += counts["new"].as_i64().unwrap_or(0);
        out.updated += counts["updated"].as_i64().unwrap_or(0);
    }
    if options.full && complete {
        out.full = true;
        let seen: Vec<String> = seen.iter().cloned().collect();
        let oldest = listed.iter().map(|v| v.create_time).min().unwrap_or(0);
        out.removed = tx
            .query_one(
                "select samia.tiktok_mark_removed($1, to_timestamp($2::double precision))",
                &[&seen, &(oldest as f64)],
            )
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
    }
    if options.fetch && !listed.is_empty() {
        let ids: Vec<String> = listed.iter().map(|v| v.id.clone()).collect();
        out.fetches = tx
            .execute(
                "insert into ops.jobs (kind, payload)
                 select $2, jsonb_build_object('post_id', p.id, 'share_url', p.share_url)
                   from public.tiktok_posts p
                  where p.post_id = any($1) and p.share_url is not null
                    and p.media_id is null and p.source_media_id is null
                    and not exists (select 1 from ops.jobs j
                                     where j.kind = $2 and (j.payload ->> 'post_id')::bigint = p.id
                                       and j.status in ('queued', 'running'))",
                &[&ids, &samia_core::jobs::TIKTOK_AUDIO],
            )
            .await
            .map_err(db)? as i64;
        if out.fetches > 0 {
            tx.execute("select pg_notify($1, $2)", &[&samia_core::jobs::CHANNEL, &samia_core::jobs::TIKTOK_AUDIO])
                .await
                .map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}

/// Queues a sync unless one is queued or running (any sidecar's); true
/// when this call queued it.
pub async fn queue<C: tokio_postgres::GenericClient>(
    client: &C,
    full: bool,
) -> Result<bool, tokio_postgres::Error> {
    let n = client
        .execute(
            "insert into ops.jobs (kind, payload, max_attempts) values ($1, jsonb_build_object('full', $2::boolean), 3)
             on conflict (kind) where kind = 'tiktok.sync' and status in ('queued', 'running') do nothing",
            &[&samia_core::jobs::TIKTOK_SYNC, &full],
        )
        .await?;
    if n > 0 {
        client
            .execute(
                "select pg_notify($1, $2)",
                &[&samia_core::jobs::CHANNEL, &samia_core::jobs::TIKTOK_SYNC],
            )
            .await?;
    }
    Ok(n > 0)
}

/// Whether a scheduled sync is due now: ingest on, the account connected
/// and not stopped, and the last sync older than `tiktok.sync_interval`.
/// Returns whether it should be a full listing (once a day).
pub async fn due<C: tokio_postgres::GenericClient>(
    client: &C,
) -> Result<Option<bool>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "select coalesce(a.last_sync_at, '-infinity') <
                      now() - coalesce((select (value #>> '{}')::interval from public.app_config
                                         where key = 'tiktok.sync_interval'), interval '30 minutes'),
                    coalesce(a.last_full_sync_at, '-infinity') < now() - interval '1 day'
               from ops.tiktok_account a
              where a.id and a.refresh_token is not null and a.stopped is null
                and coalesce((select (value #>> '{}')::boolean from public.app_config
                               where key = 'tiktok.ingest_enabled'), true)",
            &[],
        )
        .await?;
    Ok(match row {
        Some(r) if r.try_get::<_, bool>(0)? => Some(r.try_get::<_, bool>(1)?),
        _ => None,
    })
}
