//! Times, days and numbers for a locale, with ICU4X's compiled CLDR data.
//!
//! Arabic is `ar-u-nu-arab`: CLDR's plain `ar` counts in Latin digits in
//! ICU4X, while the product writes Arabic-Indic ones (U+0660-U+0669) in
//! Arabic text. Dates are Gregorian in both languages.

use super::Locale;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use icu_calendar::{Date, Gregorian};
use icu_datetime::fieldsets::{MDE, YM};
use icu_datetime::input::{DateTime as IcuDateTime, Time};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_decimal::input::Decimal;
use icu_decimal::options::{DecimalFormatterOptions, GroupingStrategy};
use icu_decimal::DecimalFormatter;
use icu_locale_core::{locale, Locale as IcuLocale};

fn icu(l: Locale) -> IcuLocale {
    match l {
        Locale::Ar => locale!("ar-u-nu-arab"),
        Locale::En => locale!("en"),
    }
}

fn gregorian(day: NaiveDate) -> Result<Date<Gregorian>, String> {
    let month = u8::try_from(day.month()).map_err(|e| e.to_string())?;
    let mday = u8::try_from(day.day()).map_err(|e| e.to_string())?;
    Date::try_new_gregorian(day.year(), month, mday).map_err(|e| format!("{e:?}"))
}

/// An instant as the wall-clock time it is in `zone` (that instant's own
/// offset, so daylight saving time is followed): weekday, day, month, hour and
/// minute, "Tue, Mar 2, 9:00 PM" or "الثلاثاء، ٢ مارس، ٩:٠٠ م".
pub(super) fn time(at: DateTime<Utc>, zone: Tz, l: Locale) -> Result<String, String> {
    let local = at.with_timezone(&zone).naive_local();
    let date = gregorian(local.date())?;
    let hour = u8::try_from(local.hour()).map_err(|e| e.to_string())?;
    let minute = u8::try_from(local.minute()).map_err(|e| e.to_string())?;
    let time = Time::try_new(hour, minute, 0, 0).map_err(|e| format!("{e:?}"))?;
    let f = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(
        icu(l).into(),
        MDE::medium().with_time_hm(),
    )
    .map_err(|e| format!("{e:?}"))?;
    Ok(f.format(&IcuDateTime { date, time }).to_string())
}

/// A calendar day: "Tuesday, March 2" or "الثلاثاء، ٢ مارس".
pub(super) fn day(d: NaiveDate, l: Locale) -> Result<String, String> {
    let date = gregorian(d)?;
    let f = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(icu(l).into(), MDE::long())
        .map_err(|e| format!("{e:?}"))?;
    Ok(f.format(&date).to_string())
}

/// The month of a day: "March 2027" or "مارس ٢٠٢٧".
pub(super) fn month(d: NaiveDate, l: Locale) -> Result<String, String> {
    let date = gregorian(d)?;
    let f = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(icu(l).into(), YM::long())
        .map_err(|e| format!("{e:?}"))?;
    Ok(f.format(&date).to_string())
}

/// A number written as digits (`42`, `1.5`) in the locale's digits, without
/// grouping separators (an order id reads as one word). `None` when `digits`
/// is not a number.
pub(super) fn number(digits: &str, l: Locale) -> Option<String> {
    let value: Decimal = digits.parse().ok()?;
    let options: DecimalFormatterOptions = GroupingStrategy::Never.into();
    let f = DecimalFormatter::try_new(icu(l).into(), options).ok()?;
    Some(f.format(&value).to_string())
}
