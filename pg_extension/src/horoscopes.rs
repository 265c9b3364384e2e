//! Horoscopes from TikTok (CONTRACT.md section 10; caption rules in
//! `samia_core::caption`).
//!
//! - `samia.classify_caption` is the classifier, callable by anyone.
//! - The sidecar records synced posts (`tiktok_record_posts`), flags posts
//!   TikTok no longer lists (`tiktok_mark_removed`), links the audio it
//!   extracted (`tiktok_post_audio`) or says why it could not
//!   (`tiktok_post_failed`).
//! - Every write of a post passes `tiktok_posts_write`: a new or edited
//!   caption is classified (unless a monitor classified the post by hand),
//!   and a classified post whose audio is ready becomes a draft horoscope.
//! - Monitors classify a post by hand, attach a file to it, or ignore it;
//!   they publish (approve) or reject a horoscope by writing it, checked
//!   and recorded by `horoscopes_authority`.

use crate::audit::{self, Moderation};
use crate::caller::{sidecar_only, Caller};
use crate::rows::{get, get_old, set};
use crate::time::utc;
use crate::{errors, jobs, media, plans};
use pgrx::datum::{Date, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::caption::{self, Classification};
use samia_core::roles::Actor;
use samia_core::Sign;
use serde_json::json;

const POSTS: &str = "public.tiktok_posts";

fn date(day: chrono::NaiveDate) -> Date {
    use chrono::Datelike;
    Date::new(day.year(), day.month() as u8, day.day() as u8).unwrap_or_else(|e| {
        errors::invalid_value(format!("the date {day} is out of range: {e}"), None)
    })
}

fn zone(name: Option<&str>) -> caption::Tz {
    let name = name.unwrap_or(caption::DEFAULT_TIME_ZONE);
    caption::parse_time_zone(name).unwrap_or_else(|| {
        errors::invalid_value(
            format!("unknown time zone {name:?}"),
            Some("use an IANA time zone name such as Africa/Cairo"),
        )
    })
}

/// What a caption says: `{"scope", "zodiac", "ref_date"}` (section 10).
/// `time_zone` defaults to the owner's, `Africa/Cairo`.
#[pg_extern(immutable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn classify_caption(
    caption: Option<&str>,
    posted_at: Option<TimestampWithTimeZone>,
    time_zone: default!(Option<&str>, "NULL"),
) -> pgrx::JsonB {
    let tz = zone(time_zone);
    let Some(at) = posted_at.and_then(utc) else {
        errors::invalid_value(
            "posted_at is required: dates in a caption are relative to it",
            None,
        )
    };
    pgrx::JsonB(caption::classify(caption.unwrap_or(""), at, tz).to_json())
}

/// The owner's time zone (`app_config` `horoscopes.time_zone`).
fn owner_zone() -> caption::Tz {
    let name = errors::spi(
        plans::value::<String>(
            "select value #>> '{}' from public.app_config where key = 'horoscopes.time_zone'",
            &[],
            &[],
        ),
        "reading the owner's time zone",
    );
    name.as_deref()
        .and_then(caption::parse_time_zone)
        .unwrap_or_else(|| zone(None))
}

/// Statuses in which the classifier (or a monitor) still decides the sign.
fn open(status: &str) -> bool {
    matches!(status, "unclassified" | "classified")
}

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

