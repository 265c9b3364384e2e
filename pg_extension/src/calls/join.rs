//! Who may join a call, and when: `samia.call_join`.

use super::{minutes, rfc3339, room_name, service_minutes, text_of, time_of, utc};
use crate::caller::Caller;
use crate::errors;
use pgrx::prelude::*;
use samia_core::calls as rules;
use samia_core::roles::Actor;
use serde_json::{json, Value};

/// May the caller join the call of order `order_id` now? Run as the caller,
/// under RLS: an order they cannot see does not exist for them (P0002). A
/// blocked caller is refused (42501); a call outside its window, or over,
/// is not joinable now (55000). Returns `{"room", "identity", "role",
/// "hidden"}`: the client and the reader join as parties, staff hidden.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn call_join(order_id: Option<i64>) -> pgrx::JsonB {
    let order_id = errors::required(order_id, "order_id");
    let me = Caller::current();
    let (uid, role) = match me.actor {
        Actor::User { blocked: true, .. } => {
            errors::denied("your account is blocked: you cannot take part in calls")
        }
        Actor::User { role, .. } => match me.uid {
            Some(uid) => (uid, role),
            None => errors::denied("calls are joined by signed-in users"),
        },
        _ => errors::denied("calls are joined by signed-in users"),
    };
    // A kept plan: every join asks this (under the caller's RLS).
    let found = errors::spi(
        crate::plans::value::<pgrx::JsonB>(
            "select jsonb_build_object('client', o.user_id, 'reader', o.assigned_reader,
                      'status', o.status, 'call', c.order_id is not null,
                      'start', c.planned_start, 'end', c.planned_end,
                      'started_at', c.started_at, 'ended_at', c.ended_at,
                      'code', (select s.code from public.services s where s.id = o.service_id))
               from public.orders o left join public.calls c on c.order_id = o.id
              where o.id = $1",
            &[pgrx::PgOid::from(pg_sys::INT8OID)],
            &[order_id.into()],
        ),
        "reading the call",
    )
    .map(|j| j.0);
    let Some(v) = found else {
        errors::not_found(format!("there is no call order {order_id}"))
    };
    let me_text = uid.to_string();
    let party = if text_of(&v, "client").as_deref() == Some(&me_text) {
        "client"
    } else if text_of(&v, "reader").as_deref() == Some(&me_text) {
        "reader"
    } else if role.is_staff() {
        "monitor"
    } else {
        errors::denied(format!("you are not a party of call order {order_id}"))
    };
    let status = text_of(&v, "status").unwrap_or_default();
    if v["call"] != Value::Bool(true)
        || !matches!(status.as_str(), "assigned" | "in_progress")
        || !v["ended_at"].is_null()
    {
        errors::not_now(
            format!("order {order_id} is {status}: there is no call to join"),
            "join a booked call that has not ended",
        );
    }
    let (Some(start), Some(end)) = (time_of(&v, "start"), time_of(&v, "end")) else {
        errors::not_now(
            format!("call order {order_id} has no time"),
            "book it first",
        )
    };
    let minutes_booked = (end - start).num_minutes();
    let (opens, closes) = rules::join_window(
        start,
        minutes_booked,
        minutes(rules::JOIN_EARLY, rules::DEFAULT_JOIN_EARLY),
        minutes(rules::MISSED_AFTER, rules::DEFAULT_MISSED_AFTER),
    );
    let now = utc(crate::rows::now());
    let live = !v["started_at"].is_null();
    // A live call stays joinable until the service's longest call ends it.
    let closes = match time_of(&v, "started_at") {
        Some(started) => {
            let (_, longest) = service_minutes(&text_of(&v, "code").unwrap_or_default());
            closes.max(started + chrono::Duration::minutes(longest))
        }
        None => closes,
    };
    if !live && (now < opens || now > closes) {
        errors::not_now(
            format!(
                "call order {order_id} can be joined from {opens} to {closes}, not at {}",
                now.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            "join within the call's window",
        );
    }
    pgrx::JsonB(json!({
        "room": room_name(order_id),
        "identity": me_text,
        "role": party,
        "hidden": party == "monitor",
        "closes_at": rfc3339(closes),
    }))
}
