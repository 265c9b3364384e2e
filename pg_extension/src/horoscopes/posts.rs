//! What the sidecar writes about TikTok posts, and what every write of a
//! post does: classify a new or edited caption and make the draft
//! horoscope of a classified post whose audio is ready.

use super::classify::{date, owner_zone};
use super::{open, post_status, POSTS};
use crate::caller::sidecar_only;
use crate::rows::{get, get_old, set};
use crate::time::utc;
use crate::{errors, plans};
use pgrx::datum::{Date, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::caption::{self, Classification};
use samia_core::Sign;
use serde_json::json;

/// BEFORE INSERT OR UPDATE ON public.tiktok_posts.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."tiktok_posts_write"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'tiktok_posts_write_wrapper';
"#)]
fn tiktok_posts_write<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("tiktok_posts_write must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let old = trigger.old();
    let status = get::<String>(&new, POSTS, "status").unwrap_or_else(|| "unclassified".into());
    let by_hand = get::<pgrx::Uuid>(&new, POSTS, "classified_by").is_some();
    let caption_changed = match &old {
        None => true,
        Some(old) => {
            get_old::<String>(old, POSTS, "caption") != get::<String>(&new, POSTS, "caption")
                || get_old::<TimestampWithTimeZone>(old, POSTS, "create_time")
                    != get::<TimestampWithTimeZone>(&new, POSTS, "create_time")
        }
    };
    if caption_changed && !by_hand && open(&status) {
        let found = match get::<TimestampWithTimeZone>(&new, POSTS, "create_time").and_then(utc) {
            Some(at) => caption::classify(
                get::<String>(&new, POSTS, "caption")
                    .as_deref()
                    .unwrap_or(""),
                at,
                owner_zone(),
            ),
            None => Classification {
                scope: None,
                zodiac: None,
                ref_date: None,
            },
        };
        set(
            &mut new,
            POSTS,
            "detected_scope",
            found.scope.map(|s| s.as_str()),
        );
        set(
            &mut new,
            POSTS,
            "detected_zodiac",
            found.zodiac.map(Sign::name),
        );
        set(&mut new, POSTS, "detected_date", found.ref_date.map(date));
    }
    let key = (
        get::<String>(&new, POSTS, "detected_scope"),
        get::<String>(&new, POSTS, "detected_zodiac"),
        get::<Date>(&new, POSTS, "detected_date"),
    );
    let classified = matches!(key, (Some(_), Some(_), Some(_)));
    let mut status = status;
    if open(&status) {
        status = if classified {
            "classified"
        } else {
            "unclassified"
        }
        .into();
    }
    let horoscope = get::<i64>(&new, POSTS, "horoscope_id");
    match (status.as_str(), horoscope, &key) {
        ("classified", None, (Some(scope), Some(zodiac), Some(day))) => {
            if let Some(audio) = get::<i64>(&new, POSTS, "media_id").filter(|m| ready(*m)) {
                let id = get::<i64>(&new, POSTS, "id").unwrap_or_default();
                match other_post_with(audio, id) {
                    Some(first) => {
                        status = "duplicate".into();
                        set(&mut new, POSTS, "duplicate_of", Some(first));
                        set(
                            &mut new,
                            POSTS,
                            "error",
                            Some(format!("its audio is the same as post {first}'s")),
                        );
                    }
                    None => {
                        let draft = draft(scope, zodiac, *day, audio);
                        set(&mut new, POSTS, "horoscope_id", Some(draft));
                        status = "draft".into();
                    }
                }
            }
        }
        ("draft", Some(h), (Some(scope), Some(zodiac), Some(day))) => {
            // A monitor corrected the classification of a draft.
            retarget(h, scope, zodiac, *day);
        }
        ("draft", Some(_), _) => {
            errors::invalid_value(
                "a draft's post needs a scope, a sign and a date",
                Some("classify the post with all three, or ignore it"),
            );
        }
        _ => {}
    }
    set(&mut new, POSTS, "status", status);
    set(&mut new, POSTS, "updated_at", crate::rows::now());
    Ok(Some(new))
}

/// Is media `id` probed and ready?
fn ready(id: i64) -> bool {
    errors::spi(
        plans::value::<bool>(
            "select status = 'ready' from public.media_assets where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[id.into()],
        ),
        "reading the post's audio",
    )
    .unwrap_or(false)
}

/// The first other post whose horoscope has this audio.
fn other_post_with(audio: i64, post: i64) -> Option<i64> {
    let int8 = PgOid::from(pg_sys::INT8OID);
    errors::spi(
        plans::value::<i64>(
            "select id from public.tiktok_posts
              where media_id = $1 and id <> $2 and horoscope_id is not null
              order by id limit 1",
            &[int8, int8],
            &[audio.into(), post.into()],
        ),
        "looking for the same audio",
    )
}

fn draft(scope: &str, zodiac: &str, day: Date, audio: i64) -> i64 {
    errors::spi_optional(
        Spi::get_one_with_args::<i64>(
            "insert into public.horoscopes (scope, zodiac, ref_date, audio_media_id)
             values ($1, $2, $3, $4) returning id",
            &[scope.into(), zodiac.into(), day.into(), audio.into()],
        ),
        "creating the draft horoscope",
    )
    .unwrap_or_else(|| errors::misconfigured("the draft horoscope has no id"))
}

fn retarget(horoscope: i64, scope: &str, zodiac: &str, day: Date) {
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::execute(
            "update public.horoscopes set scope = $2, zodiac = $3, ref_date = $4
              where id = $1 and approved_at is null
                and (scope, zodiac, ref_date) is distinct from ($2, $3, $4)",
            &[
                PgOid::from(pg_sys::INT8OID),
                text,
                text,
                PgOid::from(pg_sys::DATEOID),
            ],
            &[horoscope.into(), scope.into(), zodiac.into(), day.into()],
        ),
        "updating the draft horoscope",
    );
}

