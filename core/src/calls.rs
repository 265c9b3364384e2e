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

/// How far ahead a client may book a call, in days.
pub const MAX_DAYS_AHEAD: &str = "calls.max_days_ahead";
pub const DEFAULT_MAX_DAYS_AHEAD: i64 = 60;
/// How many open bookings (call orders not yet ended) a client may hold.
pub const MAX_OPEN_BOOKINGS: &str = "calls.max_open_bookings";
pub const DEFAULT_MAX_OPEN_BOOKINGS: i64 = 3;

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

/// The longest call [`fits`] considers: a booking is minutes to hours long.
const LONGEST_CALL_DAYS: i64 = 7;

/// Does the call from `start` to `end` lie inside the reader's hours? The
/// windows are taken as stretches of time: windows that meet (Monday until
/// 24:00 and Tuesday from 00:00, in the reader's zone) are one stretch, so a
/// call may run past midnight, or past a window's end into the next one.
pub fn fits(windows: &[Window], start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    if end <= start || end - start > Duration::days(LONGEST_CALL_DAYS) {
        return false;
    }
    let mut spans = Vec::new();
    for w in windows {
        // Every local day the call touches, and the day before (a window of
        // the previous local day can reach past midnight only at 24:00, but
        // zones differ between windows).
        let first = start.with_timezone(&w.tz).date_naive() - Duration::days(1);
        let last = end.with_timezone(&w.tz).date_naive();
        let mut date = first;
        while date <= last {
            if date.weekday().number_from_monday() == w.weekday {
                if let (Some(from), Some(to)) = (
                    local_instant(w.tz, date, w.starts),
                    local_instant(w.tz, date, w.ends),
                ) {
                    if from < to {
                        spans.push((from, to));
                    }
                }
            }
            date += Duration::days(1);
        }
    }
    spans.sort();
    // Walk the spans in order of their start: the call fits when they cover
    // it without a gap.
    let mut covered = start;
    for (from, to) in spans {
        if from > covered {
            break;
        }
        covered = covered.max(to);
        if covered >= end {
            return true;
        }
    }
    false
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

    fn window(weekday: u32, from: (u32, u32), to: (u32, u32), zone: &str) -> Window {
        Window {
            weekday,
            starts: from.0 * 3600 + from.1 * 60,
            ends: to.0 * 3600 + to.1 * 60,
            tz: time_zone(zone).unwrap_or(Tz::UTC),
        }
    }

    /// Late evenings into the small hours in Cairo: Monday 20:00-24:00 and
    /// Tuesday 00:00-02:00 meet at midnight.
    fn monday_night(zone: &str) -> Vec<Window> {
        vec![
            window(1, (20, 0), (24, 0), zone),
            window(2, (0, 0), (2, 0), zone),
        ]
    }

    fn call(start: &str, minutes: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = utc(start);
        (at, at + Duration::minutes(minutes))
    }

    #[test]
    fn windows_that_meet_at_midnight_are_one_stretch() {
        let w = monday_night("Africa/Cairo");
        // 2026-12-07 is a Monday; 23:45 in Cairo (UTC+2) is 21:45Z.
        let (from, to) = call("2026-12-07T21:45:00Z", 40);
        assert!(fits(&w, from, to), "23:45 for 40 minutes runs into Tuesday");
        // From the Tuesday window back into Monday's: 23:30 to 00:30.
        let (from, to) = call("2026-12-07T21:30:00Z", 60);
        assert!(fits(&w, from, to));
        // Past the Tuesday window's end at 02:00.
        let (from, to) = call("2026-12-07T23:45:00Z", 30);
        assert!(!fits(&w, from, to), "01:45 for 30 minutes ends at 02:15");
        // A gap of half an hour breaks the stretch.
        let gap = [
            window(1, (20, 0), (23, 30), "Africa/Cairo"),
            window(2, (0, 0), (2, 0), "Africa/Cairo"),
        ];
        let (from, to) = call("2026-12-07T21:45:00Z", 30);
        assert!(!fits(&gap, from, to));
        let (from, to) = call("2026-12-07T21:00:00Z", 30);
        assert!(fits(&gap, from, to), "23:00 to 23:30 is inside Monday's");
        // Two windows of one day that meet.
        let day = [
            window(3, (10, 0), (12, 0), "UTC"),
            window(3, (12, 0), (14, 0), "UTC"),
        ];
        let (from, to) = call("2026-12-09T11:30:00Z", 60);
        assert!(fits(&day, from, to));
        // The same local times one week later fit the same way.
        let (from, to) = call("2026-12-14T21:45:00Z", 40);
        assert!(fits(&w, from, to));
    }

    #[test]
    fn a_stretch_crosses_month_and_year_ends_and_leap_days() {
        let every_day: Vec<Window> = (1..=7)
            .map(|d| window(d, (0, 0), (24, 0), "Africa/Cairo"))
            .collect();
        for start in [
            // 23:50 Cairo on the last of November, December (a year end),
            // February of a leap year, and the leap day itself.
            "2026-11-30T21:50:00Z",
            "2026-12-31T21:50:00Z",
            "2028-02-28T21:50:00Z",
            "2028-02-29T21:50:00Z",
            "2027-02-28T21:50:00Z",
        ] {
            let (from, to) = call(start, 45);
            assert!(fits(&every_day, from, to), "{start}");
        }
        // Monday night into Tuesday across a month end: 2026-11-30 is a
        // Monday, 2028-02-28 too (and the 29th a Tuesday).
        let w = monday_night("Africa/Cairo");
        for start in ["2026-11-30T21:45:00Z", "2028-02-28T21:45:00Z"] {
            let (from, to) = call(start, 40);
            assert!(fits(&w, from, to), "{start}");
        }
        // Wednesday 2028-03-01 has no window: a Tuesday call ending on it fails.
        let (from, to) = call("2028-02-29T23:45:00Z", 30);
        assert!(!fits(&w, from, to));
    }

    #[test]
    fn a_stretch_follows_both_daylight_saving_changes() {
        // Saturday 22:00-24:00 and Sunday 00:00-03:00, London.
        let w = [
            window(6, (22, 0), (24, 0), "Europe/London"),
            window(7, (0, 0), (3, 0), "Europe/London"),
        ];
        // Spring: on Sunday 2027-03-28 01:00 GMT becomes 02:00 BST, so the
        // Sunday window is 00:00Z to 02:00Z.
        let (from, to) = call("2027-03-27T23:45:00Z", 30);
        assert!(fits(&w, from, to), "23:45 GMT Saturday into Sunday");
        let (from, to) = call("2027-03-28T00:30:00Z", 60);
        assert!(fits(&w, from, to), "00:30 GMT to 02:30 BST");
        let (from, to) = call("2027-03-28T01:30:00Z", 60);
        assert!(!fits(&w, from, to), "ends at 03:30 BST");
        // Autumn: on Sunday 2026-10-25 02:00 BST becomes 01:00 GMT, so the
        // Saturday window ends at 23:00Z and the Sunday one lasts until 03:00Z.
        let (from, to) = call("2026-10-24T22:45:00Z", 30);
        assert!(fits(&w, from, to), "23:45 BST Saturday into Sunday");
        let (from, to) = call("2026-10-25T02:15:00Z", 45);
        assert!(fits(&w, from, to), "02:15 to 03:00 GMT, in the long night");
        let (from, to) = call("2026-10-25T02:30:00Z", 45);
        assert!(!fits(&w, from, to));
        // Cairo keeps summer time too (the last Friday of April 2027):
        // a Thursday night into Friday across the change.
        let cairo = [
            window(4, (22, 0), (24, 0), "Africa/Cairo"),
            window(5, (0, 0), (3, 0), "Africa/Cairo"),
        ];
        // 2027-04-29 is a Thursday; 23:30 EET is 21:30Z.
        let (from, to) = call("2027-04-29T21:30:00Z", 60);
        assert!(fits(&cairo, from, to));
    }

    #[test]
    fn a_call_of_no_length_or_of_days_never_fits() {
        let every_day: Vec<Window> = (1..=7).map(|d| window(d, (0, 0), (24, 0), "UTC")).collect();
        let at = utc("2026-12-07T10:00:00Z");
        assert!(!fits(&every_day, at, at));
        assert!(fits(&every_day, at, at + Duration::days(3)));
        assert!(!fits(&every_day, at, at + Duration::days(8)));
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
