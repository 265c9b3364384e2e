//! Calls and bookings (CONTRACT.md section 11; rules in `samia_core::calls`).
//!
//! - A call order holds its reader from the moment it is assigned (by an
//!   admin, or by `samia.book_call` for the reader the client chose): the
//!   slot must lie in the reader's weekly hours and outside their time off,
//!   and must not overlap another booking of theirs, buffers included. The
//!   exclusion constraint `calls_reader_no_overlap` is the guarantee under
//!   any concurrency; the checks here, taken under a per-reader lock, give
//!   the readable message first.
//! - `samia.call_join` decides, as the caller and under RLS, who may join.
//! - `samia.livekit_event` maps LiveKit's webhooks onto `calls` and moves
//!   the order; the sidecar's deadline and reminder jobs end missed and
//!   overlong calls and remind the parties.
//! - A monitor drops a call by writing `calls.end_reason`
//!   (`calls_authority`); blocking a party of a live call takes them out of
//!   the room (`calls_on_block`).

use crate::audit::{self, Moderation};
use crate::caller::{self, Caller};
use crate::rows::{get, get_old, set};
use crate::{config, errors, jobs};
use chrono::{DateTime, Utc};
use pgrx::datum::{DatumWithOid, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use samia_core::calls::{self as rules, Window};
use samia_core::jobs as kinds;
use samia_core::roles::{Actor, AppRole};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};

const CALLS: &str = "public.calls";

/// Microseconds from the PostgreSQL epoch (2000-01-01) to the Unix epoch.
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// What `book_call` tells the order trigger about the booking it makes.
struct Booking {
    immediate: bool,
    time_zone: Option<String>,
}

thread_local! {
    static BOOKING: RefCell<Option<Booking>> = const { RefCell::new(None) };
    /// The order whose call a monitor is dropping: its call row is being
    /// written by the statement itself, so the order's cancellation must not
    /// write it again.
    static DROPPING: Cell<i64> = const { Cell::new(0) };
}

fn utc(at: TimestampWithTimeZone) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.into_inner().saturating_add(PG_EPOCH_UNIX_MICROS))
        .unwrap_or_else(|| errors::invalid_value(format!("{at} is not a usable time"), None))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn time_of(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    let text = value.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn text_of(value: &Value, key: &str) -> Option<String> {
    value.get(key)?.as_str().map(str::to_string)
}

/// The first column (jsonb) of the first row of `sql`, which may change data.
fn row(sql: &str, args: &[DatumWithOid<'_>], what: &str) -> Option<Value> {
    errors::spi(
        Spi::connect_mut(|client| {
            let table = client.update(sql, None, args)?;
            if table.is_empty() {
                return Ok(None);
            }
            Ok(table.first().get::<pgrx::JsonB>(1)?.map(|j| j.0))
        }),
        what,
    )
}

fn exec(sql: &str, args: &[DatumWithOid<'_>], what: &str) {
    errors::spi(
        Spi::connect_mut(|client| client.update(sql, None, args).map(|_| ())),
        what,
    );
}

fn minutes(key: &str, default: i64) -> i64 {
    config::number(key, default).clamp(0, 24 * 60)
}

/// Is `name` an IANA time zone this server knows (`Africa/Cairo`)?
#[pg_extern(immutable, parallel_safe)]
fn is_time_zone(name: &str) -> bool {
    rules::time_zone(name).is_some()
}

/// Is `id` an unblocked reader? (What clients may read of a reader's
/// availability and presence depends on it.)
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn is_active_reader(id: Option<pgrx::Uuid>) -> bool {
    let Some(id) = id else { return false };
    caller::profile_standing(id)
        .is_some_and(|(role, blocked)| AppRole::from_id(role) == Some(AppRole::Reader) && !blocked)
}

/// A service's minutes: its booked length and its longest call.
fn service_minutes(service_code: &str) -> (i64, i64) {
    let v = row(
        "select jsonb_build_object(
                  'duration', case when jsonb_typeof(meta -> 'duration_minutes') = 'number'
                                   then (meta ->> 'duration_minutes')::numeric::int end,
                  'max', case when jsonb_typeof(meta -> 'max_minutes') = 'number'
                              then (meta ->> 'max_minutes')::numeric::int end)
           from public.services where code = $1",
        &[service_code.into()],
        "reading the service's length",
    )
    .unwrap_or(Value::Null);
    let duration = v["duration"]
        .as_i64()
        .filter(|d| *d > 0)
        .unwrap_or(rules::DEFAULT_DURATION_MINUTES);
    let max = v["max"]
        .as_i64()
        .filter(|m| *m >= duration)
        .unwrap_or(duration * 2);
    (duration, max)
}

fn reader_windows(reader: pgrx::Uuid) -> Vec<Window> {
    let list = row(
        "select coalesce(jsonb_agg(jsonb_build_array(weekday,
                  extract(epoch from starts_at)::int, extract(epoch from ends_at)::int, time_zone)), '[]')
           from public.reader_availability where reader_id = $1 and active",
        &[reader.into()],
        "reading the reader's hours",
    )
    .unwrap_or(Value::Null);
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            Some(Window {
                weekday: u32::try_from(w.get(0)?.as_i64()?).ok()?,
                starts: u32::try_from(w.get(1)?.as_i64()?).ok()?,
                ends: u32::try_from(w.get(2)?.as_i64()?).ok()?,
                tz: rules::time_zone(w.get(3)?.as_str()?)?,
            })
        })
        .collect()
}

