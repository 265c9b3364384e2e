//! What a receiver reads: every kind in both languages, times in their zone,
//! Arabic-Indic digits and Arabic plural forms, the default language by
//! country, and errors instead of panics.

use super::*;
use chrono::{Offset, TimeZone};
use chrono_tz::Africa::Cairo;
use serde_json::{json, Map};

const ARABIC_DIGITS: std::ops::RangeInclusive<char> = '\u{0660}'..='\u{0669}';

/// A call at 21:00 in Cairo on Tuesday 2 March 2027 (UTC+2 then).
const CAIRO_9PM: &str = "2027-03-02T19:00:00Z";

fn sample(spec: &KindSpec) -> Map<String, Value> {
    let mut params = Map::new();
    for &name in spec.params {
        let value = match param_type(name) {
            _ if spec.times.contains(&name) => json!(CAIRO_9PM),
            Some(ParamType::Number) if name == "minutes" => json!(15),
            Some(ParamType::Number) => json!(4217),
            Some(ParamType::Date) => json!("2027-03-02"),
            Some(ParamType::Sign) => json!("Aries"),
            Some(ParamType::OneOf(words)) => json!(words[0]),
            Some(ParamType::Text) if name == "reason" => json!("the sound is too quiet"),
            Some(ParamType::Text) if name == "pre_ritual" => json!("light a candle"),
            _ => json!("Tarot"),
        };
        params.insert(name.to_string(), value);
    }
    params
}

fn ok(kind: &str, l: Locale, params: &Value) -> Rendered {
    render(kind, l, params, Cairo).unwrap_or_else(|e| panic!("{kind} in {l}: {e}"))
}

fn has_arabic_digits(s: &str) -> bool {
    s.chars().any(|c| ARABIC_DIGITS.contains(&c))
}

fn has_arabic_letters(s: &str) -> bool {
    s.chars().any(|c| ('\u{0621}'..='\u{064A}').contains(&c))
}

/// Every kind, with every word of its choice parameters and with and without
/// its optional ones, renders in both languages: words and no leftovers of
/// Fluent (placeholders, isolation marks), Arabic numbers in Arabic-Indic
/// digits, English in ASCII ones.
#[test]
fn every_kind_renders_in_both_languages() {
    for spec in KINDS {
        let mut variants = vec![sample(spec)];
        for &name in spec.params {
            if let Some(ParamType::OneOf(words)) = param_type(name) {
                variants = variants
                    .into_iter()
                    .flat_map(|p| {
                        words.iter().map(move |w| {
                            let mut p = p.clone();
                            p.insert(name.to_string(), json!(w));
                            p
                        })
                    })
                    .collect();
            }
        }
        for &name in spec.optional {
            let without: Vec<_> = variants
                .iter()
                .map(|p| {
                    let mut p = p.clone();
                    p.remove(name);
                    p
                })
                .collect();
            variants.extend(without);
        }
        for params in &variants {
            let params = Value::Object(params.clone());
            for l in Locale::ALL {
                let r = ok(spec.kind, l, &params);
                for text in [&r.title, &r.body] {
                    assert!(!text.is_empty(), "{} {l}: empty text", spec.kind);
                    for c in [
                        '{', '}', '$', '\u{2068}', '\u{2069}', '\u{2066}', '\u{2067}',
                    ] {
                        assert!(!text.contains(c), "{} {l}: {c:?} in {text:?}", spec.kind);
                    }
                    match l {
                        Locale::Ar => {
                            assert!(has_arabic_letters(text), "{} ar: {text:?}", spec.kind);
                            assert!(
                                !text.chars().any(|c| c.is_ascii_digit()),
                                "{} ar: ASCII digits in {text:?}",
                                spec.kind
                            );
                        }
                        Locale::En => assert!(
                            !has_arabic_digits(text) && !has_arabic_letters(text),
                            "{} en: {text:?}",
                            spec.kind
                        ),
                    }
                }
                if spec.params.contains(&"order_id") {
                    let id = if l == Locale::Ar { "٤٢١٧" } else { "4217" };
                    assert!(r.body.contains(id), "{} {l}: {:?}", spec.kind, r.body);
                }
                assert!(
                    r.title.chars().count() <= 48,
                    "{} {l}: long title",
                    spec.kind
                );
            }
        }
    }
}

