//! Sun sign from a date of birth, by the product's fixed date table.
//!
//! The table is the one the product owner specified (tropical signs with
//! fixed boundary days, the same every year). A date is looked up by its
//! month and day only, so 29 February falls in Pisces like 28 February.

use std::fmt;

/// The twelve signs, in zodiac order starting at Aries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sign {
    Aries,
    Taurus,
    Gemini,
    Cancer,
    Leo,
    Virgo,
    Libra,
    Scorpio,
    Sagittarius,
    Capricorn,
    Aquarius,
    Pisces,
}

impl Sign {
    /// All signs in zodiac order.
    pub const ALL: [Sign; 12] = [
        Sign::Aries,
        Sign::Taurus,
        Sign::Gemini,
        Sign::Cancer,
        Sign::Leo,
        Sign::Virgo,
        Sign::Libra,
        Sign::Scorpio,
        Sign::Sagittarius,
        Sign::Capricorn,
        Sign::Aquarius,
        Sign::Pisces,
    ];

    /// The English name stored in the database (`profiles.zodiac`, `horoscopes.zodiac`).
    pub const fn name(self) -> &'static str {
        match self {
            Sign::Aries => "Aries",
            Sign::Taurus => "Taurus",
            Sign::Gemini => "Gemini",
            Sign::Cancer => "Cancer",
            Sign::Leo => "Leo",
            Sign::Virgo => "Virgo",
            Sign::Libra => "Libra",
            Sign::Scorpio => "Scorpio",
            Sign::Sagittarius => "Sagittarius",
            Sign::Capricorn => "Capricorn",
            Sign::Aquarius => "Aquarius",
            Sign::Pisces => "Pisces",
        }
    }

    /// Parses an English sign name, ignoring ASCII case and surrounding spaces.
    pub fn from_name(name: &str) -> Option<Sign> {
        let name = name.trim();
        Sign::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The sign of a calendar day given as month (1-12) and day (1-31).
    ///
    /// Returns `None` for a month or day outside those ranges. Days that do not
    /// exist in a month (31 April) are not rejected here: callers pass real dates.
    pub fn from_month_day(month: u32, day: u32) -> Option<Sign> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        // The sign that a month starts in, and the first day of the next sign.
        let entry = &ZODIAC_TABLE[(month - 1) as usize];
        Some(if day < entry.next_sign_starts {
            entry.starts_in
        } else {
            entry.then
        })
    }

    /// The sign of a day given as days since 1970-01-01 (proleptic Gregorian).
    pub fn from_unix_days(days: i64) -> Sign {
        let (_, month, day) = civil_from_days(days);
        // `civil_from_days` always yields a valid month and day.
        Sign::from_month_day(month, day).unwrap_or(Sign::Capricorn)
    }
}

impl fmt::Display for Sign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row per month: the sign the month starts in, the day the next sign
/// starts, and that next sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthBoundary {
    pub month: u32,
    pub starts_in: Sign,
    pub next_sign_starts: u32,
    pub then: Sign,
}

/// The product's fixed table: Aries 21 Mar - 19 Apr, Taurus 20 Apr - 20 May,
/// Gemini 21 May - 20 Jun, Cancer 21 Jun - 22 Jul, Leo 23 Jul - 22 Aug,
/// Virgo 23 Aug - 22 Sep, Libra 23 Sep - 22 Oct, Scorpio 23 Oct - 21 Nov,
/// Sagittarius 22 Nov - 21 Dec, Capricorn 22 Dec - 19 Jan,
/// Aquarius 20 Jan - 18 Feb, Pisces 19 Feb - 20 Mar.
#[rustfmt::skip]
pub const ZODIAC_TABLE: [MonthBoundary; 12] = [
    MonthBoundary { month: 1, starts_in: Sign::Capricorn, next_sign_starts: 20, then: Sign::Aquarius },
    MonthBoundary { month: 2, starts_in: Sign::Aquarius, next_sign_starts: 19, then: Sign::Pisces },
    MonthBoundary { month: 3, starts_in: Sign::Pisces, next_sign_starts: 21, then: Sign::Aries },
    MonthBoundary { month: 4, starts_in: Sign::Aries, next_sign_starts: 20, then: Sign::Taurus },
    MonthBoundary { month: 5, starts_in: Sign::Taurus, next_sign_starts: 21, then: Sign::Gemini },
    MonthBoundary { month: 6, starts_in: Sign::Gemini, next_sign_starts: 21, then: Sign::Cancer },
    MonthBoundary { month: 7, starts_in: Sign::Cancer, next_sign_starts: 23, then: Sign::Leo },
    MonthBoundary { month: 8, starts_in: Sign::Leo, next_sign_starts: 23, then: Sign::Virgo },
    MonthBoundary { month: 9, starts_in: Sign::Virgo, next_sign_starts: 23, then: Sign::Libra },
    MonthBoundary { month: 10, starts_in: Sign::Libra, next_sign_starts: 23, then: Sign::Scorpio },
    MonthBoundary { month: 11, starts_in: Sign::Scorpio, next_sign_starts: 22, then: Sign::Sagittarius },
    MonthBoundary { month: 12, starts_in: Sign::Sagittarius, next_sign_starts: 22, then: Sign::Capricorn },
];

