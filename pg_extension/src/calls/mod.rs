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

use crate::caller::{self, Caller};
use crate::{config, errors, jobs};
use chrono::{DateTime, Utc};
use pgrx::datum::{DatumWithOid, TimestampWithTimeZone};
use pgrx::prelude::*;
use samia_core::calls::{self as rules, Window};
use samia_core::jobs as kinds;
use samia_core::roles::{Actor, AppRole};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};

const CALLS: &str = "public.calls";

mod authority;
mod events;

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
    pub(super) static DROPPING: Cell<i64> = const { Cell::new(0) };
}

pub(super) fn utc(at: TimestampWithTimeZone) -> DateTime<Utc> {
    // Years past 9999 (and infinity) are refused before any arithmetic on them.
    crate::time::utc(at)
        .filter(|t| chrono::Datelike::year(t) <= 9999)
        .unwrap_or_else(|| errors::invalid_value(format!("{at} is not a usable time"), None))
}

pub(super) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn time_of(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    let text = value.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn text_of(value: &Value, key: &str) -> Option<String> {
    value.get(key)?.as_str().map(str::to_string)
}

/// The first column (jsonb) of the first row of `sql`, which may change
/// data, through a kept plan (calls' statements run on every event).
pub(super) fn row(sql: &'static str, args: &[DatumWithOid<'_>], what: &str) -> Option<Value> {
    errors::spi(crate::plans::first_json(sql, args), what)
}

pub(super) fn exec(sql: &'static str, args: &[DatumWithOid<'_>], what: &str) {
    let types: Vec<pgrx::PgOid> = args.iter().map(|a| pgrx::PgOid::from(a.oid())).collect();
    errors::spi(crate::plans::execute(sql, &types, args), what);
}

pub(super) fn minutes(key: &str, default: i64) -> i64 {
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
    // Only signed-in users book readers: nobody else learns a profile's
    // role or block state from this.
    if Caller::current().uid.is_none() {
        return false;
    }
    caller::profile_standing(id)
        .is_some_and(|(role, blocked)| AppRole::from_id(role) == Some(AppRole::Reader) && !blocked)
}

