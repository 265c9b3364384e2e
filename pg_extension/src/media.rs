//! Media rows and the Storage objects they describe (CONTRACT.md section 9;
//! rules in `samia_core::media`).
//!
//! - A user registers an object they uploaded by inserting a `media_assets`
//!   row naming its `bucket` and `path`; `bytes`, `mime_type` and `url` come
//!   from the object, the row starts `pending`, and a `media.probe` job is
//!   queued in the same transaction (by the same trigger).
//! - The sidecar reports the probe through `samia.media_probe_outcome`.
//! - An object replaced in storage sends its row back to `pending` (and to
//!   the probe); one deleted leaves it `invalid`; an approved answer's or a
//!   published horoscope's object can no longer change.

use crate::caller::Caller;
use crate::rows::{get, get_old, set};
use crate::{errors, jobs, plans};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::media::{self, Refusal};
use samia_core::roles::Actor;
use serde_json::json;

const MEDIA: &str = "public.media_assets";
const OBJECTS: &str = "storage.objects";

/// What the database knows of a stored object.
struct Object {
    owner_id: Option<String>,
    bytes: Option<i64>,
    mime_type: Option<String>,
}

fn object(bucket: &str, path: &str) -> Option<Object> {
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::select(
            "select owner_id, (metadata ->> 'size')::bigint, metadata ->> 'mimetype'
               from storage.objects where bucket_id = $1 and name = $2",
            &[text, text],
            &[bucket.into(), path.into()],
            |table| {
                if table.is_empty() {
                    return Ok(None);
                }
                let row = table.first();
                Ok(Some(Object {
                    owner_id: row.get::<String>(1)?,
                    bytes: row.get::<i64>(2)?,
                    mime_type: row.get::<String>(3)?,
                }))
            },
        ),
        "looking up the stored object",
    )
}

/// BEFORE INSERT ON public.media_assets: registration of an uploaded object.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."media_register"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'media_register_wrapper';
"#)]
fn media_register<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("media_register must run BEFORE INSERT FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let caller = Caller::current();
    let bucket = get::<String>(&new, MEDIA, "bucket");
    let path = get::<String>(&new, MEDIA, "path");
    let (role, uid) = match (caller.actor, caller.uid) {
        (Actor::System, _) => {
            // System (the sidecar, a DBA) registers what it likes; an object
            // it names still gives the row its size and type.
            if let (Some(bucket), Some(path)) = (&bucket, &path) {
                if let Some(found) = object(bucket, path) {
                    fill_from(&mut new, bucket, path, &found);
                }
                if get::<String>(&new, MEDIA, "status").as_deref()
                    == Some(media::Status::Pending.name())
                {
                    queue(&new, bucket, path);
                }
            }
            return Ok(Some(new));
        }
        (Actor::User { role, blocked }, Some(uid)) if !blocked => (role, uid),
        (Actor::User { .. }, _) => errors::denied_with_hint(
            "your account is blocked: you cannot add files",
            "contact support to have the block reviewed",
        ),
        (Actor::Untrusted, _) => errors::denied(samia_core::roles::untrusted().0),
        _ => errors::denied("files are added by signed-in users only"),
    };
    let (Some(bucket), Some(path)) = (bucket, path) else {
        errors::invalid_value(
            "a file is registered by naming its bucket and path",
            Some("upload the file to Storage first, then insert bucket and path (url, bytes and mime_type are filled in)"),
        )
    };
    let uid_text = uuid::Uuid::from_bytes(*uid.as_bytes()).to_string();
    let kind = get::<String>(&new, MEDIA, "kind").unwrap_or_default();
    let Some(found) = object(&bucket, &path) else {
        errors::invalid_value(
            format!("there is no file {path} in bucket {bucket}"),
            Some("upload the file to Storage first, then register it"),
        )
    };
    if found.owner_id.as_deref() != Some(uid_text.as_str()) {
        errors::denied(format!("{bucket}/{path} is not a file you uploaded"));
    }
    if let Err(refusal) = media::may_register(
        role,
        &uid_text,
        &kind,
        &bucket,
        &path,
        found.mime_type.as_deref(),
    ) {
        match refusal {
            Refusal::Denied(m) => errors::denied(m),
            Refusal::Invalid(m) => errors::invalid_value(m, None),
        }
    }
    check_quota(uid, found.bytes.unwrap_or(0));
    set(&mut new, MEDIA, "owner_id", Some(uid));
    fill_from(&mut new, &bucket, &path, &found);
    // Written by the probe only, whatever the caller sent.
    set(&mut new, MEDIA, "sha256", None::<String>);
    set(&mut new, MEDIA, "duration_sec", None::<i32>);
    set(&mut new, MEDIA, "status", media::Status::Pending.name());
    set(&mut new, MEDIA, "error", None::<String>);
    queue(&new, &bucket, &path);
    Ok(Some(new))
}

