//! Julian days and the time scales UT and TT.

use super::delta_t;

/// Julian day of the Unix epoch (1970-01-01 00:00 UTC).
pub const JD_UNIX_EPOCH: f64 = 2_440_587.5;
/// Julian day of J2000.0 (2000-01-01 12:00 TT).
pub const J2000: f64 = 2_451_545.0;
/// Days in a Julian century.
pub const DAYS_PER_CENTURY: f64 = 36_525.0;

/// The Julian day (UT) of a Unix time in seconds (UTC, leap seconds ignored).
pub fn jd_from_unix_seconds(seconds: f64) -> f64 {
    JD_UNIX_EPOCH + seconds / 86_400.0
}

/// Unix seconds of a Julian day (UT).
pub fn unix_seconds_from_jd(jd: f64) -> f64 {
    (jd - JD_UNIX_EPOCH) * 86_400.0
}

/// Terrestrial Time of a UT Julian day, with the model of [`delta_t`].
pub fn jd_tt(jd_ut: f64) -> f64 {
    jd_ut + delta_t::seconds(jd_ut) / 86_400.0
}

/// Julian centuries of TT since J2000.
pub fn centuries(jd_tt: f64) -> f64 {
    (jd_tt - J2000) / DAYS_PER_CENTURY
}

/// A Julian day as a decimal Gregorian year (2000.0 is 2000-01-01 00:00).
pub fn decimal_year(jd: f64) -> f64 {
    2000.0 + (jd - 2_451_544.5) / 365.2425
}

/// The Julian day (UT) of a Gregorian calendar date at 00:00 UT.
pub fn jd_from_gregorian(year: i32, month: u32, day: u32) -> f64 {
    let (y, m) = if month <= 2 {
        (i64::from(year) - 1, i64::from(month) + 12)
    } else {
        (i64::from(year), i64::from(month))
    };
    let a = y.div_euclid(100);
    let b = 2 - a + a.div_euclid(4);
    let days = (365.25 * (y + 4716) as f64).floor() + (30.6001 * (m + 1) as f64).floor();
    days + f64::from(day) + b as f64 - 1524.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_unix_agree() {
        assert_eq!(jd_from_gregorian(2000, 1, 1), 2_451_544.5);
        assert_eq!(jd_from_gregorian(1970, 1, 1), JD_UNIX_EPOCH);
        assert_eq!(jd_from_gregorian(1900, 3, 1), 2_415_079.5);
        assert!((unix_seconds_from_jd(jd_from_unix_seconds(1e9)) - 1e9).abs() < 1e-3);
    }
}
