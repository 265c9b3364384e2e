//! The classifier's rules as data. Every word is written as it reads after
//! [`super::normalize`]: no diacritics or tatweel, alef forms as ا, ة as ه,
//! ى as ي, ؤ as و, ئ as ي, Latin in lower case.

use crate::zodiac::Sign;

/// Sign names and their variants. A word is a *mention* of the sign; it
/// counts only in a horoscope context (see [`CONTEXT`]) unless it is
/// strong: a hashtag, an emoji, or right after برج.
pub const SIGNS: [(Sign, &[&str], &[&str], char); 12] = [
    // (sign, Arabic variants, English variants, emoji)
    (Sign::Aries, &["الحمل"], &["aries"], '♈'),
    (Sign::Taurus, &["الثور"], &["taurus"], '♉'),
    (
        Sign::Gemini,
        &["الجوزاء", "الجوزا", "التوام", "التوامان", "التوءم"],
        &["gemini"],
        '♊',
    ),
    (Sign::Cancer, &["السرطان"], &["cancer"], '♋'),
    (Sign::Leo, &["الاسد"], &["leo"], '♌'),
    (Sign::Virgo, &["العذراء", "العذرا"], &["virgo"], '♍'),
    (Sign::Libra, &["الميزان"], &["libra"], '♎'),
    (Sign::Scorpio, &["العقرب"], &["scorpio"], '♏'),
    (
        Sign::Sagittarius,
        &["القوس", "الرامي"],
        &["sagittarius"],
        '♐',
    ),
    (Sign::Capricorn, &["الجدي"], &["capricorn"], '♑'),
    (Sign::Aquarius, &["الدلو", "الساقي"], &["aquarius"], '♒'),
    (Sign::Pisces, &["الحوت"], &["pisces"], '♓'),
];

/// Letters an Arabic word may carry in front of a sign name: and, with,
/// for, so (و ب ل ف, and pairs of them). ل before ال writes لل.
pub const PREFIXES: [&str; 8] = ["و", "ب", "ل", "ف", "وب", "ول", "فب", "فل"];

/// The word "sign" (برج) and its prefixed forms: a sign name right after
/// it is a strong mention.
pub const SIGN_WORD: [&str; 6] = ["برج", "لبرج", "ببرج", "وبرج", "يابرج", "ابراج"];

/// Words that make a caption a horoscope: a sign name counts only with one
/// of them (or as a hashtag, an emoji, or after برج).
pub const CONTEXT: [&str; 22] = [
    "برج",
    "لبرج",
    "ببرج",
    "وبرج",
    "يابرج",
    "ابراج",
    "الابراج",
    "للابراج",
    "والابراج",
    "حظك",
    "وحظك",
    "توقعات",
    "وتوقعات",
    "توقع",
    "الفلك",
    "فلك",
    "فلكيه",
    "الفلكيه",
    "horoscope",
    "horoscopes",
    "zodiac",
    "astrology",
];

/// English words that make the sign name right before them a strong
/// mention: "Leo daily", "Aries horoscope".
pub const AFTER_ENGLISH_SIGN: [&str; 6] = [
    "daily",
    "horoscope",
    "horoscopes",
    "zodiac",
    "season",
    "sign",
];

/// English hashtags that are a sign name and one of these: `#leohoroscope`.
pub const HASHTAG_SUFFIXES: [&str; 8] = [
    "",
    "horoscope",
    "horoscopes",
    "daily",
    "dailyhoroscope",
    "zodiac",
    "season",
    "sign",
];

/// Words of a month-long horoscope.
pub const MONTHLY: [&str; 16] = [
    "هالشهر",
    "لهالشهر",
    "شهر",
    "الشهر",
    "لشهر",
    "بشهر",
    "شهري",
    "شهريه",
    "الشهري",
    "الشهريه",
    "الشهرية",
    "monthly",
    "month",
    "months",
    "شهرين",
    "للشهر",
];

/// After a month word: the month to come (not the posting month).
pub const NEXT: [&str; 7] = [
    "الجديد",
    "الجاي",
    "القادم",
    "الجاي",
    "الجاى",
    "next",
    "upcoming",
];

/// Words for tomorrow (the daily horoscope of the next local day).
pub const TOMORROW: [&str; 8] = [
    "غدا",
    "بكره",
    "بكرا",
    "بكرة",
    "الغد",
    "tomorrow",
    "tmrw",
    "tomorrows",
];

/// Month names, one or two words, in Egyptian, Levantine/Iraqi and Gulf
/// usage and in English. `ambiguous` names are ordinary words too (آب is
/// also أب, father; May a verb): they count only next to a day number or
/// after a month word.
pub struct Month {
    pub words: &'static [&'static str],
    pub month: u32,
    pub ambiguous: bool,
}

const fn m(words: &'static [&'static str], month: u32) -> Month {
    Month {
        words,
        month,
        ambiguous: false,
    }
}

const fn ambiguous(words: &'static [&'static str], month: u32) -> Month {
    Month {
        words,
        month,
        ambiguous: true,
    }
}

pub const MONTHS: [Month; 52] = [
    // Egyptian and Gulf usage.
    m(&["يناير"], 1),
    m(&["فبراير"], 2),
    m(&["مارس"], 3),
    m(&["ابريل"], 4),
    m(&["مايو"], 5),
    m(&["يونيو"], 6),
    m(&["يونيه"], 6),
    m(&["يوليو"], 7),
    m(&["يوليه"], 7),
    m(&["اغسطس"], 8),
    m(&["سبتمبر"], 9),
    m(&["اكتوبر"], 10),
    m(&["نوفمبر"], 11),
    m(&["ديسمبر"], 12),
    // Levantine and Iraqi usage (two-word names first).
    m(&["كانون", "الثاني"], 1),
    m(&["كانون", "الاول"], 12),
    m(&["تشرين", "الاول"], 10),
    m(&["تشرين", "الثاني"], 11),
    m(&["شباط"], 2),
    m(&["اذار"], 3),
    m(&["نيسان"], 4),
    m(&["ايار"], 5),
    m(&["حزيران"], 6),
    m(&["تموز"], 7),
    ambiguous(&["اب"], 8),
    m(&["ايلول"], 9),
    // English.
    m(&["january"], 1),
    m(&["jan"], 1),
    m(&["february"], 2),
    m(&["feb"], 2),
    m(&["march"], 3),
    m(&["mar"], 3),
    m(&["april"], 4),
    m(&["apr"], 4),
    ambiguous(&["may"], 5),
    m(&["june"], 6),
    m(&["jun"], 6),
    m(&["july"], 7),
    m(&["jul"], 7),
    m(&["august"], 8),
    m(&["aug"], 8),
    m(&["september"], 9),
    m(&["sep"], 9),
    m(&["sept"], 9),
    m(&["october"], 10),
    m(&["oct"], 10),
    m(&["november"], 11),
    m(&["nov"], 11),
    m(&["december"], 12),
    m(&["dec"], 12),
    // Levantine names also written with the article.
    m(&["بشباط"], 2),
    m(&["بتموز"], 7),
];
