//! Caption text folded to the words the classifier reads.
//!
//! Arabic: diacritics (tashkeel U+064B–U+065F, dagger alef U+0670, Quranic
//! marks) and tatweel U+0640 are dropped; أ إ آ ٱ become ا, ة becomes ه,
//! ى becomes ي, ؤ becomes و, ئ becomes ي; Persian ی ک ھ become ي ك ه;
//! presentation forms (ﺍﻟﺤﻤﻞ, ﻻ) become the ordinary letters. Arabic-Indic
//! ٠-٩ and Persian ۰-۹ digits become ASCII. Latin letters are lowercased,
//! fullwidth and "mathematical" styled letters (𝐀𝐫𝐢𝐞𝐬) become ASCII.
//! Invisible characters (zero-width joiners, direction marks, variation
//! selectors) are dropped without splitting a word.
//!
//! Everything that is not a letter or digit separates words, except:
//! `/`, `-`, `.` between digits stay (`15/3`, `2026-03-15`); `#` starts a
//! hashtag whose `_`-separated words stay grouped; a zodiac emoji ♈..♓ is a
//! word of its own. A word also ends where the script changes between Arabic
//! and anything else, where Arabic letters meet digits, where Latin letters
//! are followed by digits, and inside a hashtag at a camel-case hump
//! (`#AriesHoroscope`).
//!
//! Only the first [`MAX_CHARS`] characters are read: a TikTok caption is at
//! most a few thousand, and this bounds the work on any input.

/// Characters of a caption that are read; the rest is ignored.
pub const MAX_CHARS: usize = 10_000;

/// One word of the normalized text: `text[start..end]`, and the hashtag it
/// came from (0: none; hashtags are numbered from 1 in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub hashtag: u32,
}

/// The normalized words of a caption.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    /// The words, separated by single spaces.
    pub text: String,
    pub tokens: Vec<Token>,
}

impl Tokens {
    pub fn word(&self, t: &Token) -> &str {
        self.text.get(t.start..t.end).unwrap_or("")
    }

    /// The public rendering: words separated by one space, hashtag words
    /// marked with a leading `#`.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 8);
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if t.hashtag != 0 {
                out.push('#');
            }
            out.push_str(self.word(t));
        }
        out
    }
}

/// What one input character is to the tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A letter, already folded (but not yet lowercased).
    Letter(char),
    /// Two letters (the lam-alef ligatures).
    Letters(char, char),
    /// An ASCII digit.
    Digit(char),
    /// Invisible: dropped without ending the word.
    Drop,
    /// A zodiac emoji, U+2648..=U+2653.
    Zodiac(char),
    Hash,
    Underscore,
    /// `/`, `-` or `.`: kept between digits, else a separator.
    DateSep(char),
    Separator,
}

/// Arabic Presentation Forms-B, U+FE80..=U+FEF4: runs of contextual forms
/// (first code point, number of forms, base letter).
const PRESENTATION_FORMS_B: &[(u32, u32, char)] = &[
    (0xFE80, 1, 'ء'),
    (0xFE81, 2, 'آ'),
    (0xFE83, 2, 'أ'),
    (0xFE85, 2, 'ؤ'),
    (0xFE87, 2, 'إ'),
    (0xFE89, 4, 'ئ'),
    (0xFE8D, 2, 'ا'),
    (0xFE8F, 4, 'ب'),
    (0xFE93, 2, 'ة'),
    (0xFE95, 4, 'ت'),
    (0xFE99, 4, 'ث'),
    (0xFE9D, 4, 'ج'),
    (0xFEA1, 4, 'ح'),
    (0xFEA5, 4, 'خ'),
    (0xFEA9, 2, 'د'),
    (0xFEAB, 2, 'ذ'),
    (0xFEAD, 2, 'ر'),
    (0xFEAF, 2, 'ز'),
    (0xFEB1, 4, 'س'),
    (0xFEB5, 4, 'ش'),
    (0xFEB9, 4, 'ص'),
    (0xFEBD, 4, 'ض'),
    (0xFEC1, 4, 'ط'),
    (0xFEC5, 4, 'ظ'),
    (0xFEC9, 4, 'ع'),
    (0xFECD, 4, 'غ'),
    (0xFED1, 4, 'ف'),
    (0xFED5, 4, 'ق'),
    (0xFED9, 4, 'ك'),
    (0xFEDD, 4, 'ل'),
    (0xFEE1, 4, 'م'),
    (0xFEE5, 4, 'ن'),
    (0xFEE9, 4, 'ه'),
    (0xFEED, 2, 'و'),
    (0xFEEF, 2, 'ى'),
    (0xFEF1, 4, 'ي'),
];

