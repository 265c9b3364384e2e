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
pub mod tables;

use chrono::{DateTime, Datelike, Months, NaiveDate, Offset, TimeZone, Utc};
/// An IANA time zone.
pub use chrono_tz::Tz;
use lexicon::{Context, Entry, Intro, PhraseMeaning, SignForm, LEXICON};
use normalize::{tokenize, Tokens};
use serde_json::{json, Value};
use std::cmp::Reverse;
use tables::{Clarity, MonthUse, Period, HASHTAG_CONTEXT_FRAGMENTS};

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

/// A number as written: a plain number, or a numeric date (`15/3/2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    Int {
        value: u32,
        digits: usize,
        ordinal: bool,
    },
    /// A numeric date whose day and month are told apart only against the
    /// posting date ([`nearest_date`]): `12/08` is 12 August in most of the
    /// Arab world and December 8 in American usage.
    Date {
        /// The parts other than the year, in the order written.
        parts: (u32, u32),
        year: Option<i32>,
        /// Written year first (`2026-03-15`): the ISO order, month then day,
        /// is the only one in use.
        year_first: bool,
    },
}

impl Number {
    fn parse(text: &str) -> Option<Number> {
        if !text.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let (digits, suffix) = text.split_at(
            text.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len()),
        );
        if suffix.is_empty() || matches!(suffix, "st" | "nd" | "rd" | "th") {
            if digits.len() > 4 {
                return None;
            }
            let value = digits.parse().ok()?;
            return Some(Number::Int {
                value,
                digits: digits.len(),
                ordinal: !suffix.is_empty(),
            });
        }
        let mut parts = [0u32; 3];
        let mut widths = [0usize; 3];
        let mut count = 0;
        for part in text.split(['/', '-', '.']) {
            if count == 3
                || part.is_empty()
                || part.len() > 4
                || !part.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            parts[count] = part.parse().ok()?;
            widths[count] = part.len();
            count += 1;
        }
        let (first, second, year, year_first) = match count {
            2 => (parts[0], parts[1], None, false),
            3 if widths[0] == 4 => (parts[1], parts[2], Some(parts[0]), true),
            3 if widths[2] == 4 => (parts[0], parts[1], Some(parts[2]), false),
            3 if widths[2] == 2 => (parts[0], parts[1], Some(2000 + parts[2]), false),
            _ => return None,
        };
        let year = match year {
            Some(y) => Some(i32::try_from(y).ok()?),
            None => None,
        };
        let date = Number::Date {
            parts: (first, second),
            year,
            year_first,
        };
        // Numbers that are no day and month either way ("32/1", "15/13")
        // are not dates.
        date.readings().next().map(|_| date)
    }

    /// The (day, month) pairs a numeric date may mean, day first before
    /// month first; pairs out of range (month 13, day 32) are left out, and
    /// days a month does not have (31/2) are left to [`nearest_date`].
    fn readings(self) -> impl Iterator<Item = (u32, u32)> {
        let (day_first, month_first) = match self {
            Number::Date {
                parts: (first, second),
                year_first,
                ..
            } => (
                (!year_first).then_some((first, second)),
                Some((second, first)),
            ),
            Number::Int { .. } => (None, None),
        };
        let plausible =
            |&(day, month): &(u32, u32)| (1..=31).contains(&day) && (1..=12).contains(&month);
        [day_first, month_first]
            .into_iter()
            .flatten()
            .filter(plausible)
    }

    fn day(self) -> Option<u32> {
        match self {
            Number::Int { value, digits, .. } if digits <= 2 && (1..=31).contains(&value) => {
                Some(value)
            }
            _ => None,
        }
    }

    fn year(self) -> Option<i32> {
        match self {
            Number::Int {
                value,
                digits: 4,
                ordinal: false,
            } if (1900..=2100).contains(&value) => i32::try_from(value).ok(),
            _ => None,
        }
    }
}

/// One word of the caption with what the tables say about it.
#[derive(Debug, Clone, Copy, Default)]
struct Word<'a> {
    text: &'a str,
    hashtag: u32,
    entry: Option<&'static Entry>,
    emoji: Option<Sign>,
    /// An English hashtag with a horoscope fragment (#zodiacsigns).
    fragment: bool,
    number: Option<Number>,
    /// The meaning of a phrase starting here, and how many more words it covers.
    phrase: Option<(PhraseMeaning, usize)>,
    /// Covered by a phrase starting before it.
    covered: bool,
    /// In a hashtag: its strongest horoscope word, and its number of words.
    hashtag_context: Option<Context>,
    hashtag_len: usize,
}

