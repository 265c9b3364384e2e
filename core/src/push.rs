//! Push notifications (CONTRACT.md section 15): the device platforms, and
//! when a push may go out given the user's quiet hours.
//!
//! Quiet hours are a stretch of local wall-clock time, `from` to `to`
//! (`22:00`-`08:00` runs past midnight), in the user's time zone. A push
//! made inside them waits until they end, except the kinds that cannot wait
//! (a call starting now). The end is found on the local calendar, so a
//! daylight-saving change inside the stretch moves the instant with the
//! clock: quiet until 08:00 is 08:00 local on either side of a change.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// The platforms a device may register as.
pub const PLATFORMS: [&str; 3] = ["android", "ios", "web"];

/// The notification kinds pushed even during quiet hours.
pub const URGENT_KINDS: [&str; 1] = ["call.starting"];

/// A user's quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl QuietHours {
    /// Reads `{"from": "HH:MM", "to": "HH:MM"}`; `Ok(None)` for JSON null.
    /// An error names what is wrong, for the caller to show.
    pub fn parse(value: &Value) -> Result<Option<QuietHours>, String> {
        if value.is_null() {
            return Ok(None);
        }
        let time = |key: &str| -> Result<NaiveTime, String> {
            let text = value
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("quiet_hours needs \"{key}\" as \"HH:MM\""))?;
            NaiveTime::parse_from_str(text.trim(), "%H:%M")
                .map_err(|_| format!("quiet_hours.{key} is not a time of day (HH:MM): {text}"))
        };
        let extra = value
            .as_object()
            .map(|o| o.keys().filter(|k| *k != "from" && *k != "to").count())
            .unwrap_or(1);
        if extra > 0 {
            return Err(
                "quiet_hours is {\"from\": \"HH:MM\", \"to\": \"HH:MM\"} and nothing else".into(),
            );
        }
        let hours = QuietHours {
            from: time("from")?,
            to: time("to")?,
        };
        if hours.from == hours.to {
            return Err(
                "quiet_hours.from and .to are the same time: leave quiet_hours empty for none"
                    .into(),
            );
        }
        Ok(Some(hours))
    }

    /// Is the local time `t` inside the quiet hours?
    pub fn covers(&self, t: NaiveTime) -> bool {
        if self.from < self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }
}

/// The first instant at or after the local wall-clock time `to` on or after
/// `date`, in `tz`: a time skipped by a spring change is taken as the first
/// instant after the gap, an hour repeated in autumn as its first pass.
fn local(tz: Tz, date: chrono::NaiveDate, to: NaiveTime) -> DateTime<Utc> {
    let mut at = date.and_time(to);
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_time(to))
}

/// When a push of `kind`, made at `now`, may go out: `now` unless the
/// user's quiet hours (in `tz`) cover it and the kind can wait, else the
/// end of those quiet hours.
pub fn send_at(now: DateTime<Utc>, kind: &str, quiet: Option<QuietHours>, tz: Tz) -> DateTime<Utc> {
    let Some(quiet) = quiet else {
        return now;
    };
    if URGENT_KINDS.contains(&kind) {
        return now;
    }
    let here = now.with_timezone(&tz);
    let t = here.time();
    if !quiet.covers(t) {
        return now;
    }
    let today = here.date_naive();
    // Quiet since the evening: it ends tomorrow; since early morning: today.
    let ends_on = if quiet.from > quiet.to && t >= quiet.from {
        today.succ_opt().unwrap_or(today)
    } else {
        today
    };
    local(tz, ends_on, quiet.to).max(now)
}

#[cfg(test)]
mod tests;
