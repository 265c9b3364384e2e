//! The blocklist (rules in `samia_core::blocklist`): staff add phone
//! numbers, email addresses and domains with a reason (and an expiry);
//! admins lift them. Every change is moderated and audited. A blocked phone
//! cannot be verified, a sign-up with a blocked email or on a blocked
//! domain makes a profile that is blocked from the start.

use crate::audit::{self, Moderation};
use crate::caller::Caller;
use crate::rows::{get, get_old, now, set};
use crate::{errors, plans};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::blocklist::{self, Kind};
use samia_core::roles::AppRole;
use serde_json::json;

const BLOCKLIST: &str = "public.blocklist";

/// BEFORE INSERT OR UPDATE ON public.blocklist.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."blocklist_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'blocklist_authority_wrapper';
"#)]
fn blocklist_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("blocklist_authority must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let caller = Caller::current();
    let role = caller.actor.active_role();
    let id = get::<i64>(&new, BLOCKLIST, "id")
        .unwrap_or_default()
        .to_string();
    let Some(old) = trigger.old() else {
        if !role.is_some_and(AppRole::is_staff) {
            errors::denied("only monitors, admins and superadmins add to the blocklist");
        }
        let kind_name = get::<String>(&new, BLOCKLIST, "kind").unwrap_or_default();
        let Some(kind) = Kind::from_name(&kind_name) else {
            errors::invalid_value(
                format!("unknown blocklist kind {kind_name:?}"),
                Some("use phone, email or domain"),
            )
        };
        let value = blocklist::normalize(
            kind,
            &get::<String>(&new, BLOCKLIST, "value").unwrap_or_default(),
        )
        .unwrap_or_else(|m| errors::invalid_value(m, None));
        let Some(reason) = get::<String>(&new, BLOCKLIST, "reason")
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
        else {
            errors::invalid_value("a blocklist entry needs a reason", None)
        };
        let expires = get::<TimestampWithTimeZone>(&new, BLOCKLIST, "expires_at");
        if expires.is_some_and(|e| e <= now()) {
            errors::invalid_value(
                "expires_at is in the past",
                Some("leave it null for no expiry"),
            );
        }
        // An expired entry for the value makes way for the new one.
        let text = PgOid::from(pg_sys::TEXTOID);
        errors::spi(
            plans::execute(
                "update public.blocklist set lifted_at = now()
                  where kind = $1 and value = $2 and lifted_at is null and expires_at <= now()",
                &[text, text],
                &[kind.name().into(), value.as_str().into()],
            ),
            "retiring an expired entry",
        );
        set(&mut new, BLOCKLIST, "value", value.clone());
        set(&mut new, BLOCKLIST, "reason", reason.clone());
        set(&mut new, BLOCKLIST, "created_by", caller.uid);
        set(&mut new, BLOCKLIST, "created_at", now());
        set(
            &mut new,
            BLOCKLIST,
            "lifted_at",
            None::<TimestampWithTimeZone>,
        );
        set(&mut new, BLOCKLIST, "lifted_by", None::<pgrx::Uuid>);
        audit::record(
            &caller,
            "blocklist.added",
            "blocklist",
            &id,
            json!({ "kind": kind.name(), "expires_at": expires.map(|e| e.to_string()) }),
            Some(Moderation {
                target_kind: "blocklist",
                action: "block",
                reason: Some(reason),
            }),
        );
        return Ok(Some(new));
    };
    // Only lifting: everything else of an entry stays as it was written.
    for column in [
        "kind",
        "value",
        "reason",
        "created_by",
        "created_at",
        "expires_at",
    ] {
        let same = match column {
            "created_by" => {
                get_old::<pgrx::Uuid>(&old, BLOCKLIST, column)
                    == get::<pgrx::Uuid>(&new, BLOCKLIST, column)
            }
            "created_at" | "expires_at" => {
                get_old::<TimestampWithTimeZone>(&old, BLOCKLIST, column)
                    == get::<TimestampWithTimeZone>(&new, BLOCKLIST, column)
            }
            _ => {
                get_old::<String>(&old, BLOCKLIST, column) == get::<String>(&new, BLOCKLIST, column)
            }
        };
        if !same {
            errors::not_allowed(
                format!("a blocklist entry's {column} does not change"),
                "lift the entry (set lifted_at) and add a new one",
            );
        }
    }
    let was_lifted = get_old::<TimestampWithTimeZone>(&old, BLOCKLIST, "lifted_at").is_some();
    let lifting = get::<TimestampWithTimeZone>(&new, BLOCKLIST, "lifted_at").is_some();
    match (was_lifted, lifting) {
        (false, true) => {
            if !role.is_some_and(AppRole::is_admin) {
                errors::denied("only admins and superadmins lift blocklist entries");
            }
            set(&mut new, BLOCKLIST, "lifted_at", Some(now()));
            set(&mut new, BLOCKLIST, "lifted_by", caller.uid);
            audit::record(
                &caller,
                "blocklist.lifted",
                "blocklist",
                &id,
                json!({ "kind": get_old::<String>(&old, BLOCKLIST, "kind") }),
                Some(Moderation {
                    target_kind: "blocklist",
                    action: "unblock",
                    reason: None,
                }),
            );
        }
        (true, false) => errors::not_allowed(
            "a lifted blocklist entry stays lifted",
            "add a new entry instead",
        ),
        _ => {
            set(
                &mut new,
                BLOCKLIST,
                "lifted_at",
                get_old::<TimestampWithTimeZone>(&old, BLOCKLIST, "lifted_at"),
            );
            set(
                &mut new,
                BLOCKLIST,
                "lifted_by",
                get_old::<pgrx::Uuid>(&old, BLOCKLIST, "lifted_by"),
            );
        }
    }
    Ok(Some(new))
}

/// Is any of `keys` on the blocklist now (not lifted, not expired)?
pub fn listed(keys: &[(Kind, String)]) -> bool {
    if keys.is_empty() {
        return false;
    }
    let kinds: Vec<String> = keys.iter().map(|(k, _)| k.name().to_string()).collect();
    let values: Vec<String> = keys.iter().map(|(_, v)| v.clone()).collect();
    let array = PgOid::from(pg_sys::TEXTARRAYOID);
    errors::spi(
        plans::value::<bool>(
            "select exists (select 1 from public.blocklist b
                              join unnest($1::text[], $2::text[]) k(kind, value)
                                on b.kind = k.kind and b.value = k.value
                             where b.lifted_at is null and (b.expires_at is null or b.expires_at > now()))",
            &[array, array],
            &[kinds.into(), values.into()],
        ),
        "checking the blocklist",
    )
    .unwrap_or(false)
}

/// Is the phone (E.164) on the blocklist?
pub fn phone_listed(e164: &str) -> bool {
    listed(&[(Kind::Phone, e164.to_string())])
}