impl Word<'_> {
    fn sign(&self) -> Option<(Sign, SignForm)> {
        self.entry.and_then(|e| e.sign)
    }

    fn context(&self) -> Option<Context> {
        if self.fragment {
            return Some(Context::Opens);
        }
        self.entry.and_then(|e| e.context)
    }

    fn period(&self) -> Option<Period> {
        match self.phrase {
            Some((PhraseMeaning::Period(p), _)) => Some(p),
            Some(_) => None,
            None => self.entry.and_then(|e| e.period),
        }
    }

    fn month(&self) -> Option<(u32, MonthUse)> {
        match self.phrase {
            Some((PhraseMeaning::Month(m), _)) => Some((m, MonthUse::Free)),
            Some(_) => None,
            None => self.entry.and_then(|e| e.month),
        }
    }

    fn flag(&self, f: impl Fn(&Entry) -> bool) -> bool {
        self.entry.is_some_and(f)
    }

    fn day(&self) -> Option<u32> {
        self.number.and_then(Number::day)
    }

    fn year(&self) -> Option<i32> {
        self.number.and_then(Number::year)
    }
}

/// A sign named in the caption.
#[derive(Debug, Clone, Copy)]
struct Mention {
    at: usize,
    sign: Sign,
    /// By برج, an emoji, or a hashtag of its own.
    anchored: bool,
    clarity: Clarity,
}

struct Words<'a> {
    words: Vec<Word<'a>>,
}

impl<'a> Words<'a> {
    fn new(tokens: &'a Tokens) -> Words<'a> {
        let lexicon = &*LEXICON;
        let mut words: Vec<Word<'a>> = Vec::with_capacity(tokens.tokens.len() + 2);
        for t in &tokens.tokens {
            let text = tokens.word(t);
            let mut word = Word {
                text,
                hashtag: t.hashtag,
                ..Word::default()
            };
            let mut chars = text.chars();
            if let (Some(c @ '\u{2648}'..='\u{2653}'), None) = (chars.next(), chars.next()) {
                word.emoji = Sign::ALL.get(c as usize - 0x2648).copied();
            } else if text.starts_with(|c: char| c.is_ascii_digit()) {
                word.number = Number::parse(text);
            } else {
                word.entry = lexicon.lookup(text);
                if word.entry.is_none() && t.hashtag != 0 && text.is_ascii() {
                    if let Some((left, right)) = split_compound(text) {
                        words.push(Word {
                            entry: lexicon.lookup(left),
                            text: left,
                            ..word
                        });
                        word.text = right;
                        word.entry = lexicon.lookup(right);
                    } else {
                        word.fragment = HASHTAG_CONTEXT_FRAGMENTS.iter().any(|f| text.contains(f));
                    }
                }
            }
            words.push(word);
        }
        // Phrases: the first word's entry lists the words that must follow.
        let mut i = 0;
        while i < words.len() {
            let phrases = words[i].entry.map(|e| e.phrases.as_slice()).unwrap_or(&[]);
            for p in phrases {
                let rest = words.get(i + 1..i + 1 + p.rest.len());
                if rest.is_some_and(|r| r.iter().zip(&p.rest).all(|(w, x)| w.text == x)) {
                    words[i].phrase = Some((p.meaning, p.rest.len()));
                    for w in &mut words[i + 1..i + 1 + p.rest.len()] {
                        w.covered = true;
                    }
                    i += p.rest.len();
                    break;
                }
            }
            i += 1;
        }
        let mut words = Words { words };
        words.mark_hashtags();
        words
    }

    fn get(&self, i: Option<usize>) -> Option<&Word<'a>> {
        i.and_then(|i| self.words.get(i))
    }

    /// The word before `i`, skipping words covered by a phrase.
    fn prev(&self, i: usize) -> Option<usize> {
        (0..i).rev().find(|&j| !self.words[j].covered)
    }

    /// The word after `i` (after the whole phrase when one starts at `i`).
    fn next(&self, i: usize) -> Option<usize> {
        let skip = self
            .words
            .get(i)
            .and_then(|w| w.phrase)
            .map_or(0, |(_, n)| n);
        let j = i + 1 + skip;
        (j < self.words.len()).then_some(j)
    }

    fn live(&self) -> impl Iterator<Item = (usize, &Word<'a>)> {
        self.words.iter().enumerate().filter(|(_, w)| !w.covered)
    }

    fn next_to_period(&self, i: usize) -> bool {
        [self.prev(i), self.next(i)]
            .into_iter()
            .any(|j| self.get(j).is_some_and(|w| w.period().is_some()))
    }

    /// Records in each hashtag word the strongest horoscope word of its
    /// hashtag and the hashtag's number of words.
    fn mark_hashtags(&mut self) {
        let mut start = 0;
        while start < self.words.len() {
            let id = self.words[start].hashtag;
            let len = self.words[start..]
                .iter()
                .take_while(|w| w.hashtag == id)
                .count();
            let end = start + len;
            if id != 0 {
                let best = (start..end)
                    .filter_map(|k| match self.words[k].context() {
                        Some(Context::Luck) if self.next_to_period(k) => Some(Context::Opens),
                        other => other,
                    })
                    .max();
                for w in &mut self.words[start..end] {
                    w.hashtag_context = best;
                    w.hashtag_len = len;
                }
            }
            start = end;
        }
    }

