//! A change to an order: the transition it makes, who may make it, what it
//! needs, and everything else a change may touch; and what it records.

use super::status::StatusColumn;
use super::{check_schedule, media_owner, raise_check, service, uuid_eq, ORDERS};
use crate::audit::{self, Moderation};
use crate::caller::Caller;
use crate::rows::{get, get_old, now, set, Row};
use crate::{errors, plans};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::order_flow::{
    self, Change, ChangeRefusal, Delivery, Needs, Refusal, Standing, Status,
};
use samia_core::roles::AppRole;
use serde_json::json;

fn not_allowed(id: i64, from: Status, to: Status, delivery: Delivery, standing: &Standing) -> ! {
    let next = order_flow::next_for(from, delivery, standing);
    let hint = if next.is_empty() {
        format!("you cannot change the status of an order that is {from}")
    } else {
        let names: Vec<&str> = next.iter().map(|s| s.name()).collect();
        format!("from {from} you may move it to: {}", names.join(", "))
    };
    raise_check(format!("order {id} cannot go from {from} to {to}"), &hint)
}

pub(super) fn on_update(
    caller: &Caller,
    old: &PgHeapTuple<'_, AllocatedByPostgres>,
    new: &mut Row<'_>,
    column: &StatusColumn,
    from: Status,
    to: Status,
) {
    let id = get_old::<i64>(old, ORDERS, "id").unwrap_or_default();
    let owner = get_old::<pgrx::Uuid>(old, ORDERS, "user_id");
    // Whose order it is and what it is for never change, for anyone: the
    // state machine and every record rest on them.
    if owner != get::<pgrx::Uuid>(new, ORDERS, "user_id")
        || get_old::<i64>(old, ORDERS, "service_id") != get::<i64>(new, ORDERS, "service_id")
    {
        raise_check(
            format!("order {id}: its client and service cannot change"),
            "cancel the order and place a new one",
        );
    }
    let old_reader = get_old::<pgrx::Uuid>(old, ORDERS, "assigned_reader");
    let new_reader = get::<pgrx::Uuid>(new, ORDERS, "assigned_reader");
    let service_id = get_old::<i64>(old, ORDERS, "service_id").unwrap_or_default();
    let Some(service) = service(service_id) else {
        errors::misconfigured(format_args!("order {id} has no service"))
    };
    let standing = Standing {
        actor: caller.actor,
        is_owner: uuid_eq(caller.uid, owner),
        is_assigned_reader: uuid_eq(caller.uid, old_reader),
    };
    let old_reason = get_old::<String>(old, ORDERS, "status_reason");
    let given_reason = get::<String>(new, ORDERS, "status_reason")
        .filter(|r| Some(r) != old_reason.as_ref())
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let old_output = get_old::<i64>(old, ORDERS, "output_media_id");
    let new_output = get::<i64>(new, ORDERS, "output_media_id");

    let delivering = from != to && matches!(to, Status::Approved | Status::Delivered);
    if !delivering
        && get::<TimestampWithTimeZone>(new, ORDERS, "delivered_at")
            != get_old::<TimestampWithTimeZone>(old, ORDERS, "delivered_at")
    {
        raise_check(
            format!("order {id}: delivered_at is set by its delivery only"),
            "approve the answer, or end the call, to deliver the order",
        );
    }

    // A self-transition (a reassignment) is a change of reader at the same status.
    let reassigning = from == to
        && new_reader != old_reader
        && order_flow::from_state(from, service.delivery).any(|t| t.to == to);
    let mut needs_reader = false;
    if from != to || reassigning {
        let transition = match order_flow::check(from, to, service.delivery, &standing) {
            Ok(t) => t,
            Err(Refusal::NotAllowed) => not_allowed(id, from, to, service.delivery, &standing),
            Err(Refusal::NotYours(who)) => {
                let mut labels: Vec<&str> = who.iter().map(|w| w.label()).collect();
                labels.dedup();
                errors::denied(format!(
                    "only {} may move order {id} from {from} to {to}",
                    labels.join(" or ")
                ))
            }
        };
        for need in transition.needs {
            match need {
                Needs::Reason if given_reason.is_none() => errors::invalid_value(
                    format!("moving order {id} from {from} to {to} needs a reason"),
                    Some("set status_reason together with status"),
                ),
                Needs::OutputMedia if new_output.is_none() => raise_check(
                    format!("order {id} cannot go to {to} without its recorded answer"),
                    "upload the audio and set output_media_id first",
                ),
                Needs::Reader if new_reader.is_none() => errors::invalid_value(
                    format!("assigning order {id} needs a reader"),
                    Some("set assigned_reader together with status"),
                ),
                Needs::Reader => needs_reader = true,
                Needs::BeforeJoinWindow => crate::calls::before_join_window(id),
                _ => {}
            }
        }
        if matches!(to, Status::AwaitingApproval | Status::Approved) {
            if let Some(Err(why)) = new_output.map(crate::media::answer_ready) {
                raise_check(
                    format!("order {id} cannot go to {to}: {why}"),
                    "submit an answer whose media_assets.status is ready",
                );
            }
        }
        // The reason belongs to the latest transition only.
        set(new, ORDERS, "status_reason", given_reason.clone());
        record_transition(
            caller,
            id,
            from,
            to,
            given_reason.as_deref(),
            owner,
            new_output,
        );
        match to {
            Status::Approved => {
                // Approval delivers, in the same transaction.
                column.write(new, Status::Delivered);
                set(new, ORDERS, "delivered_at", now());
                record_transition(
                    caller,
                    id,
                    Status::Approved,
                    Status::Delivered,
                    None,
                    owner,
                    new_output,
                );
                notify_delivered(id, owner, service.delivery);
            }
            Status::Delivered => {
                set(new, ORDERS, "delivered_at", now());
                notify_delivered(id, owner, service.delivery);
            }
            Status::Rejected => {
                // The reader hears why, in their language.
                if let (Some(reader), Some(reason)) = (old_reader, given_reason.as_deref()) {
                    crate::notices::notify(
                        reader,
                        "order.rejected",
                        json!({ "order_id": id, "reason": reason }),
                        Some(id),
                        None,
                    );
                }
            }
            _ => {}
        }
    }
    // The rules for the rest are `order_flow::may_change`; this reads the
    // row and raises.
    let check = |change: Change, transition: bool| {
        let Err(refusal) = order_flow::may_change(change, from, to, &standing, transition) else {
            return;
        };
        let (message, hint) = match (change, refusal) {
            (Change::Reason, _) => (
                format!("order {id}: status_reason changes only together with status"),
                "give the reason with the transition it explains",
            ),
            (Change::Reader, _) => (
                format!("order {id}: the reader changes only when an admin assigns the order"),
                "set status = 'assigned' together with assigned_reader",
            ),
            (Change::Answer, ChangeRefusal::Final) => (
                format!("the approved audio of order {id} cannot be replaced"),
                "an approved answer is final",
            ),
            (Change::Answer, _) => (
                format!("order {id}: the recorded answer changes only while the order is in progress, by its reader"),
                "start the order (status in_progress), then set output_media_id",
            ),
            (Change::Archive, ChangeRefusal::NotYours) => {
                errors::denied(format!("only an admin may archive order {id}"))
            }
            (Change::Archive, _) => (
                format!("order {id} is {to}: only delivered or cancelled orders are archived"),
                "cancel the order first, or wait until it is delivered",
            ),
            (Change::Schedule, ChangeRefusal::NotYours) => errors::denied(format!(
                "only the client or an admin may reschedule order {id}"
            )),
            (Change::Schedule, _) => (
                format!("order {id} is {from}: it can be rescheduled only before it starts"),
                "reschedule while the order is new or assigned",
            ),
        };
        raise_check(message, hint)
    };
    if from == to && !reassigning && given_reason.is_some() {
        check(Change::Reason, false);
    }
    if new_reader != old_reader {
        check(Change::Reader, needs_reader);
        if let Some(reader) = new_reader {
            check_reader(reader);
        }
    }
    if new_output != old_output {
        check(Change::Answer, from != to);
        if let Some(media) = new_output {
            let reader = new_reader.or(old_reader);
            if media_owner(media) != Some(reader) || reader.is_none() {
                errors::invalid_value(
                    format!("media {media} is not an upload of the order's reader"),
                    Some("upload the audio as the assigned reader, then set its id"),
                );
            }
        }
    }
    let archived = get::<TimestampWithTimeZone>(new, ORDERS, "archived_at");
    if archived != get_old::<TimestampWithTimeZone>(old, ORDERS, "archived_at") {
        check(Change::Archive, from != to);
    }
    let scheduled = get::<TimestampWithTimeZone>(new, ORDERS, "scheduled_at");
    let was_scheduled = get_old::<TimestampWithTimeZone>(old, ORDERS, "scheduled_at");
    if scheduled != was_scheduled {
        check(Change::Schedule, from != to);
    }
    if scheduled != was_scheduled {
        check_schedule(&service, scheduled, Some(id));
        if service.delivery == Delivery::Call && standing.is(order_flow::Who::Owner) {
            crate::calls::check_limits(owner, scheduled, false);
        }
    }
    if service.delivery == Delivery::Call {
        match (to, new_reader.or(old_reader), scheduled) {
            (Status::Assigned, Some(reader), Some(at))
                if from != to || reassigning || scheduled != was_scheduled =>
            {
                crate::calls::hold(id, reader, at, &service.code)
            }
            (Status::Cancelled, _, _) if from != to => {
                crate::calls::release(id, given_reason.as_deref())
            }
            _ => {}
        }
    }
}

