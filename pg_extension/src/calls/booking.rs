//! Booking a call: the limits a client books within, holding the reader for
//! the slot (hours, time off, other bookings), moving and releasing a
//! booking, and `samia.book_call`.

use super::notices::announce;
use super::{
    delete_room, exec, free_reader, minutes, rfc3339, row, service_minutes, text_of, time_of, utc,
};
use crate::caller::{self, Caller};
use crate::{config, errors};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use samia_core::calls::{self as rules, Window};
use serde_json::Value;

/// The booking limits of `app_config` for a client placing (`placing`) or
/// moving a call order to `scheduled`: how far ahead, and how many open
/// bookings at once (23514 naming the limit).
pub fn check_limits(
    client: Option<pgrx::Uuid>,
    scheduled: Option<TimestampWithTimeZone>,
    placing: bool,
) {
    // At most a century: any setting gives a time chrono can add.
    let days =
        config::number(rules::MAX_DAYS_AHEAD, rules::DEFAULT_MAX_DAYS_AHEAD).clamp(0, 36_500);
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
    let (immediate, time_zone) =
        crate::backend::with(|s| crate::backend::decode_booking(&s.booking)).unwrap_or_default();
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
    let moved = booked["was_booked"] == Value::Bool(true);
    if moved {
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
    announce(order, reader, start, immediate, moved);
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

/// The call order `order` was cancelled: its booking no longer holds the
/// reader, and a room already in use is closed.
pub fn release(order: i64, reason: Option<&str>) {
    if super::dropping() == order {
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
    let note = crate::backend::encode_booking(Some((starts_at.is_none(), time_zone)));
    crate::backend::scoped(
        |s| std::mem::replace(&mut s.booking, note),
        |s, old| s.booking = old,
        || {
            caller::as_system(|| {
                exec(
                    "update public.orders set status = 'assigned', assigned_reader = $2 where id = $1",
                    &[id.into(), reader.into()],
                    "assigning the reader",
                )
            })
        },
    );
    id
}
