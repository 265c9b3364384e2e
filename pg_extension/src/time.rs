//! PostgreSQL's times in chrono: a `timestamptz` counts microseconds from
//! 2000-01-01 00:00 UTC, chrono from the Unix epoch.

use chrono::{DateTime, Utc};
use pgrx::datum::TimestampWithTimeZone;

/// Microseconds from the Unix epoch to the PostgreSQL epoch (2000-01-01).
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// `at` as a UTC instant; `None` for ±infinity and for times chrono cannot
/// hold.
pub fn utc(at: TimestampWithTimeZone) -> Option<DateTime<Utc>> {
    if !at.is_finite() {
        return None;
    }
    let micros: i64 = at.into_inner();
    DateTime::from_timestamp_micros(micros.checked_add(PG_EPOCH_UNIX_MICROS)?)
}