/// A service's minutes: its booked length and its longest call.
pub(super) fn service_minutes(service_code: &str) -> (i64, i64) {
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

/// The booking limits of `app_config` for a client placing (`placing`) or
/// moving a call order to `scheduled`: how far ahead, and how many open
/// bookings at once (23514 naming the limit).
pub fn check_limits(
    client: Option<pgrx::Uuid>,
    scheduled: Option<TimestampWithTimeZone>,
    placing: bool,
) {
    let days = config::number(rules::MAX_DAYS_AHEAD, rules::DEFAULT_MAX_DAYS_AHEAD).max(0);
    if let Some(at) = scheduled {
        let latest = utc(crate::rows::now()) + chrono::Duration::days(days);
        if utc(at) > latest {
            errors::not_allowed(
                format!(
                    "a call can be booked at most {days} days ahead (calls.max_days_ahead), not for {}",
                    rfc3339(utc(at))
                ),
                "choose an earlier time",
            );
        }
    }
    let (true, Some(client)) = (placing, client) else {
        return;
    };
    let most = config::number(rules::MAX_OPEN_BOOKINGS, rules::DEFAULT_MAX_OPEN_BOOKINGS).max(0);
    let open = row(
        "select to_jsonb(count(*)) from public.orders o join public.services s on s.id = o.service_id
          where o.user_id = $1 and s.delivery = 'call' and o.status in ('new', 'assigned', 'in_progress')",
        &[client.into()],
        "counting the client's open bookings",
    )
    .and_then(|v| v.as_i64())
    .unwrap_or_default();
    if open >= most {
        errors::not_allowed(
            format!("a client may hold at most {most} open bookings (calls.max_open_bookings); you hold {open}"),
            "wait until a booked call has ended, or cancel one",
        );
    }
}

/// A client cancels their own booked call only until its join window
/// opens (23514 afterwards): from then on the reader is waiting for them.
pub fn before_join_window(order: i64) {
    let Some(start) = row(
        "select jsonb_build_object('start', planned_start) from public.calls
          where order_id = $1 and ended_at is null",
        &[order.into()],
        "reading the booked call",
    )
    .and_then(|v| time_of(&v, "start")) else {
        return;
    };
    let early = minutes(rules::JOIN_EARLY, rules::DEFAULT_JOIN_EARLY);
    let opens = start - chrono::Duration::minutes(early);
    if utc(crate::rows::now()) >= opens {
        errors::not_allowed(
            format!(
                "the call of order {order} can be joined since {}: it is too late to cancel it yourself",
                rfc3339(opens)
            ),
            "join the call, or ask an admin to cancel it",
        );
    }
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
    let booked = caller::as_system(|| {
        row(
            "with before as (select planned_start, immediate, reader_id from public.calls
                              where order_id = $1 and ended_at is null)
             insert into public.calls as c
                    (order_id, reader_id, slot, planned_start, planned_end, time_zone, immediate, provider)
             values ($1, $2, tstzrange($3::timestamptz, $4::timestamptz), $5::timestamptz,
                     $6::timestamptz, $7, $8, 'livekit')
             on conflict (order_id) do update
                set reader_id = excluded.reader_id, slot = excluded.slot,
                    planned_start = excluded.planned_start, planned_end = excluded.planned_end,
                    time_zone = coalesce(excluded.time_zone, c.time_zone),
                    immediate = excluded.immediate
             returning jsonb_build_object(
                         'moved', (select b.planned_start from before b) is distinct from c.planned_start,
                         'was_booked', exists (select from before),
                         'was_immediate', coalesce((select b.immediate from before b), false),
                         'was_reader', (select b.reader_id from before b))",
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
    let booked = booked.unwrap_or(Value::Null);
    if booked["moved"] != Value::Bool(true) {
        return;
    }
    if booked["was_booked"] == Value::Bool(true) {
        retire(order);
        // A call now moved to a later time (or to another reader) no longer
        // keeps its first reader busy.
        let was_reader = text_of(&booked, "was_reader");
        if booked["was_immediate"] == Value::Bool(true)
            && (!immediate || was_reader.as_deref() != Some(&reader.to_string()))
        {
            free_reader(was_reader);
        }
    }
    announce(order, reader, start, immediate);
}

/// A booking moved: what was queued for its old time (the reminders and the
/// missed-call check) is cancelled, so none of it acts on the new time.
fn retire(order: i64) {
    exec(
        "update ops.jobs set status = 'cancelled', finished_at = now(), updated_at = now(),
                last_error = 'the booking moved'
          where kind in ('call.remind', 'call.deadline') and status = 'queued'
            and (payload ->> 'order_id')::bigint = $1
            and (kind = 'call.remind' or payload ->> 'check' = 'missed')",
        &[order.into()],
        "retiring the jobs of the old time",
    );
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
pub(super) fn booked_notifications(order: i64, lead: Option<i64>, reader: Option<pgrx::Uuid>) {
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

pub(super) fn delete_room(order: i64) {
    jobs::enqueue(
        kinds::LIVEKIT_DELETE_ROOM,
        json!({ "order_id": order, "room": room_name(order) }),
    );
}

pub(super) fn room_name(order: i64) -> String {
    format!("call-{order}")
}

/// A reader whose call ended is online again (if the call made them busy).
pub(super) fn free_reader(reader: Option<String>) {
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
    service_code: Option<&str>,
    reader: Option<pgrx::Uuid>,
    starts_at: Option<TimestampWithTimeZone>,
    time_zone: Option<&str>,
) -> i64 {
    let service_code = errors::required(service_code, "service_code");
    let reader = errors::required(reader, "reader_id");
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
