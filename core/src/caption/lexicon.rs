//! The tables of [`super::tables`], folded once into one word index.

use super::normalize::fold;
use super::tables::*;
use crate::zodiac::Sign;
use std::collections::HashMap;
use std::sync::LazyLock;

/// How a sign word was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignForm {
    /// A sign name from [`SIGN_NAMES`].
    Name(Clarity),
    /// An Arabic sign name without its article: a sign only after برج or يا.
    Bare,
}

/// What a horoscope word does (see the tables of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Context {
    ClearSigns,
    AllSigns,
    Luck,
    Opens,
}

/// A word before a month name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intro {
    /// شهر, "month".
    MonthWord,
    /// في, "in", "for", ...
    Preposition,
    /// توقعات, "forecast": also right after the month name ("March forecast").
    Forecast,
}

/// A meaning of several words in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhraseMeaning {
    Month(u32),
    Period(Period),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Phrase {
    /// The words after the first one, folded.
    pub rest: Vec<String>,
    pub meaning: PhraseMeaning,
}

/// Everything the tables say about one folded word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub sign: Option<(Sign, SignForm)>,
    pub context: Option<Context>,
    pub period: Option<Period>,
    pub month: Option<(u32, MonthUse)>,
    pub intro: Option<Intro>,
    pub joiner: bool,
    pub burj: bool,
    pub vocative: bool,
    pub coordinator: bool,
    pub block_before: bool,
    pub block_after: bool,
    /// Only as written, never with a clitic stripped (آب, not باب "door").
    pub no_clitics: bool,
    /// Phrases starting with this word.
    pub phrases: Vec<Phrase>,
}

#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    words: HashMap<String, Entry>,
    /// Table words whose meanings clash (a table mistake; tested to be empty).
    pub conflicts: Vec<String>,
    /// Table words that fold to more or fewer than one word (tested to be empty).
    pub not_one_word: Vec<String>,
}

/// The index, built on first use.
pub(crate) static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

/// Sets `slot` to `value`, recording a clash with a different earlier value.
fn set<T: PartialEq + Copy>(
    slot: &mut Option<T>,
    value: T,
    word: &str,
    conflicts: &mut Vec<String>,
) {
    match slot {
        Some(old) if *old != value => conflicts.push(word.to_string()),
        _ => *slot = Some(value),
    }
}

impl Lexicon {
    fn build() -> Lexicon {
        let mut lx = Lexicon::default();
        for &(sign, clarity, names) in SIGN_NAMES {
            for name in names {
                lx.add(name, |e, w, c| {
                    set(&mut e.sign, (sign, SignForm::Name(clarity)), w, c)
                });
                let folded = fold(name);
                if NO_BARE_FORM.contains(name) {
                    continue;
                }
                if let Some(bare) = folded.strip_prefix("ال") {
                    let bare = bare.to_string();
                    lx.add(&bare, |e, w, c| {
                        set(&mut e.sign, (sign, SignForm::Bare), w, c)
                    });
                }
            }
        }
        lx.add_all(BURJ, |e, _, _| e.burj = true);
        lx.add_all(VOCATIVE, |e, _, _| e.vocative = true);
        for (words, kind) in [
            (OPENING_CONTEXT, Context::Opens),
            (CONTEXT_FOR_ALL_SIGNS, Context::AllSigns),
            (LUCK_WORDS, Context::Luck),
            (CONTEXT_FOR_CLEAR_SIGNS, Context::ClearSigns),
        ] {
            lx.add_all(words, |e, w, c| set(&mut e.context, kind, w, c));
        }
        for &(period, words) in PERIOD_WORDS {
            lx.add_all(words, |e, w, c| set(&mut e.period, period, w, c));
        }
        for &(period, phrases) in PERIOD_PHRASES {
            for p in phrases {
                lx.add_phrase(p, PhraseMeaning::Period(period));
            }
        }
        for table in [MONTHS_EGYPTIAN, MONTHS_LEVANTINE, MONTHS_ENGLISH] {
            for &(month, usage, words) in table {
                lx.add_all(words, |e, w, c| set(&mut e.month, (month, usage), w, c));
            }
        }
        lx.add_all(&["آب"], |e, _, _| e.no_clitics = true);
        for &(month, phrases) in MONTH_PHRASES_LEVANTINE {
            for p in phrases {
                lx.add_phrase(p, PhraseMeaning::Month(month));
            }
        }
        lx.add_all(MONTH_WORD_INTROS, |e, w, c| {
            set(&mut e.intro, Intro::MonthWord, w, c)
        });
        lx.add_all(PREPOSITION_INTROS, |e, w, c| {
            set(&mut e.intro, Intro::Preposition, w, c)
        });
        lx.add_all(FORECAST_INTROS, |e, w, c| {
            set(&mut e.intro, Intro::Forecast, w, c)
        });
        lx.add_all(DAY_MONTH_JOINERS, |e, _, _| e.joiner = true);
        lx.add_all(COORDINATORS, |e, _, _| e.coordinator = true);
        lx.add_all(BLOCK_BEFORE, |e, _, _| e.block_before = true);
        lx.add_all(BLOCK_AFTER, |e, _, _| e.block_after = true);
        lx
    }

