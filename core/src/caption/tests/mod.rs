#![allow(clippy::unwrap_used)]

use super::*;
use chrono::TimeZone;

mod dates;
mod fuzz;
mod text;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn cairo() -> Tz {
    parse_time_zone(DEFAULT_TIME_ZONE).unwrap()
}

fn at(caption: &str, posted: DateTime<Utc>) -> Classification {
    classify(caption, posted, cairo())
}
