//! Local civil time at a place to UTC, with the tz database's historical offsets.
//!
//! Policy at daylight-saving changes:
//! - A local time that occurs twice (clocks set back) is taken at its first
//!   occurrence, the one on the offset in force before the change.
//! - A local time that never occurs (clocks set forward) is read on the offset
//!   in force before the change, as a clock not yet moved would show it: 02:30
//!   in a 02:00 -> 03:00 gap is the instant the moved clocks call 03:30.
//!
//! Either way the result says so, so that a reader can ask the client.

use super::PlaceError;
use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

/// What kind of local time it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTimeKind {
    Unique,
    /// Occurs twice; `other_offset_seconds` is the offset of the second occurrence.
    Ambiguous {
        other_offset_seconds: i32,
    },
    /// Never occurs; the clocks jumped by `gap_seconds`.
    Skipped {
        gap_seconds: i32,
    },
}

/// A local time resolved to an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalInstant {
    /// Seconds since 1970-01-01 00:00 UTC.
    pub unix_seconds: i64,
    /// The UTC offset the local time was read with, seconds east of Greenwich.
    pub offset_seconds: i32,
    pub kind: LocalTimeKind,
}

impl LocalInstant {
    /// A sentence for the chart's notes, if the time needed a rule.
    pub fn note(&self) -> Option<String> {
        match self.kind {
            LocalTimeKind::Unique => None,
            LocalTimeKind::Ambiguous { .. } => Some(
                "the birth time occurs twice that night (clocks set back); the first occurrence was used"
                    .into(),
            ),
            LocalTimeKind::Skipped { gap_seconds } => Some(format!(
                "the birth time does not exist that day (clocks set forward {} minutes); it was read on the earlier offset",
                gap_seconds / 60
            )),
        }
    }
}

/// Resolves a local date and time (seconds since midnight, may be 86400 for
/// the end of the day) in an IANA time zone.
pub fn local_to_utc(
    timezone: &str,
    date: NaiveDate,
    seconds_of_day: u32,
) -> Result<LocalInstant, PlaceError> {
    let tz: Tz = timezone
        .parse()
        .map_err(|_| PlaceError::UnknownTimeZone(timezone.to_string()))?;
    let (date, seconds) = if seconds_of_day >= 86_400 {
        (date.succ_opt().unwrap_or(date), seconds_of_day - 86_400)
    } else {
        (date, seconds_of_day)
    };
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap_or(NaiveTime::MIN);
    let local = NaiveDateTime::new(date, time);
    let naive_utc_seconds = local.and_utc().timestamp();
    Ok(match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => {
            let offset = t.offset().fix().local_minus_utc();
            LocalInstant {
                unix_seconds: naive_utc_seconds - i64::from(offset),
                offset_seconds: offset,
                kind: LocalTimeKind::Unique,
            }
        }
        LocalResult::Ambiguous(first, second) => {
            let a = first.offset().fix().local_minus_utc();
            let b = second.offset().fix().local_minus_utc();
            // The first occurrence is the earlier instant: the larger offset.
            let (used, other) = if a >= b { (a, b) } else { (b, a) };
            LocalInstant {
                unix_seconds: naive_utc_seconds - i64::from(used),
                offset_seconds: used,
                kind: LocalTimeKind::Ambiguous {
                    other_offset_seconds: other,
                },
            }
        }
        LocalResult::None => {
            let before = offset_before_gap(&tz, local);
            let after = offset_after_gap(&tz, local).unwrap_or(before);
            LocalInstant {
                unix_seconds: naive_utc_seconds - i64::from(before),
                offset_seconds: before,
                kind: LocalTimeKind::Skipped {
                    gap_seconds: after - before,
                },
            }
        }
    })
}

/// The offset in force just before a gap: the last local minute that exists.
fn offset_before_gap(tz: &Tz, local: NaiveDateTime) -> i32 {
    for minutes in 1..=24 * 60 {
        let earlier = local - chrono::Duration::minutes(minutes);
        match tz.from_local_datetime(&earlier) {
            LocalResult::Single(t) => return t.offset().fix().local_minus_utc(),
            LocalResult::Ambiguous(_, t) => return t.offset().fix().local_minus_utc(),
            LocalResult::None => {}
        }
    }
    0
}

fn offset_after_gap(tz: &Tz, local: NaiveDateTime) -> Option<i32> {
    for minutes in 1..=24 * 60 {
        let later = local + chrono::Duration::minutes(minutes);
        if let LocalResult::Single(t) = tz.from_local_datetime(&later) {
            return Some(t.offset().fix().local_minus_utc());
        }
    }
    None
}
