//! Dates, time zones, scopes and the contract's examples.

use super::*;

// ---- time zones ----

#[test]
fn time_zone_names() {
    assert_eq!(
        parse_time_zone("Africa/Cairo"),
        Some(chrono_tz::Africa::Cairo)
    );
    assert_eq!(
        parse_time_zone("  Asia/Riyadh "),
        Some(chrono_tz::Asia::Riyadh)
    );
    assert_eq!(parse_time_zone("asia/dubai"), Some(chrono_tz::Asia::Dubai));
    assert_eq!(parse_time_zone("UTC"), Some(chrono_tz::UTC));
    assert_eq!(parse_time_zone(""), None);
    assert_eq!(parse_time_zone("Cairo"), None);
    assert_eq!(parse_time_zone("Mars/Olympus"), None);
}

#[test]
fn daily_date_is_the_local_posting_date() {
    let caption = "حظك اليوم برج الحمل";
    // Cairo is UTC+2 in March: 22:30 UTC is already the next day.
    assert_eq!(
        at(caption, utc(2026, 3, 10, 21, 59)).ref_date,
        Some(date(2026, 3, 10))
    );
    assert_eq!(
        at(caption, utc(2026, 3, 10, 22, 0)).ref_date,
        Some(date(2026, 3, 11))
    );
    // UTC+3 in summer (daylight saving time since 2023).
    assert_eq!(
        at(caption, utc(2026, 7, 10, 21, 0)).ref_date,
        Some(date(2026, 7, 11))
    );
    assert_eq!(
        at(caption, utc(2026, 7, 10, 20, 59)).ref_date,
        Some(date(2026, 7, 10))
    );
    // Read in UTC, the same instant is still the 10th.
    let in_utc = classify(caption, utc(2026, 3, 10, 22, 30), chrono_tz::UTC);
    assert_eq!(in_utc.ref_date, Some(date(2026, 3, 10)));
    // West of UTC, early UTC hours are the previous day.
    let ny = classify(
        "Aries horoscope today",
        utc(2026, 3, 11, 3, 30),
        chrono_tz::America::New_York,
    );
    assert_eq!(ny.ref_date, Some(date(2026, 3, 10)));
}

#[test]
fn tomorrow_is_the_day_after_the_local_date() {
    let c = at("برج الحمل بكرة", utc(2026, 3, 10, 22, 30));
    assert_eq!(c.scope, Some(Scope::Daily));
    assert_eq!(c.ref_date, Some(date(2026, 3, 12)));
    // Across the year end.
    let c = at("Aries horoscope tomorrow", utc(2026, 12, 31, 12, 0));
    assert_eq!(c.ref_date, Some(date(2027, 1, 1)));
}

// ---- years ----

#[test]
fn monthly_rolls_into_next_year() {
    let december = utc(2025, 12, 28, 12, 0);
    let c = at("توقعات برج الحمل لشهر يناير", december);
    assert_eq!(
        (c.scope, c.ref_date),
        (Some(Scope::Monthly), Some(date(2026, 1, 1)))
    );
    let c = at("برج الحمل الشهر الجاي", december);
    assert_eq!(c.ref_date, Some(date(2026, 1, 1)));
    let c = at("توقعات برج الحمل الشهرية", december);
    assert_eq!(c.ref_date, Some(date(2025, 12, 1)));
    // A month before the posting month is next year's.
    let c = at("برج الحمل شهر فبراير", utc(2026, 3, 10, 10, 0));
    assert_eq!(c.ref_date, Some(date(2027, 2, 1)));
    // Unless the year is written.
    let c = at("برج الحمل شهر فبراير 2026", utc(2026, 3, 10, 10, 0));
    assert_eq!(c.ref_date, Some(date(2026, 2, 1)));
    // The posting month is read locally: 1 April in Cairo, 31 March in UTC.
    let c = at("توقعات الشهر برج الحمل", utc(2026, 3, 31, 22, 30));
    assert_eq!(c.ref_date, Some(date(2026, 4, 1)));
}

