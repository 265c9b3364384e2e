//! A readable summary of a chart for a reader: Sun, Moon and rising signs,
//! dominant element and modality, and the tightest aspects.

use super::signs::{element, modality, Element, Modality};
use crate::zodiac::Sign;
use serde_json::Value;
use std::fmt;

/// Points each body adds to its sign's element and modality.
const WEIGHTS: [(&str, u32); 10] = [
    ("sun", 2),
    ("moon", 2),
    ("mercury", 1),
    ("venus", 1),
    ("mars", 1),
    ("jupiter", 1),
    ("saturn", 1),
    ("uranus", 1),
    ("neptune", 1),
    ("pluto", 1),
];
/// Points for the Ascendant's sign, when the birth time is known.
const ASCENDANT_WEIGHT: u32 = 2;
/// Aspects at most this far from exact (degrees) are called tight.
const TIGHT_ORB: f64 = 2.0;
/// At most this many tight aspects are listed.
const TIGHT_LIMIT: usize = 5;

/// A chart JSON that is not the shape `natal_chart` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryError(pub String);

impl fmt::Display for SummaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a natal chart: {}", self.0)
    }
}

impl std::error::Error for SummaryError {}

fn sign_of_longitude(value: Option<&Value>) -> Option<Sign> {
    let lon = value?.as_f64()?;
    lon.is_finite()
        .then(|| Sign::ALL[((lon.rem_euclid(360.0) / 30.0).floor() as usize).min(11)])
}

fn body_sign(chart: &Value, key: &str) -> Result<Sign, SummaryError> {
    sign_of_longitude(chart.pointer(&format!("/bodies/{key}/longitude")))
        .ok_or_else(|| SummaryError(format!("bodies.{key}.longitude is missing or not a number")))
}

fn title(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Summarises a chart produced by `Chart::to_json` or `birth_chart`.
pub fn summarize(chart: &Value) -> Result<String, SummaryError> {
    let sun = body_sign(chart, "sun")?;
    let moon = body_sign(chart, "moon")?;
    let rising = sign_of_longitude(chart.pointer("/angles/ascendant"));
    let moon_changes = chart
        .pointer("/bodies/moon/sign_changes_that_day")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let mut elements = [0u32; 4];
    let mut modalities = [0u32; 3];
    let mut count = |sign: Sign, weight: u32| {
        elements[element(sign) as usize] += weight;
        modalities[modality(sign) as usize] += weight;
    };
    for (key, weight) in WEIGHTS {
        count(body_sign(chart, key)?, weight);
    }
    if let Some(sign) = rising {
        count(sign, ASCENDANT_WEIGHT);
    }

    let mut parts = Vec::new();
    let mut signs = format!("Sun in {}, Moon in {}", sun.name(), moon.name());
    if moon_changes {
        let range = chart
            .pointer("/bodies/moon/sign_range/1")
            .and_then(Value::as_str)
            .unwrap_or("the next sign");
        signs.push_str(&format!(
            " (the Moon moves into {range} that day, so its sign depends on the birth time)"
        ));
    }
    match rising {
        Some(sign) => signs.push_str(&format!(", {} rising.", sign.name())),
        None => signs.push_str("; rising sign unknown without a birth time."),
    }
    parts.push(signs);
    parts.push(format!(
        "Dominant element: {}. Dominant modality: {}.",
        leaders(&elements, &Element::ALL.map(Element::name)),
        leaders(&modalities, &Modality::ALL.map(Modality::name)),
    ));

    let mut tight: Vec<(f64, String)> = chart
        .get("aspects")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    let orb = a.get("orb")?.as_f64()?;
                    (orb <= TIGHT_ORB).then(|| {
                        let first = a.get("first")?.as_str()?;
                        let second = a.get("second")?.as_str()?;
                        let kind = a.get("type")?.as_str()?;
                        Some((
                            orb,
                            format!("{} {kind} {} ({orb:.1}°)", title(first), title(second)),
                        ))
                    })?
                })
                .collect()
        })
        .unwrap_or_default();
    tight.sort_by(|a, b| a.0.total_cmp(&b.0));
    if tight.is_empty() {
        parts.push(format!("No aspects within {TIGHT_ORB:.0}°."));
    } else {
        let list: Vec<String> = tight
            .into_iter()
            .take(TIGHT_LIMIT)
            .map(|(_, s)| s)
            .collect();
        parts.push(format!("Tight aspects: {}.", list.join(", ")));
    }
    Ok(parts.join(" "))
}

/// The name(s) with the highest count, joined with " and " on a tie.
fn leaders(counts: &[u32], names: &[&str]) -> String {
    let best = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .zip(names)
        .filter(|(c, _)| **c == best)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" and ")
}
