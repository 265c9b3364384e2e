//! A caption as words: each folded word with what the lexicon says about
//! it, the phrases and hashtags it belongs to, and the way from one word to
//! its neighbours.

use super::lexicon::{Context, Entry, PhraseMeaning, SignForm, LEXICON};
use super::normalize::Tokens;
use super::number::Number;
use super::tables::{MonthUse, Period, HASHTAG_CONTEXT_FRAGMENTS};
use crate::zodiac::Sign;

/// One word of the caption with what the tables say about it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Word<'a> {
    pub(super) text: &'a str,
    pub(super) hashtag: u32,
    pub(super) entry: Option<&'static Entry>,
    pub(super) emoji: Option<Sign>,
    /// An English hashtag with a horoscope fragment (#zodiacsigns).
    pub(super) fragment: bool,
    pub(super) number: Option<Number>,
    /// The meaning of a phrase starting here, and how many more words it covers.
    pub(super) phrase: Option<(PhraseMeaning, usize)>,
    /// Covered by a phrase starting before it.
    pub(super) covered: bool,
    /// In a hashtag: its strongest horoscope word, and its number of words.
    pub(super) hashtag_context: Option<Context>,
    pub(super) hashtag_len: usize,
}

impl Word<'_> {
    pub(super) fn sign(&self) -> Option<(Sign, SignForm)> {
        self.entry.and_then(|e| e.sign)
    }

    pub(super) fn context(&self) -> Option<Context> {
        if self.fragment {
            return Some(Context::Opens);
        }
        self.entry.and_then(|e| e.context)
    }

    pub(super) fn period(&self) -> Option<Period> {
        match self.phrase {
            Some((PhraseMeaning::Period(p), _)) => Some(p),
            Some(_) => None,
            None => self.entry.and_then(|e| e.period),
        }
    }

    pub(super) fn month(&self) -> Option<(u32, MonthUse)> {
        match self.phrase {
            Some((PhraseMeaning::Month(m), _)) => Some((m, MonthUse::Free)),
            Some(_) => None,
            None => self.entry.and_then(|e| e.month),
        }
    }

    pub(super) fn flag(&self, f: impl Fn(&Entry) -> bool) -> bool {
        self.entry.is_some_and(f)
    }

    pub(super) fn day(&self) -> Option<u32> {
        self.number.and_then(Number::day)
    }

    pub(super) fn year(&self) -> Option<i32> {
        self.number.and_then(Number::year)
    }
}

pub(super) struct Words<'a> {
    pub(super) words: Vec<Word<'a>>,
}

impl<'a> Words<'a> {
    pub(super) fn new(tokens: &'a Tokens) -> Words<'a> {
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

    pub(super) fn get(&self, i: Option<usize>) -> Option<&Word<'a>> {
        i.and_then(|i| self.words.get(i))
    }

    /// The word before `i`, skipping words covered by a phrase.
    pub(super) fn prev(&self, i: usize) -> Option<usize> {
        (0..i).rev().find(|&j| !self.words[j].covered)
    }

    /// The word after `i` (after the whole phrase when one starts at `i`).
    pub(super) fn next(&self, i: usize) -> Option<usize> {
        let skip = self
            .words
            .get(i)
            .and_then(|w| w.phrase)
            .map_or(0, |(_, n)| n);
        let j = i + 1 + skip;
        (j < self.words.len()).then_some(j)
    }

    pub(super) fn live(&self) -> impl Iterator<Item = (usize, &Word<'a>)> {
        self.words.iter().enumerate().filter(|(_, w)| !w.covered)
    }

    pub(super) fn next_to_period(&self, i: usize) -> bool {
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