/// Records a page of posts from TikTok's `/v2/video/list/` (`videos`: the
/// API's objects). New posts are inserted, known ones updated where TikTok
/// changed them; a post seen again is no longer `removed`. Safe to repeat
/// and to run from two sidecars at once. Returns `{"new", "updated",
/// "known"}` counts.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn tiktok_record_posts(videos: pgrx::JsonB) -> pgrx::JsonB {
    sidecar_only("records TikTok posts");
    if !videos.0.is_array() {
        errors::invalid_value("videos is a JSON array of TikTok video objects", None);
    }
    let row = errors::spi(
        Spi::connect_mut(|client| {
            let t = client.update(
                "with v as (
                   select x.id, nullif(concat_ws(E'\n', nullif(x.title, ''),
                                                   nullif(x.video_description, '')), '') as caption,
                          to_timestamp(x.create_time) as create_time, x.share_url, x.title,
                          x.duration, x.embed_link, x.cover_image_url
                     from jsonb_to_recordset($1) as x(id text, create_time double precision,
                          title text, video_description text, duration integer, share_url text,
                          embed_link text, cover_image_url text)
                    where x.id is not null and x.id <> ''),
                 written as (
                   insert into public.tiktok_posts as p
                          (post_id, caption, create_time, share_url, title, duration_sec,
                           embed_link, cover_image_url, last_seen_at)
                   select id, caption, create_time, share_url, title, duration, embed_link,
                          cover_image_url, now() from v
                   on conflict (post_id) do update
                     set caption = excluded.caption, create_time = excluded.create_time,
                         share_url = excluded.share_url, title = excluded.title,
                         duration_sec = excluded.duration_sec, embed_link = excluded.embed_link,
                         cover_image_url = excluded.cover_image_url, last_seen_at = now(),
                         removed_at = null,
                         -- Listed again: back to where it was before it was flagged.
                         status = case when p.status <> 'removed' then p.status
                                       when p.horoscope_id is null then 'unclassified'
                                       else (select case when h.approved_at is not null then 'published'
                                                         when h.rejected_at is not null then 'rejected'
                                                         else 'draft' end
                                               from public.horoscopes h where h.id = p.horoscope_id) end
                     where p.status = 'removed'
                        or (p.caption, p.create_time, p.share_url, p.title, p.duration_sec,
                            p.embed_link, p.cover_image_url)
                           is distinct from
                           (excluded.caption, excluded.create_time, excluded.share_url,
                            excluded.title, excluded.duration_sec, excluded.embed_link,
                            excluded.cover_image_url)
                   returning (xmax = 0) as inserted)
                 select count(*) filter (where inserted), count(*) filter (where not inserted),
                        (select count(*) from v)
                   from written",
                None,
                &[videos.into()],
            )?;
            let r = t.first();
            Ok::<_, pgrx::spi::SpiError>((
                r.get::<i64>(1)?.unwrap_or(0),
                r.get::<i64>(2)?.unwrap_or(0),
                r.get::<i64>(3)?.unwrap_or(0),
            ))
        }),
        "recording TikTok posts",
    );
    let (new, updated, total) = row;
    pgrx::JsonB(json!({ "new": new, "updated": updated, "known": total - new - updated }))
}

