//! ELP/MPP02: the Moon's geocentric position, fitted to DE405 (Chapront & Francou 2003).
//!
//! The series give longitude (from the fixed J2000 departure point, on the mean
//! ecliptic of date), latitude and distance; Laskar's P and Q polynomials then
//! rotate them to the ecliptic and equinox of J2000.

use super::tables::elpmpp02::{DISTANCE, LATITUDE, LONGITUDE, W1};
use super::time::{centuries, DAYS_PER_CENTURY};
use super::trig::sin_cos;
use super::vector::{from_spherical, mul, Vec3};

/// One term `[A, c0, c1, c2, c3, c4]`: `A sin(c0 + c1 t + c2 t^2 + c3 t^3 + c4 t^4)`.
pub struct Term(pub [f64; 6]);

/// The terms of one coordinate, one slice per power of t.
pub struct Component(pub &'static [&'static [Term]]);

const ARCSEC: f64 = std::f64::consts::PI / 648_000.0;
/// Kilometres in an astronomical unit.
pub const KM_PER_AU: f64 = 149_597_870.7;

/// Geocentric position (AU) and velocity (AU/day) of the Moon, J2000 ecliptic.
pub fn state(jd_tt: f64) -> (Vec3, Vec3) {
    let t = centuries(jd_tt);
    let (w1, dw1) = polynomial(&W1, t);
    let (l, dl) = evaluate(&LONGITUDE, t);
    let (b, db) = evaluate(&LATITUDE, t);
    let (r, dr) = evaluate(&DISTANCE, t);
    let (pos, vel) = from_spherical(
        w1 + l * ARCSEC,
        b * ARCSEC,
        r / KM_PER_AU,
        (dw1 + dl * ARCSEC) / DAYS_PER_CENTURY,
        db * ARCSEC / DAYS_PER_CENTURY,
        dr / KM_PER_AU / DAYS_PER_CENTURY,
    );
    let m = laskar(t);
    (mul(&m, pos), mul(&m, vel))
}

/// The rotation from the mean ecliptic of date to the ecliptic of J2000.
fn laskar(t: f64) -> [[f64; 3]; 3] {
    let p = t
        * (0.101_803_91e-4
            + t * (0.470_204_39e-6
                + t * (-0.541_736_7e-9 + t * (-0.250_794_8e-11 + t * 0.463_486e-14))));
    let q = t
        * (-0.113_469_002e-3
            + t * (0.123_726_74e-6
                + t * (0.126_541_70e-8 + t * (-0.137_180_8e-11 - t * 0.320_334e-14))));
    let s = (1.0 - p * p - q * q).sqrt();
    [
        [1.0 - 2.0 * p * p, 2.0 * p * q, 2.0 * p * s],
        [2.0 * p * q, 1.0 - 2.0 * q * q, -2.0 * q * s],
        [-2.0 * p * s, 2.0 * q * s, 1.0 - 2.0 * p * p - 2.0 * q * q],
    ]
}

/// A polynomial and its derivative.
fn polynomial(c: &[f64; 5], t: f64) -> (f64, f64) {
    let value = c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * c[4])));
    let rate = c[1] + t * (2.0 * c[2] + t * (3.0 * c[3] + t * 4.0 * c[4]));
    (value, rate)
}

/// The value of a component and its derivative in t.
fn evaluate(component: &Component, t: f64) -> (f64, f64) {
    let mut value = 0.0;
    let mut rate = 0.0;
    let mut t_k = 1.0;
    let mut k_t_k1 = 0.0;
    for (k, terms) in component.0.iter().enumerate() {
        let mut sum = 0.0;
        let mut dsum = 0.0;
        for Term([a, c0, c1, c2, c3, c4]) in terms.iter() {
            let phase = c0 + t * (c1 + t * (c2 + t * (c3 + t * c4)));
            let dphase = c1 + t * (2.0 * c2 + t * (3.0 * c3 + t * 4.0 * c4));
            let (s, c) = sin_cos(phase);
            sum += a * s;
            dsum += a * c * dphase;
        }
        value += sum * t_k;
        rate += dsum * t_k + sum * k_t_k1;
        k_t_k1 = (k as f64 + 1.0) * t_k;
        t_k *= t;
    }
    (value, rate)
}
