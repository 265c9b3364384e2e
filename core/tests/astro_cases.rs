//! Behaviour a reader or client would notice: polar latitudes, unknown birth
//! times, daylight-saving gaps and overlaps, Arabic place names, Delta-T at the
//! edges of its tables, and bad input.

use chrono::NaiveDate;
use samia_core::astro::delta_t::seconds_at_year;
use samia_core::astro::places::{local_to_utc, resolve, LocalTimeKind, PlaceError};
use samia_core::astro::time::jd_from_gregorian;
use samia_core::astro::{
    birth_chart, natal_chart, summarize, Body, ChartError, ChartOptions, HouseSystem,
};
use serde_json::Value;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn options(system: HouseSystem) -> ChartOptions {
    ChartOptions {
        house_system: system,
        ..ChartOptions::default()
    }
}

/// Each cusp follows the previous one going round the zodiac, by less than 180 degrees.
fn assert_ordered(cusps: &[f64; 12]) {
    let total: f64 = (0..12)
        .map(|i| (cusps[(i + 1) % 12] - cusps[i]).rem_euclid(360.0))
        .sum();
    assert!(
        (total - 360.0).abs() < 1e-6,
        "cusps out of order: {cusps:?}"
    );
}

#[test]
fn polar_latitudes_fall_back_to_porphyry_and_say_so() {
    let jd = jd_from_gregorian(1990, 6, 21) + 0.3;
    for latitude in [66.0, 67.0, 69.65, 78.2, 89.9, -70.0, -89.9] {
        let chart = natal_chart(jd, latitude, 18.96, &ChartOptions::default()).expect("chart");
        let houses = chart.houses.as_ref().expect("houses");
        assert_ordered(&houses.cusps);
        let json = chart.to_json();
        if latitude.abs() > 66.6 {
            assert_eq!(houses.system, HouseSystem::Porphyry, "{latitude}");
            assert_eq!(json["house_system"], "porphyry");
            assert_eq!(json["house_system_requested"], "placidus");
            let note = json["notes"][0].as_str().expect("a note");
            assert!(
                note.contains("Placidus") && note.contains("Porphyry"),
                "{note}"
            );
        } else {
            assert_eq!(houses.system, HouseSystem::Placidus, "{latitude}");
            assert!(json.get("notes").is_none());
        }
        // Asc and MC are cusps 1 and 10 in every system.
        assert_eq!(houses.cusps[0], houses.ascendant);
        assert_eq!(houses.cusps[9], houses.midheaven);
    }
}

#[test]
fn equal_and_whole_sign_houses() {
    let jd = jd_from_gregorian(2001, 9, 9) + 0.75;
    let equal = natal_chart(jd, 30.0, 31.2, &options(HouseSystem::Equal)).expect("chart");
    let h = equal.houses.expect("houses");
    for i in 0..12 {
        let expected = (h.ascendant + 30.0 * i as f64).rem_euclid(360.0);
        assert!((h.cusps[i] - expected).abs() < 1e-9);
    }
    let whole = natal_chart(jd, 30.0, 31.2, &options(HouseSystem::WholeSign)).expect("chart");
    let h = whole.houses.expect("houses");
    assert_eq!(h.cusps[0], (h.ascendant / 30.0).floor() * 30.0);
    assert!(h.cusps.iter().all(|c| c % 30.0 == 0.0));
    assert_eq!(
        HouseSystem::parse(" Whole_Sign "),
        Some(HouseSystem::WholeSign)
    );
    assert_eq!(HouseSystem::parse("koch"), None);
}

