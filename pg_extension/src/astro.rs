//! Natal charts in SQL: `samia.natal_chart`, `samia.natal_chart_for` and
//! `samia.chart_summary`. The astronomy, the gazetteer and the summary live in
//! `samia_core::astro`; bad input is SQLSTATE 22023.

use crate::errors;
use pgrx::datum::{Date, Time, TimestampWithTimeZone};
use pgrx::prelude::*;
use pgrx::JsonB;
use samia_core::astro::time::jd_from_unix_seconds;
use samia_core::astro::{birth_chart, natal_chart as cast, summarize, ChartOptions, HouseSystem};

/// The chart of an instant at a place (degrees, north and east positive), as
/// jsonb: bodies, angles, houses, house_system, aspects.
#[pg_extern(immutable, strict, parallel_safe)]
pub fn natal_chart(
    birth: TimestampWithTimeZone,
    latitude: f64,
    longitude: f64,
    house_system: default!(&str, "'placidus'"),
) -> JsonB {
    if !birth.is_finite() {
        errors::invalid_value("birth time must be a finite timestamp", None);
    }
    let options = options(house_system);
    let Some(utc) = crate::time::utc(birth) else {
        errors::invalid_value(
            format!("{birth} is out of range"),
            Some("check the birth date"),
        )
    };
    let unix = utc.timestamp_micros() as f64 / 1e6;
    match cast(jd_from_unix_seconds(unix), latitude, longitude, &options) {
        Ok(chart) => JsonB(chart.to_json()),
        Err(e) => errors::invalid_value(e.to_string(), Some(&e.hint())),
    }
}

/// The chart of a birth as a client enters it: date, local time (NULL when
/// unknown: a noon chart without houses or angles) and place by name, in
/// English or Arabic. NULL when the date or the place is NULL.
#[pg_extern(stable, parallel_safe)]
pub fn natal_chart_for(
    dob: Option<Date>,
    birth_time: Option<Time>,
    birth_place: Option<&str>,
) -> Option<JsonB> {
    let (dob, place) = (dob?, birth_place?);
    Some(JsonB(chart_for(dob, birth_time, place)))
}

/// The chart for a date, optional local time and place name; bad input is
/// SQLSTATE 22023 (an unknown place lists the closest matches).
pub fn chart_for(dob: Date, birth_time: Option<Time>, place: &str) -> serde_json::Value {
    if !dob.is_finite() {
        errors::invalid_value("date of birth must be a finite date", None);
    }
    let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| {
            epoch.checked_add_signed(chrono::Duration::days(i64::from(dob.to_unix_epoch_days())))
        })
        .unwrap_or_else(|| errors::invalid_value("date of birth is out of range", None));
    let seconds = birth_time.map(|t| (t.into_inner() / 1_000_000).clamp(0, 86_399) as u32);
    match birth_chart(date, seconds, place, &ChartOptions::default()) {
        Ok(value) => value,
        Err(e) => errors::invalid_value(e.to_string(), Some(&e.hint())),
    }
}

/// A readable summary of a chart from `natal_chart` or `natal_chart_for`:
/// Sun, Moon and rising signs, dominant element and modality, tight aspects.
#[pg_extern(immutable, strict, parallel_safe)]
pub fn chart_summary(chart: JsonB) -> String {
    match summarize(&chart.0) {
        Ok(text) => text,
        Err(e) => errors::invalid_value(
            e.to_string(),
            Some("pass the jsonb returned by samia.natal_chart or samia.natal_chart_for"),
        ),
    }
}

fn options(house_system: &str) -> ChartOptions {
    let Some(system) = HouseSystem::parse(house_system) else {
        errors::invalid_value(
            format!("unknown house system \"{house_system}\""),
            Some(&format!("use one of: {}", HouseSystem::ACCEPTED)),
        )
    };
    ChartOptions {
        house_system: system,
        ..ChartOptions::default()
    }
}
