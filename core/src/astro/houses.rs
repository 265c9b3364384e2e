//! Ascendant, Midheaven and house cusps: Placidus (with Porphyry where Placidus
//! is undefined), Porphyry, Equal and Whole Sign.

use std::f64::consts::{FRAC_PI_2, PI, TAU};

const DEG: f64 = 180.0 / PI;
const RAD: f64 = PI / 180.0;

/// A house system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HouseSystem {
    Placidus,
    Porphyry,
    Equal,
    WholeSign,
}

/// The accepted spellings of each house system (lower case).
const NAMES: [(&str, HouseSystem); 7] = [
    ("placidus", HouseSystem::Placidus),
    ("porphyry", HouseSystem::Porphyry),
    ("equal", HouseSystem::Equal),
    ("whole_sign", HouseSystem::WholeSign),
    ("whole sign", HouseSystem::WholeSign),
    ("whole-sign", HouseSystem::WholeSign),
    ("wholesign", HouseSystem::WholeSign),
];

impl HouseSystem {
    /// Parses a house-system name, ignoring case and surrounding spaces.
    pub fn parse(name: &str) -> Option<HouseSystem> {
        let name = name.trim().to_ascii_lowercase();
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// The name used in chart JSON.
    pub const fn key(self) -> &'static str {
        match self {
            HouseSystem::Placidus => "placidus",
            HouseSystem::Porphyry => "porphyry",
            HouseSystem::Equal => "equal",
            HouseSystem::WholeSign => "whole_sign",
        }
    }

    /// The accepted names, for error messages.
    pub const ACCEPTED: &'static str = "placidus, porphyry, equal, whole_sign";
}

/// Angles and cusps of one chart, ecliptic longitudes in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct Houses {
    /// The system the cusps were computed with.
    pub system: HouseSystem,
    /// The system that was asked for (differs when Placidus fell back to Porphyry).
    pub requested: HouseSystem,
    pub ascendant: f64,
    pub midheaven: f64,
    /// Cusps of houses 1 to 12.
    pub cusps: [f64; 12],
    /// Why the system differs from the one requested, if it does.
    pub note: Option<String>,
}

/// Computes the houses from the local apparent sidereal time (`armc`, radians),
/// the geographic latitude (degrees) and the true obliquity (radians).
pub fn houses(armc: f64, latitude: f64, obliquity: f64, system: HouseSystem) -> Houses {
    let phi = latitude * RAD;
    let mc = midheaven(armc, obliquity);
    let mut asc = ascendant(armc, phi, obliquity);
    let mut used = system;
    let mut note = None;
    // Inside the polar circles the eastern horizon point of the ecliptic can lie
    // more than 180 degrees from the Midheaven; the opposite point is taken so
    // that the houses run in order (the Swiss Ephemeris convention).
    if (asc - mc).rem_euclid(TAU) > PI {
        asc = (asc + PI).rem_euclid(TAU);
    }
    let cusps = match system {
        HouseSystem::Placidus => match placidus(armc, phi, obliquity, asc, mc) {
            Some(c) => c,
            None => {
                used = HouseSystem::Porphyry;
                note = Some(format!(
                    "Placidus houses are undefined at latitude {latitude:.2} (beyond about 66.5 degrees some ecliptic points never rise or set); Porphyry houses are given instead"
                ));
                porphyry(asc, mc)
            }
        },
        HouseSystem::Porphyry => porphyry(asc, mc),
        HouseSystem::Equal => std::array::from_fn(|i| norm_deg(asc * DEG + 30.0 * i as f64)),
        HouseSystem::WholeSign => {
            let first = (asc * DEG / 30.0).floor() * 30.0;
            std::array::from_fn(|i| norm_deg(first + 30.0 * i as f64))
        }
    };
    Houses {
        system: used,
        requested: system,
        ascendant: norm_deg(asc * DEG),
        midheaven: norm_deg(mc * DEG),
        cusps,
        note,
    }
}

/// The house (1-12) that an ecliptic longitude falls in.
pub fn house_of(longitude: f64, cusps: &[f64; 12]) -> u8 {
    for i in 0..12 {
        let start = cusps[i];
        let end = cusps[(i + 1) % 12];
        let span = (end - start).rem_euclid(360.0);
        if (longitude - start).rem_euclid(360.0) < span {
            return i as u8 + 1;
        }
    }
    1
}

fn norm_deg(x: f64) -> f64 {
    let r = x.rem_euclid(360.0);
    if r >= 360.0 {
        0.0
    } else {
        r
    }
}

