//! Apparent geocentric positions: light-time, light deflection by the Sun,
//! annual aberration, precession and nutation to the true ecliptic of date.

use super::frames::Frame;
use super::vector::{add, cross, dot, norm, scale, sub, to_spherical, Vec3};
use super::{elp, nodes, pluto, vsop87};

/// Speed of light, AU per day.
pub const LIGHT_AU_PER_DAY: f64 = 173.144_632_674_240_3;
/// Gaussian gravitational constant squared: GM of the Sun in AU^3/day^2.
pub const GM_SUN: f64 = 0.017_202_098_95 * 0.017_202_098_95;
/// Schwarzschild radius of the Sun (2 GM / c^2), AU.
const SUN_SCHWARZSCHILD: f64 = 1.974_125_743_36e-8;
/// Radius of the Sun, AU.
const SUN_RADIUS: f64 = 0.004_650_47;
const DEG: f64 = 180.0 / std::f64::consts::PI;

/// The bodies of a chart, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    Sun,
    Moon,
    Mercury,
    Venus,
    Mars,
    Jupiter,
    Saturn,
    Uranus,
    Neptune,
    Pluto,
    MeanNode,
    TrueNode,
}

impl Body {
    pub const ALL: [Body; 12] = [
        Body::Sun,
        Body::Moon,
        Body::Mercury,
        Body::Venus,
        Body::Mars,
        Body::Jupiter,
        Body::Saturn,
        Body::Uranus,
        Body::Neptune,
        Body::Pluto,
        Body::MeanNode,
        Body::TrueNode,
    ];

    /// The JSON key (`sun`, `mean_node`, ...).
    pub const fn key(self) -> &'static str {
        match self {
            Body::Sun => "sun",
            Body::Moon => "moon",
            Body::Mercury => "mercury",
            Body::Venus => "venus",
            Body::Mars => "mars",
            Body::Jupiter => "jupiter",
            Body::Saturn => "saturn",
            Body::Uranus => "uranus",
            Body::Neptune => "neptune",
            Body::Pluto => "pluto",
            Body::MeanNode => "mean_node",
            Body::TrueNode => "true_node",
        }
    }

    /// The English name for a reader.
    pub const fn name(self) -> &'static str {
        match self {
            Body::Sun => "Sun",
            Body::Moon => "Moon",
            Body::Mercury => "Mercury",
            Body::Venus => "Venus",
            Body::Mars => "Mars",
            Body::Jupiter => "Jupiter",
            Body::Saturn => "Saturn",
            Body::Uranus => "Uranus",
            Body::Neptune => "Neptune",
            Body::Pluto => "Pluto",
            Body::MeanNode => "Mean Node",
            Body::TrueNode => "True Node",
        }
    }

    /// The body with this JSON key.
    pub fn from_key(key: &str) -> Option<Body> {
        Body::ALL.into_iter().find(|b| b.key() == key)
    }

    /// Sun to Pluto: the bodies that take part in aspects.
    pub const fn is_planet(self) -> bool {
        !matches!(self, Body::MeanNode | Body::TrueNode)
    }
}

/// An apparent position in the true ecliptic and equinox of date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Degrees in [0, 360).
    pub longitude: f64,
    /// Degrees.
    pub latitude: f64,
    /// Geocentric distance, AU.
    pub distance: f64,
    /// Degrees per day in longitude; negative when retrograde.
    pub speed: f64,
    /// Degrees per day in latitude.
    pub latitude_speed: f64,
}

impl Position {
    pub fn retrograde(&self) -> bool {
        self.speed < 0.0
    }
}

/// Positions of all twelve bodies at a TT Julian day, in [`Body::ALL`] order.
pub fn positions(jd_tt: f64) -> [Position; 12] {
    let frame = Frame::new(jd_tt);
    positions_in(&frame, jd_tt)
}

