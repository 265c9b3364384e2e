//! Which daily or monthly horoscope a TikTok caption announces.
//!
//! Samia posts her horoscopes on TikTok with captions in Arabic (Egyptian,
//! Levantine and Gulf usage) and English. [`classify`] reads a caption and
//! tells the sign, the scope (daily or monthly) and the day or month it is
//! for, so the monitor can file the post; whatever it cannot tell for sure it
//! leaves null for the monitor to fill in by hand. The rules are tables of
//! words in [`tables`]; the text is first folded by [`normalize`].
//!
//! # The contract
//!
//! **Horoscope context.** Nothing is reported unless the caption is a
//! horoscope, which it is when it has
//! - a sign anchored by برج ("برج الحمل", "لبرج الأسد"), a zodiac emoji ♈..♓,
//!   or a hashtag of the sign itself (#الجوزاء, #aries, #برج_الحمل,
//!   #ariesHoroscope, #حظك_اليوم_الحوت);
//! - or an opening word ([`tables::OPENING_CONTEXT`]: الأبراج, برجك,
//!   horoscope, zodiac, ...) or a luck word next to a period word
//!   ("حظك اليوم", "حظك بكره");
//! - or a sign name that a horoscope word lets count (below).
//!
//! **Sign.** A sign name that is not anchored counts only
//! - for ambiguous names (الحمل pregnancy, السرطان the disease, الأسد lion,
//!   "cancer", "leo", ...: [`tables::Clarity::Ambiguous`]), when the caption
//!   has an opening word, an anchored sign, or a forecast or luck word
//!   (توقعات, تنبؤات, "forecast", حظك);
//! - for clear names ("aries", الجوزاء), also with a weak word such as
//!   "daily" or تاروت ([`tables::CONTEXT_FOR_CLEAR_SIGNS`]);
//! - and never right after or before a word that makes it an ordinary word
//!   ([`tables::BLOCK_BEFORE`], [`tables::BLOCK_AFTER`]: "مرض السرطان",
//!   "أثناء الحمل", "breast cancer", "Leo Messi").
//!
//! When some sign is anchored, a sign name that is not anchored counts only
//! when it is listed with another sign ("برج الحمل والثور", "Aries and Leo"):
//! in "حظك اليوم برج الثور: خبر الحمل قريب" the post is for Taurus and
//! الحمل is the pregnancy. Several distinct signs, or none, give `zodiac:
//! null`: a wrong sign is worse than none.
//!
//! **Scope**, once the caption is a horoscope, from the strongest evidence:
//! 1. a month word (شهر, الشهرية, هالشهر, "monthly", "month") or "next month"
//!    (الشهر الجاي): monthly;
//! 2. a week or year word (الأسبوعية, "weekly", السنوية): no scope, since the
//!    product stores only daily and monthly horoscopes;
//! 3. a day word (اليوم, النهاردة, "today", "daily"), a tomorrow word (بكرة,
//!    بكرا, باجر, غداً, "tomorrow") or a date with a day ("15/3", "١٥ مارس",
//!    "March 15"): daily;
//! 4. a month named without a day ("Aries horoscope March 2026", "Leo
//!    December forecast", توقعات مارس, or by its number after a month word:
//!    "لشهر 4"): monthly;
//! 5. a year alone ("توقعات برج الثور 2026"): no scope;
//! 6. otherwise daily: the owner posts a horoscope every day, so a sign or a
//!    horoscope word with no period is today's.
//!
//! A horoscope with a scope but no single sign (all signs, several signs)
//! keeps its scope and date with `zodiac: null`; the monitor files it by hand.
//! A caption that is not a horoscope gives all three null, and so does a
//! horoscope word with neither a sign nor a period ("هل تؤمن بالأبراج؟",
//! "أبراج الكويت", the towers): rule 6 is for posts that name a sign.
//!
//! **Date**, in `time_zone` (posts near midnight UTC fall on another local
//! day):
//! - daily: the date named (with no year, the year that puts it nearest the
//!   local posting date), else the day after the local posting date for a
//!   tomorrow word, else the local posting date. A daily horoscope is never
//!   dated before the day before its post: a date named earlier than that
//!   gives a null date (a repost or a misreading; the monitor dates it);
//! - monthly: the first of the month named (of the year given, else of the
//!   posting year, or the next year when the month named is before the
//!   posting month), else the first of next month for "next month", else the
//!   first of the posting month;
//! - no scope: null.
//!
//! A numeric date (`12/08`, `12-08-2026`, `١٢.٠٨`) is read both day first
//! and month first, and, without a year, in the posting year and the years
//! on either side; the valid date nearest the local posting date wins
//! (`12/08` posted in August is 12 August, posted in early December it is
//! 8 December; `01/01` posted on 31 December is the next day). A date
//! written year first (`2026-03-15`) is year, month, day. Ambiguous month
//! names need a number, a month word, a preposition or a forecast word next
//! to them ([`tables::MonthUse`]): آب is also أب (father), "may" a verb.
//!
//! [`classify`] never panics, allocates no rule tables per call (they are
//! built once, on first use), and reads at most [`MAX_CHARS`] characters.

