//! The lunar nodes: the mean node (a polynomial in time) and the true node
//! (the osculating node of the Moon's geocentric orbit).

use super::ephemeris::{Position, GM_SUN};
use super::frames::Frame;
use super::time::{centuries, DAYS_PER_CENTURY};
use super::vector::{cross, norm, scale, sub, Vec3};

const DEG: f64 = 180.0 / std::f64::consts::PI;
/// The Moon's mean distance, AU, reported as the nodes' distance.
const MEAN_MOON_DISTANCE: f64 = 0.002_569_555;

/// The mean ascending node (ELP 2000-85 / Chapront polynomial), true equinox of date.
pub(crate) fn mean_node(frame: &Frame, jd_tt: f64) -> Position {
    let t = centuries(jd_tt);
    let omega = 125.044_547_9
        + t * (-1_934.136_289_1 + t * (0.002_075_4 + t * (1.0 / 467_441.0 - t / 60_616_000.0)));
    let rate =
        -1_934.136_289_1 + t * (2.0 * 0.002_075_4 + t * (3.0 / 467_441.0 - t * 4.0 / 60_616_000.0));
    Position {
        longitude: (omega + frame.nutation_longitude * DEG).rem_euclid(360.0),
        latitude: 0.0,
        distance: MEAN_MOON_DISTANCE,
        speed: rate / DAYS_PER_CENTURY,
        latitude_speed: 0.0,
    }
}

/// The osculating ascending node of the Moon's geocentric orbit. `moon` is its
/// geometric state and `sun` the Sun's geocentric position (J2000 ecliptic, AU);
/// the node's motion comes from the solar tidal acceleration turning the orbit.
pub(crate) fn true_node(frame: &Frame, moon: (Vec3, Vec3), sun: Vec3) -> Position {
    let (r, v) = moon;
    let h = cross(r, v);
    let to_sun = sub(sun, r);
    let d = norm(to_sun);
    let s = norm(sun);
    let tidal = sub(
        scale(to_sun, GM_SUN / (d * d * d)),
        scale(sun, GM_SUN / (s * s * s)),
    );
    let h_rate = cross(r, tidal);
    let (h, h_rate) = frame.to_date(h, h_rate);
    let node = h[0].atan2(-h[1]);
    let rate = (h[0] * h_rate[1] - h[1] * h_rate[0]) / (h[0] * h[0] + h[1] * h[1]);
    Position {
        longitude: (node * DEG).rem_euclid(360.0),
        latitude: 0.0,
        distance: MEAN_MOON_DISTANCE,
        speed: rate * DEG,
        latitude_speed: 0.0,
    }
}