#[test]
fn daily_date_without_year_takes_the_nearest_year() {
    let c = at("حظك اليوم برج الحمل ٣١ ديسمبر", utc(2026, 1, 1, 8, 0));
    assert_eq!(c.ref_date, Some(date(2025, 12, 31)));
    let c = at("حظك اليوم برج الحمل 2 يناير", utc(2025, 12, 31, 10, 0));
    assert_eq!(c.ref_date, Some(date(2026, 1, 2)));
    // 29 February exists only in leap years: the nearest one.
    let c = at("برج الحمل 29/2", utc(2028, 3, 1, 10, 0));
    assert_eq!(c.ref_date, Some(date(2028, 2, 29)));
    // An impossible date is ignored.
    let c = at("برج الحمل 31/2", utc(2026, 3, 10, 10, 0));
    assert_eq!(c.ref_date, Some(date(2026, 3, 10)));
}

#[test]
fn numeric_dates_in_captions_are_read_nearest_the_post() {
    let c = at("حظك اليوم برج الحمل 12/08", utc(2026, 8, 10, 10, 0));
    assert_eq!(c.ref_date, Some(date(2026, 8, 12)));
    let c = at("Aries horoscope 12/08", utc(2026, 12, 7, 10, 0));
    assert_eq!(c.ref_date, Some(date(2026, 12, 8)));
    let c = at("برج الحمل ١٢.٠٨", utc(2026, 12, 7, 10, 0));
    assert_eq!(c.ref_date, Some(date(2026, 12, 8)));
    // Cairo, 31 December 2026 noon: 01/01 is tomorrow.
    let c = at("برج الحمل 01/01", utc(2026, 12, 31, 10, 0));
    assert_eq!(c.ref_date, Some(date(2027, 1, 1)));
    // 1 January 2027 noon: 31/12 is the day before the post, still allowed.
    let c = at("برج الحمل 31/12", utc(2027, 1, 1, 10, 0));
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Daily),
            Some(Sign::Aries),
            Some(date(2026, 12, 31))
        )
    );
    // 23:30 UTC on 31 December is already 1 January in Cairo.
    let c = at("برج الحمل 01/01", utc(2026, 12, 31, 23, 30));
    assert_eq!(c.ref_date, Some(date(2027, 1, 1)));
    let c = at("برج الحمل 02/01", utc(2026, 12, 31, 23, 30));
    assert_eq!(c.ref_date, Some(date(2027, 1, 2)));
}

#[test]
fn a_daily_is_never_dated_before_the_day_before_its_post() {
    let posted = utc(2026, 3, 10, 10, 0);
    // The day before: kept.
    assert_eq!(at("برج الحمل 9/3", posted).ref_date, Some(date(2026, 3, 9)));
    // Three days before: left for the monitor, the sign and scope kept.
    let c = at("حظك اليوم برج الحمل 7/3", posted);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (Some(Scope::Daily), Some(Sign::Aries), None)
    );
    // Not replaced by the tomorrow word either.
    assert_eq!(at("برج الحمل بكرة ٧/٣", posted).ref_date, None);
    assert_eq!(at("Aries horoscope March 7", posted).ref_date, None);
    assert_eq!(at("Aries horoscope 7-3-2026", posted).ref_date, None);
    assert_eq!(at("Aries horoscope 2025-03-11", posted).ref_date, None);
    // The day before is the local one: 22:30 UTC on the 10th is the 11th
    // in Cairo, so the 9th is two days back.
    assert_eq!(at("برج الحمل 9/3", utc(2026, 3, 10, 22, 30)).ref_date, None);
    assert_eq!(
        at("برج الحمل 10/3", utc(2026, 3, 10, 22, 30)).ref_date,
        Some(date(2026, 3, 10))
    );
    // 31 December read on 2 January is two days back.
    let c = at("حظك اليوم برج الحمل ٣١ ديسمبر", utc(2026, 1, 2, 8, 0));
    assert_eq!((c.scope, c.ref_date), (Some(Scope::Daily), None));
    // A monthly horoscope keeps a month already begun.
    let c = at("توقعات برج الحمل الشهرية 1/3", posted);
    assert_eq!(
        (c.scope, c.ref_date),
        (Some(Scope::Monthly), Some(date(2026, 3, 1)))
    );
}