    fn add_all(&mut self, words: &[&str], f: impl Fn(&mut Entry, &str, &mut Vec<String>)) {
        for w in words {
            self.add(w, &f);
        }
    }

    fn add(&mut self, word: &str, f: impl Fn(&mut Entry, &str, &mut Vec<String>)) {
        let folded = fold(word);
        if folded.is_empty() || folded.contains(' ') {
            self.not_one_word.push(word.to_string());
            return;
        }
        let entry = self.words.entry(folded).or_default();
        f(entry, word, &mut self.conflicts);
    }

    fn add_phrase(&mut self, phrase: &str, meaning: PhraseMeaning) {
        let folded = fold(phrase);
        let mut words = folded.split(' ').map(str::to_string);
        let Some(first) = words.next() else {
            self.not_one_word.push(phrase.to_string());
            return;
        };
        let rest: Vec<String> = words.collect();
        if rest.is_empty() {
            self.not_one_word.push(phrase.to_string());
            return;
        }
        let entry = self.words.entry(first).or_default();
        if !entry.phrases.iter().any(|p| p.rest == rest) {
            entry.phrases.push(Phrase { rest, meaning });
        }
    }

    fn get(&self, word: &str) -> Option<&Entry> {
        self.words.get(word)
    }

    /// Looks a folded word up, as written and then, for Arabic words, with
    /// the clitics و/ف, ب/ل/ك and لل (= ل + ال) taken off its front.
    pub fn lookup(&self, word: &str) -> Option<&Entry> {
        if let Some(entry) = self.get(word) {
            return Some(entry);
        }
        if !word.starts_with(|c: char| ('\u{0600}'..='\u{06FF}').contains(&c)) {
            return None;
        }
        let conjunctions = [Some(word), word.strip_prefix('و'), word.strip_prefix('ف')];
        for stem in conjunctions {
            let Some(stem) = stem.filter(|s| s.chars().nth(1).is_some()) else {
                continue;
            };
            let stripped_conj = stem.len() != word.len();
            if stripped_conj {
                if let Some(entry) = self.get(stem).filter(|e| !e.no_clitics) {
                    return Some(entry);
                }
            }
            for prep in ['ب', 'ل', 'ك'] {
                let Some(rest) = stem
                    .strip_prefix(prep)
                    .filter(|s| s.chars().nth(1).is_some())
                else {
                    continue;
                };
                if let Some(entry) = self.get(rest).filter(|e| !e.no_clitics) {
                    return Some(entry);
                }
                // ل + ال is written لل: "للحمل" is "ل" + "الحمل".
                if prep == 'ل' && rest.starts_with('ل') {
                    let mut buf = [0u8; 64];
                    if let Some(with_al) = prepend_alef(rest, &mut buf) {
                        if let Some(entry) = self.get(with_al).filter(|e| !e.no_clitics) {
                            return Some(entry);
                        }
                    }
                }
            }
        }
        None
    }
}

/// "ا" + `word` in `buf`, if it fits.
fn prepend_alef<'b>(word: &str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    let alef = "ا".as_bytes();
    let total = alef.len() + word.len();
    if total > buf.len() {
        return None;
    }
    buf[..alef.len()].copy_from_slice(alef);
    buf[alef.len()..total].copy_from_slice(word.as_bytes());
    std::str::from_utf8(&buf[..total]).ok()
}
