//! Which sign a caption is for: the sign words that count where they stand,
//! and whether the caption is a horoscope at all.

use super::lexicon::{Context, SignForm};
use super::tables::Clarity;
use super::words::Words;
use crate::zodiac::Sign;

/// A sign named in the caption.
#[derive(Debug, Clone, Copy)]
struct Mention {
    at: usize,
    sign: Sign,
    /// By برج, an emoji, or a hashtag of its own.
    anchored: bool,
    clarity: Clarity,
}

impl Words<'_> {
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
    pub(super) fn horoscope(&self) -> Option<(Option<Sign>, bool)> {
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
}