#[test]
fn a_call_at_nine_in_the_evening_in_cairo() {
    let params = json!({ "order_id": 42, "role": "client", "service": "Healing",
                         "start": CAIRO_9PM, "pre_ritual": "Light a candle and breathe slowly." });
    let ar = ok("call.booked", Locale::Ar, &params);
    let en = ok("call.booked", Locale::En, &params);
    println!("ar: {ar:?}\nen: {en:?}");
    assert!(ar.body.contains("٩:٠٠ م"), "{ar:?}");
    assert!(ar.body.contains("الثلاثاء، ٢ مارس"), "{ar:?}");
    assert!(
        ar.body.contains("٤٢") && ar.body.contains("«Healing»"),
        "{ar:?}"
    );
    assert!(!ar.body.contains('9') && !ar.body.contains("21"), "{ar:?}");
    assert!(en.body.contains("Tue, Mar 2, 9:00\u{202f}PM"), "{en:?}");
    assert!(en.body.contains("Order 42"), "{en:?}");
    assert!(en
        .body
        .ends_with("Before the call: Light a candle and breathe slowly."));
    assert!(ar
        .body
        .ends_with("قبل المكالمة: Light a candle and breathe slowly."));

    // No pre-ritual, no "Before the call".
    let plain = json!({ "order_id": 42, "role": "client", "service": "Healing",
                        "start": CAIRO_9PM, "pre_ritual": null });
    assert!(!ok("call.booked", Locale::En, &plain)
        .body
        .contains("Before"));
    assert!(!ok("call.booked", Locale::Ar, &plain).body.contains("قبل"));

    // The reader's copy names the service and the time, in the reader's zone.
    let reader = json!({ "order_id": 42, "role": "reader", "service": "Healing",
                         "start": CAIRO_9PM });
    let r = render(
        "call.booked",
        Locale::En,
        &reader,
        chrono_tz::Europe::London,
    );
    assert_eq!(
        r.map(|r| r.body),
        Ok("Order 42: a Healing at Tue, Mar 2, 7:00\u{202f}PM.".to_string())
    );
}

/// Egypt's daylight saving time of 2027, from the tz database: 21:00 local
/// is 21:00 on both sides of each change.
#[test]
fn nine_in_the_evening_either_side_of_egypts_clock_changes() {
    let hours = |utc: &str| -> i32 {
        let at = DateTime::parse_from_rfc3339(utc).map(|t| t.with_timezone(&Utc));
        let at = at.unwrap_or_else(|e| panic!("{utc}: {e}"));
        Cairo
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
            / 3600
    };
    // Thursday 29 April (+2), Friday 30 April (+3: clocks go from 00:00 to
    // 01:00 that night), Thursday 28 October (+3: back at 24:00), Friday 29
    // October (+2).
    let evenings = [
        ("2027-04-29T19:00:00Z", 2, "Thu, Apr 29", "الخميس، ٢٩ أبريل"),
        ("2027-04-30T18:00:00Z", 3, "Fri, Apr 30", "الجمعة، ٣٠ أبريل"),
        (
            "2027-10-28T18:00:00Z",
            3,
            "Thu, Oct 28",
            "الخميس، ٢٨ أكتوبر",
        ),
        (
            "2027-10-29T19:00:00Z",
            2,
            "Fri, Oct 29",
            "الجمعة، ٢٩ أكتوبر",
        ),
    ];
    for (utc, offset, en_day, ar_day) in evenings {
        assert_eq!(hours(utc), offset, "Cairo's offset at {utc}");
        let params = json!({ "order_id": 7, "service": "Tarot", "start": utc });
        let en = ok("call.moved", Locale::En, &params);
        let ar = ok("call.moved", Locale::Ar, &params);
        assert!(
            en.body.contains(&format!("{en_day}, 9:00\u{202f}PM")),
            "{utc}: {en:?}"
        );
        assert!(
            ar.body.contains(&format!("{ar_day}، ٩:٠٠ م")),
            "{utc}: {ar:?}"
        );
    }
    // The night the clocks go forward, 00:30 does not exist and 23:30 UTC is
    // already 02:30 local.
    let params = json!({ "order_id": 7, "service": "Tarot", "start": "2027-04-29T23:30:00Z" });
    assert!(ok("call.moved", Locale::En, &params)
        .body
        .contains("Fri, Apr 30, 2:30\u{202f}AM"));
}