/// Combining marks dropped in every script (Arabic tashkeel and Quranic
/// marks, Latin accents, Hebrew points, ...).
fn is_mark(cp: u32) -> bool {
    matches!(cp,
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05C7
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x0670
        | 0x06D6..=0x06DC
        | 0x06DF..=0x06E8
        | 0x06EA..=0x06ED
        | 0x08D3..=0x08E1
        | 0x08E3..=0x08FF
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F
        | 0xFE70..=0xFE7F)
}

/// Invisible format characters, dropped without ending a word: tatweel,
/// zero-width spaces and joiners, direction marks and isolates, word joiner,
/// BOM, variation selectors (U+FE0F after ♈), the Arabic letter mark.
fn is_invisible(cp: u32) -> bool {
    matches!(cp,
        0x0640
        | 0x061C
        | 0x00AD
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x2069
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xE0100..=0xE01EF)
}

fn classify(c: char) -> Class {
    let cp = c as u32;
    if c.is_ascii() {
        return match c {
            '0'..='9' => Class::Digit(c),
            'a'..='z' | 'A'..='Z' => Class::Letter(c),
            '#' => Class::Hash,
            '_' => Class::Underscore,
            '/' | '-' | '.' => Class::DateSep(c),
            _ => Class::Separator,
        };
    }
    if is_invisible(cp) || is_mark(cp) {
        return Class::Drop;
    }
    match cp {
        // Arabic letter variants.
        0x0622 | 0x0623 | 0x0625 | 0x0671..=0x0673 => Class::Letter('ا'),
        0x0629 | 0x06C0 | 0x06C3 | 0x06BE | 0x06D5 => Class::Letter('ه'),
        0x0649 | 0x0626 | 0x06CC | 0x06D0 => Class::Letter('ي'),
        0x0624 => Class::Letter('و'),
        0x06A9 => Class::Letter('ك'),
        // Arabic-Indic and Persian digits.
        0x0660..=0x0669 => Class::Digit(ascii_digit(cp - 0x0660)),
        0x06F0..=0x06F9 => Class::Digit(ascii_digit(cp - 0x06F0)),
        // Arabic decimal separator, fraction and division slashes, dashes.
        0x066B => Class::DateSep('.'),
        0x2044 | 0x2215 => Class::DateSep('/'),
        0x2010..=0x2013 => Class::DateSep('-'),
        0x2648..=0x2653 => Class::Zodiac(c),
        // Fullwidth ASCII.
        0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).map_or(Class::Separator, classify),
        // Mathematical alphanumeric letters (bold, italic, script, ...).
        0x1D400..=0x1D6A3 => {
            let i = (cp - 0x1D400) % 52;
            let base = if i < 26 {
                b'A' + i as u8
            } else {
                b'a' + (i - 26) as u8
            };
            Class::Letter(char::from(base))
        }
        0x1D7CE..=0x1D7FF => Class::Digit(ascii_digit((cp - 0x1D7CE) % 10)),
        0xFEF5..=0xFEFC => Class::Letters('ل', 'ا'),
        0xFE80..=0xFEF4 => PRESENTATION_FORMS_B
            .iter()
            .find(|&&(start, n, _)| (start..start + n).contains(&cp))
            .map_or(Class::Separator, |&(_, _, base)| classify(base)),
        _ if c.is_alphanumeric() => Class::Letter(c),
        _ => Class::Separator,
    }
}

fn ascii_digit(d: u32) -> char {
    char::from_digit(d, 10).unwrap_or('0')
}