#[test]
fn chart_json_has_the_contract_shape() {
    let jd = jd_from_gregorian(1985, 3, 14) + 0.6;
    let json = natal_chart(jd, 30.04, 31.24, &ChartOptions::default())
        .expect("chart")
        .to_json();
    for body in Body::ALL {
        let b = &json["bodies"][body.key()];
        let lon = b["longitude"].as_f64().expect("longitude");
        assert!((0.0..360.0).contains(&lon));
        assert!(b["latitude"].is_f64() && b["speed"].is_f64());
        assert!(b["sign"].is_string() && b["retrograde"].is_boolean());
        let deg = b["degree_in_sign"].as_f64().expect("degree");
        assert!((0.0..30.0).contains(&deg));
        let house = b["house"].as_u64().expect("house");
        assert!((1..=12).contains(&house));
    }
    assert_eq!(json["bodies"]["mean_node"]["retrograde"], true);
    assert!(json["angles"]["ascendant"].is_f64() && json["angles"]["midheaven"].is_f64());
    assert_eq!(json["houses"].as_array().expect("houses").len(), 12);
    assert_eq!(json["house_system"], "placidus");
    assert!(json["aspects"].is_array());
}

#[test]
fn unknown_birth_time_gives_a_noon_chart_and_flags_a_moon_changing_sign() {
    let mut changes = 0;
    let mut stays = 0;
    for day in 1..=28 {
        let chart = birth_chart(date(1995, 2, day), None, "Cairo", &ChartOptions::default())
            .expect("chart");
        assert!(chart.get("houses").is_none() && chart.get("angles").is_none());
        assert_eq!(chart["house_system"], Value::Null);
        assert_eq!(chart["birth_time_known"], false);
        assert!(chart["bodies"]["sun"].get("house").is_none());
        // Local noon in Cairo (UTC+2 in February 1995).
        assert_eq!(chart["birth_utc_offset_seconds"], 7200);
        let moon = &chart["bodies"]["moon"];
        let range = moon["sign_range"].as_array().expect("range");
        if moon["sign_changes_that_day"] == true {
            changes += 1;
            assert_ne!(range[0], range[1]);
            let summary = summarize(&chart).expect("summary");
            assert!(summary.contains("depends on the birth time"), "{summary}");
        } else {
            stays += 1;
            assert_eq!(range[0], range[1]);
            assert_eq!(range[0], moon["sign"]);
        }
    }
    // The Moon changes sign every two and a half days or so.
    assert!(
        (9..=13).contains(&changes),
        "{changes} changes, {stays} stays"
    );
}

#[test]
fn daylight_saving_gap_is_read_on_the_earlier_offset() {
    // New York, 14 March 2021: clocks went from 02:00 EST to 03:00 EDT.
    let t = local_to_utc("America/New_York", date(2021, 3, 14), 2 * 3600 + 1800).expect("time");
    assert_eq!(t.kind, LocalTimeKind::Skipped { gap_seconds: 3600 });
    assert_eq!(t.offset_seconds, -5 * 3600);
    // 02:30 EST = 07:30 UTC.
    let expected = NaiveDate::from_ymd_opt(2021, 3, 14)
        .and_then(|d| d.and_hms_opt(7, 30, 0))
        .expect("instant")
        .and_utc()
        .timestamp();
    assert_eq!(t.unix_seconds, expected);
    assert!(t.note().expect("note").contains("does not exist"));
    // The chart says so too.
    let chart = birth_chart(
        date(2021, 3, 14),
        Some(9000),
        "New York, US",
        &ChartOptions::default(),
    )
    .expect("chart");
    let notes = chart["notes"].as_array().expect("notes");
    assert!(notes
        .iter()
        .any(|n| n.as_str().is_some_and(|s| s.contains("clocks set forward"))));
}

