//! Publishing, unpublishing and rejecting horoscopes (`horoscopes_authority`),
//! and what that does to their posts.

use crate::audit::{self, Moderation};
use crate::caller::Caller;
use crate::rows::{get, get_old, set};
use crate::{errors, media, plans};
use pgrx::datum::{Date, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use serde_json::json;

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
        // The clients of that sign hear of it, each in their language.
        crate::notices::notify_all(
            "p.zodiac = $7 and p.role_id = 5 and not p.is_blocked",
            &zodiac,
            "horoscope.published",
            serde_json::json!({ "zodiac": zodiac, "scope": scope, "ref_date": day.to_string() }),
        );
    } else {
        record("horoscope.unpublished", "reject", None);
        post_follows(id, "draft");
    }
    Ok(Some(new))
}