/// After a full listing: posts created since `since` that TikTok no longer
/// lists (not in `seen`) are flagged `removed` for the monitor. Returns how
/// many were flagged.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn tiktok_mark_removed(seen: Vec<String>, since: TimestampWithTimeZone) -> i64 {
    sidecar_only("flags removed posts");
    errors::spi(
        Spi::get_one_with_args::<i64>(
            "with flagged as (
               update public.tiktok_posts set status = 'removed', removed_at = now()
                where create_time >= $2 and status <> 'removed' and not (post_id = any($1))
               returning 1)
             select count(*) from flagged",
            &[seen.into(), since.into()],
        ),
        "flagging removed posts",
    )
    .unwrap_or(0)
}

/// Links the audio the sidecar extracted for a post and stored at
/// `bucket`/`path` (named after its sha256, so the same sound is stored
/// once): registers the file unless it already is (the probe is queued
/// then), and sets the post's `media_id`. Returns the media id.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn tiktok_post_audio(post_id: i64, bucket: &str, path: &str, sha256: &str) -> i64 {
    sidecar_only("links extracted audio");
    let status = post_status(post_id);
    if !matches!(
        status.as_str(),
        "unclassified" | "classified" | "failed" | "duplicate"
    ) {
        return errors::spi(
            plans::value::<i64>(
                "select coalesce(media_id, 0) from public.tiktok_posts where id = $1",
                &[PgOid::from(pg_sys::INT8OID)],
                &[post_id.into()],
            ),
            "reading the post",
        )
        .unwrap_or(0);
    }
    let text = PgOid::from(pg_sys::TEXTOID);
    let media = errors::spi(
        plans::value::<i64>(
            "select id from public.media_assets where bucket = $1 and path = $2",
            &[text, text],
            &[bucket.into(), path.into()],
        ),
        "looking up the stored audio",
    );
    let media = match media {
        Some(id) => id,
        None => errors::spi_optional(
            Spi::get_one_with_args::<i64>(
                "insert into public.media_assets (kind, bucket, path, url, status, meta)
                 values ('audio', $1, $2, '', 'pending', jsonb_build_object('extracted_sha256', $3::text))
                 returning id",
                &[bucket.into(), path.into(), sha256.into()],
            ),
            "registering the extracted audio",
        )
        .unwrap_or_else(|| errors::misconfigured("the audio row has no id")),
    };
    let int8 = PgOid::from(pg_sys::INT8OID);
    errors::spi(
        plans::execute(
            "update public.tiktok_posts
                set media_id = $2, error = null, duplicate_of = null,
                    status = case when status in ('failed', 'duplicate') then 'unclassified' else status end
              where id = $1",
            &[int8, int8],
            &[post_id.into(), media.into()],
        ),
        "linking the audio",
    );
    media
}

/// Records why no audio could be made for a post.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn tiktok_post_failed(post_id: i64, error: &str) {
    sidecar_only("records failed posts");
    errors::spi(
        plans::execute(
            "update public.tiktok_posts set status = 'failed', error = $2
              where id = $1 and status in ('unclassified', 'classified', 'duplicate')",
            &[PgOid::from(pg_sys::INT8OID), PgOid::from(pg_sys::TEXTOID)],
            &[post_id.into(), error.into()],
        ),
        "recording the failure",
    );
}