/// Holds `reader` for call order `order` at `scheduled` (the order
/// trigger, when a call order is assigned or moved while assigned).
pub fn hold(order: i64, reader: pgrx::Uuid, scheduled: TimestampWithTimeZone, service_code: &str) {
    let start = utc(scheduled);
    let (duration, _) = service_minutes(service_code);
    let end = start + chrono::Duration::minutes(duration);
    let (immediate, time_zone) = BOOKING.with_borrow(|b| match b {
        Some(b) => (b.immediate, b.time_zone.clone()),
        None => (false, None),
    });
    // One booking of a reader at a time: the checks below then see every
    // booking committed before this one.
    exec(
        "select pg_catalog.pg_advisory_xact_lock(7165, pg_catalog.hashtext($1::text))",
        &[reader.into()],
        "locking the reader's bookings",
    );
    if immediate {
        let online = row(
            "update public.reader_presence set status = 'busy', updated_at = now()
              where reader_id = $1 and status = 'online' returning to_jsonb(true)",
            &[reader.into()],
            "marking the reader busy",
        );
        if online.is_none() {
            errors::not_allowed(
                format!("reader {reader} is not online: a call now needs an online reader"),
                "choose a reader whose presence is online, or book a time",
            );
        }
    } else {
        let windows = reader_windows(reader);
        if !rules::fits(&windows, start, end) {
            let tz = windows.first().map_or(rules::Tz::UTC, |w| w.tz);
            errors::not_allowed(
                format!(
                    "reader {reader} does not take calls at {} for {duration} minutes",
                    rules::local_time(start, tz)
                ),
                "book a time inside the reader's weekly hours (reader_availability)",
            );
        }
        let off = row(
            "select jsonb_build_object('from', starts_at, 'to', ends_at)
               from public.reader_time_off
              where reader_id = $1
                and tstzrange(starts_at, ends_at) && tstzrange($2::timestamptz, $3::timestamptz)
              order by starts_at limit 1",
            &[reader.into(), rfc3339(start).into(), rfc3339(end).into()],
            "reading the reader's time off",
        );
        if let Some(off) = off {
            errors::not_allowed(
                format!(
                    "reader {reader} is off from {} to {} (UTC)",
                    time_of(&off, "from")
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    time_of(&off, "to")
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                ),
                "book a time outside the reader's time off",
            );
        }
    }
    let (from, to) = rules::held(
        start,
        duration,
        minutes(rules::BUFFER_BEFORE, rules::DEFAULT_BUFFER_BEFORE),
        minutes(rules::BUFFER_AFTER, rules::DEFAULT_BUFFER_AFTER),
    );
    let clash = row(
        "select jsonb_build_object('from', lower(slot), 'to', upper(slot))
           from public.calls
          where reader_id = $1 and order_id <> $2 and ended_at is null
            and slot && tstzrange($3::timestamptz, $4::timestamptz)
          order by lower(slot) limit 1",
        &[
            reader.into(),
            order.into(),
            rfc3339(from).into(),
            rfc3339(to).into(),
        ],
        "looking for overlapping bookings",
    );
    if let Some(clash) = clash {
        errors::overlaps(
            format!(
                "reader {reader} is already booked from {} to {} (buffers included)",
                time_of(&clash, "from")
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                time_of(&clash, "to")
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            ),
            "choose a time outside that booking",
        );
    }
    let moved = caller::as_system(|| {
        row(
            "with before as (select planned_start from public.calls where order_id = $1)
             insert into public.calls as c
                    (order_id, reader_id, slot, planned_start, planned_end, time_zone, immediate, provider)
             values ($1, $2, tstzrange($3::timestamptz, $4::timestamptz), $5::timestamptz,
                     $6::timestamptz, $7, $8, 'livekit')
             on conflict (order_id) do update
                set reader_id = excluded.reader_id, slot = excluded.slot,
                    planned_start = excluded.planned_start, planned_end = excluded.planned_end,
                    time_zone = coalesce(excluded.time_zone, c.time_zone),
                    immediate = excluded.immediate
             returning to_jsonb((select b.planned_start from before b)
                                 is distinct from c.planned_start)",
            &[
                order.into(),
                reader.into(),
                rfc3339(from).into(),
                rfc3339(to).into(),
                rfc3339(start).into(),
                rfc3339(end).into(),
                time_zone.into(),
                immediate.into(),
            ],
            "booking the call",
        )
    });
    if moved != Some(Value::Bool(true)) {
        return;
    }
    announce(order, reader, start, immediate);
}

