//! No panic, and no slow path, on any input.

use super::*;

// ---- no panic on any input ----

/// A small linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Characters that exercise the classifier: Arabic letters, marks, digits,
/// separators, emoji, hashtags, invisible and control characters.
const POOL: &[char] = &[
    'ا',
    'ل',
    'ح',
    'م',
    'ب',
    'ر',
    'ج',
    'و',
    'ي',
    'ة',
    'ى',
    'أ',
    'آ',
    'ـ',
    '\u{064E}',
    '\u{0670}',
    '٠',
    '٥',
    '۹',
    '0',
    '1',
    '2',
    '/',
    '-',
    '.',
    '#',
    '_',
    ' ',
    '\n',
    '\t',
    '\u{0}',
    '\u{200C}',
    '\u{FE0F}',
    '♈',
    '♓',
    '⛎',
    '🔥',
    'a',
    'R',
    'i',
    'e',
    's',
    'Z',
    'İ',
    'ß',
    '𝐀',
    'Ａ',
    'ﻻ',
    'ﺍ',
    '،',
    '؟',
    '\u{202E}',
    '\u{10FFFF}',
    '\u{E000}',
];

fn random_text(rng: &mut Lcg, len: usize) -> String {
    (0..len)
        .map(|_| {
            if rng.below(4) == 0 {
                // Any scalar value.
                char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('?')
            } else {
                POOL[rng.below(POOL.len() as u64) as usize]
            }
        })
        .collect()
}

fn check_invariants(caption: &str, posted: DateTime<Utc>, tz: Tz) {
    let c = classify(caption, posted, tz);
    if c.scope.is_none() {
        assert_eq!(c.ref_date, None, "{caption:?}");
    }
    let json = c.to_json();
    assert!(json.is_object());
    let _ = normalize(caption);
}

#[test]
fn fuzz_never_panics() {
    let mut rng = Lcg(0x5A31_A7A2_07C0_FFEE);
    let zones = [
        chrono_tz::Africa::Cairo,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Pacific::Pago_Pago,
    ];
    for round in 0..3000 {
        let len = rng.below(60) as usize;
        let text = random_text(&mut rng, len);
        let posted = Utc
            .timestamp_opt(rng.below(4_000_000_000) as i64, 0)
            .unwrap();
        check_invariants(&text, posted, zones[round % zones.len()]);
    }
    // Real words shuffled: more of the rules fire.
    let words: Vec<&str> = [
        "برج",
        "الحمل",
        "♈",
        "حظك",
        "اليوم",
        "بكرة",
        "شهر",
        "مارس",
        "آب",
        "15",
        "3/15",
        "2026",
        "of",
        "march",
        "may",
        "#aries",
        "#برج_الحوت",
        "horoscope",
        "daily",
        "والثور",
        "يا",
        "عقرب",
        "كانون",
        "الثاني",
        "الشهر",
        "الجاي",
        "31/2",
        "29",
        "فبراير",
        "weekly",
        "cancer",
        "research",
        "and",
        "leo",
        "٣١",
        "ديسمبر",
        "0/0",
        "9999-99-99",
    ]
    .to_vec();
    for _ in 0..3000 {
        let n = rng.below(12) as usize;
        let text: Vec<&str> = (0..n)
            .map(|_| words[rng.below(words.len() as u64) as usize])
            .collect();
        let posted = utc(
            2026,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
            rng.below(24) as u32,
            0,
        );
        check_invariants(&text.join(" "), posted, chrono_tz::Africa::Cairo);
    }
}

#[test]
fn extreme_inputs() {
    let now = utc(2026, 3, 10, 10, 0);
    // Huge inputs are read only up to MAX_CHARS.
    let huge = "برج الحمل اليوم ".repeat(100_000);
    assert_eq!(at(&huge, now).zodiac, Some(Sign::Aries));
    let one_word = "ب".repeat(1_000_000);
    assert_eq!(at(&one_word, now), Classification::default());
    let digits = "1".repeat(100_000);
    assert_eq!(at(&digits, now), Classification::default());
    let hashes = "#".repeat(100_000);
    assert_eq!(at(&hashes, now), Classification::default());
    let control: String = (0u8..32).map(char::from).collect();
    assert_eq!(at(&control, now), Classification::default());
    // The ends of chrono's range.
    let min = DateTime::<Utc>::MIN_UTC;
    let max = DateTime::<Utc>::MAX_UTC;
    for posted in [min, max] {
        for caption in [
            "برج الحمل بكرة",
            "برج الحمل الشهر الجاي",
            "برج الحمل 31 ديسمبر",
            "برج الحمل شهر يناير",
        ] {
            check_invariants(caption, posted, chrono_tz::Pacific::Kiritimati);
            check_invariants(caption, posted, chrono_tz::Pacific::Pago_Pago);
        }
    }
}

#[test]
fn pathological_inputs_stay_fast() {
    let now = utc(2026, 3, 10, 10, 0);
    let inputs = [
        format!("#{}", "a".repeat(20_000)),
        "الحمل ".repeat(5_000) + "♈",
        "leo and ".repeat(3_000) + "horoscope",
        "كانون ".repeat(5_000),
        "#x_".repeat(5_000),
        format!("#{}", "الحمل_".repeat(5_000)),
    ];
    for input in &inputs {
        let start = std::time::Instant::now();
        let _ = at(input, now);
        // Generous, for slow unoptimized builds on a busy machine.
        assert!(
            start.elapsed().as_secs() < 2,
            "{} chars took {:?}",
            input.len(),
            start.elapsed()
        );
    }
}
