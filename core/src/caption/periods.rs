//! What a caption says about its period: the period words, the dates and
//! months it names, and from them the scope and the date.

use super::lexicon::Intro;
use super::number::Number;
use super::tables::{MonthUse, Period};
use super::words::{Word, Words};
use super::Scope;
use chrono::{Datelike, Months, NaiveDate};
use std::cmp::Reverse;

impl Words<'_> {
    /// A month word followed by the month's number ("لشهر 4"), with the year
    /// if one follows.
    fn month_by_number(&self, i: usize) -> Option<(u32, Option<i32>)> {
        let w = &self.words[i];
        if w.phrase.is_some() || w.entry.and_then(|e| e.intro) != Some(Intro::MonthWord) {
            return None;
        }
        let n = self.next(i)?;
        let month = match self.words[n].number? {
            Number::Int {
                value,
                digits: 1 | 2,
                ordinal: false,
            } if (1..=12).contains(&value) => value,
            _ => return None,
        };
        let year = self.get(self.next(n)).and_then(Word::year);
        Some((month, year))
    }

    /// Everything the caption says about its period.
    pub(super) fn periods(&self, local: NaiveDate) -> Evidence {
        let mut ev = Evidence::default();
        let mut used = vec![false; self.words.len()];
        for (i, w) in self.live() {
            match w.period() {
                Some(Period::Today) => ev.today = true,
                Some(Period::Tomorrow) => ev.tomorrow = true,
                Some(Period::Month) => ev.month_word = true,
                Some(Period::NextMonth) => ev.next_month = true,
                Some(Period::Week | Period::Year) => ev.week_or_year = true,
                None => {}
            }
            if let Some(date @ Number::Date { year, .. }) = w.number {
                used[i] = true;
                if ev.date.is_none() {
                    ev.date =
                        nearest_date(date.readings(), year, local).map(|d| (d, year.is_some()));
                }
            }
            if let Some(m) = self.month_by_number(i) {
                let n = self.next(i);
                for j in [n, n.and_then(|n| self.next(n))].into_iter().flatten() {
                    used[j] = true;
                }
                ev.month_named.get_or_insert(m);
                continue;
            }
            let Some((month, usage)) = w.month() else {
                continue;
            };
            let p = self.prev(i);
            let before = self.get(p);
            let day_before = match before {
                Some(b) if b.day().is_some() => p,
                Some(b) if b.flag(|e| e.joiner) => p
                    .and_then(|p| self.prev(p))
                    .filter(|&q| self.words[q].day().is_some()),
                _ => None,
            };
            let n = self.next(i);
            let day_after = n
                .filter(|_| day_before.is_none())
                .filter(|&n| self.words[n].day().is_some());
            let year_at = match day_after {
                Some(d) => self.next(d),
                None => n,
            }
            .filter(|&y| self.words[y].year().is_some());
            let intro = before.and_then(|b| b.entry).and_then(|e| e.intro);
            let forecast_after = self
                .get(n)
                .and_then(|a| a.entry)
                .is_some_and(|e| e.intro == Some(Intro::Forecast));
            let accepted = day_before.is_some()
                || day_after.is_some()
                || year_at.is_some()
                || match usage {
                    MonthUse::Free => true,
                    MonthUse::NeedsIntro => intro.is_some() || forecast_after,
                    MonthUse::NeedsNumber => intro == Some(Intro::MonthWord),
                };
            if !accepted {
                continue;
            }
            let year = year_at.and_then(|y| self.words[y].year());
            for j in [day_before, day_after, year_at].into_iter().flatten() {
                used[j] = true;
            }
            match day_before.or(day_after).and_then(|d| self.words[d].day()) {
                Some(day) => {
                    if ev.date.is_none() {
                        ev.date =
                            nearest_date([(day, month)], year, local).map(|d| (d, year.is_some()));
                    }
                }
                None => {
                    if ev.month_named.is_none() {
                        ev.month_named = Some((month, year));
                    }
                }
            }
        }
        ev.lone_year = self.live().any(|(i, w)| !used[i] && w.year().is_some());
        ev
    }
}

