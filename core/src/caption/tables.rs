//! The classifier's rules as data.
//!
//! Every word is written here the way people write it (with hamzas, ta
//! marbuta, capitals); the classifier passes each one through
//! [`super::normalize`] once, on first use, so the tables never have to
//! anticipate spelling variants that normalization already folds
//! (أ/إ/آ/ٱ, ة/ه, ى/ي, diacritics, tatweel, case).
//!
//! Arabic words may be found with the clitics و ف (and), ب ل ك (with, for,
//! like) in front of them, and ل + ال written لل: "لبرج", "والحوت",
//! "للحمل", "بشهر". English words are matched whole.

use crate::zodiac::Sign;

/// How safely a sign name means the sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Clarity {
    /// Hardly anything but the sign ("aries", "الجوزاء"). Counts with any
    /// horoscope word, even a weak one such as "daily", and alone as a hashtag.
    Clear,
    /// Also an ordinary word or a name: الحمل (pregnancy), السرطان (the
    /// disease), الأسد (lion, a surname), "cancer", "leo". Counts only after
    /// برج, as an emoji, or with a word that makes the whole caption a
    /// horoscope (see [`OPENING_CONTEXT`] and [`CONTEXT_FOR_ALL_SIGNS`]).
    Ambiguous,
}

/// Names of each sign: (sign, clarity, names).
///
/// Arabic names are written with the article ال. The same word without the
/// article (حمل, أسد, عقرب) is also known, but only right after برج
/// ("برج حمل") or the vocative يا ("حظك يا عقرب").
pub const SIGN_NAMES: &[(Sign, Clarity, &[&str])] = &[
    (Sign::Aries, Clarity::Clear, &["aries"]),
    (
        Sign::Aries,
        Clarity::Ambiguous,
        &["الحمل", "arian", "arians"],
    ),
    (
        Sign::Taurus,
        Clarity::Clear,
        &["taurus", "taurean", "taureans"],
    ),
    (Sign::Taurus, Clarity::Ambiguous, &["الثور"]),
    (
        Sign::Gemini,
        Clarity::Clear,
        &["gemini", "geminis", "الجوزاء", "الجوزا"],
    ),
    (
        Sign::Gemini,
        Clarity::Ambiguous,
        &["التوأم", "التوأمان", "التوأمين", "التوائم"],
    ),
    (Sign::Cancer, Clarity::Clear, &["cancerian", "cancerians"]),
    (
        Sign::Cancer,
        Clarity::Ambiguous,
        &["السرطان", "cancer", "cancers"],
    ),
    (Sign::Leo, Clarity::Ambiguous, &["الأسد", "leo", "leos"]),
    (
        Sign::Virgo,
        Clarity::Clear,
        &["virgo", "virgos", "virgoan", "virgoans"],
    ),
    (
        Sign::Virgo,
        Clarity::Ambiguous,
        &["العذراء", "العذرا", "السنبلة"],
    ),
    (
        Sign::Libra,
        Clarity::Clear,
        &["libra", "libras", "libran", "librans"],
    ),
    (Sign::Libra, Clarity::Ambiguous, &["الميزان"]),
    (Sign::Scorpio, Clarity::Clear, &["scorpio", "scorpios"]),
    (Sign::Scorpio, Clarity::Ambiguous, &["العقرب", "scorpion"]),
    (
        Sign::Sagittarius,
        Clarity::Clear,
        &["sagittarius", "sagittarian", "sagittarians"],
    ),
    (
        Sign::Sagittarius,
        Clarity::Ambiguous,
        &["القوس", "الرامي", "sag"],
    ),
    (
        Sign::Capricorn,
        Clarity::Clear,
        &["capricorn", "capricorns", "capricornian"],
    ),
    (Sign::Capricorn, Clarity::Ambiguous, &["الجدي"]),
    (
        Sign::Aquarius,
        Clarity::Clear,
        &["aquarius", "aquarian", "aquarians"],
    ),
    (Sign::Aquarius, Clarity::Ambiguous, &["الدلو", "الساقي"]),
    (
        Sign::Pisces,
        Clarity::Clear,
        &["pisces", "piscean", "pisceans"],
    ),
    (Sign::Pisces, Clarity::Ambiguous, &["الحوت"]),
];

