//! A natal chart: positions, angles, houses and aspects, and its JSON form.

use super::aspects::{find_aspects, Aspect, Orbs};
use super::ephemeris::{positions_in, Body, Position};
use super::frames::Frame;
use super::houses::{house_of, houses, HouseSystem, Houses};
use super::signs::SignPosition;
use super::time::{decimal_year, jd_tt};
use serde_json::{json, Map, Value};
use std::fmt;

/// First and last years a chart may be cast for.
pub const YEARS: (f64, f64) = (1800.0, 2100.0);

/// What a chart is cast with besides the instant and place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartOptions {
    pub house_system: HouseSystem,
    pub orbs: Orbs,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            house_system: HouseSystem::Placidus,
            orbs: Orbs::default(),
        }
    }
}

/// Bad input to a chart.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartError {
    UnknownHouseSystem(String),
    LatitudeOutOfRange(f64),
    LongitudeOutOfRange(f64),
    DateOutOfRange(f64),
}

impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChartError::UnknownHouseSystem(s) => write!(f, "unknown house system \"{s}\""),
            ChartError::LatitudeOutOfRange(x) => {
                write!(
                    f,
                    "latitude {x} is out of range: it must lie between -90 and 90 degrees"
                )
            }
            ChartError::LongitudeOutOfRange(x) => write!(
                f,
                "longitude {x} is out of range: it must lie between -180 and 180 degrees"
            ),
            ChartError::DateOutOfRange(y) => write!(
                f,
                "year {y:.0} is out of range: charts are cast for {:.0} to {:.0}",
                YEARS.0, YEARS.1
            ),
        }
    }
}

impl std::error::Error for ChartError {}

impl ChartError {
    /// What the caller can do about it.
    pub fn hint(&self) -> String {
        match self {
            ChartError::UnknownHouseSystem(_) => {
                format!("use one of: {}", HouseSystem::ACCEPTED)
            }
            ChartError::LatitudeOutOfRange(_) | ChartError::LongitudeOutOfRange(_) => {
                "latitude is north-positive, longitude east-positive, both in degrees".into()
            }
            ChartError::DateOutOfRange(_) => "check the birth date".into(),
        }
    }
}

/// A cast chart.
#[derive(Debug, Clone)]
pub struct Chart {
    pub jd_ut: f64,
    pub jd_tt: f64,
    pub latitude: f64,
    pub longitude: f64,
    pub bodies: Vec<(Body, Position)>,
    /// None when the birth time is unknown.
    pub houses: Option<Houses>,
    pub aspects: Vec<Aspect>,
    /// For a chart without birth time: the Moon's signs at the start and end of the day.
    pub moon_day_signs: Option<(SignPosition, SignPosition)>,
}

/// Casts a chart for a UT Julian day and a place (degrees, north and east positive).
pub fn natal_chart(
    jd_ut: f64,
    latitude: f64,
    longitude: f64,
    options: &ChartOptions,
) -> Result<Chart, ChartError> {
    check_date(jd_ut)?;
    natal_chart_tt(jd_ut, jd_tt(jd_ut), latitude, longitude, options)
}

/// Like [`natal_chart`] with Terrestrial Time given rather than modelled.
pub fn natal_chart_tt(
    jd_ut: f64,
    jd_tt: f64,
    latitude: f64,
    longitude: f64,
    options: &ChartOptions,
) -> Result<Chart, ChartError> {
    check_place(latitude, longitude)?;
    let frame = Frame::new(jd_tt);
    let positions = positions_in(&frame, jd_tt);
    let armc = (frame.sidereal_time(jd_ut, jd_tt) + longitude.to_radians())
        .rem_euclid(std::f64::consts::TAU);
    let houses = houses(armc, latitude, frame.true_obliquity(), options.house_system);
    let bodies: Vec<(Body, Position)> = Body::ALL.into_iter().zip(positions).collect();
    let aspects = find_aspects(&bodies, &options.orbs);
    Ok(Chart {
        jd_ut,
        jd_tt,
        latitude,
        longitude,
        bodies,
        houses: Some(houses),
        aspects,
        moon_day_signs: None,
    })
}