/// Ecliptic longitude (radians) of the point of the ecliptic with right ascension `ra`.
fn longitude_of_ra(ra: f64, obliquity: f64) -> f64 {
    ra.sin().atan2(ra.cos() * obliquity.cos()).rem_euclid(TAU)
}

fn midheaven(armc: f64, obliquity: f64) -> f64 {
    longitude_of_ra(armc, obliquity)
}

fn ascendant(armc: f64, phi: f64, obliquity: f64) -> f64 {
    let (se, ce) = obliquity.sin_cos();
    armc.cos()
        .atan2(-(armc.sin() * ce + phi.tan() * se))
        .rem_euclid(TAU)
}

/// Porphyry: each quadrant between the angles divided in three equal arcs.
fn porphyry(asc: f64, mc: f64) -> [f64; 12] {
    let (asc, mc) = (asc * DEG, mc * DEG);
    let east = (asc - mc).rem_euclid(360.0);
    let west = 180.0 - east;
    let mut c = [0.0; 12];
    c[9] = mc;
    c[10] = mc + east / 3.0;
    c[11] = mc + 2.0 * east / 3.0;
    c[0] = asc;
    c[1] = asc + west / 3.0;
    c[2] = asc + 2.0 * west / 3.0;
    opposite_cusps(c)
}

/// Fills houses 4-9 as the opposites of houses 10-3, and normalises.
fn opposite_cusps(mut c: [f64; 12]) -> [f64; 12] {
    for i in 0..3 {
        c[i + 3] = c[i + 9] + 180.0;
        c[i + 6] = c[i] + 180.0;
    }
    c.map(norm_deg)
}

/// Placidus: cusps 11 and 12 trisect the diurnal semi-arc of their own degree,
/// cusps 2 and 3 the nocturnal one. None where a cusp's degree never rises or sets.
fn placidus(armc: f64, phi: f64, obliquity: f64, asc: f64, mc: f64) -> Option<[f64; 12]> {
    if phi.abs() >= FRAC_PI_2 - obliquity {
        return None;
    }
    // (fraction of the semi-arc, above the horizon)
    let rules = [
        (1.0 / 3.0, true),
        (2.0 / 3.0, true),
        (2.0 / 3.0, false),
        (1.0 / 3.0, false),
    ];
    let mut found = [0.0; 4];
    for (slot, (fraction, diurnal)) in found.iter_mut().zip(rules) {
        *slot = placidus_cusp(armc, phi, obliquity, fraction, diurnal)? * DEG;
    }
    let mut c = [0.0; 12];
    c[0] = asc * DEG;
    c[9] = mc * DEG;
    c[10] = found[0];
    c[11] = found[1];
    c[1] = found[2];
    c[2] = found[3];
    Some(opposite_cusps(c))
}

fn placidus_cusp(armc: f64, phi: f64, obliquity: f64, fraction: f64, diurnal: bool) -> Option<f64> {
    let se = obliquity.sin();
    let ra_of = |ad: f64| {
        if diurnal {
            armc + fraction * (FRAC_PI_2 + ad)
        } else {
            armc + PI - fraction * (FRAC_PI_2 - ad)
        }
    };
    let mut lon = longitude_of_ra(ra_of(0.0), obliquity);
    for _ in 0..100 {
        let dec = (se * lon.sin()).asin();
        let x = phi.tan() * dec.tan();
        if x.abs() >= 1.0 {
            return None;
        }
        let next = longitude_of_ra(ra_of(x.asin()), obliquity);
        let delta = (next - lon + PI).rem_euclid(TAU) - PI;
        lon = next;
        if delta.abs() < 1e-12 {
            return Some(lon);
        }
    }
    Some(lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equator_at_zero_armc() {
        let h = houses(0.0, 0.0, 23.44 * RAD, HouseSystem::Placidus);
        assert!((h.midheaven - 0.0).abs() < 1e-9 || (h.midheaven - 360.0).abs() < 1e-9);
        assert!((h.ascendant - 90.0).abs() < 1e-9, "{}", h.ascendant);
    }

    #[test]
    fn house_of_wraps_around_aries() {
        let cusps = std::array::from_fn(|i| norm_deg(350.0 + 30.0 * i as f64));
        assert_eq!(house_of(355.0, &cusps), 1);
        assert_eq!(house_of(5.0, &cusps), 1);
        assert_eq!(house_of(21.0, &cusps), 2);
        assert_eq!(house_of(349.0, &cusps), 12);
    }
}
