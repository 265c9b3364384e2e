//! Push notifications (CONTRACT.md section 15): a user's devices, and one
//! `push.send` job per new notice and enabled device of its user, queued in
//! the notice's transaction, held until the user's quiet hours end.

use crate::caller::Caller;
use crate::rows::get_old;
use crate::{errors, jobs, plans};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use samia_core::push::{self as rules, QuietHours};
use samia_core::roles::Actor;
use serde_json::{json, Value};

/// The calling user, or 42501: devices belong to signed-in users.
fn signed_in() -> pgrx::Uuid {
    let caller = Caller::current();
    match (caller.uid, caller.actor) {
        (Some(uid), Actor::User { .. }) => uid,
        _ => errors::denied("only a signed-in user registers or removes their devices"),
    }
}

/// Registers the caller's device `token` (FCM's registration token) for
/// `platform` (`android`, `ios`, `web`), or refreshes it: one row per
/// token, so a token that moves to another user (the phone changed hands,
/// or another account signed in) leaves the first. Returns its id.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn register_push_device(
    token: Option<&str>,
    platform: Option<&str>,
    app_version: default!(Option<&str>, "NULL"),
) -> i64 {
    let uid = signed_in();
    let token = token.unwrap_or_default().trim();
    let platform = platform.unwrap_or_default();
    if token.is_empty() || token.len() > 4096 {
        errors::invalid_value(
            "a device token is FCM's registration token: 1 to 4096 characters",
            Some("pass the token the Firebase SDK gave the app"),
        );
    }
    if !rules::PLATFORMS.contains(&platform) {
        errors::invalid_value(
            format!(
                "platform {platform:?} is not one of {}",
                rules::PLATFORMS.join(", ")
            ),
            Some("android, ios or web"),
        );
    }
    let app_version = app_version.map(str::trim).filter(|v| !v.is_empty());
    if app_version.is_some_and(|v| v.len() > 64) {
        errors::invalid_value("app_version is at most 64 characters", None);
    }
    let row = errors::spi(
        plans::first_json(
            "insert into public.push_devices as d (user_id, token, platform, locale, app_version)
             select $1, $2, $3, p.locale, $4 from public.profiles p where p.id = $1
             on conflict (token) do update set
               created_at = case when d.user_id = excluded.user_id then d.created_at else now() end,
               user_id = excluded.user_id, platform = excluded.platform, locale = excluded.locale,
               app_version = coalesce(excluded.app_version, d.app_version), last_seen_at = now(),
               disabled_at = null, disabled_reason = null
             returning to_jsonb(d.id)",
            &[
                uid.into(),
                token.into(),
                platform.into(),
                app_version.map(str::to_string).into(),
            ],
        ),
        "registering the device",
    );
    row.and_then(|v| v.as_i64())
        .unwrap_or_else(|| errors::denied("a device is registered by a user with a profile"))
}

/// Removes the caller's device `token` (signing out): no push reaches it
/// any more. False when the caller has no such device.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn remove_push_device(token: &str) -> bool {
    let uid = signed_in();
    errors::spi(
        plans::first_json(
            "update public.push_devices set disabled_at = now(), disabled_reason = 'removed by its user'
              where token = $2 and user_id = $1 and disabled_at is null
             returning to_jsonb(true)",
            &[uid.into(), token.trim().into()],
        ),
        "removing the device",
    )
    .is_some()
}

const NOTIFICATIONS: &str = "public.notifications";

/// AFTER INSERT ON public.notifications FOR EACH ROW: one `push.send` per
/// enabled device of the notice's user, each held until the user's quiet
/// hours end (a call starting is never held).
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."notifications_push"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'notifications_push_wrapper';
"#)]
fn notifications_push<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("notifications_push must run AFTER INSERT FOR EACH ROW")
    };
    let (Some(id), Some(user)) = (
        get_old::<i64>(&new, NOTIFICATIONS, "id"),
        get_old::<pgrx::Uuid>(&new, NOTIFICATIONS, "user_id"),
    ) else {
        return Ok(None);
    };
    let kind = get_old::<String>(&new, NOTIFICATIONS, "kind").unwrap_or_default();
    let Some(found) = errors::spi(
        plans::first_json(
            "select jsonb_build_object('devices', coalesce((select jsonb_agg(d.id order by d.id)
                      from public.push_devices d where d.user_id = p.id and d.disabled_at is null), '[]'),
                    'quiet', p.quiet_hours, 'tz', p.time_zone)
               from public.profiles p where p.id = $1",
            &[user.into()],
        ),
        "reading the user's devices",
    ) else {
        return Ok(None);
    };
    let devices: Vec<i64> = found["devices"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    if devices.is_empty() {
        return Ok(None);
    }
    let quiet = QuietHours::parse(&found["quiet"]).ok().flatten();
    let tz = found["tz"]
        .as_str()
        .and_then(samia_core::calls::time_zone)
        .unwrap_or(samia_core::calls::Tz::UTC);
    let now = crate::time::utc(crate::rows::now()).unwrap_or_default();
    let at =
        rules::send_at(now, &kind, quiet, tz).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    for device in devices {
        let send = errors::spi(
            plans::first_json(
                "insert into ops.push_sends (notification_id, device_id, send_at)
                 values ($1, $2, $3::text::timestamptz) returning to_jsonb(id)",
                &[id.into(), device.into(), at.clone().into()],
            ),
            "recording the push",
        )
        .and_then(|v| v.as_i64())
        .unwrap_or_default();
        jobs::enqueue_at(samia_core::jobs::PUSH_SEND, json!({ "send_id": send }), &at);
    }
    Ok(None)
}
