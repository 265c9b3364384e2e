//! The caption classifier in SQL, and the time zone and dates it reads
//! captions in.

use crate::time::utc;
use crate::{errors, plans};
use pgrx::datum::{Date, TimestampWithTimeZone};
use pgrx::prelude::*;
use samia_core::caption;

pub(super) fn date(day: chrono::NaiveDate) -> Date {
    use chrono::Datelike;
    Date::new(day.year(), day.month() as u8, day.day() as u8).unwrap_or_else(|e| {
        errors::invalid_value(format!("the date {day} is out of range: {e}"), None)
    })
}

fn zone(name: Option<&str>) -> caption::Tz {
    let name = name.unwrap_or(caption::DEFAULT_TIME_ZONE);
    caption::parse_time_zone(name).unwrap_or_else(|| {
        errors::invalid_value(
            format!("unknown time zone {name:?}"),
            Some("use an IANA time zone name such as Africa/Cairo"),
        )
    })
}

/// What a caption says: `{"scope", "zodiac", "ref_date"}` (section 10).
/// `time_zone` defaults to the owner's, `Africa/Cairo`.
#[pg_extern(immutable, parallel_safe)]
#[search_path(pg_catalog, pg_temp)]
fn classify_caption(
    caption: Option<&str>,
    posted_at: Option<TimestampWithTimeZone>,
    time_zone: default!(Option<&str>, "NULL"),
) -> pgrx::JsonB {
    let tz = zone(time_zone);
    let Some(at) = posted_at.and_then(utc) else {
        errors::invalid_value(
            "posted_at is required: dates in a caption are relative to it",
            None,
        )
    };
    pgrx::JsonB(caption::classify(caption.unwrap_or(""), at, tz).to_json())
}

/// The owner's time zone (`app_config` `horoscopes.time_zone`).
pub(super) fn owner_zone() -> caption::Tz {
    let name = errors::spi(
        plans::value::<String>(
            "select value #>> '{}' from public.app_config where key = 'horoscopes.time_zone'",
            &[],
            &[],
        ),
        "reading the owner's time zone",
    );
    name.as_deref()
        .and_then(caption::parse_time_zone)
        .unwrap_or_else(|| zone(None))
}
