//! Natal charts in SQL: `samia.natal_chart`, `samia.natal_chart_for` and
//! `samia.chart_summary`. The astronomy, the gazetteer and the summary live in
//! `samia_core::astro`; bad input is SQLSTATE 22023.

use crate::errors;
use pgrx::datum::{Date, Time, TimestampWithTimeZone};
use pgrx::prelude::*;
use pgrx::JsonB;
use samia_core::astro::time::jd_from_unix_seconds;
use samia_core::astro::{birth_chart, natal_chart as cast, summarize, ChartOptions, HouseSystem};

/// Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_UNIX_SECONDS: f64 = 946_684_800.0;

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
    let unix = birth.into_inner() as f64 / 1e6 + PG_EPOCH_UNIX_SECONDS;
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
        Ok(value) => Some(JsonB(value)),
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

// AFTER INSERT ... FOR EACH STATEMENT on public.orders: every new astro order
// gets its chart, cast from the client's profile (date, time and place of
// birth), with a readable summary for the reader. A profile without a date
// or place of birth cannot place an astro order (22023), and an unknown
// place fails the order with the close matches in the hint.
pgrx::extension_sql!(
    r#"
CREATE FUNCTION samia.astro_orders_chart() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
DECLARE
  v_missing record;
BEGIN
  SELECT n.id, p.dob IS NULL AS no_dob INTO v_missing
    FROM created n
    JOIN public.services s ON s.id = n.service_id AND s.code = 'astro'
    JOIN public.profiles p ON p.id = n.user_id
   WHERE p.dob IS NULL OR p.birth_place IS NULL OR btrim(p.birth_place) = ''
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'an astro reading needs the client''s date and place of birth: the profile has no %',
      CASE WHEN v_missing.no_dob THEN 'date of birth' ELSE 'birth place' END
      USING ERRCODE = '22023',
            HINT = 'set dob, birth_place (and birth_time if known) on the profile, then place the order';
  END IF;

  INSERT INTO public.astro_charts
    (order_id, profile_id, dob, birth_time, birth_place, latitude, longitude, timezone, chart, summary, computed_at)
  SELECT n.id, n.user_id, p.dob, p.birth_time, p.birth_place,
         (c.chart -> 'place' ->> 'latitude')::double precision,
         (c.chart -> 'place' ->> 'longitude')::double precision,
         c.chart -> 'place' ->> 'timezone',
         c.chart, samia.chart_summary(c.chart), now()
    FROM created n
    JOIN public.services s ON s.id = n.service_id AND s.code = 'astro'
    JOIN public.profiles p ON p.id = n.user_id
   CROSS JOIN LATERAL (SELECT samia.natal_chart_for(p.dob, p.birth_time, p.birth_place) AS chart) c;
  RETURN NULL;
END
$$;
"#,
    name = "astro_orders_chart",
    requires = [natal_chart_for, chart_summary],
);
