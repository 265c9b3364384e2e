//! Aspects between planets: the kinds, their angles and default orbs as data.

use super::ephemeris::{Body, Position};

/// An aspect kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AspectKind {
    Conjunction,
    Sextile,
    Square,
    Trine,
    Opposition,
}

/// One rule: the kind, its JSON name, its exact angle and its default orb (degrees).
pub struct AspectRule {
    pub kind: AspectKind,
    pub name: &'static str,
    pub angle: f64,
    pub default_orb: f64,
}

/// The aspects a chart looks for.
pub const ASPECT_RULES: [AspectRule; 5] = [
    AspectRule {
        kind: AspectKind::Conjunction,
        name: "conjunction",
        angle: 0.0,
        default_orb: 8.0,
    },
    AspectRule {
        kind: AspectKind::Sextile,
        name: "sextile",
        angle: 60.0,
        default_orb: 4.0,
    },
    AspectRule {
        kind: AspectKind::Square,
        name: "square",
        angle: 90.0,
        default_orb: 7.0,
    },
    AspectRule {
        kind: AspectKind::Trine,
        name: "trine",
        angle: 120.0,
        default_orb: 7.0,
    },
    AspectRule {
        kind: AspectKind::Opposition,
        name: "opposition",
        angle: 180.0,
        default_orb: 8.0,
    },
];

impl AspectKind {
    pub fn rule(self) -> &'static AspectRule {
        let i = match self {
            AspectKind::Conjunction => 0,
            AspectKind::Sextile => 1,
            AspectKind::Square => 2,
            AspectKind::Trine => 3,
            AspectKind::Opposition => 4,
        };
        &ASPECT_RULES[i]
    }

    pub fn name(self) -> &'static str {
        self.rule().name
    }

    pub fn from_name(name: &str) -> Option<AspectKind> {
        let name = name.trim();
        ASPECT_RULES
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
            .map(|r| r.kind)
    }
}

/// Orbs in degrees, in [`ASPECT_RULES`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orbs(pub [f64; 5]);

impl Default for Orbs {
    fn default() -> Self {
        Orbs(ASPECT_RULES.map(|r| r.default_orb))
    }
}

impl Orbs {
    /// The default orbs with one kind's orb replaced.
    pub fn with(mut self, kind: AspectKind, orb: f64) -> Orbs {
        let i = ASPECT_RULES
            .iter()
            .position(|r| r.kind == kind)
            .unwrap_or(0);
        self.0[i] = orb;
        self
    }
}

/// An aspect found in a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Aspect {
    pub first: Body,
    pub second: Body,
    pub kind: AspectKind,
    /// Distance from exact, degrees.
    pub orb: f64,
    /// True when the bodies are moving towards the exact angle.
    pub applying: bool,
}

/// Every aspect between two planets within its orb, tightest first within each pair order.
pub fn find_aspects(bodies: &[(Body, Position)], orbs: &Orbs) -> Vec<Aspect> {
    let planets: Vec<&(Body, Position)> = bodies.iter().filter(|(b, _)| b.is_planet()).collect();
    let mut found = Vec::new();
    for (i, (a, pa)) in planets.iter().enumerate() {
        for (b, pb) in planets.iter().skip(i + 1) {
            let apart = separation(pa.longitude, pb.longitude);
            for (rule, orb) in ASPECT_RULES.iter().zip(orbs.0) {
                let off = (apart - rule.angle).abs();
                if off <= orb {
                    // Applying when the distance from exact shrinks over the next moment.
                    let dt = 1e-3;
                    let later =
                        separation(pa.longitude + pa.speed * dt, pb.longitude + pb.speed * dt);
                    found.push(Aspect {
                        first: *a,
                        second: *b,
                        kind: rule.kind,
                        orb: off,
                        applying: (later - rule.angle).abs() < off,
                    });
                }
            }
        }
    }
    found
}

/// The angle between two longitudes, degrees in [0, 180].
pub fn separation(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 {
        360.0 - d
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(longitude: f64, speed: f64) -> Position {
        Position {
            longitude,
            latitude: 0.0,
            distance: 1.0,
            speed,
            latitude_speed: 0.0,
        }
    }

    #[test]
    fn trine_across_aries_applying_and_orbs_configurable() {
        let bodies = [(Body::Sun, at(355.0, 1.0)), (Body::Moon, at(116.0, 13.0))];
        let found = find_aspects(&bodies, &Orbs::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, AspectKind::Trine);
        assert!((found[0].orb - 1.0).abs() < 1e-9);
        assert!(
            !found[0].applying,
            "the Moon runs away from the exact trine"
        );
        let tight = Orbs::default().with(AspectKind::Trine, 0.5);
        assert!(find_aspects(&bodies, &tight).is_empty());
    }
}