/// A chart for an unknown birth time: the bodies at `noon_jd_ut` (local noon),
/// no houses or angles, and the Moon's sign at the start and end of the local day.
pub fn noon_chart(
    noon_jd_ut: f64,
    day_start_jd_ut: f64,
    day_end_jd_ut: f64,
    latitude: f64,
    longitude: f64,
    options: &ChartOptions,
) -> Result<Chart, ChartError> {
    check_date(noon_jd_ut)?;
    check_place(latitude, longitude)?;
    let tt = jd_tt(noon_jd_ut);
    let frame = Frame::new(tt);
    let bodies: Vec<(Body, Position)> = Body::ALL
        .into_iter()
        .zip(positions_in(&frame, tt))
        .collect();
    let aspects = find_aspects(&bodies, &options.orbs);
    let moon_at = |jd_ut: f64| {
        let tt = jd_tt(jd_ut);
        SignPosition::of(positions_in(&Frame::new(tt), tt)[1].longitude)
    };
    Ok(Chart {
        jd_ut: noon_jd_ut,
        jd_tt: tt,
        latitude,
        longitude,
        bodies,
        houses: None,
        aspects,
        moon_day_signs: Some((moon_at(day_start_jd_ut), moon_at(day_end_jd_ut))),
    })
}

fn check_date(jd_ut: f64) -> Result<(), ChartError> {
    let year = decimal_year(jd_ut);
    if !(YEARS.0..YEARS.1 + 1.0).contains(&year) {
        return Err(ChartError::DateOutOfRange(year));
    }
    Ok(())
}

fn check_place(latitude: f64, longitude: f64) -> Result<(), ChartError> {
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(ChartError::LatitudeOutOfRange(latitude));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(ChartError::LongitudeOutOfRange(longitude));
    }
    Ok(())
}

impl Chart {
    /// The position of one body.
    pub fn body(&self, body: Body) -> Option<&Position> {
        self.bodies.iter().find(|(b, _)| *b == body).map(|(_, p)| p)
    }

    /// The chart as JSON: `bodies`, `angles`, `houses`, `house_system`, `aspects`, ...
    pub fn to_json(&self) -> Value {
        let mut bodies = Map::new();
        for (body, p) in &self.bodies {
            let sign = SignPosition::of(p.longitude);
            let mut entry = json!({
                "longitude": p.longitude,
                "latitude": p.latitude,
                "speed": p.speed,
                "sign": sign.sign.name(),
                "degree_in_sign": sign.degree,
                "retrograde": p.retrograde(),
                "distance_au": p.distance,
            });
            if let (Some(h), Value::Object(map)) = (&self.houses, &mut entry) {
                map.insert("house".into(), json!(house_of(p.longitude, &h.cusps)));
            }
            if *body == Body::Moon {
                if let (Some((start, end)), Value::Object(map)) = (&self.moon_day_signs, &mut entry)
                {
                    map.insert(
                        "sign_changes_that_day".into(),
                        json!(start.sign != end.sign),
                    );
                    map.insert(
                        "sign_range".into(),
                        json!([start.sign.name(), end.sign.name()]),
                    );
                }
            }
            bodies.insert(body.key().into(), entry);
        }
        let aspects: Vec<Value> = self
            .aspects
            .iter()
            .map(|a| {
                json!({
                    "first": a.first.key(),
                    "second": a.second.key(),
                    "type": a.kind.name(),
                    "angle": a.kind.rule().angle,
                    "orb": a.orb,
                    "applying": a.applying,
                })
            })
            .collect();
        let mut out = json!({
            "bodies": bodies,
            "aspects": aspects,
            "julian_day_ut": self.jd_ut,
            "delta_t_seconds": (self.jd_tt - self.jd_ut) * 86_400.0,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "birth_time_known": self.houses.is_some(),
            "zodiac": "tropical",
        });
        if let Value::Object(map) = &mut out {
            match &self.houses {
                Some(h) => {
                    map.insert(
                        "angles".into(),
                        json!({"ascendant": h.ascendant, "midheaven": h.midheaven}),
                    );
                    map.insert("houses".into(), json!(h.cusps));
                    map.insert("house_system".into(), json!(h.system.key()));
                    map.insert("house_system_requested".into(), json!(h.requested.key()));
                    if let Some(note) = &h.note {
                        map.insert("notes".into(), json!([note]));
                    }
                }
                None => {
                    map.insert("house_system".into(), Value::Null);
                    map.insert(
                        "notes".into(),
                        json!(["birth time unknown: positions are for local noon, without houses or angles"]),
                    );
                }
            }
        }
        out
    }
}