    /// The sign word at `i`, if it is one here: `None` for a bare word not
    /// after برج or يا, or a name blocked by its neighbours.
    fn mention(&self, i: usize) -> Option<Mention> {
        let w = &self.words[i];
        let mention = |sign, anchored, clarity| {
            Some(Mention {
                at: i,
                sign,
                anchored,
                clarity,
            })
        };
        if let Some(sign) = w.emoji {
            return mention(sign, true, Clarity::Clear);
        }
        let (sign, form) = w.sign()?;
        let before = self.get(self.prev(i));
        if before.is_some_and(|b| b.flag(|e| e.burj) && b.hashtag == w.hashtag) {
            return mention(sign, true, Clarity::Ambiguous);
        }
        let clarity = match form {
            SignForm::Bare if before.is_some_and(|b| b.flag(|e| e.vocative)) => Clarity::Ambiguous,
            SignForm::Bare => return None,
            SignForm::Name(c) => c,
        };
        if w.hashtag != 0 {
            let own = match w.hashtag_context {
                Some(Context::Opens | Context::Luck | Context::AllSigns) => true,
                Some(Context::ClearSigns) => clarity == Clarity::Clear,
                None => w.hashtag_len == 1 && clarity == Clarity::Clear,
            };
            if own {
                return mention(sign, true, clarity);
            }
        }
        let after = self.get(self.next(i));
        if before.is_some_and(|b| b.flag(|e| e.block_before))
            || after.is_some_and(|a| a.flag(|e| e.block_after))
        {
            return None;
        }
        mention(sign, false, clarity)
    }

    /// `None` when the caption is not a horoscope; else the one sign it is
    /// for if there is exactly one, and whether any sign is named.
    fn horoscope(&self) -> Option<(Option<Sign>, bool)> {
        let (mut opens, mut all, mut clear) = (false, false, false);
        for (i, w) in self.live() {
            match w.context() {
                Some(Context::Opens) => opens = true,
                Some(Context::Luck) => {
                    all = true;
                    opens |= self.next_to_period(i);
                }
                Some(Context::AllSigns) => all = true,
                Some(Context::ClearSigns) => clear = true,
                None => {}
            }
        }
        let mut mentions: Vec<Mention> = Vec::new();
        let mut plain: Vec<Mention> = Vec::new();
        for m in self.live().filter_map(|(i, _)| self.mention(i)) {
            if m.anchored {
                mentions.push(m);
            } else {
                plain.push(m);
            }
        }
        let anchored = !mentions.is_empty();
        opens |= anchored;
        let all = opens || all;
        let clear = all || clear;
        plain.retain(|m| all || (clear && m.clarity == Clarity::Clear));
        if !opens && plain.is_empty() {
            return None;
        }
        if anchored {
            // Keep a sign that is not anchored only when it is listed next to
            // another sign: "برج الحمل والثور", "Aries and Leo".
            let mut is_sign = vec![false; self.words.len()];
            for at in mentions.iter().chain(&plain).map(|m| m.at) {
                is_sign[at] = true;
            }
            let listed = plain
                .iter()
                .copied()
                .filter(|m| self.listed(m.at, &is_sign));
            let listed: Vec<Mention> = listed.collect();
            mentions.extend(listed);
        } else {
            mentions.extend(plain);
        }
        let first = mentions.first().map(|m| m.sign);
        let one = first.filter(|&s| mentions.iter().all(|m| m.sign == s));
        Some((one, first.is_some()))
    }

    /// Whether the sign word at `at` has another sign word next to it, or
    /// one word away across a coordinator ("و", "and").
    fn listed(&self, at: usize, is_sign: &[bool]) -> bool {
        let sign_at = |j: Option<usize>| j.is_some_and(|j| is_sign[j]);
        let coordinator_at =
            |j: Option<usize>| self.get(j).is_some_and(|w| w.flag(|e| e.coordinator));
        let (before, after) = (self.prev(at), self.next(at));
        sign_at(before)
            || sign_at(after)
            || (coordinator_at(before) && sign_at(before.and_then(|b| self.prev(b))))
            || (coordinator_at(after) && sign_at(after.and_then(|a| self.next(a))))
    }

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
    fn periods(&self, local: NaiveDate) -> Evidence {
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

/// Splits an English hashtag such as "arieshoroscope" or "dailyhoroscope"
/// into two known words, one of them a sign or horoscope word.
fn split_compound(text: &str) -> Option<(&str, &str)> {
    if text.len() > 40 {
        return None;
    }
    let lexicon = &*LEXICON;
    let useful = |e: &Entry| e.sign.is_some() || e.context.is_some();
    (2..text.len().saturating_sub(1)).find_map(|at| {
        let (left, right) = (text.get(..at)?, text.get(at..)?);
        let (l, r) = (lexicon.lookup(left)?, lexicon.lookup(right)?);
        (useful(l) || useful(r)).then_some((left, right))
    })
}

/// The period words and dates of a caption.
#[derive(Debug, Default)]
struct Evidence {
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
    fn any(&self) -> bool {
        self.today
            || self.tomorrow
            || self.month_word
            || self.next_month
            || self.week_or_year
            || self.date.is_some()
            || self.month_named.is_some()
            || self.lone_year
    }

    fn scope(&self) -> Option<Scope> {
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

    fn ref_date(&self, scope: Scope, local: NaiveDate) -> Option<NaiveDate> {
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
fn nearest_date(
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

#[cfg(test)]
mod tests;