/// Refuses a registration that would take the user past their storage
/// quota (`app_config` `storage.quota_bytes_per_user`); refused files do
/// not count.
fn check_quota(uid: pgrx::Uuid, adding: i64) {
    let quota = crate::config::number(
        samia_core::config::STORAGE_QUOTA,
        samia_core::config::DEFAULT_STORAGE_QUOTA,
    );
    let used = errors::spi(
        plans::value::<i64>(
            "select coalesce(sum(bytes), 0)::bigint from public.media_assets
              where owner_id = $1 and status <> 'invalid'",
            &[PgOid::from(pg_sys::UUIDOID)],
            &[uid.into()],
        ),
        "adding up the user's files",
    )
    .unwrap_or(0);
    if samia_core::config::over(used, adding, quota) {
        errors::not_allowed(
            format!(
                "your files take {used} bytes and this one {adding}: the limit is {quota} bytes"
            ),
            "remove files you no longer need, or ask support for more room",
        );
    }
}

/// Queues the probe of a row about to be inserted, in the same transaction
/// (its id is the column default, already drawn). Were the insert to fail,
/// the job goes with it; an `ON CONFLICT DO NOTHING` that skips the row
/// leaves a job for a row that does not exist, which the sidecar finishes
/// with nothing to probe.
fn queue(new: &crate::rows::Row<'_>, bucket: &str, path: &str) {
    match get::<i64>(new, MEDIA, "id") {
        Some(id) => queue_probe(id, bucket, path),
        None => errors::misconfigured("a media row without an id"),
    }
}

fn fill_from(new: &mut crate::rows::Row<'_>, bucket: &str, path: &str, found: &Object) {
    set(new, MEDIA, "bytes", found.bytes);
    set(new, MEDIA, "mime_type", found.mime_type.clone());
    set(new, MEDIA, "url", media::object_url(bucket, path));
}

fn queue_probe(id: i64, bucket: &str, path: &str) {
    jobs::enqueue(
        samia_core::jobs::MEDIA_PROBE,
        json!({ "media_id": id, "bucket": bucket, "path": path }),
    );
}

/// What pins a media row: the approved answer of an order or the audio of a
/// published horoscope (`None` when nothing does).
pub fn pinned_by(media_id: i64) -> Option<String> {
    errors::spi(
        plans::value::<String>(
            "select coalesce(
               (select 'the approved audio of order ' || o.id from public.orders o
                 where o.output_media_id = $1 and o.status in ('approved', 'delivered') limit 1),
               (select 'the audio of published horoscope ' || h.id from public.horoscopes h
                 where h.audio_media_id = $1 and h.approved_at is not null limit 1))",
            &[PgOid::from(pg_sys::INT8OID)],
            &[media_id.into()],
        ),
        "checking whether the media is pinned",
    )
}

/// The media row registered for an object, if any.
fn media_of(bucket: &str, path: &str) -> Option<i64> {
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::value::<i64>(
            "select id from public.media_assets where bucket = $1 and path = $2",
            &[text, text],
            &[bucket.into(), path.into()],
        ),
        "finding the object's media row",
    )
}

/// The bucket and name of a `storage.objects` row.
fn object_key(row: &PgHeapTuple<'_, AllocatedByPostgres>) -> Option<(String, String)> {
    get_old::<String>(row, OBJECTS, "bucket_id").zip(get_old::<String>(row, OBJECTS, "name"))
}

/// BEFORE UPDATE OR DELETE ON storage.objects: the object of an approved
/// answer or a published horoscope is fixed (system excepted).
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."storage_object_pinned"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'storage_object_pinned_wrapper';
"#)]
fn storage_object_pinned<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let Some(old) = trigger.old() else {
        errors::misconfigured("storage_object_pinned must run BEFORE UPDATE OR DELETE FOR EACH ROW")
    };
    let deleting = trigger.new().is_none();
    let system = Caller::current().actor.is_system();
    if let (Some(new), false) = (trigger.new(), system) {
        through_the_api(&old, &new);
    }
    if let Some((bucket, name)) = object_key(&old) {
        let changes = match trigger.new() {
            None => true,
            Some(new) => {
                object_key(&new) != Some((bucket.clone(), name.clone()))
                    || get_old::<String>(&new, OBJECTS, "version")
                        != get_old::<String>(&old, OBJECTS, "version")
                    || get_old::<pgrx::JsonB>(&new, OBJECTS, "metadata").map(|m| m.0)
                        != get_old::<pgrx::JsonB>(&old, OBJECTS, "metadata").map(|m| m.0)
            }
        };
        if changes && !system {
            if let Some(what) = media_of(&bucket, &name).and_then(pinned_by) {
                errors::not_allowed(
                    format!(
                        "{bucket}/{name} is {what}: it can no longer be {}",
                        if deleting {
                            "deleted"
                        } else {
                            "replaced or moved"
                        }
                    ),
                    "upload a new file under another name instead",
                );
            }
        }
    }
    // The row to go ahead with: NEW for an update, OLD for a delete.
    Ok(Some(trigger.new().unwrap_or(old)))
}

