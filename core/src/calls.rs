//! Calls and bookings (CONTRACT.md section 11): when a reader can be booked,
//! how long a booking holds the reader, and when its parties may join.
//! Times are UTC instants; a reader's weekly windows are wall-clock times in
//! the reader's own IANA time zone, so a window follows daylight saving time.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveTime, TimeZone, Utc};
pub use chrono_tz::Tz;

/// Minutes a call lasts when its service names none (`services.meta.duration_minutes`).
pub const DEFAULT_DURATION_MINUTES: i64 = 30;
/// `app_config` keys, in minutes, and their defaults.
pub const BUFFER_BEFORE: &str = "calls.buffer_before_minutes";
pub const DEFAULT_BUFFER_BEFORE: i64 = 5;
pub const BUFFER_AFTER: &str = "calls.buffer_after_minutes";
pub const DEFAULT_BUFFER_AFTER: i64 = 5;
/// How early before its time a party may join.
pub const JOIN_EARLY: &str = "calls.join_early_minutes";
pub const DEFAULT_JOIN_EARLY: i64 = 10;
/// A reader who has not joined this long after the call's time missed it.
pub const MISSED_AFTER: &str = "calls.missed_after_minutes";
pub const DEFAULT_MISSED_AFTER: i64 = 10;

/// The reminders sent before a booked call, in minutes before its time.
pub const REMINDERS: [i64; 2] = [24 * 60, 15];

/// A reader's presence (`reader_presence.status`).
pub const PRESENCE: [&str; 3] = ["online", "busy", "offline"];

/// An IANA time zone by name (`Africa/Cairo`), or `None`.
pub fn time_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// One weekly window: ISO weekday (1 Monday .. 7 Sunday), from `starts`
/// to `ends` seconds after local midnight (`ends` up to 86 400), in `tz`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub weekday: u32,
    pub starts: u32,
    pub ends: u32,
    pub tz: Tz,
}

/// The instant of `secs` after midnight of `date` in `tz`: the earlier one
/// when the clock is turned back, the first instant after a skipped hour.
fn local_instant(tz: Tz, date: chrono::NaiveDate, secs: u32) -> Option<DateTime<Utc>> {
    let midnight = date.and_time(NaiveTime::MIN);
    let wall = midnight + Duration::seconds(i64::from(secs));
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(early, _) => Some(early.with_timezone(&Utc)),
        LocalResult::None => {
            // A time inside a skipped hour: the hour after it exists.
            match tz.from_local_datetime(&(wall + Duration::hours(1))) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    Some((t - Duration::hours(1)).with_timezone(&Utc))
                }
                LocalResult::None => None,
            }
        }
    }
}

/// Does the call from `start` to `end` lie inside one of `windows`?
pub fn fits(windows: &[Window], start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    end > start
        && windows.iter().any(|w| {
            let local = start.with_timezone(&w.tz);
            if local.weekday().number_from_monday() != w.weekday {
                return false;
            }
            let date = local.date_naive();
            match (
                local_instant(w.tz, date, w.starts),
                local_instant(w.tz, date, w.ends),
            ) {
                (Some(from), Some(to)) => from <= start && end <= to,
                _ => false,
            }
        })
}

/// The time a booking holds its reader: from `before` minutes ahead of the
/// call's time to `after` minutes past its end.
pub fn held(
    start: DateTime<Utc>,
    duration_minutes: i64,
    before: i64,
    after: i64,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        start - Duration::minutes(before.max(0)),
        start + Duration::minutes(duration_minutes.max(1) + after.max(0)),
    )
}

/// When the parties may join a call booked at `start` for `duration`
/// minutes: from `early` minutes ahead until its end plus `missed` minutes
/// (a call that started stays joinable until it ends).
pub fn join_window(
    start: DateTime<Utc>,
    duration_minutes: i64,
    early: i64,
    missed: i64,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        start - Duration::minutes(early.max(0)),
        start + Duration::minutes(duration_minutes.max(1) + missed.max(0)),
    )
}