/// The caller, who must be a monitor, an admin or a superadmin (or system).
fn reviewer(what: &str) -> Caller {
    let caller = Caller::current();
    match caller.actor {
        Actor::System => caller,
        a if a.active_role().is_some_and(|r| r.is_staff()) => caller,
        Actor::User { blocked: true, .. } => errors::denied_with_hint(
            "your account is blocked",
            "contact an admin to have the block reviewed",
        ),
        _ => errors::denied(format!("only monitors, admins and superadmins {what}")),
    }
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

/// A monitor's classification of a post: scope, sign and date.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn classify_post(
    post_id: Option<i64>,
    scope: Option<&str>,
    zodiac: Option<&str>,
    ref_date: Option<Date>,
) {
    let post_id = errors::required(post_id, "post_id");
    let caller = reviewer("classify posts");
    let status = post_status(post_id);
    let scope = scope
        .and_then(caption::Scope::from_name)
        .unwrap_or_else(|| errors::invalid_value("scope is daily or monthly", None));
    let sign = zodiac.and_then(Sign::from_name).unwrap_or_else(|| {
        errors::invalid_value(
            format!("unknown sign {:?}", zodiac.unwrap_or("")),
            Some("use an English sign name: Aries, Taurus, ... Pisces"),
        )
    });
    let Some(day) = ref_date else {
        errors::invalid_value("ref_date is required", None)
    };
    if !(open(&status) || status == "draft") {
        errors::not_allowed(
            format!("post {post_id} is {status}: it can no longer be classified"),
            "only unclassified, classified and draft posts are",
        );
    }
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::execute(
            "update public.tiktok_posts
                set detected_scope = $2, detected_zodiac = $3, detected_date = $4,
                    classified_by = $5, classified_at = now(), error = null
              where id = $1",
            &[
                PgOid::from(pg_sys::INT8OID),
                text,
                text,
                PgOid::from(pg_sys::DATEOID),
                PgOid::from(pg_sys::UUIDOID),
            ],
            &[
                post_id.into(),
                scope.as_str().into(),
                sign.name().into(),
                day.into(),
                caller.uid.into(),
            ],
        ),
        "classifying the post",
    );
    audit::append(
        &caller,
        "tiktok_post.classified",
        "tiktok_posts",
        &post_id.to_string(),
        json!({ "scope": scope.as_str(), "zodiac": sign.name(), "ref_date": day.to_string(), "was": status }),
    );
}

/// A monitor marks a post as not a horoscope.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn ignore_post(post_id: Option<i64>, reason: Option<&str>) {
    let post_id = errors::required(post_id, "post_id");
    let caller = reviewer("ignore posts");
    let status = post_status(post_id);
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        errors::invalid_value("a reason is required to ignore a post", None)
    };
    if matches!(status.as_str(), "published" | "draft") {
        errors::not_allowed(
            format!("post {post_id} is {status}: reject its horoscope instead"),
            "ignore posts that have no horoscope",
        );
    }
    errors::spi(
        plans::execute(
            "update public.tiktok_posts set status = 'ignored', error = $2 where id = $1",
            &[PgOid::from(pg_sys::INT8OID), PgOid::from(pg_sys::TEXTOID)],
            &[post_id.into(), reason.into()],
        ),
        "ignoring the post",
    );
    audit::append(
        &caller,
        "tiktok_post.ignored",
        "tiktok_posts",
        &post_id.to_string(),
        json!({ "reason": reason, "was": status }),
    );
}

