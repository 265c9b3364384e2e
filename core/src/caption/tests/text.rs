//! Reading a caption's text: folding, the word tables, numbers.

use super::*;
use crate::caption::lexicon::{SignForm, LEXICON};
use crate::caption::number::Number;
use crate::caption::periods::nearest_date;
use crate::caption::tables::Clarity;

// ---- normalize ----

#[test]
fn normalize_strips_diacritics_and_tatweel() {
    assert_eq!(normalize("تَوَقُّعَاتُ بُرْجِ الحَمَلِ"), "توقعات برج الحمل");
    assert_eq!(normalize("حـــظـــك الـيـــوم"), "حظك اليوم");
    // Dagger alef and Quranic marks.
    assert_eq!(normalize("هٰذا ۖ"), "هذا");
}

#[test]
fn normalize_folds_letter_variants() {
    assert_eq!(normalize("أبراج إبريل آذار ٱلأسد"), "ابراج ابريل اذار الاسد");
    assert_eq!(normalize("الشهرية"), "الشهريه");
    assert_eq!(normalize("الجدى"), "الجدي");
    assert_eq!(normalize("مؤشر التوائم"), "موشر التوايم");
    // Persian yeh, keheh and heh doachashmee.
    assert_eq!(normalize("\u{06CC}\u{06A9}\u{06BE}"), "يكه");
    // Hamza alone stays.
    assert_eq!(normalize("الجوزاء"), "الجوزاء");
}

#[test]
fn normalize_folds_digits_and_keeps_numeric_dates() {
    assert_eq!(normalize("١٥/٣/٢٠٢٦"), "15/3/2026");
    assert_eq!(normalize("۱۵ آذار"), "15 اذار");
    assert_eq!(normalize("2026-03-15."), "2026-03-15");
    assert_eq!(normalize("15th of March"), "15th of march");
    // A separator not between digits separates.
    assert_eq!(normalize("15/ 3 -x"), "15 3 x");
    // Arabic letters and digits do not share a word.
    assert_eq!(normalize("١٥مارس"), "15 مارس");
}

#[test]
fn normalize_lowercases_and_folds_styled_latin() {
    assert_eq!(normalize("ARIES Horoscope"), "aries horoscope");
    assert_eq!(normalize("𝐀𝐫𝐢𝐞𝐬 𝓛𝓮𝓸"), "aries leo");
    assert_eq!(normalize("ＡＲＩＥＳ"), "aries");
}

#[test]
fn normalize_hashtags_emoji_and_separators() {
    assert_eq!(normalize("#برج_الحمل #fyp"), "#برج #الحمل #fyp");
    assert_eq!(normalize("#AriesHoroscope"), "#aries #horoscope");
    assert_eq!(normalize("♈️♉ برج"), "♈ ♉ برج");
    assert_eq!(normalize("الحمل♈"), "الحمل ♈");
    assert_eq!(normalize("today’s, horoscope!!"), "today s horoscope");
    assert_eq!(normalize("حظك، اليوم؟ نعم؛"), "حظك اليوم نعم");
    assert_eq!(normalize("snake_case"), "snake case");
    assert_eq!(normalize("🔥🔥"), "");
    assert_eq!(normalize(""), "");
}

#[test]
fn normalize_drops_invisible_characters_inside_words() {
    assert_eq!(normalize("الح\u{200C}مل"), "الحمل");
    assert_eq!(normalize("\u{200F}برج\u{200E} \u{FEFF}الحمل"), "برج الحمل");
    assert_eq!(normalize("a\u{0}b\u{7}c"), "a b c");
}

#[test]
fn normalize_folds_presentation_forms() {
    assert_eq!(normalize("ﺑﺮﺝ ﺍﻟﺤﻤﻞ"), "برج الحمل");
    assert_eq!(normalize("ﻻ"), "لا");
}

#[test]
fn normalize_splits_scripts() {
    assert_eq!(normalize("برجAries"), "برج aries");
    assert_eq!(normalize("mp3"), "mp 3");
}

#[test]
fn normalize_reads_at_most_max_chars() {
    let long = "a ".repeat(MAX_CHARS);
    assert_eq!(normalize(&long).split(' ').count(), MAX_CHARS / 2);
}

// ---- tables ----

#[test]
fn tables_fold_to_single_words_without_clashes() {
    assert!(
        LEXICON.not_one_word.is_empty(),
        "{:?}",
        LEXICON.not_one_word
    );
    assert!(LEXICON.conflicts.is_empty(), "{:?}", LEXICON.conflicts);
}

#[test]
fn arabic_clitics_are_stripped() {
    for word in ["لبرج", "وبرج", "ببرج", "فبرج"] {
        assert!(LEXICON.lookup(word).is_some_and(|e| e.burj), "{word}");
    }
    for word in ["والحوت", "للحوت", "بالحوت", "وللحوت", "كالحوت"] {
        let e = LEXICON.lookup(&normalize(word)).unwrap();
        assert_eq!(
            e.sign,
            Some((Sign::Pisces, SignForm::Name(Clarity::Ambiguous))),
            "{word}"
        );
    }
    // آب only as written: باب is a door.
    assert!(LEXICON
        .lookup(&normalize("آب"))
        .is_some_and(|e| e.month.is_some()));
    assert!(LEXICON.lookup("باب").is_none());
}