#[test]
fn daylight_saving_overlap_takes_the_first_occurrence() {
    // New York, 7 November 2021: 01:00-02:00 happened twice (EDT, then EST).
    let t = local_to_utc("America/New_York", date(2021, 11, 7), 3600 + 1800).expect("time");
    assert_eq!(
        t.kind,
        LocalTimeKind::Ambiguous {
            other_offset_seconds: -5 * 3600
        }
    );
    assert_eq!(t.offset_seconds, -4 * 3600);
    // Cairo, 27 October 2023: 23:00-24:00 happened twice when summer time ended.
    let t = local_to_utc("Africa/Cairo", date(2023, 10, 26), 23 * 3600 + 1800).expect("time");
    assert!(matches!(t.kind, LocalTimeKind::Ambiguous { .. }), "{t:?}");
    assert_eq!(t.offset_seconds, 3 * 3600);
    // An ordinary time is unique.
    let t = local_to_utc("Africa/Cairo", date(2023, 1, 10), 12 * 3600).expect("time");
    assert_eq!((t.kind, t.offset_seconds), (LocalTimeKind::Unique, 7200));
}

#[test]
fn historical_offsets_come_from_the_tz_database() {
    // Britain kept summer time all year from 1968 to 1971 (British Standard Time).
    let t = local_to_utc("Europe/London", date(1970, 1, 15), 12 * 3600).expect("time");
    assert_eq!(t.offset_seconds, 3600);
    let t = local_to_utc("Europe/London", date(1975, 1, 15), 12 * 3600).expect("time");
    assert_eq!(t.offset_seconds, 0);
    assert!(matches!(
        local_to_utc("Mars/Olympus", date(1975, 1, 15), 0),
        Err(PlaceError::UnknownTimeZone(_))
    ));
}

#[test]
fn places_resolve_in_english_and_arabic() {
    let cairo = resolve("القاهرة").expect("Cairo in Arabic");
    assert_eq!((cairo.city.name, cairo.city.country), ("Cairo", "EG"));
    assert_eq!(cairo.city.timezone, "Africa/Cairo");
    assert!((cairo.city.latitude - 30.06).abs() < 0.01);
    // Without diacritics, with hamza, or without the article.
    for name in ["الإسكندرية", "الاسكندرية", "إسكندرية", "الاسكندرية، مصر"]
    {
        let p = resolve(name).expect(name);
        assert_eq!(
            (p.city.name, p.city.country),
            ("Alexandria", "EG"),
            "{name}"
        );
    }
    let p = resolve("  cairo ").expect("Cairo");
    assert_eq!(p.city.country, "EG");
    // Ambiguous names pick the most populous and count the others.
    let p = resolve("Alexandria").expect("Alexandria");
    assert_eq!(p.city.country, "EG");
    assert!(p.alternatives >= 3);
    let p = resolve("Alexandria, United States").expect("Alexandria, US");
    assert_eq!(
        (p.city.country, p.city.timezone),
        ("US", "America/New_York")
    );
    let p = resolve("Zurich").expect("Zürich folded");
    assert_eq!(p.city.name, "Zürich");
    let p = resolve("riyadh, sa").expect("Riyadh");
    assert_eq!(p.city.timezone, "Asia/Riyadh");
    let p = resolve("جدة").expect("Jeddah");
    assert_eq!(p.city.country, "SA");
}

#[test]
fn unknown_places_list_close_matches() {
    match resolve("Kairo") {
        Err(PlaceError::Unknown { suggestions, .. }) => {
            assert!(
                suggestions.iter().any(|s| s == "Cairo, Egypt"),
                "{suggestions:?}"
            );
        }
        other => panic!("expected an unknown place, got {other:?}"),
    }
    let error = resolve("Qwxzyplk").expect_err("nonsense");
    assert!(error
        .to_string()
        .contains("unknown birth place \"Qwxzyplk\""));
    assert_eq!(resolve("  "), Err(PlaceError::Empty));
}

