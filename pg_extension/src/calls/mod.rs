//! Calls and bookings (CONTRACT.md section 11; rules in `samia_core::calls`).
//!
//! - A call order holds its reader from the moment it is assigned (by an
//!   admin, or by `samia.book_call` for the reader the client chose): the
//!   slot must lie in the reader's weekly hours and outside their time off,
//!   and must not overlap another booking of theirs, buffers included. The
//!   exclusion constraint `calls_reader_no_overlap` is the guarantee under
//!   any concurrency; the checks here, taken under a per-reader lock, give
//!   the readable message first ([`booking`]; the notices and reminders a
//!   booking sends are in [`notices`]).
//! - `samia.call_join` decides, as the caller and under RLS, who may join
//!   ([`join`](mod@join)).
//! - `samia.livekit_event` maps LiveKit's webhooks onto `calls` and moves
//!   the order; the sidecar's deadline and reminder jobs end missed and
//!   overlong calls and remind the parties ([`events`]).
//! - A monitor drops a call by writing `calls.end_reason`
//!   (`calls_authority`); blocking a party of a live call takes them out of
//!   the room (`calls_on_block`) ([`authority`]).

use crate::caller::{self, Caller};
use crate::{config, errors, jobs};
use chrono::{DateTime, Utc};
use pgrx::datum::{DatumWithOid, TimestampWithTimeZone};
use pgrx::prelude::*;
use samia_core::calls as rules;
use samia_core::jobs as kinds;
use samia_core::roles::AppRole;
use serde_json::{json, Value};

const CALLS: &str = "public.calls";

mod authority;
mod booking;
mod events;
mod join;
mod notices;

pub use booking::{before_join_window, check_limits, hold, release};

/// The order whose call a monitor is dropping (0: none): its call row is
/// being written by the statement itself, so the order's cancellation must
/// not write it again.
pub(super) fn dropping() -> i64 {
    crate::backend::with(|s| s.dropping)
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
