//! A chart from what a client enters: birth date, birth time (maybe unknown)
//! and birth place by name.

use super::chart::{natal_chart, noon_chart, ChartError, ChartOptions};
use super::places::{local_to_utc, resolve, LocalInstant, PlaceError};
use super::time::jd_from_unix_seconds;
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::fmt;

/// Why a chart for a birth could not be cast.
#[derive(Debug, Clone, PartialEq)]
pub enum BirthChartError {
    Place(PlaceError),
    Chart(ChartError),
}

impl fmt::Display for BirthChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthChartError::Place(e) => e.fmt(f),
            BirthChartError::Chart(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BirthChartError {}

impl BirthChartError {
    pub fn hint(&self) -> String {
        match self {
            BirthChartError::Place(_) => {
                "give the city in English or Arabic, optionally followed by a comma and the country"
                    .into()
            }
            BirthChartError::Chart(e) => e.hint(),
        }
    }
}

impl From<PlaceError> for BirthChartError {
    fn from(e: PlaceError) -> Self {
        BirthChartError::Place(e)
    }
}

impl From<ChartError> for BirthChartError {
    fn from(e: ChartError) -> Self {
        BirthChartError::Chart(e)
    }
}

/// Seconds in a day; local noon is half of it.
const DAY: u32 = 86_400;

/// Casts the chart of a birth: `seconds_of_day` is the local clock time, or
/// None when unknown (a noon chart without houses or angles).
pub fn birth_chart(
    date: NaiveDate,
    seconds_of_day: Option<u32>,
    place: &str,
    options: &ChartOptions,
) -> Result<Value, BirthChartError> {
    let place = resolve(place)?;
    let city = place.city;
    let jd = |local: &LocalInstant| jd_from_unix_seconds(local.unix_seconds as f64);
    let (chart, local) = match seconds_of_day {
        Some(seconds) => {
            let local = local_to_utc(city.timezone, date, seconds.min(DAY - 1))?;
            let chart = natal_chart(jd(&local), city.latitude, city.longitude, options)?;
            (chart, local)
        }
        None => {
            let noon = local_to_utc(city.timezone, date, DAY / 2)?;
            let start = local_to_utc(city.timezone, date, 0)?;
            let end = local_to_utc(city.timezone, date, DAY)?;
            let chart = noon_chart(
                jd(&noon),
                jd(&start),
                jd(&end),
                city.latitude,
                city.longitude,
                options,
            )?;
            (chart, noon)
        }
    };
    let mut value = chart.to_json();
    if let Value::Object(map) = &mut value {
        map.insert(
            "place".into(),
            json!({
                "name": city.name,
                "country": city.country,
                "country_name": place.country_name,
                "latitude": city.latitude,
                "longitude": city.longitude,
                "timezone": city.timezone,
                "alternatives": place.alternatives,
            }),
        );
        map.insert(
            "birth_utc_offset_seconds".into(),
            json!(local.offset_seconds),
        );
        map.insert("birth_unix_seconds".into(), json!(local.unix_seconds));
        if let Some(note) = local.note() {
            let notes = map.entry("notes").or_insert_with(|| json!([]));
            if let Value::Array(list) = notes {
                list.push(json!(note));
            }
        }
    }
    Ok(value)
}
