//! The embedded gazetteer (`core/data/gazetteer.tsv`, made by
//! `scripts/gen-gazetteer.py` from GeoNames) and its name index.

use super::normalize::{normalize, ARABIC_ARTICLE};
use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../../data/gazetteer.tsv");

/// One city.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    pub name: &'static str,
    /// Other names (ASCII folding, Arabic names).
    pub other_names: Vec<&'static str>,
    pub country: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    pub timezone: &'static str,
    pub population: u64,
}

/// One country: ISO 3166-1 alpha-2 and alpha-3 codes and English name.
#[derive(Debug, Clone, PartialEq)]
pub struct Country {
    pub code: &'static str,
    pub code3: &'static str,
    pub name: &'static str,
}

pub struct Gazetteer {
    /// Ordered by population, largest first.
    pub cities: Vec<City>,
    pub countries: Vec<Country>,
    /// Normalized name -> city indexes (ascending, so by population).
    pub index: HashMap<String, Vec<u32>>,
}

/// The gazetteer, parsed on first use.
pub fn gazetteer() -> &'static Gazetteer {
    static CELL: OnceLock<Gazetteer> = OnceLock::new();
    CELL.get_or_init(|| parse(DATA))
}

fn parse(data: &'static str) -> Gazetteer {
    let mut zones: Vec<&'static str> = Vec::new();
    let mut countries = Vec::new();
    let mut cities = Vec::new();
    for line in data.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let fields: Vec<&'static str> = line.split('\t').collect();
        match fields.as_slice() {
            ["Z", rest @ ..] => zones = rest.to_vec(),
            ["C", code, code3, name] => countries.push(Country { code, code3, name }),
            [name, others, country, lat, lon, zone, population] => {
                let (Ok(latitude), Ok(longitude), Ok(zone), Ok(population)) = (
                    lat.parse::<f64>(),
                    lon.parse::<f64>(),
                    zone.parse::<usize>(),
                    population.parse::<u64>(),
                ) else {
                    continue;
                };
                let Some(timezone) = zones.get(zone) else {
                    continue;
                };
                cities.push(City {
                    name,
                    other_names: others.split('|').filter(|s| !s.is_empty()).collect(),
                    country,
                    latitude,
                    longitude,
                    timezone,
                    population,
                });
            }
            _ => {}
        }
    }
    let mut index: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, city) in cities.iter().enumerate() {
        for name in std::iter::once(&city.name).chain(city.other_names.iter()) {
            let key = normalize(name);
            let mut keys = vec![key.clone()];
            if let Some(bare) = key.strip_prefix(ARABIC_ARTICLE) {
                if bare.chars().count() > 2 {
                    keys.push(bare.trim().to_string());
                }
            }
            // "New York City", "Kuwait City": the word "City" may be left off.
            if let Some(bare) = key.strip_suffix(" city") {
                keys.push(bare.to_string());
            }
            for key in keys {
                let entry = index.entry(key).or_default();
                if entry.last() != Some(&(i as u32)) {
                    entry.push(i as u32);
                }
            }
        }
    }
    Gazetteer {
        cities,
        countries,
        index,
    }
}