/// Arabic's six plural categories as CLDR defines them, and the catalogs'
/// bundles choosing by them.
#[test]
fn arabic_numbers_take_their_cldr_plural_forms() {
    use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
    let cases = [
        (0, PluralCategory::ZERO, "zero"),
        (1, PluralCategory::ONE, "one"),
        (2, PluralCategory::TWO, "two"),
        (3, PluralCategory::FEW, "few"),
        (11, PluralCategory::MANY, "many"),
        (100, PluralCategory::OTHER, "other"),
    ];
    let ar: unic_langid::LanguageIdentifier = "ar".parse().unwrap_or_default();
    let rules = PluralRules::create(ar, PluralRuleType::CARDINAL);
    let rules = rules.unwrap_or_else(|e| panic!("{e}"));
    // A bundle made as the catalogs' are, over a message naming the category.
    let probe = "probe = { $n ->
        [zero] zero
        [one] one
        [two] two
        [few] few
        [many] many
       *[other] other
    } { $n }";
    let bundle = catalog::build(Locale::Ar, probe).unwrap_or_else(|e| panic!("{e}"));
    let pattern = bundle.get_message("probe").and_then(|m| m.value());
    let pattern = pattern.unwrap_or_else(|| panic!("no probe"));
    let digits = ["٠", "١", "٢", "٣", "١١", "١٠٠"];
    for ((n, category, word), digits) in cases.into_iter().zip(digits) {
        assert_eq!(rules.select(n), Ok(category), "{n}");
        let mut args = FluentArgs::new();
        args.set("n", n);
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&args), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(out, format!("{word} {digits}"), "{n}");
    }
    // The reminder's six forms differ from each other.
    let mut titles: Vec<String> = [0, 1, 2, 3, 11, 100]
        .iter()
        .map(|m| {
            let params = json!({ "order_id": 1, "role": "client", "service": "Tarot",
                                 "start": CAIRO_9PM, "minutes": m });
            ok("call.reminder", Locale::Ar, &params).title
        })
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 6, "{titles:?}");
}

#[test]
fn reminders_read_in_hours_when_whole() {
    let reminder = |l: Locale, role: &str, minutes: i64| {
        let params = json!({ "order_id": 42, "role": role, "service": "Tarot",
                             "start": CAIRO_9PM, "minutes": minutes });
        ok("call.reminder", l, &params)
    };
    let en = |m| reminder(Locale::En, "client", m).title;
    assert_eq!(en(15), "Your Tarot starts in 15 minutes");
    assert_eq!(en(1), "Your Tarot starts in one minute");
    assert_eq!(en(24 * 60), "Your Tarot starts in 24 hours");
    assert_eq!(en(60), "Your Tarot starts in one hour");
    assert_eq!(en(90), "Your Tarot starts in 90 minutes");
    assert_eq!(
        reminder(Locale::En, "reader", 15).title,
        "A Tarot starts in 15 minutes"
    );
    let ar15 = reminder(Locale::Ar, "client", 15);
    println!("ar 15 minutes: {ar15:?}");
    assert!(ar15.title.contains("١٥ دقيقة"), "{ar15:?}");
    assert!(ar15.body.contains("٩:٠٠ م"), "{ar15:?}");
    let ar24h = reminder(Locale::Ar, "client", 24 * 60).title;
    assert!(ar24h.contains("٢٤ ساعة"), "{ar24h}");
    assert!(reminder(Locale::Ar, "client", 120).title.contains("ساعتين"));
    assert!(reminder(Locale::Ar, "client", 180)
        .title
        .contains("٣ ساعات"));
}

#[test]
fn horoscopes_name_the_sign_and_the_period_in_the_locale() {
    let horoscope = |l, zodiac: &str, scope: &str| {
        let params = json!({ "zodiac": zodiac, "scope": scope, "ref_date": "2027-03-01" });
        ok("horoscope.published", l, &params)
    };
    let ar_names = [
        "الحمل",
        "الثور",
        "الجوزاء",
        "السرطان",
        "الأسد",
        "العذراء",
        "الميزان",
        "العقرب",
        "القوس",
        "الجدي",
        "الدلو",
        "الحوت",
    ];
    for (sign, name) in SIGN_NAMES.iter().zip(ar_names) {
        assert!(horoscope(Locale::Ar, sign, "daily").title.contains(name));
        assert!(horoscope(Locale::En, sign, "daily").title.contains(sign));
    }
    assert!(horoscope(Locale::En, "leo", "daily")
        .title
        .starts_with("Leo:"));
    let en = horoscope(Locale::En, "Leo", "monthly");
    assert_eq!(en.body, "Your horoscope for March 2027 is here.");
    let en = horoscope(Locale::En, "Leo", "daily");
    assert_eq!(en.body, "Your horoscope for Monday, March 1 is here.");
    let ar = horoscope(Locale::Ar, "Leo", "monthly");
    assert!(ar.body.contains("مارس ٢٠٢٧"), "{ar:?}");
    let ar = horoscope(Locale::Ar, "Leo", "daily");
    assert!(ar.body.contains("الاثنين، ١ مارس"), "{ar:?}");
}

