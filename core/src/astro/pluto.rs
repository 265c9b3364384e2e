//! Pluto: the periodic series of Meeus (Astronomical Algorithms, ch. 37, after
//! Chapront & Francou), heliocentric, ecliptic and equinox J2000. Valid 1885-2099;
//! outside those years the same series is used and drifts slowly.

use super::tables::pluto::TERMS;
use super::time::{centuries, DAYS_PER_CENTURY};
use super::vector::{from_spherical, Vec3};

const DEG: f64 = std::f64::consts::PI / 180.0;

/// Heliocentric position (AU) and velocity (AU/day), J2000 ecliptic.
pub fn state(jd_tt: f64) -> (Vec3, Vec3) {
    let t = centuries(jd_tt);
    // Mean longitudes of Jupiter, Saturn and Pluto (degrees) and their rates.
    let (j, dj) = (34.35 + 3034.9057 * t, 3034.9057);
    let (s, ds) = (50.08 + 1222.1138 * t, 1222.1138);
    let (p, dp) = (238.96 + 144.96 * t, 144.96);
    let (mut l, mut b, mut r) = (0.0, 0.0, 0.0);
    let (mut dl, mut db, mut dr) = (0.0, 0.0, 0.0);
    for [i, jj, k, la, lb, ba, bb, ra, rb] in TERMS {
        let alpha = (i * j + jj * s + k * p) * DEG;
        let dalpha = (i * dj + jj * ds + k * dp) * DEG;
        let (sa, ca) = alpha.sin_cos();
        l += la * sa + lb * ca;
        b += ba * sa + bb * ca;
        r += ra * sa + rb * ca;
        dl += (la * ca - lb * sa) * dalpha;
        db += (ba * ca - bb * sa) * dalpha;
        dr += (ra * ca - rb * sa) * dalpha;
    }
    let lon = (l + 238.958_116 + 144.96 * t) * DEG;
    let lat = (b - 3.908_239) * DEG;
    let rad = r + 40.724_134_6;
    from_spherical(
        lon,
        lat,
        rad,
        (dl + 144.96) * DEG / DAYS_PER_CENTURY,
        db * DEG / DAYS_PER_CENTURY,
        dr / DAYS_PER_CENTURY,
    )
}
