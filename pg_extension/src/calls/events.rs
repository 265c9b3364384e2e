//! What the sidecar reports about calls: LiveKit's events, and the
//! reminders and deadlines of its jobs.

use super::notices::booked_notifications;
use super::{
    delete_room, exec, free_reader, minutes, rfc3339, room_name, row, service_minutes, text_of, utc,
};
use crate::audit::{self, Moderation};
use crate::caller::{sidecar_only, Caller};
use crate::{errors, jobs};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use samia_core::calls as rules;
use samia_core::jobs as kinds;
use serde_json::{json, Value};

/// The call of `order` as the events need it, locked.
fn call_row(order: i64) -> Option<Value> {
    row(
        "select jsonb_build_object('id', c.id, 'client', o.user_id, 'reader', o.assigned_reader,
                  'status', o.status, 'started_at', c.started_at, 'ended_at', c.ended_at,
                  'client_joined', c.client_joined_at is not null,
                  'reader_joined', c.reader_joined_at is not null, 'code', s.code,
                  'service', s.name,
                  'moved_since', exists (select 1 from ops.jobs j
                                          where j.kind = 'call.deadline' and j.status = 'queued'
                                            and j.payload ->> 'order_id' = c.order_id::text
                                            and j.payload ->> 'check' = 'missed'
                                            and j.run_at > now()))
           from public.calls c join public.orders o on o.id = c.order_id
           join public.services s on s.id = o.service_id
          where c.order_id = $1 for update of c",
        &[order.into()],
        "reading the call",
    )
}

pub(super) fn move_order(order: i64, to: &str, reason: Option<&str>) {
    exec(
        "update public.orders set status = $2::public.order_status, status_reason = $3
          where id = $1 and status <> $2::public.order_status",
        &[order.into(), to.into(), reason.map(str::to_string).into()],
        "moving the call's order",
    );
}

/// An audit record of the call `call` (its `calls.id`) of order `order`.
pub(super) fn record(
    event: &str,
    call: &Value,
    order: i64,
    meta: Value,
    moderation: Option<Moderation<'_>>,
) {
    let mut meta = meta;
    meta["order_id"] = json!(order);
    let id = call["id"].as_i64().unwrap_or_default();
    audit::record(
        &Caller::current(),
        event,
        "calls",
        &id.to_string(),
        meta,
        moderation,
    );
}

/// One webhook from LiveKit, verified by the sidecar: `id` (deduplicated),
/// `event`, the room's name, and for participant events the participant's
/// identity and (when they left) the disconnect reason. Returns what it did.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn livekit_event(
    id: &str,
    event: &str,
    room: Option<&str>,
    identity: Option<&str>,
    reason: Option<&str>,
    room_sid: Option<&str>,
) -> String {
    sidecar_only("records LiveKit events");
    let fresh = row(
        "insert into ops.livekit_events (id, event, room, identity) values ($1, $2, $3, $4)
         on conflict (id) do nothing returning to_jsonb(true)",
        &[
            id.into(),
            event.into(),
            room.map(str::to_string).into(),
            identity.map(str::to_string).into(),
        ],
        "recording the event",
    );
    if fresh.is_none() {
        return "duplicate".into();
    }
    let Some(order) = room
        .and_then(|r| r.strip_prefix("call-"))
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return "ignored: not a call room".into();
    };
    let Some(call) = call_row(order) else {
        if event == "room_started" {
            // A room for no call at all: nobody should be in it.
            delete_room(order);
            return "room of no call: closing it".into();
        }
        return "ignored: no such call".into();
    };
    let over = !call["ended_at"].is_null();
    let party = match identity {
        Some(who) if text_of(&call, "client").as_deref() == Some(who) => Some("client"),
        Some(who) if text_of(&call, "reader").as_deref() == Some(who) => Some("reader"),
        _ => None,
    };
    match event {
        // A token minted before a drop, a block or the call's end must not
        // bring anyone back together: a room started, or joined, for a call
        // that has ended is closed at once.
        "room_started" | "participant_joined" if over => {
            delete_room(order);
            "the call is over: closing its room".into()
        }
        "room_started" => {
            exec(
                "update public.calls set provider = 'livekit', provider_ref = coalesce($2, provider_ref)
                  where order_id = $1",
                &[order.into(), room_sid.map(str::to_string).into()],
                "recording the room",
            );
            "room started".into()
        }
        // A token minted before a block must not bring its holder back:
        // a blocked user who joins is taken out of the room at once.
        "participant_joined" if identity.is_some_and(blocked) => {
            jobs::enqueue(
                kinds::LIVEKIT_REMOVE_PARTICIPANT,
                json!({ "order_id": order, "room": room_name(order), "identity": identity }),
            );
            record(
                "call.blocked_participant_removed",
                &call,
                order,
                json!({ "identity": identity, "party": party }),
                None,
            );
            "a blocked participant joined: removing them".into()
        }
        "participant_joined" => match party {
            None => {
                record(
                    "call.monitor_joined",
                    &call,
                    order,
                    json!({ "identity": identity }),
                    None,
                );
                "a hidden participant joined".into()
            }
            Some(party) => joined(order, &call, party),
        },
        "participant_left" => {
            record(
                "call.participant_left",
                &call,
                order,
                json!({ "identity": identity, "party": party, "disconnect_reason": reason }),
                None,
            );
            "participant left".into()
        }
        "room_finished" if over => "room closed".into(),
        "room_finished" => finished(order, &call),
        other => format!("ignored: {other}"),
    }
}