/// The booking's notifications and the jobs it sets off.
fn announce(order: i64, reader: pgrx::Uuid, start: DateTime<Utc>, immediate: bool) {
    booked_notifications(order, None, Some(reader));
    let at = rfc3339(start);
    if !immediate {
        for lead in rules::REMINDERS {
            let when = start - chrono::Duration::minutes(lead);
            if when > utc(crate::rows::now()) {
                jobs::enqueue_at(
                    kinds::CALL_REMIND,
                    json!({ "order_id": order, "scheduled_at": at, "minutes": lead }),
                    &rfc3339(when),
                );
            }
        }
    }
    let missed = minutes(rules::MISSED_AFTER, rules::DEFAULT_MISSED_AFTER);
    jobs::enqueue_at(
        kinds::CALL_DEADLINE,
        json!({ "order_id": order, "check": "missed", "scheduled_at": at }),
        &rfc3339(start + chrono::Duration::minutes(missed)),
    );
}

/// Notifies a call's client and reader of its time, each in their own time
/// zone (the client's from the booking, the reader's from their hours);
/// `lead` names a reminder's minutes before the call. `reader` is the one
/// being assigned (the order row does not show it yet while it is assigned).
fn booked_notifications(order: i64, lead: Option<i64>, reader: Option<pgrx::Uuid>) {
    let Some(v) = row(
        "select jsonb_build_object('client', o.user_id, 'reader', coalesce($2, o.assigned_reader),
                  'service', s.name, 'code', s.code, 'pre_ritual', s.meta ->> 'pre_ritual',
                  'start', c.planned_start, 'client_tz', c.time_zone,
                  'reader_tz', (select a.time_zone from public.reader_availability a
                                 where a.reader_id = coalesce($2, o.assigned_reader) and a.active
                                 order by a.id limit 1))
           from public.orders o join public.services s on s.id = o.service_id
           join public.calls c on c.order_id = o.id where o.id = $1",
        &[order.into(), reader.into()],
        "reading the booking",
    ) else {
        return;
    };
    let Some(start) = time_of(&v, "start") else {
        return;
    };
    let service = text_of(&v, "service").unwrap_or_else(|| "call".into());
    let zone = |key: &str| {
        text_of(&v, key)
            .and_then(|z| rules::time_zone(&z))
            .unwrap_or(rules::Tz::UTC)
    };
    let ritual = text_of(&v, "pre_ritual").filter(|r| !r.trim().is_empty());
    let (kind, title) = match lead {
        None => ("call.booked", format!("Your {service} is booked")),
        Some(m) if m >= 60 => (
            "call.reminder",
            format!("Your {service} is in {} hours", m / 60),
        ),
        Some(m) => (
            "call.reminder",
            format!("Your {service} starts in {m} minutes"),
        ),
    };
    let mut client_body = format!(
        "Order {order}: {}.",
        rules::local_time(start, zone("client_tz"))
    );
    if let Some(ritual) = &ritual {
        client_body.push_str(" Before the call: ");
        client_body.push_str(ritual);
    }
    let reader_body = format!(
        "Order {order}: a {service} at {}.",
        rules::local_time(start, zone("reader_tz"))
    );
    for (user, body) in [("client", client_body), ("reader", reader_body)] {
        let Some(uid) = text_of(&v, user) else {
            continue;
        };
        exec(
            "insert into public.notifications (user_id, kind, title, body, order_id)
             values ($1::uuid, $2, $3, $4, $5)",
            &[
                uid.into(),
                kind.into(),
                title.clone().into(),
                body.into(),
                order.into(),
            ],
            "notifying the call's parties",
        );
    }
}