#[test]
fn the_default_language_follows_the_country() {
    assert_eq!(ARAB_LEAGUE.len(), 22);
    let mut unique = ARAB_LEAGUE.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 22);
    for c in ARAB_LEAGUE {
        assert_eq!(Locale::default_for_country(Some(c)), Locale::Ar, "{c}");
    }
    for c in ["eg", " SA ", "ps", "km"] {
        assert_eq!(Locale::default_for_country(Some(c)), Locale::Ar, "{c}");
    }
    for c in ["US", "GB", "FR", "TR", "IR", "IL", "ER", "TD", "de"] {
        assert_eq!(Locale::default_for_country(Some(c)), Locale::En, "{c}");
    }
    assert_eq!(Locale::default_for_country(None), Locale::Ar);
    assert_eq!(Locale::default_for_country(Some("")), Locale::Ar);
}

#[test]
fn locale_codes() {
    for l in Locale::ALL {
        assert_eq!(Locale::from_code(l.code()), Some(l));
    }
    assert_eq!(Locale::from_code("AR"), Some(Locale::Ar));
    assert_eq!(Locale::from_code("ar-EG"), Some(Locale::Ar));
    assert_eq!(Locale::from_code("en_GB"), Some(Locale::En));
    assert_eq!(Locale::from_code("fr"), None);
    assert_eq!(Locale::from_code(""), None);
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let call = |params: Value| render("call.moved", Locale::Ar, &params, Cairo);
    assert_eq!(
        render("call.cancelled", Locale::En, &json!({}), Cairo),
        Err(NoticeError::UnknownKind("call.cancelled".into()))
    );
    let missing = call(json!({ "order_id": 1, "service": "Tarot" }));
    assert_eq!(
        missing,
        Err(NoticeError::MissingParam {
            kind: "call.moved",
            param: "start"
        })
    );
    let blank = call(json!({ "order_id": 1, "service": "  ", "start": CAIRO_9PM }));
    assert!(matches!(
        blank,
        Err(NoticeError::MissingParam {
            param: "service",
            ..
        })
    ));
    let bad_time = call(json!({ "order_id": 1, "service": "Tarot", "start": "tomorrow" }));
    assert!(matches!(
        &bad_time,
        Err(NoticeError::BadTime { param: "start", .. })
    ));
    let message = bad_time.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("\"tomorrow\"") && message.contains("RFC 3339"));
    let bad_id = call(json!({ "order_id": "forty", "service": "Tarot", "start": CAIRO_9PM }));
    assert!(matches!(
        bad_id,
        Err(NoticeError::BadParam {
            param: "order_id",
            ..
        })
    ));
    assert!(matches!(
        call(json!([1, 2])),
        Err(NoticeError::NotAnObject { .. })
    ));
    let sign = json!({ "zodiac": "Ophiuchus", "scope": "daily", "ref_date": "2027-03-01" });
    let sign = render("horoscope.published", Locale::En, &sign, Cairo);
    assert!(matches!(
        sign,
        Err(NoticeError::BadParam {
            param: "zodiac",
            ..
        })
    ));
    let scope = json!({ "zodiac": "Leo", "scope": "weekly", "ref_date": "2027-03-01" });
    let scope = render("horoscope.published", Locale::En, &scope, Cairo);
    assert!(matches!(
        scope,
        Err(NoticeError::BadParam { param: "scope", .. })
    ));
    let date = json!({ "zodiac": "Leo", "scope": "daily", "ref_date": "2027-02-30" });
    let date = render("horoscope.published", Locale::En, &date, Cairo);
    assert!(matches!(
        date,
        Err(NoticeError::BadParam {
            param: "ref_date",
            ..
        })
    ));
    // A kind without parameters takes null, {} or extra ones alike.
    for params in [Value::Null, json!({}), json!({ "phone": "+20..." })] {
        assert!(render("phone.verified", Locale::Ar, &params, Cairo).is_ok());
    }
    // An order id given as a string of digits is still a number.
    let as_text = call(json!({ "order_id": "42", "service": "Tarot", "start": CAIRO_9PM }));
    assert!(as_text.is_ok_and(|r| r.body.contains("٤٢")));
}

/// Odd values of every parameter give a text or an error, never a panic.
#[test]
fn odd_values_never_panic() {
    let odd = [
        json!(true),
        json!([]),
        json!({ "a": 1 }),
        json!(-1),
        json!(0.5),
        json!(1e300),
        json!(u64::MAX),
        json!("NaN"),
        json!("inf"),
        json!("0000-01-01T00:00:00Z"),
        json!("9999-12-31T23:59:59+14:00"),
        json!("\u{202e}\u{2068}"),
        json!("x".repeat(10_000)),
    ];
    for spec in KINDS {
        for &name in spec.params {
            for value in &odd {
                let mut params = sample(spec);
                params.insert(name.to_string(), value.clone());
                for l in Locale::ALL {
                    let _ = render(spec.kind, l, &Value::Object(params.clone()), Cairo);
                }
            }
        }
    }
}