#[test]
fn bad_chart_input_is_an_error_not_a_panic() {
    let jd = jd_from_gregorian(2000, 1, 1);
    let o = ChartOptions::default();
    assert_eq!(
        natal_chart(jd, 91.0, 0.0, &o).err(),
        Some(ChartError::LatitudeOutOfRange(91.0))
    );
    assert!(matches!(
        natal_chart(jd, f64::NAN, 0.0, &o),
        Err(ChartError::LatitudeOutOfRange(_))
    ));
    assert!(matches!(
        natal_chart(jd, 0.0, 200.0, &o),
        Err(ChartError::LongitudeOutOfRange(_))
    ));
    assert!(matches!(
        natal_chart(jd_from_gregorian(1700, 1, 1), 0.0, 0.0, &o),
        Err(ChartError::DateOutOfRange(_))
    ));
    assert!(matches!(
        natal_chart(f64::NAN, 0.0, 0.0, &o),
        Err(ChartError::DateOutOfRange(_))
    ));
    assert!(summarize(&serde_json::json!({"bodies": {}})).is_err());
}

#[test]
fn delta_t_is_continuous_across_its_tables_and_sane_at_the_edges() {
    // Joins: spline -> monthly observations (1973-02) and monthly -> forecast.
    for join in [1973.0 + 1.0 / 12.0, 2023.0 + 4.0 / 12.0] {
        let before = seconds_at_year(join - 1e-6);
        let after = seconds_at_year(join + 1e-6);
        assert!(
            (before - after).abs() < 0.15,
            "jump of {} s at {join}",
            after - before
        );
    }
    // Joins between spline segments are continuous by construction; check a few.
    for year in [1800.0, 1900.0, 1955.0] {
        let jump = seconds_at_year(year + 1e-6) - seconds_at_year(year - 1e-6);
        assert!(jump.abs() < 0.05, "jump of {jump} s at {year}");
    }
    // Published values: 1800 about 18 s, 1870 about 2 s, 1900 about -2 s,
    // 1950 about 29 s, 2000.0 63.83 s, 2020.0 69.36 s.
    for (year, expected, within) in [
        (1800.0, 18.4, 1.0),
        (1870.0, 2.4, 1.0),
        (1900.0, -2.0, 0.5),
        (1950.0, 28.9, 0.3),
        (2000.0, 63.83, 0.05),
        (2020.0, 69.36, 0.05),
    ] {
        let got = seconds_at_year(year);
        assert!((got - expected).abs() < within, "{year}: {got}");
    }
    // The forecast grows slowly and stays plausible to 2100.
    let (y2030, y2100) = (seconds_at_year(2030.0), seconds_at_year(2100.0));
    assert!((65.0..80.0).contains(&y2030), "{y2030}");
    assert!((70.0..130.0).contains(&y2100), "{y2100}");
    // And charts can be cast at both ends of the supported range.
    let o = ChartOptions::default();
    assert!(natal_chart(jd_from_gregorian(1800, 1, 1), 51.5, 0.0, &o).is_ok());
    assert!(natal_chart(jd_from_gregorian(2100, 12, 31), 51.5, 0.0, &o).is_ok());
}

#[test]
fn summary_names_signs_elements_and_tight_aspects() {
    let chart = birth_chart(
        date(1990, 7, 23),
        Some(14 * 3600 + 300),
        "الإسكندرية",
        &ChartOptions::default(),
    )
    .expect("chart");
    assert_eq!(chart["place"]["name"], "Alexandria");
    let text = summarize(&chart).expect("summary");
    let sun = chart["bodies"]["sun"]["sign"].as_str().expect("sun sign");
    let moon = chart["bodies"]["moon"]["sign"].as_str().expect("moon sign");
    assert!(
        text.starts_with(&format!("Sun in {sun}, Moon in {moon}, ")),
        "{text}"
    );
    assert!(
        text.contains(" rising.") && text.contains("Dominant element: "),
        "{text}"
    );
    assert!(text.contains("Dominant modality: "), "{text}");
    let noon =
        birth_chart(date(1990, 7, 23), None, "Cairo", &ChartOptions::default()).expect("chart");
    assert!(summarize(&noon)
        .expect("summary")
        .contains("rising sign unknown"));
}