/// Is the participant `identity` (a user id) a blocked user?
fn blocked(identity: &str) -> bool {
    identity
        .parse::<uuid::Uuid>()
        .ok()
        .and_then(|id| crate::caller::profile_standing(pgrx::Uuid::from_bytes(*id.as_bytes())))
        .is_some_and(|(_, blocked)| blocked)
}

fn joined(order: i64, call: &Value, party: &str) -> String {
    let sql = if party == "client" {
        "update public.calls set client_joined_at = coalesce(client_joined_at, now())
          where order_id = $1"
    } else {
        "update public.calls set reader_joined_at = coalesce(reader_joined_at, now())
          where order_id = $1"
    };
    exec(sql, &[order.into()], "recording who joined");
    if party == "reader" {
        exec(
            "update public.reader_presence set status = 'busy', updated_at = now()
              where reader_id = $1::uuid",
            &[text_of(call, "reader").unwrap_or_default().into()],
            "marking the reader busy",
        );
    }
    let (other, other_joined, self_joined) = match party {
        "client" => (
            "reader",
            call["reader_joined"] == Value::Bool(true),
            call["client_joined"] == Value::Bool(true),
        ),
        _ => (
            "client",
            call["client_joined"] == Value::Bool(true),
            call["reader_joined"] == Value::Bool(true),
        ),
    };
    let both = other_joined;
    // The first to join: the other party hears the call is starting (a
    // push that quiet hours never hold).
    if !other_joined && !self_joined && call["started_at"].is_null() {
        if let Some(uid) = text_of(call, other).and_then(|u| u.parse::<uuid::Uuid>().ok()) {
            crate::notices::notify(
                pgrx::Uuid::from_bytes(*uid.as_bytes()),
                "call.starting",
                json!({ "order_id": order, "service": text_of(call, "service").unwrap_or_else(|| "call".into()) }),
                Some(order),
                None,
            );
        }
    }
    if !both || !call["started_at"].is_null() {
        return format!("{party} joined");
    }
    exec(
        "update public.calls set started_at = now() where order_id = $1",
        &[order.into()],
        "starting the call",
    );
    move_order(order, "in_progress", None);
    record("call.started", call, order, json!({ "by": party }), None);
    let (_, max) = service_minutes(&text_of(call, "code").unwrap_or_default());
    jobs::enqueue_at(
        kinds::CALL_DEADLINE,
        json!({ "order_id": order, "check": "overrun" }),
        &rfc3339(utc(crate::rows::now()) + chrono::Duration::minutes(max)),
    );
    "call started".into()
}