/// A booking time as a client reads it: `2026-12-03 18:30 (Africa/Cairo)`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} ({tz})",
        at.with_timezone(&tz).format("%A %Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn cairo_evenings() -> Vec<Window> {
        let tz = time_zone("Africa/Cairo").unwrap_or(Tz::UTC);
        // Thursdays 18:00-22:00 in Cairo.
        vec![Window {
            weekday: 4,
            starts: 18 * 3600,
            ends: 22 * 3600,
            tz,
        }]
    }

    #[test]
    fn a_slot_fits_inside_a_window_in_the_readers_zone() {
        let w = cairo_evenings();
        // 2026-12-03 is a Thursday; Cairo is UTC+2 in winter.
        assert!(fits(
            &w,
            utc("2026-12-03T16:00:00Z"),
            utc("2026-12-03T16:30:00Z")
        ));
        assert!(fits(
            &w,
            utc("2026-12-03T19:30:00Z"),
            utc("2026-12-03T20:00:00Z")
        ));
        // Ends after 22:00 local.
        assert!(!fits(
            &w,
            utc("2026-12-03T19:45:00Z"),
            utc("2026-12-03T20:15:00Z")
        ));
        // 18:00 UTC is 20:00 in Cairo but the window is read in Cairo time only.
        assert!(!fits(
            &w,
            utc("2026-12-03T15:30:00Z"),
            utc("2026-12-03T16:00:00Z")
        ));
        // A Friday.
        assert!(!fits(
            &w,
            utc("2026-12-04T16:00:00Z"),
            utc("2026-12-04T16:30:00Z")
        ));
        assert!(!fits(
            &[],
            utc("2026-12-03T16:00:00Z"),
            utc("2026-12-03T16:30:00Z")
        ));
    }

    #[test]
    fn windows_follow_daylight_saving_time() {
        let tz = time_zone("Europe/London").unwrap_or(Tz::UTC);
        let w = [Window {
            weekday: 1,
            starts: 9 * 3600,
            ends: 10 * 3600,
            tz,
        }];
        // Summer: 09:00 London is 08:00 UTC; winter: 09:00 UTC.
        assert!(fits(
            &w,
            utc("2026-06-01T08:00:00Z"),
            utc("2026-06-01T09:00:00Z")
        ));
        assert!(!fits(
            &w,
            utc("2026-06-01T09:00:00Z"),
            utc("2026-06-01T09:30:00Z")
        ));
        assert!(fits(
            &w,
            utc("2026-11-30T09:00:00Z"),
            utc("2026-11-30T10:00:00Z")
        ));
    }

    #[test]
    fn a_window_may_run_to_midnight() {
        let w = [Window {
            weekday: 4,
            starts: 23 * 3600,
            ends: 86_400,
            tz: Tz::UTC,
        }];
        assert!(fits(
            &w,
            utc("2026-12-03T23:15:00Z"),
            utc("2026-12-04T00:00:00Z")
        ));
        assert!(!fits(
            &w,
            utc("2026-12-03T23:45:00Z"),
            utc("2026-12-04T00:15:00Z")
        ));
    }

    #[test]
    fn holds_and_join_windows_add_their_margins() {
        let at = utc("2026-12-03T16:00:00Z");
        assert_eq!(
            held(at, 45, 5, 10),
            (utc("2026-12-03T15:55:00Z"), utc("2026-12-03T16:55:00Z"))
        );
        assert_eq!(
            join_window(at, 30, 10, 10),
            (utc("2026-12-03T15:50:00Z"), utc("2026-12-03T16:40:00Z"))
        );
        assert!(time_zone("Mars/Olympus").is_none());
        assert_eq!(
            local_time(at, time_zone("Africa/Cairo").unwrap_or(Tz::UTC)),
            "Thursday 2026-12-03 18:00 (Africa/Cairo)"
        );
    }
}