/// Sign names whose form without the article is not derived: رامي and
/// ساقي are first names, سنبلة an ear of wheat, even after يا.
pub const NO_BARE_FORM: &[&str] = &["الرامي", "الساقي", "السنبلة"];

/// The word that, right before a sign name, makes it the sign whatever else
/// the caption says: "برج الحمل", "لبرج الأسد". Alone it is not a horoscope
/// word: برج is also a tower (برج خليفة, برج القاهرة).
pub const BURJ: &[&str] = &["برج"];

/// The vocative, which lets a bare sign word stand: "حظك يا عقرب".
pub const VOCATIVE: &[&str] = &["يا"];

/// Words that make a whole caption a horoscope: every sign name in it counts,
/// and scope is set even when no sign is named.
pub const OPENING_CONTEXT: &[&str] = &[
    "الأبراج",
    "أبراج",
    "أبراجك",
    "أبراجكم",
    "برجك",
    "برجكم",
    "برجي",
    "الطالع",
    "الفلك",
    "فلكي",
    "فلكية",
    "الفلكي",
    "الفلكية",
    "horoscope",
    "horoscopes",
    "zodiac",
    "zodiacs",
    "astrology",
    "astrological",
    "starsign",
    "starsigns",
];

/// Words that let every sign name count, ambiguous ones included, but do not
/// alone make a caption a horoscope: "توقعات الحمل" and "Leo forecast" are
/// the sign, but "توقعات الطقس" and "weather forecast" are nothing.
pub const CONTEXT_FOR_ALL_SIGNS: &[&str] = &[
    "توقعات",
    "التوقعات",
    "توقع",
    "تنبؤات",
    "التنبؤات",
    "تنبؤ",
    "forecast",
    "forecasts",
];

/// Luck words: like [`CONTEXT_FOR_ALL_SIGNS`], and they make the caption a
/// horoscope when a period word stands next to them ("حظك اليوم",
/// "حظك بكره", "حظك الشهري"), but not alone ("يا حظك", "حظ سعيد").
pub const LUCK_WORDS: &[&str] = &["حظ", "حظك", "حظكم", "حظكن"];

/// Weak horoscope words: they let the clear sign names count ("Aries daily
/// reading") but not the ambiguous ones ("my daily walk with Leo").
pub const CONTEXT_FOR_CLEAR_SIGNS: &[&str] = &[
    "daily",
    "monthly",
    "weekly",
    "tarot",
    "reading",
    "readings",
    "prediction",
    "predictions",
    "تاروت",
    "التاروت",
    "يومي",
    "يومية",
    "اليومي",
    "اليومية",
    "شهري",
    "شهرية",
    "الشهري",
    "الشهرية",
    "أسبوعي",
    "أسبوعية",
    "الأسبوعي",
    "الأسبوعية",
];

/// Fragments that make an English hashtag a horoscope hashtag even when it is
/// glued to other words (#zodiacsigns, #horoscopeoftheday).
pub const HASHTAG_CONTEXT_FRAGMENTS: &[&str] = &["horoscope", "zodiac", "astrolog"];

/// The period a word points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Today (and daily).
    Today,
    /// Tomorrow.
    Tomorrow,
    /// A month: this month, or the month named next to it.
    Month,
    /// Next month.
    NextMonth,
    /// A week: not a scope the product stores.
    Week,
    /// A year: not a scope the product stores.
    Year,
}

