//! The horoscope tests' world (`tests/horoscopes.rs`,
//! `tests/horoscope_review.rs`): the permission-matrix fixture, the
//! sidecar's connection, TikTok's video objects, and reads of posts.

use crate::fixture;
use crate::postgrest::{request, Caller};
use crate::{connect, Session, TestDb};
use serde_json::{json, Value};
use tokio_postgres::Client;

/// 2026-12-01 08:00 UTC (10:00 in Cairo).
pub const MORNING: i64 = 1_796_112_000;

pub struct Db {
    pub db: TestDb,
    pub c: Session,
    pub sidecar: Client,
}

pub async fn db() -> anyhow::Result<Db> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    let sidecar = connect(&format!("{} options='-c role=samia_sidecar'", db.url)).await?;
    Ok(Db { db, c, sidecar })
}

pub fn video(id: &str, at: i64, caption: &str) -> Value {
    json!({
        "id": id,
        "create_time": at,
        "title": "",
        "video_description": caption,
        "duration": 60,
        "share_url": format!("https://www.tiktok.com/@samia/video/{id}"),
    })
}

pub async fn record(sidecar: &Client, videos: Value) -> anyhow::Result<Value> {
    let counts: String = sidecar
        .query_one(
            "select samia.tiktok_record_posts($1::text::jsonb)::text",
            &[&videos.to_string()],
        )
        .await?
        .get(0);
    Ok(serde_json::from_str(&counts)?)
}

pub fn json_of(row: &tokio_postgres::Row) -> Value {
    serde_json::from_str(row.get::<_, &str>(0)).expect("JSON")
}

pub async fn post(
    c: &Client,
    tiktok_id: &str,
) -> anyhow::Result<(i64, String, Option<String>, Option<String>, Option<String>)> {
    let r = c
        .query_one(
            "select id, status, detected_scope, detected_zodiac, detected_date::text
               from public.tiktok_posts where post_id = $1",
            &[&tiktok_id],
        )
        .await?;
    Ok((r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
}

/// The sidecar stores extracted audio at horoscopes/tiktok/<sha>.m4a and
/// links it; returns the media id.
pub async fn audio(d: &Db, post: i64, sha: &str) -> anyhow::Result<i64> {
    let path = format!("tiktok/{sha}.m4a");
    d.c.execute(
        "insert into storage.objects (bucket_id, name, metadata, version)
         values ('horoscopes', $1, '{\"size\": 48000, \"mimetype\": \"audio/mp4\"}', 'v1')
         on conflict (bucket_id, name) do nothing",
        &[&path],
    )
    .await?;
    Ok(d.sidecar
        .query_one(
            "select samia.tiktok_post_audio($1, 'horoscopes', $2, $3)",
            &[&post, &path, &sha],
        )
        .await?
        .get(0))
}

pub async fn status(c: &Client, post: i64) -> anyhow::Result<String> {
    Ok(c.query_one(
        "select status from public.tiktok_posts where id = $1",
        &[&post],
    )
    .await?
    .get(0))
}

pub async fn draft_of(c: &Client, post: i64) -> anyhow::Result<i64> {
    let h: Option<i64> = c
        .query_one(
            "select horoscope_id from public.tiktok_posts where id = $1",
            &[&post],
        )
        .await?
        .get(0);
    h.ok_or_else(|| anyhow::anyhow!("post {post} has no draft"))
}

pub async fn count(c: &mut Client, who: Caller<'_>, sql: &str) -> anyhow::Result<i64> {
    Ok(request(c, who, sql).await?[0].get(0))
}