/// An object changed through the API (Storage's move, update or upsert as
/// the user or the service key): it never changes bucket, and a registered
/// file replaced by a larger one still fits its owner's storage quota.
fn through_the_api(
    old: &PgHeapTuple<'_, AllocatedByPostgres>,
    new: &PgHeapTuple<'_, AllocatedByPostgres>,
) {
    let Some((bucket, name)) = object_key(old) else {
        return;
    };
    let new_bucket = get_old::<String>(new, OBJECTS, "bucket_id");
    if new_bucket.as_deref() != Some(bucket.as_str()) {
        errors::denied_with_hint(
            format!(
                "{bucket}/{name} cannot move to bucket {}: objects never change bucket",
                new_bucket.unwrap_or_default()
            ),
            "upload the file into the other bucket instead",
        );
    }
    let size = |row: &PgHeapTuple<'_, AllocatedByPostgres>| {
        get_old::<pgrx::JsonB>(row, OBJECTS, "metadata")
            .and_then(|m| m.0.get("size").and_then(serde_json::Value::as_i64))
            .unwrap_or(0)
    };
    let grows = size(new) - size(old);
    if grows <= 0 {
        return;
    }
    let Some(media_id) = media_of(&bucket, &name) else {
        return;
    };
    let owner = errors::spi(
        plans::value::<pgrx::Uuid>(
            "select owner_id from public.media_assets where id = $1 and status <> 'invalid'",
            &[PgOid::from(pg_sys::INT8OID)],
            &[media_id.into()],
        ),
        "reading the file's owner",
    );
    if let Some(owner) = owner {
        check_quota(owner, grows);
    }
}

/// AFTER UPDATE OR DELETE ON storage.objects: the media row follows its
/// object. Replaced (a new version or new metadata): back to `pending`,
/// with the new size and type, and probed again. Deleted or moved away:
/// `invalid`.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."storage_object_changed"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'storage_object_changed_wrapper';
"#)]
fn storage_object_changed<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let Some(old) = trigger.old() else {
        errors::misconfigured("storage_object_changed must run AFTER UPDATE OR DELETE FOR EACH ROW")
    };
    let Some((bucket, name)) = object_key(&old) else {
        return Ok(None);
    };
    let Some(media_id) = media_of(&bucket, &name) else {
        return Ok(None);
    };
    let int8 = PgOid::from(pg_sys::INT8OID);
    let text = PgOid::from(pg_sys::TEXTOID);
    match trigger.new() {
        Some(new) if object_key(&new) == Some((bucket.clone(), name.clone())) => {
            let replaced = get_old::<String>(&new, OBJECTS, "version")
                != get_old::<String>(&old, OBJECTS, "version")
                || get_old::<pgrx::JsonB>(&new, OBJECTS, "metadata").map(|m| m.0)
                    != get_old::<pgrx::JsonB>(&old, OBJECTS, "metadata").map(|m| m.0);
            if !replaced {
                return Ok(None);
            }
            errors::spi(
                plans::execute(
                    "update public.media_assets m
                        set status = 'pending', error = null, sha256 = null, duration_sec = null,
                            bytes = (o.metadata ->> 'size')::bigint, mime_type = o.metadata ->> 'mimetype'
                       from storage.objects o
                      where m.id = $1 and o.bucket_id = $2 and o.name = $3",
                    &[int8, text, text],
                    &[media_id.into(), bucket.as_str().into(), name.as_str().into()],
                ),
                "sending the replaced file back to the probe",
            );
            queue_probe(media_id, &bucket, &name);
        }
        _ => {
            errors::spi(
                plans::execute(
                    "update public.media_assets
                        set status = 'invalid', error = 'the file was deleted from storage: upload it again'
                      where id = $1",
                    &[int8],
                    &[media_id.into()],
                ),
                "marking the deleted file",
            );
        }
    }
    Ok(None)
}