#[test]
fn forecast_words() {
    let december = utc(2026, 12, 10, 10, 0);
    let c = at("Aries forecast for January", december);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Monthly),
            Some(Sign::Aries),
            Some(date(2027, 1, 1))
        )
    );
    let c = at("Leo December forecast", utc(2026, 12, 1, 10, 0));
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Monthly),
            Some(Sign::Leo),
            Some(date(2026, 12, 1))
        )
    );
    let c = at("CANCER FORECASTS FEBRUARY", december);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Monthly),
            Some(Sign::Cancer),
            Some(date(2027, 2, 1))
        )
    );
    // A month name that needs an intro takes a forecast word on either side.
    let c = at("Leo March forecast", december);
    assert_eq!(
        (c.scope, c.ref_date),
        (Some(Scope::Monthly), Some(date(2027, 3, 1)))
    );
    let c = at("توقعات مارس برج الحمل", december);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Monthly),
            Some(Sign::Aries),
            Some(date(2027, 3, 1))
        )
    );
    let c = at("تنبؤات الحمل لشهر يناير", december);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Monthly),
            Some(Sign::Aries),
            Some(date(2027, 1, 1))
        )
    );
    let c = at("تَنَبُّؤات الأسد ديسمبر", december);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Monthly),
            Some(Sign::Leo),
            Some(date(2026, 12, 1))
        )
    );
    // Forecast alone lets a sign count, an ambiguous one too: today's.
    let c = at("Leo forecast", december);
    assert_eq!(
        (c.scope, c.zodiac, c.ref_date),
        (
            Some(Scope::Daily),
            Some(Sign::Leo),
            Some(date(2026, 12, 10))
        )
    );
    let c = at("#leoforecast", december);
    assert_eq!(c.zodiac, Some(Sign::Leo));
    // But it does not make a caption a horoscope by itself.
    assert_eq!(
        at("weather forecast for January", december),
        Classification::default()
    );
    assert_eq!(at("تنبؤات الطقس", december), Classification::default());
    assert_eq!(
        at("Leo Messi forecast", december),
        Classification::default()
    );
}

// ---- the contract in a few lines ----

#[test]
fn traps_and_anchors() {
    let now = utc(2026, 3, 10, 10, 0);
    assert_eq!(at("نصائح للحمل والولادة", now), Classification::default());
    assert_eq!(at("مرض السرطان", now), Classification::default());
    assert_eq!(at("حظك اليوم برج السرطان", now).zodiac, Some(Sign::Cancer));
    assert_eq!(at("توقعات برج الحمل اليوم", now).zodiac, Some(Sign::Aries));
    assert_eq!(at("لبرج الأسد", now).zodiac, Some(Sign::Leo));
    assert_eq!(at("♈ ♉", now).zodiac, None);
    assert_eq!(at("♈ ♉", now).scope, Some(Scope::Daily));
}

#[test]
fn to_json_shape() {
    let c = Classification {
        scope: Some(Scope::Monthly),
        zodiac: Some(Sign::Pisces),
        ref_date: Some(date(2026, 4, 1)),
    };
    assert_eq!(
        c.to_json(),
        json!({"scope": "monthly", "zodiac": "Pisces", "ref_date": "2026-04-01"})
    );
    assert_eq!(
        Classification::default().to_json(),
        json!({"scope": null, "zodiac": null, "ref_date": null})
    );
    assert_eq!(Scope::Daily.as_str(), "daily");
}
