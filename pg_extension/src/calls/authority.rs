//! Writes to `public.calls` through the API (a monitor's drop) and what a
//! block does to a call in progress.

use super::events::{move_order, record};
use super::{delete_room, free_reader, room_name, row, CALLS};
use crate::audit::Moderation;
use crate::caller::{self, Caller};
use crate::rows::{get, get_old, set};
use crate::{errors, jobs};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use samia_core::jobs as kinds;
use samia_core::roles::AppRole;
use serde_json::{json, Value};

/// BEFORE UPDATE ON public.calls: through the API only a monitor's or an
/// admin's drop (`end_reason = 'dropped_by_monitor'` with a `reason`); the
/// extension's own writes pass as `system`.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."calls_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'calls_authority_wrapper';
"#)]
fn calls_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let (Some(new), Some(old)) = (trigger.new(), trigger.old()) else {
        errors::misconfigured("calls_authority must run BEFORE UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let me = Caller::current();
    if me.actor.is_system() {
        return Ok(Some(new));
    }
    let order = get_old::<i64>(&old, CALLS, "order_id").unwrap_or_default();
    let old_reason = get_old::<String>(&old, CALLS, "end_reason");
    let new_reason = get::<String>(&new, CALLS, "end_reason");
    if !me.actor.active_role().is_some_and(AppRole::is_staff) {
        errors::denied("only monitors and admins drop calls");
    }
    if new_reason.as_deref() != Some("dropped_by_monitor") || old_reason.is_some() {
        errors::not_allowed(
            format!("call of order {order}: only a drop can be written here"),
            "set end_reason = 'dropped_by_monitor' together with a reason",
        );
    }
    if get_old::<TimestampWithTimeZone>(&old, CALLS, "ended_at").is_some() {
        errors::not_allowed(
            format!("the call of order {order} has already ended"),
            "only a booked or live call can be dropped",
        );
    }
    let reason = get::<String>(&new, CALLS, "reason")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| {
            errors::invalid_value(
                format!("dropping the call of order {order} needs a reason"),
                Some("set reason together with end_reason"),
            )
        });
    set(&mut new, CALLS, "reason", reason.clone());
    set(&mut new, CALLS, "ended_at", crate::rows::now());
    set(&mut new, CALLS, "ended_by", me.uid);
    let call = json!({ "id": get_old::<i64>(&old, CALLS, "id").unwrap_or_default() });
    record(
        "call.dropped",
        &call,
        order,
        json!({ "reason": reason, "actor_role": me.actor.role_name() }),
        Some(Moderation {
            target_kind: "call",
            action: "drop_call",
            reason: Some(reason.clone()),
        }),
    );
    delete_room(order);
    free_reader(get_old::<pgrx::Uuid>(&old, CALLS, "reader_id").map(|u| u.to_string()));
    // Both parties hear the call was ended (not the reason: a monitor's).
    let parties = super::row(
        "select jsonb_build_array(o.user_id, o.assigned_reader) from public.orders o where o.id = $1",
        &[order.into()],
        "reading the call's parties",
    );
    for party in parties
        .as_ref()
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str()?.parse::<uuid::Uuid>().ok())
    {
        crate::notices::notify(
            pgrx::Uuid::from_bytes(*party.as_bytes()),
            "call.dropped",
            json!({ "order_id": order }),
            Some(order),
            None,
        );
    }
    // The order's cancellation follows from the drop: audited with the
    // monitor as actor, and no second moderation record.
    crate::backend::scoped(
        |s| std::mem::replace(&mut s.dropping, order),
        |s, old| s.dropping = old,
        || {
            caller::as_system(|| {
                crate::audit::caused_by(me, || {
                    move_order(
                        order,
                        "cancelled",
                        Some(&format!("call dropped by a monitor: {reason}")),
                    )
                })
            })
        },
    );
    Ok(Some(new))
}

/// BEFORE INSERT OR DELETE ON public.calls: a call row is made only by a
/// booking or an assignment (the order trigger, as `system`) and is never
/// deleted through the API: a row planted by another role would hold a
/// reader's calendar.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."calls_rows_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'calls_rows_authority_wrapper';
"#)]
fn calls_rows_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    if !Caller::current().actor.is_system() {
        match trigger.new() {
            Some(_) => errors::denied_with_hint(
                "a call is booked with book_call, or by assigning its order, never inserted",
                "use rpc('book_call') as the client, or assign the call order as an admin",
            ),
            None => errors::denied_with_hint(
                "calls are never deleted: a booked call ends by cancelling its order",
                "cancel the order, or drop the call (monitors)",
            ),
        }
    }
    Ok(trigger.new().or(trigger.old()))
}

/// AFTER UPDATE OF is_blocked ON public.profiles: a party blocked during a
/// call is taken out of its room (they get no new token either).
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."calls_on_block"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'calls_on_block_wrapper';
"#)]
fn calls_on_block<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let (Some(new), Some(old)) = (trigger.new(), trigger.old()) else {
        errors::misconfigured("calls_on_block must run AFTER UPDATE FOR EACH ROW")
    };
    let blocked = new.get_by_name::<bool>("is_blocked").ok().flatten() == Some(true);
    let was = old.get_by_name::<bool>("is_blocked").ok().flatten() == Some(true);
    let Some(id) = new.get_by_name::<pgrx::Uuid>("id").ok().flatten() else {
        return Ok(None);
    };
    if !blocked || was {
        return Ok(None);
    }
    let live = row(
        "select coalesce(jsonb_agg(c.order_id), '[]')
           from public.calls c join public.orders o on o.id = c.order_id
          where c.ended_at is null and o.status in ('assigned', 'in_progress')
            and (o.user_id = $1 or o.assigned_reader = $1)
            and (c.client_joined_at is not null or c.reader_joined_at is not null)",
        &[id.into()],
        "finding the blocked user's calls",
    )
    .unwrap_or(Value::Null);
    for order in live
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
    {
        jobs::enqueue(
            kinds::LIVEKIT_REMOVE_PARTICIPANT,
            json!({ "order_id": order, "room": room_name(order), "identity": id.to_string() }),
        );
    }
    Ok(None)
}