/// The call order `order` was cancelled: its booking no longer holds the
/// reader, and a room already in use is closed.
pub fn release(order: i64, reason: Option<&str>) {
    if DROPPING.get() == order {
        return;
    }
    let ended = caller::as_system(|| {
        row(
            "update public.calls
                set ended_at = coalesce(ended_at, now()),
                    end_reason = coalesce(end_reason, 'other'), reason = coalesce(reason, $2)
              where order_id = $1 and ended_at is null
              returning jsonb_build_object('joined', client_joined_at is not null
                                                     or reader_joined_at is not null,
                                           'reader', reader_id)",
            &[order.into(), reason.map(str::to_string).into()],
            "releasing the booking",
        )
    });
    let Some(ended) = ended else { return };
    free_reader(text_of(&ended, "reader"));
    if ended["joined"] == Value::Bool(true) {
        delete_room(order);
    }
}

fn delete_room(order: i64) {
    jobs::enqueue(
        kinds::LIVEKIT_DELETE_ROOM,
        json!({ "order_id": order, "room": room_name(order) }),
    );
}

fn room_name(order: i64) -> String {
    format!("call-{order}")
}

/// A reader whose call ended is online again (if the call made them busy).
fn free_reader(reader: Option<String>) {
    if let Some(reader) = reader {
        exec(
            "update public.reader_presence set status = 'online', updated_at = now()
              where reader_id = $1::uuid and status = 'busy'",
            &[reader.into()],
            "freeing the reader",
        );
    }
}

/// Books a call: the client (the caller) orders `service_code` with
/// `reader` at `starts_at`, or now when it is null (the reader must be
/// online, and becomes busy). `time_zone` is the client's, for the times in
/// their notifications. Returns the order's id.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn book_call(
    service_code: &str,
    reader: pgrx::Uuid,
    starts_at: Option<TimestampWithTimeZone>,
    time_zone: Option<&str>,
) -> i64 {
    let me = Caller::current();
    let Some(uid) = me.uid else {
        errors::denied("calls are booked by signed-in clients")
    };
    let time_zone = time_zone.map(str::trim).filter(|z| !z.is_empty());
    if let Some(zone) = time_zone {
        if rules::time_zone(zone).is_none() {
            errors::invalid_value(
                format!("{zone:?} is not an IANA time zone"),
                Some("give a zone such as Africa/Cairo or Europe/London"),
            );
        }
    }
    let service = row(
        "select jsonb_build_object('id', id, 'delivery', delivery) from public.services where code = $1",
        &[service_code.into()],
        "reading the service",
    );
    let Some(service) = service else {
        errors::invalid_value(
            format!("there is no service {service_code}"),
            Some("use one of the codes in public.services"),
        )
    };
    if service["delivery"] != "call" {
        errors::invalid_value(
            format!("{service_code} is not a call service"),
            Some("book healing or direct_call; order readings with place_order"),
        );
    }
    let id = row(
        "insert into public.orders (user_id, service_id, scheduled_at)
         values ($1, $2, coalesce($3, now())) returning to_jsonb(id)",
        &[
            uid.into(),
            service["id"].as_i64().unwrap_or_default().into(),
            starts_at.into(),
        ],
        "placing the call order",
    )
    .and_then(|v| v.as_i64())
    .unwrap_or_else(|| errors::misconfigured("the new order has no id"));
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            BOOKING.with_borrow_mut(|b| *b = None);
        }
    }
    BOOKING.with_borrow_mut(|b| {
        *b = Some(Booking {
            immediate: starts_at.is_none(),
            time_zone: time_zone.map(str::to_string),
        })
    });
    let _reset = Reset;
    caller::as_system(|| {
        exec(
            "update public.orders set status = 'assigned', assigned_reader = $2 where id = $1",
            &[id.into(), reader.into()],
            "assigning the reader",
        )
    });
    id
}

