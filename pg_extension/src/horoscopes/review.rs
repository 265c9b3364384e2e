//! Monitors' work on posts: classify one by hand, ignore one, or attach
//! the file its audio is to come from.

use super::{open, post_status};
use crate::audit;
use crate::caller::Caller;
use crate::{errors, jobs, plans};
use pgrx::datum::Date;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::caption;
use samia_core::roles::Actor;
use samia_core::Sign;
use serde_json::json;

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