/// The sidecar's report on a probe of media `media_id`, made on the object
/// at `object_version`: `outcome` is `{"status": "ready"|"invalid", "sha256",
/// "bytes", "duration_sec", "error", "probe": {...}}`. A report on a version
/// the object no longer has changes nothing (a newer probe is queued).
/// Returns the row's status afterwards.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn media_probe_outcome(
    media_id: i64,
    object_version: Option<&str>,
    outcome: pgrx::JsonB,
) -> String {
    if !Caller::current().actor.is_system() {
        errors::denied("only the sidecar reports on probed files");
    }
    let outcome = outcome.0;
    let status = outcome
        .get("status")
        .and_then(|s| s.as_str())
        .and_then(media::Status::from_name)
        .filter(|s| *s != media::Status::Pending)
        .unwrap_or_else(|| {
            errors::invalid_value(
                "a probe outcome has status ready or invalid",
                Some(r#"for example {"status": "ready", "sha256": "...", "duration_sec": 61.2}"#),
            )
        });
    let current = errors::spi(
        Spi::get_two_with_args::<String, String>(
            "select m.status, o.version from public.media_assets m
               left join storage.objects o on o.bucket_id = m.bucket and o.name = m.path
              where m.id = $1 for update of m",
            &[media_id.into()],
        ),
        "reading the probed file",
    );
    let (Some(now_status), version) = current else {
        errors::invalid_value(format!("media {media_id} does not exist"), None)
    };
    if version.as_deref() != object_version {
        return now_status;
    }
    let text = |key: &str| {
        outcome
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let duration = outcome
        .get("duration_sec")
        .and_then(|v| v.as_f64())
        .map(|d| d.round() as i32);
    let probe = json!({
        "object_version": object_version,
        "details": outcome.get("probe").cloned().unwrap_or(serde_json::Value::Null),
    });
    errors::spi(
        Spi::run_with_args(
            "update public.media_assets
                set status = $2, sha256 = $3, duration_sec = $4, error = $5,
                    bytes = coalesce($6, bytes), meta = meta || jsonb_build_object('probe', $7::jsonb)
              where id = $1",
            &[
                media_id.into(),
                status.name().into(),
                text("sha256").into(),
                duration.into(),
                text("error").into(),
                outcome.get("bytes").and_then(|v| v.as_i64()).into(),
                pgrx::JsonB(probe).into(),
            ],
        ),
        "recording the probe",
    );
    crate::horoscopes::audio_probed(media_id);
    status.name().to_string()
}

/// The state of an order's answer, for submission and approval: `Err` says
/// why it cannot be used.
pub fn answer_ready(media_id: i64) -> Result<(), String> {
    let row = errors::spi(
        Spi::connect(|client| {
            let table = client.select(
                "select m.kind, m.status, m.error, m.bucket,
                        m.meta -> 'probe' ->> 'object_version', o.version, o.id is not null
                   from public.media_assets m
                   left join storage.objects o on o.bucket_id = m.bucket and o.name = m.path
                  where m.id = $1",
                Some(1),
                &[media_id.into()],
            )?;
            if table.is_empty() {
                return Ok::<_, pgrx::spi::SpiError>(None);
            }
            let r = table.first();
            Ok(Some((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<String>(2)?.unwrap_or_default(),
                r.get::<String>(3)?,
                r.get::<String>(4)?,
                r.get::<String>(5)?,
                r.get::<String>(6)?,
                r.get::<bool>(7)?.unwrap_or(false),
            )))
        }),
        "reading the answer's file",
    );
    let Some((kind, status, error, bucket, probed, version, exists)) = row else {
        return Err(format!("media {media_id} does not exist"));
    };
    if kind != media::Kind::Audio.name() {
        return Err(format!("media {media_id} is {kind}, not audio"));
    }
    match media::Status::from_name(&status) {
        Some(media::Status::Ready) => {}
        Some(media::Status::Invalid) => {
            return Err(format!(
                "the audio of media {media_id} was refused: {}",
                error.unwrap_or_else(|| "no reason given".into())
            ))
        }
        _ => {
            return Err(format!(
                "the audio of media {media_id} is still being checked: try again in a moment"
            ))
        }
    }
    if bucket.is_some() && (!exists || probed != version) {
        return Err(format!(
            "the file of media {media_id} changed in storage after it was checked: it is checked again"
        ));
    }
    Ok(())
}

/// Is `name` a plain object name (`samia_core::media::plain_path`)? The
/// upload policies on `storage.objects` accept no other.
#[pg_extern(immutable, parallel_safe)]
fn is_plain_path(name: Option<&str>) -> bool {
    name.is_some_and(|n| media::plain_path(n).is_ok())
}