pub(crate) fn positions_in(frame: &Frame, jd_tt: f64) -> [Position; 12] {
    let earth = vsop87::EARTH.state(jd_tt);
    let moon = elp::state(jd_tt);
    let planet = |state: (Vec3, Vec3)| apparent_planet(frame, state, earth);
    [
        apparent_planet(frame, ([0.0; 3], [0.0; 3]), earth),
        apparent_moon(frame, moon),
        planet(vsop87::MERCURY.state(jd_tt)),
        planet(vsop87::VENUS.state(jd_tt)),
        planet(vsop87::MARS.state(jd_tt)),
        planet(vsop87::JUPITER.state(jd_tt)),
        planet(vsop87::SATURN.state(jd_tt)),
        planet(vsop87::URANUS.state(jd_tt)),
        planet(vsop87::NEPTUNE.state(jd_tt)),
        planet(pluto::state(jd_tt)),
        nodes::mean_node(frame, jd_tt),
        nodes::true_node(frame, moon, scale(earth.0, -1.0)),
    ]
}

/// A body given by its heliocentric state, seen from the Earth.
fn apparent_planet(frame: &Frame, body: (Vec3, Vec3), earth: (Vec3, Vec3)) -> Position {
    let (e, ev) = earth;
    let (p, pv) = body;
    let is_sun = norm(p) == 0.0;
    // Light-time: where the body was when the light left it.
    let mut g = sub(p, e);
    for _ in 0..2 {
        let tau = norm(g) / LIGHT_AU_PER_DAY;
        g = sub(sub(p, scale(pv, tau)), e);
    }
    let distance = norm(g);
    let tau = distance / LIGHT_AU_PER_DAY;
    // The body's velocity when the light left it, and the change of light-time.
    let r_p = norm(p);
    let pv_then = if is_sun {
        pv
    } else {
        add(pv, scale(p, tau * GM_SUN / (r_p * r_p * r_p)))
    };
    let closing = dot(g, sub(pv_then, ev)) / distance / LIGHT_AU_PER_DAY;
    let g_rate = sub(scale(pv_then, 1.0 - closing), ev);
    let mut u = scale(g, 1.0 / distance);
    if !is_sun {
        u = deflect(u, sub(p, scale(pv, tau)), e);
    }
    // Annual aberration (first order), with its rate from the Earth's acceleration.
    let beta = scale(ev, 1.0 / LIGHT_AU_PER_DAY);
    let r_e = norm(e);
    let beta_rate = scale(e, -GM_SUN / (r_e * r_e * r_e * LIGHT_AU_PER_DAY));
    let apparent = add(scale(u, distance), scale(beta, distance));
    let distance_rate = dot(g, g_rate) / distance;
    let apparent_rate = add(
        g_rate,
        add(scale(beta, distance_rate), scale(beta_rate, distance)),
    );
    finish(frame, apparent, apparent_rate, distance)
}

/// The Moon: light-time only (the annual aberration and the Earth's own motion
/// during the light-time cancel for a geocentric body).
fn apparent_moon(frame: &Frame, moon: (Vec3, Vec3)) -> Position {
    let (m, mv) = moon;
    let distance = norm(m);
    let g = sub(m, scale(mv, distance / LIGHT_AU_PER_DAY));
    finish(frame, g, mv, distance)
}

fn finish(frame: &Frame, pos: Vec3, vel: Vec3, distance: f64) -> Position {
    let (p, v) = frame.to_date(pos, vel);
    let (lon, lat, dlon, dlat) = to_spherical(p, v);
    Position {
        longitude: (lon * DEG).rem_euclid(360.0),
        latitude: lat * DEG,
        distance,
        speed: dlon * DEG,
        latitude_speed: dlat * DEG,
    }
}

/// Light deflection by the Sun (the general-relativistic formula for a body at a
/// finite distance): `u` observer-to-body unit vector, `body` and `observer`
/// heliocentric positions.
fn deflect(u: Vec3, body: Vec3, observer: Vec3) -> Vec3 {
    let em = norm(observer);
    let e = scale(observer, 1.0 / em);
    let q = scale(body, 1.0 / norm(body));
    let qpe = add(q, e);
    // A body behind the solar disk: only the mass inside the ray's impact
    // parameter deflects (approximate projected-mass profile of the Sun).
    let impact = em * norm(cross(u, e)) / SUN_RADIUS;
    let mass = if impact < 1.0 && dot(u, e) < 0.0 {
        1.0 - (1.0 - impact * impact).powi(16)
    } else {
        1.0
    };
    let w = mass * SUN_SCHWARZSCHILD / em / dot(q, qpe).max(1e-9);
    let shifted = add(u, scale(cross(u, cross(e, q)), w));
    scale(shifted, 1.0 / norm(shifted))
}