/// The period words and dates of a caption.
#[derive(Debug, Default)]
pub(super) struct Evidence {
    today: bool,
    tomorrow: bool,
    month_word: bool,
    next_month: bool,
    week_or_year: bool,
    /// The first date with a day, and whether its year was written.
    date: Option<(NaiveDate, bool)>,
    /// The first month named without a day, with its year if written.
    month_named: Option<(u32, Option<i32>)>,
    /// A year that is not part of a date.
    lone_year: bool,
}

impl Evidence {
    /// Whether the caption says anything about its period.
    pub(super) fn any(&self) -> bool {
        self.today
            || self.tomorrow
            || self.month_word
            || self.next_month
            || self.week_or_year
            || self.date.is_some()
            || self.month_named.is_some()
            || self.lone_year
    }

    pub(super) fn scope(&self) -> Option<Scope> {
        if self.month_word || self.next_month {
            Some(Scope::Monthly)
        } else if self.week_or_year {
            None
        } else if self.today || self.tomorrow || self.date.is_some() {
            Some(Scope::Daily)
        } else if self.month_named.is_some() {
            Some(Scope::Monthly)
        } else if self.lone_year {
            None
        } else {
            Some(Scope::Daily)
        }
    }

    pub(super) fn ref_date(&self, scope: Scope, local: NaiveDate) -> Option<NaiveDate> {
        match scope {
            Scope::Daily => match self.date {
                // A daily horoscope is never for a day before the day before
                // its post. A caption naming such a day is an old horoscope
                // posted again or a date misread; dating it today or tomorrow
                // instead could publish a stale reading as a fresh one, so
                // the date is left for the monitor to set: a wrong date is
                // worse than none, as a wrong sign is.
                Some((d, _)) if local.pred_opt().is_some_and(|floor| d < floor) => None,
                Some((d, _)) => Some(d),
                None if self.tomorrow => local.succ_opt(),
                None => Some(local),
            },
            Scope::Monthly => {
                let this_month = local.with_day(1)?;
                if let Some((month, year)) = self.month_named {
                    month_start(month, year, local)
                } else if self.next_month {
                    this_month.checked_add_months(Months::new(1))
                } else if let Some((d, with_year)) = self.date {
                    month_start(d.month(), with_year.then(|| d.year()), local)
                } else {
                    Some(this_month)
                }
            }
        }
    }
}

/// The date nearest `local` among the (day, month) `readings`, each in
/// `year` if written, else in the year of `local` and the years on either side
/// (`01/01` posted on 31 December is the next day, not a year back). Days a
/// month does not have (31/2, 29/2 outside leap years) are dropped. Two
/// dates equally near fall on either side of `local`; the later one wins,
/// since a horoscope is posted ahead of its day more often than after it.
pub(super) fn nearest_date(
    readings: impl IntoIterator<Item = (u32, u32)>,
    year: Option<i32>,
    local: NaiveDate,
) -> Option<NaiveDate> {
    let years = match year {
        Some(y) => [Some(y), None, None],
        None => {
            let y = local.year();
            [y.checked_sub(1), Some(y), y.checked_add(1)]
        }
    };
    readings
        .into_iter()
        .flat_map(|(day, month)| {
            years
                .into_iter()
                .flatten()
                .filter_map(move |y| NaiveDate::from_ymd_opt(y, month, day))
        })
        .min_by_key(|d| (d.signed_duration_since(local).num_days().abs(), Reverse(*d)))
}

/// The first of `month` in `year`, or with no year written, in the posting
/// year, or the next one when `month` is before the posting month.
fn month_start(month: u32, year: Option<i32>, local: NaiveDate) -> Option<NaiveDate> {
    let year = year.unwrap_or(if month < local.month() {
        local.year() + 1
    } else {
        local.year()
    });
    NaiveDate::from_ymd_opt(year, month, 1)
}
