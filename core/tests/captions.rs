//! The caption classifier against two labelled sets of real-looking
//! captions (caption, posted_at, time zone, scope, sign, date; `-` for
//! none; a line without a tab is a comment or the header):
//! `data/captions.tsv`, written with the rules, and
//! `data/captions_independent.tsv`, labelled by the contract alone by
//! someone who had not seen the rules (the fairer measure). Prints each
//! set's accuracy and every miss; fails below 97% exact or on any wrong
//! sign (a sign where the label has another or none) in either.

use chrono::{DateTime, NaiveDate, Utc};
use samia_core::caption::{classify, parse_time_zone, Classification, Scope};
use samia_core::Sign;

struct Case {
    line: usize,
    caption: String,
    posted_at: DateTime<Utc>,
    zone: chrono_tz::Tz,
    expected: Classification,
}

fn field<T>(value: &str, parse: impl Fn(&str) -> Option<T>, line: usize, what: &str) -> Option<T> {
    if value == "-" {
        return None;
    }
    Some(parse(value).unwrap_or_else(|| panic!("line {line}: bad {what} {value:?}")))
}

fn cases(data: &str) -> Vec<Case> {
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with("caption\t"))
        // A case has tabs; a comment (`# ...`) does not, though a caption may
        // start with a #hashtag.
        .filter(|(_, l)| l.contains('\t'))
        .map(|(i, l)| {
            let line = i + 1;
            let f: Vec<&str> = l.split('\t').map(str::trim).collect();
            assert_eq!(
                f.len(),
                6,
                "line {line}: 6 tab-separated fields, got {}",
                f.len()
            );
            Case {
                line,
                caption: f[0].replace("\\n", "\n"),
                posted_at: DateTime::parse_from_rfc3339(f[1])
                    .unwrap_or_else(|e| panic!("line {line}: posted_at {:?}: {e}", f[1]))
                    .with_timezone(&Utc),
                zone: parse_time_zone(f[2])
                    .unwrap_or_else(|| panic!("line {line}: zone {:?}", f[2])),
                expected: Classification {
                    scope: field(f[3], Scope::from_name, line, "scope"),
                    zodiac: field(f[4], Sign::from_name, line, "sign"),
                    ref_date: field(
                        f[5],
                        |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(),
                        line,
                        "date",
                    ),
                },
            }
        })
        .collect()
}

#[test]
fn the_captions_labelled_with_the_rules() {
    report("with the rules", &cases(include_str!("data/captions.tsv")));
}

#[test]
fn the_captions_labelled_independently() {
    report(
        "independently",
        &cases(include_str!("data/captions_independent.tsv")),
    );
}

fn report(set: &str, cases: &[Case]) {
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut exact = 0;
    let mut wrong_signs = 0;
    let mut misses = Vec::new();
    for case in cases {
        let got = classify(&case.caption, case.posted_at, case.zone);
        if got == case.expected {
            exact += 1;
            continue;
        }
        if got.zodiac.is_some() && got.zodiac != case.expected.zodiac {
            wrong_signs += 1;
        }
        misses.push(format!(
            "  line {}: {:?}\n    expected {}\n    got      {}",
            case.line,
            case.caption,
            case.expected.to_json(),
            got.to_json()
        ));
    }
    let accuracy = 100.0 * exact as f64 / cases.len() as f64;
    let started = std::time::Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        for case in cases {
            std::hint::black_box(classify(&case.caption, case.posted_at, case.zone));
        }
    }
    let per_second = (rounds * cases.len()) as f64 / started.elapsed().as_secs_f64();
    let report = format!(
        "caption classifier, set labelled {set}: {} captions, {exact} exact ({accuracy:.1}%), {wrong_signs} wrong signs, \
         {per_second:.0} captions/s in Rust (unoptimised unless built with --release)\n{}",
        cases.len(),
        misses.join("\n")
    );
    println!("{report}");
    eprintln!("{report}");
    assert_eq!(wrong_signs, 0, "a wrong sign is worse than none");
    assert!(accuracy >= 97.0, "accuracy {accuracy:.1}% is under 97%");
}