/// A monitor attaches an uploaded file (the post's video or its sound) to a
/// post; the sidecar extracts the audio from it (job `tiktok.audio`).
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn attach_post_media(post_id: Option<i64>, media_id: Option<i64>) {
    let post_id = errors::required(post_id, "post_id");
    let media_id = errors::required(media_id, "media_id");
    let caller = reviewer("attach files to posts");
    let status = post_status(post_id);
    if !matches!(
        status.as_str(),
        "unclassified" | "classified" | "failed" | "duplicate"
    ) {
        errors::not_allowed(
            format!("post {post_id} is {status}: its audio can no longer change"),
            "attach files to posts that have no draft or published horoscope",
        );
    }
    let file = errors::spi(
        Spi::connect(|client| {
            let t = client.select(
                "select kind, bucket, path from public.media_assets where id = $1",
                Some(1),
                &[media_id.into()],
            )?;
            if t.is_empty() {
                return Ok::<_, pgrx::spi::SpiError>(None);
            }
            let r = t.first();
            Ok(Some((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<String>(2)?,
                r.get::<String>(3)?,
            )))
        }),
        "reading the attached file",
    );
    let Some((kind, Some(bucket), Some(path))) = file else {
        errors::invalid_value(
            format!("media {media_id} is not a stored file"),
            Some("upload the file to horoscope-sources, register it, then attach it"),
        )
    };
    if !matches!(kind.as_str(), "audio" | "video") || bucket != "horoscope-sources" {
        errors::invalid_value(
            format!("media {media_id} is {kind} in {bucket}: attach an audio or video file from horoscope-sources"),
            None,
        );
    }
    let int8 = PgOid::from(pg_sys::INT8OID);
    errors::spi(
        plans::execute(
            "update public.tiktok_posts
                set source_media_id = $2, error = null, duplicate_of = null,
                    status = case when status in ('failed', 'duplicate') then 'unclassified' else status end
              where id = $1",
            &[int8, int8],
            &[post_id.into(), media_id.into()],
        ),
        "attaching the file",
    );
    jobs::enqueue(
        samia_core::jobs::TIKTOK_AUDIO,
        json!({ "post_id": post_id, "media_id": media_id, "bucket": bucket, "path": path }),
    );
    audit::append(
        &caller,
        "tiktok_post.media_attached",
        "tiktok_posts",
        &post_id.to_string(),
        json!({ "media_id": media_id, "bucket": bucket, "path": path }),
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

/// Media `id` was just probed: posts waiting for it move on (a draft when
/// it is ready and they are classified).
pub fn audio_probed(id: i64) {
    errors::spi(
        plans::execute(
            "update public.tiktok_posts set updated_at = now()
              where media_id = $1 and status in ('classified', 'duplicate')",
            &[PgOid::from(pg_sys::INT8OID)],
            &[id.into()],
        ),
        "moving the post on",
    );
}

/// What publishing or rejecting horoscope `id` does to its post.
pub fn post_follows(horoscope: i64, status: &str) {
    errors::spi(
        plans::execute(
            "update public.tiktok_posts set status = $2 where horoscope_id = $1",
            &[PgOid::from(pg_sys::INT8OID), PgOid::from(pg_sys::TEXTOID)],
            &[horoscope.into(), status.into()],
        ),
        "updating the horoscope's post",
    );
}

/// Refuses to publish horoscope `id` (scope, sign, date) when its audio is
/// not ready (23514) or another is published for the day (23505).
pub fn check_publishable(id: i64, key: (&str, &str, Date), audio: Option<i64>) {
    if let Some(audio) = audio {
        if let Err(why) = media::answer_ready(audio) {
            errors::not_allowed(
                format!("horoscope {id} cannot be published: {why}"),
                "publish it once its audio is probed and ready",
            );
        }
    }
    let text = PgOid::from(pg_sys::TEXTOID);
    let other = errors::spi(
        plans::value::<i64>(
            "select id from public.horoscopes
              where scope = $1 and zodiac = $2 and ref_date = $3 and approved_at is not null
                and id <> $4 limit 1",
            &[
                text,
                text,
                PgOid::from(pg_sys::DATEOID),
                PgOid::from(pg_sys::INT8OID),
            ],
            &[key.0.into(), key.1.into(), key.2.into(), id.into()],
        ),
        "looking for a published horoscope of the day",
    );
    if let Some(other) = other {
        errors::duplicate(
            format!(
                "horoscope {other} is already published for {} {} {}",
                key.1, key.0, key.2
            ),
            "reject (unpublish) the published one first, or reject this draft",
        );
    }
}

const HOROSCOPES: &str = "public.horoscopes";

/// A horoscope's audio set or changed through the API: never while it is
/// published (its audio is pinned like the file itself, 23514), and only a
/// file of the `horoscopes` bucket, which the ingest writes (22023): any
/// other file, a client's voice note say, would be shown to everyone once
/// published.
fn audio_rules(id: i64, published: bool, audio: Option<i64>) {
    if published {
        errors::not_allowed(
            format!("horoscope {id} is published: its audio is pinned"),
            "unpublish it first (reject it), or publish another draft",
        );
    }
    let Some(audio) = audio else { return };
    let bucket = errors::spi(
        plans::value::<String>(
            "select bucket from public.media_assets where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[audio.into()],
        ),
        "reading the horoscope's audio",
    );
    if bucket.as_deref() != Some(samia_core::media::HOROSCOPES_BUCKET) {
        errors::invalid_value(
            format!("media {audio} is not a file of the horoscopes bucket"),
            Some("a horoscope's audio is the ingested file in the horoscopes bucket"),
        );
    }
}

/// BEFORE INSERT OR UPDATE ON public.horoscopes: publishing (setting
/// `approved_at`), unpublishing and rejecting (setting `rejected_reason`)
/// are staff actions, recorded with the real reviewer whatever the client
/// wrote into `approved_by` or `rejected_by`. Only a horoscope whose audio
/// is ready is published, one per scope, sign and day; a rejected one
/// stays rejected.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."horoscopes_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'horoscopes_authority_wrapper';
"#)]
fn horoscopes_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("horoscopes_authority must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let old = trigger.old();
    let old_get = |column: &str| -> Option<TimestampWithTimeZone> {
        old.as_ref().and_then(|o| get_old(o, HOROSCOPES, column))
    };
    let was = old_get("approved_at").is_some();
    let is = get::<TimestampWithTimeZone>(&new, HOROSCOPES, "approved_at").is_some();
    let was_rejected = old_get("rejected_at").is_some();
    let old_reason: Option<String> = old
        .as_ref()
        .and_then(|o| get_old(o, HOROSCOPES, "rejected_reason"));
    let reason: Option<String> = get(&new, HOROSCOPES, "rejected_reason");
    let rejecting = !was_rejected && reason.is_some();
    let old_by = |column: &str| -> Option<pgrx::Uuid> {
        old.as_ref().and_then(|o| get_old(o, HOROSCOPES, column))
    };
    // The reviewers' columns follow the actions only.
    set(
        &mut new,
        HOROSCOPES,
        "approved_by",
        if is { old_by("approved_by") } else { None },
    );
    set(&mut new, HOROSCOPES, "rejected_at", old_get("rejected_at"));
    set(&mut new, HOROSCOPES, "rejected_by", old_by("rejected_by"));
    if was_rejected && reason != old_reason {
        set(&mut new, HOROSCOPES, "rejected_reason", old_reason);
    }
    let caller = Caller::current();
    let audio_now = get::<i64>(&new, HOROSCOPES, "audio_media_id");
    let audio_before: Option<i64> = old
        .as_ref()
        .and_then(|o| get_old(o, HOROSCOPES, "audio_media_id"));
    if !caller.actor.is_system() && (old.is_none() || audio_now != audio_before) {
        audio_rules(
            get::<i64>(&new, HOROSCOPES, "id").unwrap_or_default(),
            was && is,
            audio_now,
        );
    }
    if was == is && !rejecting {
        return Ok(Some(new));
    }
    if !caller.actor.active_role().is_some_and(|r| r.is_staff()) {
        errors::denied(
            "only monitors, admins and superadmins publish, unpublish or reject horoscopes",
        );
    }
    let id = get::<i64>(&new, HOROSCOPES, "id").unwrap_or_default();
    let scope = get::<String>(&new, HOROSCOPES, "scope").unwrap_or_default();
    let zodiac = get::<String>(&new, HOROSCOPES, "zodiac").unwrap_or_default();
    let ref_date = get::<Date>(&new, HOROSCOPES, "ref_date");
    let audio = get::<i64>(&new, HOROSCOPES, "audio_media_id");
    let meta = json!({
        "scope": scope,
        "zodiac": zodiac,
        "ref_date": ref_date.map(|d| d.to_string()),
        "audio_media_id": audio,
    });
    let record = |event: &str, action: &str, reason: Option<String>| {
        audit::record(
            &caller,
            event,
            "horoscopes",
            &id.to_string(),
            meta.clone(),
            Some(Moderation {
                target_kind: "horoscope",
                action,
                reason,
            }),
        );
    };
    if rejecting {
        let Some(reason) = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
        else {
            errors::invalid_value("a reason is required to reject a horoscope", None)
        };
        set(
            &mut new,
            HOROSCOPES,
            "rejected_reason",
            Some(reason.clone()),
        );
        set(&mut new, HOROSCOPES, "rejected_at", Some(now()));
        set(&mut new, HOROSCOPES, "rejected_by", caller.uid);
        set(
            &mut new,
            HOROSCOPES,
            "approved_at",
            None::<TimestampWithTimeZone>,
        );
        set(&mut new, HOROSCOPES, "approved_by", None::<pgrx::Uuid>);
        record("horoscope.rejected", "reject", Some(reason));
        post_follows(id, "rejected");
    } else if is {
        if was_rejected {
            errors::not_allowed(
                format!("horoscope {id} was rejected: it cannot be published"),
                "publish another draft for the day",
            );
        }
        let Some(day) = ref_date else {
            errors::invalid_value("a horoscope needs a ref_date", None)
        };
        check_publishable(id, (&scope, &zodiac, day), audio);
        set(&mut new, HOROSCOPES, "approved_at", Some(now()));
        set(&mut new, HOROSCOPES, "approved_by", caller.uid);
        record("horoscope.approved", "approve", None);
        post_follows(id, "published");
    } else {
        record("horoscope.unpublished", "reject", None);
        post_follows(id, "draft");
    }
    Ok(Some(new))
}