fn check_reader(reader: pgrx::Uuid) {
    let ok = crate::caller::profile_standing(reader)
        .map(|(role_id, blocked)| AppRole::from_id(role_id) == Some(AppRole::Reader) && !blocked);
    if ok != Some(true) {
        errors::invalid_value(
            format!("{reader} is not an unblocked reader and cannot be assigned"),
            Some("assign a profile whose role is reader and that is not blocked"),
        );
    }
}

/// `order.transition` in the audit log; approve, reject and cancel by staff
/// also in moderation_actions (approval keeps the approved audio's sha256).
fn record_transition(
    caller: &Caller,
    id: i64,
    from: Status,
    to: Status,
    reason: Option<&str>,
    owner: Option<pgrx::Uuid>,
    output: Option<i64>,
) {
    let staff =
        caller.actor.active_role().is_some_and(AppRole::is_staff) && !uuid_eq(caller.uid, owner);
    let moderation = match to {
        Status::Approved => Some(Moderation {
            target_kind: "order",
            action: "approve",
            reason: output.map(|m| {
                format!(
                    "audio {m} sha256 {}",
                    media_sha256(m).unwrap_or_else(|| "unknown".into())
                )
            }),
        }),
        Status::Rejected => Some(Moderation {
            target_kind: "order",
            action: "reject",
            reason: reason.map(str::to_string),
        }),
        Status::Cancelled if staff => Some(Moderation {
            target_kind: "order",
            action: "cancel",
            reason: reason.map(str::to_string),
        }),
        _ => None,
    };
    audit::record(
        caller,
        "order.transition",
        "orders",
        &id.to_string(),
        json!({ "from": from.name(), "to": to.name(), "reason": reason, "actor_role": caller.actor.role_name() }),
        moderation,
    );
}

fn media_sha256(id: i64) -> Option<String> {
    errors::spi(
        plans::value::<String>(
            "select sha256 from public.media_assets where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[id.into()],
        ),
        "reading the approved audio",
    )
}

fn notify_delivered(id: i64, owner: Option<pgrx::Uuid>, delivery: Delivery) {
    let Some(owner) = owner else { return };
    let kind = match delivery {
        Delivery::Audio => "order.delivered",
        Delivery::Call => "order.call_completed",
    };
    crate::notices::notify(owner, kind, json!({ "order_id": id }), Some(id), None);
}