fn finished(order: i64, call: &Value) -> String {
    let started = !call["started_at"].is_null();
    let (end_reason, note) = if started {
        ("completed", None)
    } else {
        (
            "failed",
            Some("the call did not take place: the room closed before both parties joined"),
        )
    };
    exec(
        "update public.calls
            set ended_at = now(), end_reason = $2, reason = coalesce(reason, $3)
          where order_id = $1 and ended_at is null",
        &[
            order.into(),
            end_reason.into(),
            note.map(str::to_string).into(),
        ],
        "ending the call",
    );
    free_reader(text_of(call, "reader"));
    if started {
        move_order(order, "delivered", None);
    } else {
        move_order(order, "cancelled", note);
    }
    record(
        "call.ended",
        call,
        order,
        json!({ "end_reason": end_reason }),
        None,
    );
    format!("call ended: {end_reason}")
}

/// A reminder job: notifies the parties if the call is still booked for
/// `scheduled_at`; false (and nothing sent) for a call moved or over.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn call_remind(order_id: i64, scheduled_at: TimestampWithTimeZone, minutes_before: i32) -> bool {
    sidecar_only("sends call reminders");
    let current = row(
        "select to_jsonb(true) from public.calls c join public.orders o on o.id = c.order_id
          where c.order_id = $1 and c.planned_start = $2 and c.ended_at is null
            and o.status = 'assigned'",
        &[order_id.into(), scheduled_at.into()],
        "reading the booking",
    );
    if current.is_none() {
        return false;
    }
    booked_notifications(order_id, Some(i64::from(minutes_before)), None, false);
    true
}

/// A deadline job: `missed` ends a call whose reader has not joined (the
/// order is cancelled and the admins told); `overrun` ends a call that ran
/// past the service's longest. True when it ended the call (and queued
/// the closing of its room).
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn call_deadline(order_id: i64, check: &str) -> bool {
    sidecar_only("checks call deadlines");
    let Some(call) = call_row(order_id) else {
        return false;
    };
    if !call["ended_at"].is_null() {
        return false;
    }
    match check {
        "missed" => {
            if call["reader_joined"] == Value::Bool(true) {
                return false;
            }
            let after = minutes(rules::MISSED_AFTER, rules::DEFAULT_MISSED_AFTER);
            // A check made for the time of a call since moved (it was
            // running when the move retired the queued ones): the move
            // queued the check of the new time, which is still to come.
            if call["moved_since"] == Value::Bool(true) {
                return false;
            }
            let note = format!("the reader did not join within {after} minutes");
            exec(
                "update public.calls set ended_at = now(), end_reason = 'failed', reason = $2
                  where order_id = $1",
                &[order_id.into(), note.clone().into()],
                "ending the missed call",
            );
            free_reader(text_of(&call, "reader"));
            move_order(order_id, "cancelled", Some(&note));
            // The admins hear of it, each in their own language.
            let admins = row(
                "select coalesce(jsonb_agg(p.id), '[]') from public.profiles p
                  where p.role_id in (1, 2) and not p.is_blocked",
                &[],
                "reading the admins",
            )
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
            for admin in admins
                .iter()
                .filter_map(|a| a.as_str()?.parse::<uuid::Uuid>().ok())
            {
                crate::notices::notify(
                    pgrx::Uuid::from_bytes(*admin.as_bytes()),
                    "call.missed",
                    json!({ "order_id": order_id }),
                    Some(order_id),
                    None,
                );
            }
            record(
                "call.missed",
                &call,
                order_id,
                json!({ "reason": note }),
                None,
            );
            delete_room(order_id);
            true
        }
        "overrun" => {
            if call["started_at"].is_null() {
                return false;
            }
            let (_, max) = service_minutes(&text_of(&call, "code").unwrap_or_default());
            let note = format!("ended at the service's longest, {max} minutes");
            exec(
                "update public.calls set ended_at = now(), end_reason = 'completed', reason = $2
                  where order_id = $1",
                &[order_id.into(), note.clone().into()],
                "ending the long call",
            );
            free_reader(text_of(&call, "reader"));
            move_order(order_id, "delivered", None);
            record(
                "call.ended",
                &call,
                order_id,
                json!({ "end_reason": "completed", "reason": note }),
                None,
            );
            delete_room(order_id);
            true
        }
        other => errors::invalid_value(
            format!("unknown call check {other:?}"),
            Some("missed or overrun"),
        ),
    }
}
