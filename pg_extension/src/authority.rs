//! Who may change what, beyond what row-level security can express:
//! role changes, blocking, configuration, and the block
//! rules on orders. Every sensitive change is recorded in `audit_log` and
//! `moderation_actions` in the same transaction.

use crate::audit::{self, Moderation};
use crate::caller::Caller;
use crate::errors;
use crate::rows::{changed, get, get_old, now, set};
use pgrx::datum::{Date, Time, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use samia_core::roles::{self, AppRole};
use serde_json::json;

fn denied(e: roles::Denied) -> ! {
    errors::denied(e.0)
}

const PROFILES: &str = "public.profiles";

/// BEFORE INSERT OR UPDATE ON public.profiles (runs before `profiles_derive`).
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."profiles_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'profiles_authority_wrapper';
"#)]
fn profiles_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("profiles_authority must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let caller = Caller::current();
    let Some(old) = trigger.old() else {
        // A new profile (the auth.users sync makes them) starts as an
        // unblocked client unless system creates it otherwise.
        let role = get::<i16>(&new, PROFILES, "role_id");
        let blocked = get::<bool>(&new, PROFILES, "is_blocked").unwrap_or(false);
        if !caller.actor.is_system() && (role.is_some_and(|r| r != AppRole::Client.id()) || blocked)
        {
            errors::denied(match caller.actor {
                roles::Actor::Untrusted => roles::untrusted().0,
                _ => "a new profile starts as an unblocked client".into(),
            });
        }
        return Ok(Some(new));
    };
    let id: Option<pgrx::Uuid> = get_old(&old, PROFILES, "id");
    let own = caller.uid.is_some() && caller.uid == id;
    let target = id.map(|u| u.to_string()).unwrap_or_default();

    // Someone else's profile: only the role and block columns.
    if !caller.actor.is_system() && !own {
        let personal = roles::PERSONAL_COLUMNS.iter().any(|&column| match column {
            "dob" => changed::<Date>(&old, &new, PROFILES, column),
            "birth_time" => changed::<Time>(&old, &new, PROFILES, column),
            "quiet_hours" => {
                get_old::<pgrx::JsonB>(&old, PROFILES, column).map(|j| j.0)
                    != get::<pgrx::JsonB>(&new, PROFILES, column).map(|j| j.0)
            }
            _ => changed::<String>(&old, &new, PROFILES, column),
        });
        if personal {
            errors::denied_with_hint(
                "you may change only your own personal details",
                "staff change another user's role_id, is_blocked and blocked_reason only",
            );
        }
    }

    let old_role = get_old::<i16>(&old, PROFILES, "role_id").and_then(AppRole::from_id);
    let new_role = get::<i16>(&new, PROFILES, "role_id").and_then(AppRole::from_id);
    if let (Some(from), Some(to)) = (old_role, new_role) {
        if from != to {
            roles::may_change_role(caller.actor, own, from, to).unwrap_or_else(|e| denied(e));
            audit::record(
                &caller,
                "profile.role_changed",
                "profiles",
                &target,
                json!({ "from": from.code(), "to": to.code() }),
                Some(Moderation {
                    target_kind: "profile",
                    action: "role_change",
                    reason: Some(format!("{from} -> {to}")),
                }),
            );
        }
    }

    let was_blocked = get_old::<bool>(&old, PROFILES, "is_blocked").unwrap_or(false);
    let is_blocked = get::<bool>(&new, PROFILES, "is_blocked").unwrap_or(false);
    let reason = get::<String>(&new, PROFILES, "blocked_reason")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match (was_blocked, is_blocked) {
        (false, true) => {
            let target_role = old_role.unwrap_or(AppRole::Client);
            roles::may_block(caller.actor, own, target_role).unwrap_or_else(|e| denied(e));
            let Some(reason) = reason else {
                errors::invalid_value(
                    "a block needs a reason: set blocked_reason with is_blocked",
                    Some("for example: update profiles set is_blocked = true, blocked_reason = '...'"),
                )
            };
            set(&mut new, PROFILES, "blocked_reason", reason.as_str());
            set(&mut new, PROFILES, "blocked_at", now());
            set(&mut new, PROFILES, "blocked_by", caller.uid);
            audit::record(
                &caller,
                "profile.blocked",
                "profiles",
                &target,
                json!({ "reason": reason, "role": target_role.code() }),
                Some(Moderation {
                    target_kind: "profile",
                    action: "block",
                    reason: Some(reason.clone()),
                }),
            );
        }
        (true, false) => {
            roles::may_unblock(caller.actor, own).unwrap_or_else(|e| denied(e));
            let previous = get_old::<String>(&old, PROFILES, "blocked_reason");
            // A reason given with the unblock is the unblock's reason.
            let unblock_reason = reason.filter(|r| Some(r) != previous.as_ref());
            set(&mut new, PROFILES, "blocked_reason", None::<String>);
            set(
                &mut new,
                PROFILES,
                "blocked_at",
                None::<TimestampWithTimeZone>,
            );
            set(&mut new, PROFILES, "blocked_by", None::<pgrx::Uuid>);
            audit::record(
                &caller,
                "profile.unblocked",
                "profiles",
                &target,
                json!({ "reason": unblock_reason, "previous_reason": previous }),
                Some(Moderation {
                    target_kind: "profile",
                    action: "unblock",
                    reason: unblock_reason,
                }),
            );
        }
        _ => {
            if !caller.actor.is_system()
                && changed::<String>(&old, &new, PROFILES, "blocked_reason")
            {
                errors::denied("blocked_reason changes only together with a block or an unblock");
            }
        }
    }
    Ok(Some(new))
}

const APP_CONFIG: &str = "public.app_config";

/// BEFORE INSERT OR UPDATE ON public.app_config: admins only, recorded.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."app_config_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'app_config_authority_wrapper';
"#)]
fn app_config_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("app_config_authority must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let caller = Caller::current();
    if !caller.actor.active_role().is_some_and(AppRole::is_admin) {
        errors::denied("only admins and superadmins change app_config");
    }
    let key = get::<String>(&new, APP_CONFIG, "key").unwrap_or_default();
    let value: Option<pgrx::JsonB> = get(&new, APP_CONFIG, "value");
    let old_value: Option<pgrx::JsonB> =
        trigger.old().and_then(|o| get_old(&o, APP_CONFIG, "value"));
    set(&mut new, APP_CONFIG, "updated_by", caller.uid);
    set(&mut new, APP_CONFIG, "updated_at", now());
    // An insert of a key that exists either fails (23505) or, as an upsert
    // (`on conflict do update`, PostgREST's merge-duplicates), becomes the
    // update whose trigger records the change: recorded once, there.
    if trigger.old().is_none() && key_exists(&key) {
        return Ok(Some(new));
    }
    audit::record(
        &caller,
        "config.changed",
        "app_config",
        &key,
        json!({ "from": old_value.map(|v| v.0), "to": value.map(|v| v.0) }),
        Some(Moderation {
            target_kind: "config",
            action: "config_change",
            reason: None,
        }),
    );
    Ok(Some(new))
}

fn key_exists(key: &str) -> bool {
    errors::spi(
        crate::plans::value::<bool>(
            "select true from public.app_config where key = $1",
            &[pgrx::PgOid::from(pg_sys::TEXTOID)],
            &[key.into()],
        ),
        "looking up the setting",
    )
    .is_some()
}