// ---- numbers ----

/// The (day, month) readings of a numeric date; `None` when it is no date.
fn readings(text: &str) -> Option<Vec<(u32, u32)>> {
    match Number::parse(text)? {
        date @ Number::Date { .. } => Some(date.readings().collect()),
        Number::Int { .. } => None,
    }
}

#[test]
fn numeric_dates() {
    let year = |text| match Number::parse(text) {
        Some(Number::Date { year, .. }) => year,
        _ => None,
    };
    // Day first, then month first; impossible readings left out.
    assert_eq!(readings("12/08"), Some(vec![(12, 8), (8, 12)]));
    assert_eq!(readings("12-08"), Some(vec![(12, 8), (8, 12)]));
    assert_eq!(readings("12.08"), Some(vec![(12, 8), (8, 12)]));
    assert_eq!(readings(&normalize("١٢/٠٨")), Some(vec![(12, 8), (8, 12)]));
    assert_eq!(readings("15/3"), Some(vec![(15, 3)]));
    assert_eq!(readings("3/15"), Some(vec![(15, 3)]));
    assert_eq!(readings("15-3-2026"), Some(vec![(15, 3)]));
    assert_eq!(year("15-3-2026"), Some(2026));
    assert_eq!(readings("5/6/2026"), Some(vec![(5, 6), (6, 5)]));
    // Year first is year, month, day only.
    assert_eq!(readings("2026-03-04"), Some(vec![(4, 3)]));
    assert_eq!(year("2026-03-04"), Some(2026));
    assert_eq!(readings("15.3.26"), Some(vec![(15, 3)]));
    assert_eq!(year("15.3.26"), Some(2026));
    // 31/2 is a day and a month, though no date: left to the calendar.
    assert_eq!(readings("31/2"), Some(vec![(31, 2)]));
    assert_eq!(readings("32/1"), None);
    assert_eq!(readings("15/13"), None);
    assert_eq!(readings("13/13"), None);
    assert_eq!(readings("0/5"), None);
    assert_eq!(readings("1/2/3/4"), None);
    assert_eq!(readings("99999/1"), None);
    assert_eq!(Number::parse("15th").and_then(Number::day), Some(15));
    assert_eq!(Number::parse("2026").and_then(Number::year), Some(2026));
    assert_eq!(Number::parse("2026").and_then(Number::day), None);
    assert_eq!(Number::parse("9pm"), None);
}

#[test]
fn numeric_dates_take_the_reading_nearest_the_post() {
    let d = |text: &str, posted: NaiveDate| {
        let number = Number::parse(text).unwrap();
        let year = match number {
            Number::Date { year, .. } => year,
            Number::Int { .. } => None,
        };
        nearest_date(number.readings(), year, posted)
    };
    // 12/08 is 12 August near August, 8 December near December.
    assert_eq!(d("12/08", date(2026, 8, 10)), Some(date(2026, 8, 12)));
    assert_eq!(d("12/08", date(2026, 12, 7)), Some(date(2026, 12, 8)));
    assert_eq!(d("12-08", date(2026, 12, 7)), Some(date(2026, 12, 8)));
    assert_eq!(d("12.08", date(2026, 8, 11)), Some(date(2026, 8, 12)));
    // And in January, last December's 8th.
    assert_eq!(d("12/08", date(2027, 1, 3)), Some(date(2026, 12, 8)));
    // Across the year end, both ways.
    assert_eq!(d("01/01", date(2026, 12, 31)), Some(date(2027, 1, 1)));
    assert_eq!(d("31/12", date(2027, 1, 1)), Some(date(2026, 12, 31)));
    assert_eq!(d("12/31", date(2027, 1, 1)), Some(date(2026, 12, 31)));
    assert_eq!(d("1/12", date(2026, 12, 31)), Some(date(2027, 1, 12)));
    // With the year written, only that year.
    assert_eq!(d("05/06/2026", date(2026, 5, 8)), Some(date(2026, 5, 6)));
    assert_eq!(d("05/06/2026", date(2026, 6, 3)), Some(date(2026, 6, 5)));
    assert_eq!(d("2026-04-03", date(2026, 3, 10)), Some(date(2026, 4, 3)));
    // Equally near on either side: the later day.
    assert_eq!(d("5/6", date(2026, 5, 21)), Some(date(2026, 6, 5)));
    // No valid reading, no date.
    assert_eq!(d("31/2", date(2026, 3, 10)), None);
    assert_eq!(d("30/2", date(2028, 2, 28)), None);
    // 29 February only in a leap year, the nearest.
    assert_eq!(d("29/2", date(2028, 3, 1)), Some(date(2028, 2, 29)));
}