/// May the caller join the call of order `order_id` now? Run as the caller,
/// under RLS: an order they cannot see does not exist for them (P0002). A
/// blocked caller is refused (42501); a call outside its window, or over,
/// is not joinable now (55000). Returns `{"room", "identity", "role",
/// "hidden"}`: the client and the reader join as parties, staff hidden.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn call_join(order_id: i64) -> pgrx::JsonB {
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
    let found = row(
        "select jsonb_build_object('client', o.user_id, 'reader', o.assigned_reader,
                  'status', o.status, 'call', c.order_id is not null,
                  'start', c.planned_start, 'end', c.planned_end,
                  'started_at', c.started_at, 'ended_at', c.ended_at)
           from public.orders o left join public.calls c on c.order_id = o.id
          where o.id = $1",
        &[order_id.into()],
        "reading the call",
    );
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

fn sidecar_only(what: &str) {
    if !Caller::current().actor.is_system() {
        errors::denied(format!("only the sidecar {what}"));
    }
}

/// The call of `order` as the events need it, locked.
fn call_row(order: i64) -> Option<Value> {
    row(
        "select jsonb_build_object('id', c.id, 'client', o.user_id, 'reader', o.assigned_reader,
                  'status', o.status, 'started_at', c.started_at, 'ended_at', c.ended_at,
                  'client_joined', c.client_joined_at is not null,
                  'reader_joined', c.reader_joined_at is not null, 'code', s.code)
           from public.calls c join public.orders o on o.id = c.order_id
           join public.services s on s.id = o.service_id
          where c.order_id = $1 for update of c",
        &[order.into()],
        "reading the call",
    )
}

fn move_order(order: i64, to: &str, reason: Option<&str>) {
    exec(
        "update public.orders set status = $2::public.order_status, status_reason = $3
          where id = $1 and status <> $2::public.order_status",
        &[order.into(), to.into(), reason.map(str::to_string).into()],
        "moving the call's order",
    );
}

/// An audit record of the call `call` (its `calls.id`) of order `order`.
fn record(event: &str, call: &Value, order: i64, meta: Value, moderation: Option<Moderation<'_>>) {
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
        return "ignored: no such call".into();
    };
    let over = !call["ended_at"].is_null();
    let party = match identity {
        Some(who) if text_of(&call, "client").as_deref() == Some(who) => Some("client"),
        Some(who) if text_of(&call, "reader").as_deref() == Some(who) => Some("reader"),
        _ => None,
    };
    match event {
        "room_started" => {
            exec(
                "update public.calls set provider = 'livekit', provider_ref = coalesce($2, provider_ref)
                  where order_id = $1",
                &[order.into(), room_sid.map(str::to_string).into()],
                "recording the room",
            );
            "room started".into()
        }
        "participant_joined" if over => "ignored: the call is over".into(),
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
    let both = match party {
        "client" => call["reader_joined"] == Value::Bool(true),
        _ => call["client_joined"] == Value::Bool(true),
    };
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
    booked_notifications(order_id, Some(i64::from(minutes_before)), None);
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
            let note = format!("the reader did not join within {after} minutes");
            exec(
                "update public.calls set ended_at = now(), end_reason = 'failed', reason = $2
                  where order_id = $1",
                &[order_id.into(), note.clone().into()],
                "ending the missed call",
            );
            free_reader(text_of(&call, "reader"));
            move_order(order_id, "cancelled", Some(&note));
            exec(
                "insert into public.notifications (user_id, kind, title, body, order_id)
                 select p.id, 'call.missed', 'A reader missed a call', $2, $1
                   from public.profiles p where p.role_id in (1, 2) and not p.is_blocked",
                &[
                    order_id.into(),
                    format!("Order {order_id}: {note}; the order was cancelled.").into(),
                ],
                "telling the admins",
            );
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

/// BEFORE UPDATE ON public.calls: through the API only a monitor's or an
/// admin's drop (`end_reason = 'dropped_by_monitor'` with a `reason`); the
/// extension's own writes pass as `system`.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."calls_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'calls_authority_wrapper';
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
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            DROPPING.set(0);
        }
    }
    DROPPING.set(order);
    let _done = Done;
    caller::as_system(|| {
        move_order(
            order,
            "cancelled",
            Some(&format!("call dropped by a monitor: {reason}")),
        )
    });
    Ok(Some(new))
}

/// AFTER UPDATE OF is_blocked ON public.profiles: a party blocked during a
/// call is taken out of its room (they get no new token either).
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."calls_on_block"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'calls_on_block_wrapper';
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
