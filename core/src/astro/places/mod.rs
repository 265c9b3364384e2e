//! Birth places: an offline gazetteer of world cities (GeoNames, cities of
//! 15,000 people or more, with English and Arabic names) resolved to latitude,
//! longitude and IANA time zone, and local birth times turned into UTC with the
//! historical offsets of the tz database.
//!
//! A name is looked up case- and accent-insensitively (Arabic: hamza forms of
//! alef, taa marbuta, alef maqsura and diacritics are folded, and the article
//! "ال" may be left off). "City, Country" narrows by country (ISO code or
//! English name). When several cities share the name, the most populous is
//! chosen and the others are counted in `alternatives`. An unknown name is an
//! error listing the closest names.

mod gazetteer;
pub mod local_time;
mod normalize;

pub use gazetteer::{City, Country};
pub use local_time::{local_to_utc, LocalInstant, LocalTimeKind};
pub use normalize::normalize;

use gazetteer::gazetteer;
use std::fmt;

/// A resolved birth place.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub city: &'static City,
    /// The country's English name.
    pub country_name: &'static str,
    /// Other cities that the query also matched.
    pub alternatives: usize,
}

/// Why a place could not be resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceError {
    Empty,
    Unknown {
        query: String,
        suggestions: Vec<String>,
    },
    UnknownTimeZone(String),
}

impl fmt::Display for PlaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlaceError::Empty => write!(f, "birth place is empty"),
            PlaceError::Unknown { query, suggestions } if suggestions.is_empty() => {
                write!(f, "unknown birth place \"{query}\"")
            }
            PlaceError::Unknown { query, suggestions } => write!(
                f,
                "unknown birth place \"{query}\"; closest matches: {}",
                suggestions.join("; ")
            ),
            PlaceError::UnknownTimeZone(tz) => write!(f, "unknown time zone \"{tz}\""),
        }
    }
}

impl std::error::Error for PlaceError {}

/// How many close matches an unknown-place error lists.
const SUGGESTIONS: usize = 5;
/// Separators between a city and its country ("Cairo, Egypt", "القاهرة، مصر").
const QUALIFIER_SEPARATORS: [char; 2] = [',', '،'];

/// Resolves a birth place given in English or Arabic.
pub fn resolve(query: &str) -> Result<Place, PlaceError> {
    let g = gazetteer();
    let (city_part, qualifier) = match query.split_once(QUALIFIER_SEPARATORS) {
        Some((city, rest)) => (city, Some(rest.trim())),
        None => (query, None),
    };
    let key = normalize(city_part);
    if key.is_empty() {
        return Err(PlaceError::Empty);
    }
    let candidates: Vec<u32> = lookup(&key);
    let country = qualifier.and_then(find_country);
    let matching: Vec<u32> = match country {
        Some(c) => candidates
            .iter()
            .copied()
            .filter(|&i| {
                g.cities
                    .get(i as usize)
                    .is_some_and(|city| city.country == c.code)
            })
            .collect(),
        None => candidates,
    };
    let Some(&best) = matching.first() else {
        return Err(PlaceError::Unknown {
            query: query.trim().to_string(),
            suggestions: suggestions(&key),
        });
    };
    let Some(city) = g.cities.get(best as usize) else {
        return Err(PlaceError::Empty);
    };
    Ok(Place {
        city,
        country_name: country_name(city.country),
        alternatives: matching.len() - 1,
    })
}

fn lookup(key: &str) -> Vec<u32> {
    let g = gazetteer();
    if let Some(found) = g.index.get(key) {
        return found.clone();
    }
    key.strip_prefix(normalize::ARABIC_ARTICLE)
        .and_then(|bare| g.index.get(bare.trim()))
        .cloned()
        .unwrap_or_default()
}

fn find_country(qualifier: &str) -> Option<&'static Country> {
    let q = normalize(qualifier);
    if q.is_empty() {
        return None;
    }
    gazetteer().countries.iter().find(|c| {
        c.code.eq_ignore_ascii_case(&q)
            || c.code3.eq_ignore_ascii_case(&q)
            || normalize(c.name) == q
    })
}

fn country_name(code: &str) -> &'static str {
    gazetteer()
        .countries
        .iter()
        .find(|c| c.code == code)
        .map_or("", |c| c.name)
}

/// The names closest to `key` by edit distance, most populous first among equals.
fn suggestions(key: &str) -> Vec<String> {
    let g = gazetteer();
    let target: Vec<char> = key.chars().collect();
    let limit = (target.len() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, u32, &String)> = Vec::new();
    for (name, ids) in &g.index {
        let len = name.chars().count();
        if len.abs_diff(target.len()) > limit {
            continue;
        }
        let d = edit_distance(&target, name);
        if d <= limit {
            if let Some(&first) = ids.first() {
                scored.push((d, first, name));
            }
        }
    }
    scored.sort();
    let mut out: Vec<String> = Vec::new();
    for (_, id, _) in scored {
        let Some(city) = g.cities.get(id as usize) else {
            continue;
        };
        let label = format!("{}, {}", city.name, country_name(city.country));
        if !out.contains(&label) {
            out.push(label);
        }
        if out.len() == SUGGESTIONS {
            break;
        }
    }
    out
}

fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}