fn is_arabic(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF)
}

/// What the current word is made of so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Arabic,
    /// Latin or other letters, possibly after leading digits ("15th").
    Letters,
    /// Digits, possibly with date separators between them.
    Number,
}

struct Builder {
    out: Tokens,
    current: Option<(usize, Kind)>,
    hashtag: u32,
    hashtags: u32,
    last_lower: bool,
}

impl Builder {
    fn end(&mut self) {
        if let Some((start, _)) = self.current.take() {
            if self.out.text.len() > start {
                self.out.tokens.push(Token {
                    start,
                    end: self.out.text.len(),
                    hashtag: self.hashtag,
                });
            }
        }
        self.last_lower = false;
    }

    /// Starts a word of `kind` unless one that may continue is open.
    fn open(&mut self, kind: Kind) {
        let continues = match (self.current, kind) {
            (None, _) => false,
            (Some((_, Kind::Arabic)), k) => k == Kind::Arabic,
            (Some((_, Kind::Letters)), k) => k == Kind::Letters,
            (Some((_, Kind::Number)), k) => k != Kind::Arabic,
        };
        if !continues {
            self.end();
            if !self.out.text.is_empty() {
                self.out.text.push(' ');
            }
            self.current = Some((self.out.text.len(), kind));
        } else if let Some((start, Kind::Number)) = self.current {
            if kind == Kind::Letters {
                self.current = Some((start, Kind::Letters));
            }
        }
    }

    fn letter(&mut self, c: char) {
        if is_arabic(c) {
            self.open(Kind::Arabic);
            self.out.text.push(c);
            return;
        }
        if self.hashtag != 0 && self.last_lower && c.is_uppercase() {
            self.end();
        }
        self.open(Kind::Letters);
        if c.is_ascii() {
            self.out.text.push(c.to_ascii_lowercase());
            self.last_lower = c.is_ascii_lowercase();
        } else {
            for l in c.to_lowercase().filter(|l| l.is_alphanumeric()) {
                self.out.text.push(l);
            }
            self.last_lower = c.is_lowercase();
        }
    }
}

/// Splits `text` into normalized words (see the module documentation).
pub(crate) fn tokenize(text: &str) -> Tokens {
    let mut b = Builder {
        out: Tokens {
            text: String::with_capacity(text.len().min(MAX_CHARS * 4) + 4),
            tokens: Vec::with_capacity(16),
        },
        current: None,
        hashtag: 0,
        hashtags: 0,
        last_lower: false,
    };
    let mut chars = text.chars().take(MAX_CHARS).peekable();
    while let Some(c) = chars.next() {
        match classify(c) {
            Class::Letter(l) => b.letter(l),
            Class::Letters(a, l) => {
                b.letter(a);
                b.letter(l);
            }
            Class::Digit(d) => {
                b.open(Kind::Number);
                b.out.text.push(d);
                b.last_lower = false;
            }
            Class::Drop => {}
            Class::Zodiac(z) => {
                b.end();
                b.hashtag = 0;
                b.open(Kind::Letters);
                b.out.text.push(z);
                b.end();
            }
            Class::Hash => {
                b.end();
                b.hashtags = b.hashtags.saturating_add(1);
                b.hashtag = b.hashtags;
            }
            Class::Underscore => b.end(),
            Class::DateSep(s) => {
                let in_number = matches!(b.current, Some((_, Kind::Number)))
                    && b.out.text.ends_with(|c: char| c.is_ascii_digit());
                let digit_next = chars
                    .peek()
                    .is_some_and(|&n| matches!(classify(n), Class::Digit(_)));
                if in_number && digit_next {
                    b.out.text.push(s);
                } else {
                    b.end();
                    b.hashtag = 0;
                }
            }
            Class::Separator => {
                b.end();
                b.hashtag = 0;
            }
        }
    }
    b.end();
    b.out
}

/// Folds one table word (or phrase) the way captions are folded, to the
/// space-separated words the classifier compares.
pub(crate) fn fold(word: &str) -> String {
    tokenize(word).text
}