/// Period words: Egyptian (النهاردة, بكرة), Levantine (بكرا, هاليوم), Gulf
/// and Iraqi (باجر, هالشهر), Modern Standard (اليوم, غداً) and English.
pub const PERIOD_WORDS: &[(Period, &[&str])] = &[
    (
        Period::Today,
        &[
            "اليوم",
            "يومك",
            "يومكم",
            "النهاردة",
            "النهاردا",
            "انهاردة",
            "الليلة",
            "هاليوم",
            "يومي",
            "يومية",
            "اليومي",
            "اليومية",
            "today",
            "todays",
            "tonight",
            "daily",
        ],
    ),
    (
        Period::Tomorrow,
        &[
            "غداً",
            "الغد",
            "بكرة",
            "بكرا",
            "باجر",
            "باكر",
            "tomorrow",
            "tomorrows",
            "tmrw",
        ],
    ),
    (
        Period::Month,
        &[
            "شهر",
            "الشهر",
            "هالشهر",
            "شهرك",
            "شهركم",
            "شهري",
            "شهرية",
            "الشهري",
            "الشهرية",
            "month",
            "monthly",
        ],
    ),
    (
        Period::Week,
        &[
            "أسبوع",
            "الأسبوع",
            "هالأسبوع",
            "أسبوعك",
            "أسبوعكم",
            "أسبوعي",
            "أسبوعية",
            "الأسبوعي",
            "الأسبوعية",
            "week",
            "weekly",
        ],
    ),
    (
        Period::Year,
        &["سنوي", "سنوية", "السنوي", "السنوية", "yearly", "annual"],
    ),
];

/// Several-word period phrases; they win over the period of their first word.
pub const PERIOD_PHRASES: &[(Period, &[&str])] = &[(
    Period::NextMonth,
    &[
        "الشهر الجاي",
        "الشهر الجاى",
        "الشهر القادم",
        "الشهر المقبل",
        "الشهر اللي جاي",
        "الشهر الي جاي",
        "الشهر التالي",
        "next month",
    ],
)];

/// When a month name may be taken as a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthUse {
    /// Always (يناير, أيلول, "october").
    Free,
    /// Only next to a number, after a month word or a preposition (شهر, في,
    /// "in", "for", "of"), or next to a forecast word ([`FORECAST_INTROS`]):
    /// مارس is also the verb "practise",
    /// نيسان a car maker, تموز a name, "may" and "march" English words.
    NeedsIntro,
    /// Only next to a number, or after a month word (شهر آب): آب is spelt
    /// like أب (father) once hamzas are folded, and "mar" is a verb.
    NeedsNumber,
}

/// Month names as used in Egypt and most of the Gulf (يناير ... ديسمبر).
pub const MONTHS_EGYPTIAN: &[(u32, MonthUse, &[&str])] = &[
    (1, MonthUse::Free, &["يناير"]),
    (2, MonthUse::Free, &["فبراير", "فبرير"]),
    (3, MonthUse::NeedsIntro, &["مارس"]),
    (4, MonthUse::Free, &["أبريل", "إبريل", "ابريل", "أفريل"]),
    (5, MonthUse::Free, &["مايو"]),
    (6, MonthUse::Free, &["يونيو", "يونية"]),
    (7, MonthUse::Free, &["يوليو", "يولية"]),
    (8, MonthUse::Free, &["أغسطس", "اغسطس", "أغسطوس"]),
    (9, MonthUse::Free, &["سبتمبر"]),
    (10, MonthUse::Free, &["أكتوبر", "اكتوبر"]),
    (11, MonthUse::Free, &["نوفمبر"]),
    (12, MonthUse::Free, &["ديسمبر"]),
];

/// Month names as used in the Levant and Iraq. The two-word ones are in
/// [`MONTH_PHRASES_LEVANTINE`].
pub const MONTHS_LEVANTINE: &[(u32, MonthUse, &[&str])] = &[
    (2, MonthUse::Free, &["شباط"]),
    (3, MonthUse::Free, &["آذار"]),
    (4, MonthUse::NeedsIntro, &["نيسان"]),
    (5, MonthUse::Free, &["أيار"]),
    (6, MonthUse::Free, &["حزيران"]),
    (7, MonthUse::NeedsIntro, &["تموز"]),
    (8, MonthUse::NeedsNumber, &["آب"]),
    (9, MonthUse::Free, &["أيلول"]),
];

/// Two-word Levantine month names, with and without the article on the
/// ordinal. كانون and تشرين alone are not months (كانون is also a stove).
pub const MONTH_PHRASES_LEVANTINE: &[(u32, &[&str])] = &[
    (
        1,
        &["كانون الثاني", "كانون ثاني", "كانون التاني", "كانون تاني"],
    ),
    (10, &["تشرين الأول", "تشرين أول"]),
    (
        11,
        &["تشرين الثاني", "تشرين ثاني", "تشرين التاني", "تشرين تاني"],
    ),
    (12, &["كانون الأول", "كانون أول"]),
];