/// (year, month, day) of a day counted from 1970-01-01 in the proleptic
/// Gregorian calendar (H. Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days from 1970-01-01 to (year, month, day), the inverse of [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (month, day) of the last day of one sign, that sign, the next day, the next sign.
    type Boundary = ((u32, u32), Sign, (u32, u32), Sign);

    /// Every boundary of the table, the last day of one sign and the first of the next.
    const BOUNDARIES: [Boundary; 12] = [
        ((1, 19), Sign::Capricorn, (1, 20), Sign::Aquarius),
        ((2, 18), Sign::Aquarius, (2, 19), Sign::Pisces),
        ((3, 20), Sign::Pisces, (3, 21), Sign::Aries),
        ((4, 19), Sign::Aries, (4, 20), Sign::Taurus),
        ((5, 20), Sign::Taurus, (5, 21), Sign::Gemini),
        ((6, 20), Sign::Gemini, (6, 21), Sign::Cancer),
        ((7, 22), Sign::Cancer, (7, 23), Sign::Leo),
        ((8, 22), Sign::Leo, (8, 23), Sign::Virgo),
        ((9, 22), Sign::Virgo, (9, 23), Sign::Libra),
        ((10, 22), Sign::Libra, (10, 23), Sign::Scorpio),
        ((11, 21), Sign::Scorpio, (11, 22), Sign::Sagittarius),
        ((12, 21), Sign::Sagittarius, (12, 22), Sign::Capricorn),
    ];

    #[test]
    fn every_boundary_on_both_sides() {
        for ((m1, d1), s1, (m2, d2), s2) in BOUNDARIES {
            assert_eq!(Sign::from_month_day(m1, d1), Some(s1), "{m1}-{d1}");
            assert_eq!(Sign::from_month_day(m2, d2), Some(s2), "{m2}-{d2}");
        }
    }

    #[test]
    fn leap_day_is_pisces() {
        let days = days_from_civil(2000, 2, 29);
        assert_eq!(civil_from_days(days), (2000, 2, 29));
        assert_eq!(Sign::from_unix_days(days), Sign::Pisces);
    }

    #[test]
    fn year_edges() {
        assert_eq!(Sign::from_month_day(12, 31), Some(Sign::Capricorn));
        assert_eq!(Sign::from_month_day(1, 1), Some(Sign::Capricorn));
    }

    #[test]
    fn out_of_range_month_or_day() {
        assert_eq!(Sign::from_month_day(0, 1), None);
        assert_eq!(Sign::from_month_day(13, 1), None);
        assert_eq!(Sign::from_month_day(5, 0), None);
        assert_eq!(Sign::from_month_day(5, 32), None);
    }

    /// Reference implementation written the way the original spec's SQL reads:
    /// one range test per sign. Every day of a leap year must agree with the table.
    fn spec_calc_zodiac(m: u32, d: u32) -> Sign {
        let between =
            |m1: u32, d1: u32, m2: u32, d2: u32| (m == m1 && d >= d1) || (m == m2 && d <= d2);
        if between(3, 21, 4, 19) {
            Sign::Aries
        } else if between(4, 20, 5, 20) {
            Sign::Taurus
        } else if between(5, 21, 6, 20) {
            Sign::Gemini
        } else if between(6, 21, 7, 22) {
            Sign::Cancer
        } else if between(7, 23, 8, 22) {
            Sign::Leo
        } else if between(8, 23, 9, 22) {
            Sign::Virgo
        } else if between(9, 23, 10, 22) {
            Sign::Libra
        } else if between(10, 23, 11, 21) {
            Sign::Scorpio
        } else if between(11, 22, 12, 21) {
            Sign::Sagittarius
        } else if between(12, 22, 1, 19) {
            Sign::Capricorn
        } else if between(1, 20, 2, 18) {
            Sign::Aquarius
        } else {
            Sign::Pisces
        }
    }

    #[test]
    fn agrees_with_the_spec_on_every_day_of_a_leap_year() {
        let start = days_from_civil(2024, 1, 1);
        for offset in 0..366 {
            let (_, m, d) = civil_from_days(start + offset);
            assert_eq!(
                Sign::from_unix_days(start + offset),
                spec_calc_zodiac(m, d),
                "{m}-{d}"
            );
        }
    }

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (days_from_civil(1800, 1, 1)..days_from_civil(2200, 1, 1)).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 1, 1), 10_957);
    }

    #[test]
    fn names_round_trip() {
        for s in Sign::ALL {
            assert_eq!(Sign::from_name(s.name()), Some(s));
            assert_eq!(Sign::from_name(&s.name().to_uppercase()), Some(s));
        }
        assert_eq!(Sign::from_name("Ophiuchus"), None);
    }
}
