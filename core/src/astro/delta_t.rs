//! Delta-T = TT - UT1, in seconds.
//!
//! - Before February 1973: the cubic splines of Stephenson, Morrison & Hohenkerk
//!   (2016, updated 2020), which cover 720 BC to 2019 and reconstruct Delta-T
//!   from eclipses, occultations and, after 1955, atomic time; before 720 BC their
//!   long-term parabola. Over the year before February 1973 the splines are
//!   bent linearly onto the first observation (a 0.23 s step otherwise).
//! - February 1973 to the last month of the table: observed monthly values (IERS),
//!   interpolated linearly.
//! - After the table: the last observed value, continued with the rate of its
//!   final twelve months and a tidal-braking curvature of 32.5 s per century
//!   squared (the long-term parabola's). Future Delta-T is a forecast: in 2100 its
//!   uncertainty is about a minute, which moves the Moon by about 30 arcseconds.

use super::tables::delta_t::{MONTHLY, MONTHLY_START, SPLINES};
use super::time::decimal_year;

/// Curvature of the long-term parabola, seconds per year squared.
const CURVATURE: f64 = 32.5 / 10_000.0;

/// Delta-T in seconds at a UT Julian day.
pub fn seconds(jd_ut: f64) -> f64 {
    seconds_at_year(decimal_year(jd_ut))
}

/// Delta-T in seconds at a decimal year.
pub fn seconds_at_year(year: f64) -> f64 {
    let monthly_first = monthly_year(0);
    let last_index = MONTHLY.len() - 1;
    let monthly_last = monthly_year(last_index);
    if year < monthly_first - 1.0 {
        from_splines(year)
    } else if year < monthly_first {
        // The smoothed splines and the first observation differ by a few tenths
        // of a second: close the gap linearly over the preceding year.
        let gap = MONTHLY[0] - from_splines(monthly_first);
        from_splines(year) + gap * (year - (monthly_first - 1.0))
    } else if year <= monthly_last {
        let position = (year - monthly_first) * 12.0;
        let i = (position.floor() as usize).min(last_index - 1);
        let f = position - i as f64;
        MONTHLY[i] + (MONTHLY[i + 1] - MONTHLY[i]) * f
    } else {
        let rate = MONTHLY[last_index] - MONTHLY[last_index - 12];
        let dy = year - monthly_last;
        MONTHLY[last_index] + rate * dy + CURVATURE * dy * dy
    }
}

/// The decimal year of the `i`-th monthly value (month lengths averaged).
fn monthly_year(i: usize) -> f64 {
    let (year, month) = MONTHLY_START;
    f64::from(year) + (f64::from(month) - 1.0 + i as f64) / 12.0
}

fn from_splines(year: f64) -> f64 {
    let Some(first) = SPLINES.first() else {
        return parabola(year);
    };
    if year < first[0] {
        return parabola(year);
    }
    let row = SPLINES
        .iter()
        .find(|row| year < row[1])
        .or(SPLINES.last())
        .unwrap_or(first);
    let [y0, y1, a3, a2, a1, a0] = *row;
    let t = (year - y0) / (y1 - y0);
    a0 + t * (a1 + t * (a2 + t * a3))
}

/// The long-term parabola of Stephenson, Morrison & Hohenkerk (2016).
fn parabola(year: f64) -> f64 {
    let u = (year - 1825.0) / 100.0;
    -320.0 + 32.5 * u * u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Observed: 1900 about -2, 1950 about 29, 2000.0 63.83, 2020.0 69.36.
        assert!((seconds_at_year(1900.0) + 2.0).abs() < 0.5);
        assert!((seconds_at_year(1950.0) - 28.93).abs() < 0.2);
        assert!((seconds_at_year(2000.0) - 63.83).abs() < 0.05);
        assert!((seconds_at_year(2020.0) - 69.36).abs() < 0.05);
    }
}