/// English month names and abbreviations.
pub const MONTHS_ENGLISH: &[(u32, MonthUse, &[&str])] = &[
    (1, MonthUse::Free, &["january"]),
    (1, MonthUse::NeedsIntro, &["jan"]),
    (2, MonthUse::Free, &["february", "feb"]),
    (3, MonthUse::NeedsIntro, &["march"]),
    (3, MonthUse::NeedsNumber, &["mar"]),
    (4, MonthUse::Free, &["april", "apr"]),
    (5, MonthUse::NeedsIntro, &["may"]),
    (6, MonthUse::Free, &["june", "jun"]),
    (7, MonthUse::Free, &["july", "jul"]),
    (8, MonthUse::Free, &["august", "aug"]),
    (9, MonthUse::Free, &["september", "sep", "sept"]),
    (10, MonthUse::Free, &["october", "oct"]),
    (11, MonthUse::Free, &["november", "nov"]),
    (12, MonthUse::Free, &["december", "dec"]),
];

/// Words before a month name that make it a month ([`MonthUse::NeedsNumber`]
/// accepts only these). Followed by a number 1-12 they name that month:
/// "لشهر 4" is April.
pub const MONTH_WORD_INTROS: &[&str] = &["شهر", "الشهر", "month"];

/// Prepositions before a month name that make it a month for
/// [`MonthUse::NeedsIntro`] names: "في مارس", "for May".
pub const PREPOSITION_INTROS: &[&str] = &["في", "خلال", "in", "for", "of", "during"];

/// Forecast words, which make a month name next to them a month for
/// [`MonthUse::NeedsIntro`] names, before it ("توقعات مارس") or after it
/// ("March forecast"); a month named without a day then makes the horoscope
/// monthly: "Leo March forecast" is March's.
pub const FORECAST_INTROS: &[&str] = &[
    "توقعات",
    "التوقعات",
    "تنبؤات",
    "التنبؤات",
    "forecast",
    "forecasts",
];

/// Words allowed between a day number and its month: "15 من مارس", "15th of March".
pub const DAY_MONTH_JOINERS: &[&str] = &["من", "of"];

/// Words joining a list of signs ("الحمل و الثور", "Aries and Leo").
pub const COORDINATORS: &[&str] = &["و", "أو", "and", "or", "vs"];

/// Words right before a sign name that make it an ordinary word: the
/// disease (مرض السرطان, "breast cancer"), pregnancy (أعراض الحمل,
/// أثناء الحمل). They are checked only where the sign is not anchored by
/// برج, a hashtag of its own or an emoji.
pub const BLOCK_BEFORE: &[&str] = &[
    "مرض",
    "مرضى",
    "مريض",
    "مريضة",
    "علاج",
    "ورم",
    "أورام",
    "مكافحة",
    "محاربة",
    "مصاب",
    "مصابة",
    "مصابين",
    "اختبار",
    "تحليل",
    "أعراض",
    "فترة",
    "أثناء",
    "خلال",
    "منع",
    "حبوب",
    "تأخر",
    "شهور",
    "أشهر",
    "breast",
    "lung",
    "skin",
    "prostate",
    "colon",
    "blood",
    "bone",
    "fight",
    "fighting",
    "beat",
    "beating",
    "against",
    "stage",
];

/// Words right after a sign name that make it an ordinary word ("سرطان الثدي",
/// "الحمل والولادة", "cancer research", "Leo Messi").
pub const BLOCK_AFTER: &[&str] = &[
    "الثدي",
    "الرئة",
    "الدم",
    "القولون",
    "البروستاتا",
    "الجلد",
    "الكبد",
    "المعدة",
    "الرحم",
    "والولادة",
    "الولادة",
    "survivor",
    "survivors",
    "awareness",
    "patient",
    "patients",
    "research",
    "treatment",
    "cells",
    "cell",
    "messi",
    "dicaprio",
];