mod lexicon;
mod normalize;
mod number;
mod periods;
mod signs;
pub mod tables;
mod words;

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
/// An IANA time zone.
pub use chrono_tz::Tz;
use normalize::tokenize;
use serde_json::{json, Value};
use words::Words;

use crate::zodiac::Sign;

pub use normalize::MAX_CHARS;

/// The time zone a caption's dates are read in when none is given.
pub const DEFAULT_TIME_ZONE: &str = "Africa/Cairo";

/// Which kind of horoscope a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Daily,
    Monthly,
}

impl Scope {
    /// `"daily"` or `"monthly"`, as stored in `horoscopes.scope`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Daily => "daily",
            Scope::Monthly => "monthly",
        }
    }

    pub fn from_name(name: &str) -> Option<Scope> {
        match name {
            "daily" => Some(Scope::Daily),
            "monthly" => Some(Scope::Monthly),
            _ => None,
        }
    }
}

/// What a caption announces; `None` where it cannot be told for sure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Classification {
    pub scope: Option<Scope>,
    pub zodiac: Option<Sign>,
    /// The day (daily) or the first of the month (monthly) the horoscope is for.
    pub ref_date: Option<NaiveDate>,
}

impl Classification {
    /// `{"scope": "daily"|"monthly"|null, "zodiac": "Aries".."Pisces"|null,
    /// "ref_date": "YYYY-MM-DD"|null}`.
    pub fn to_json(&self) -> Value {
        json!({
            "scope": self.scope.map(Scope::as_str),
            "zodiac": self.zodiac.map(Sign::name),
            "ref_date": self.ref_date.map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        })
    }
}

/// The time zone of an IANA name ("Africa/Cairo"), ignoring surrounding
/// spaces and, failing an exact match, ASCII case.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    name.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
    })
}

/// A caption folded the way the classifier reads it: words separated by one
/// space, words that came from a hashtag marked with a leading `#`
/// ("#برج_الحمل" gives "#برج #الحمل"), zodiac emoji kept as words of their
/// own. See the `normalize` module for the folding rules.
pub fn normalize(text: &str) -> String {
    tokenize(text).render()
}

/// Classifies a caption posted at `posted_at`, with dates read in `time_zone`.
/// See the module documentation for the contract.
pub fn classify(caption: &str, posted_at: DateTime<Utc>, time_zone: Tz) -> Classification {
    let local = local_date(posted_at, time_zone);
    let tokens = tokenize(caption);
    let words = Words::new(&tokens);
    let Some((zodiac, named)) = words.horoscope() else {
        return Classification::default();
    };
    let evidence = words.periods(local);
    if !named && !evidence.any() {
        return Classification::default();
    }
    let scope = evidence.scope();
    let ref_date = scope.and_then(|s| evidence.ref_date(s, local));
    Classification {
        scope,
        zodiac,
        ref_date,
    }
}

/// The date of `posted_at` in `time_zone`; at the very ends of the
/// representable range, where the local time would overflow, the UTC date.
fn local_date(posted_at: DateTime<Utc>, time_zone: Tz) -> NaiveDate {
    let utc = posted_at.naive_utc();
    let offset = time_zone.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset).unwrap_or(utc).date()
}

#[cfg(test)]
mod tests;
