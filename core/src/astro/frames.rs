//! From the J2000 ecliptic to the true ecliptic and equinox of date: IAU 2006
//! precession (Fukushima-Williams angles), IAU 2000B nutation; and sidereal time.

use super::vector::{mat_mul, mul, Mat3, Vec3};
use sofars::erst::gmst06;
use sofars::pnp::{fw2m, nut00b, pfw06};

/// Obliquity of the ecliptic at J2000 (IAU 2006), radians.
const OBLIQUITY_J2000: f64 = 84_381.406 / 206_264.806_247_096_36;
/// Half the interval over which the rotation's rate is taken, days.
const RATE_STEP: f64 = 0.5;

/// The reference frame of one instant.
pub struct Frame {
    /// J2000 ecliptic -> true ecliptic and equinox of date.
    to_date: Mat3,
    /// Its derivative per day.
    to_date_rate: Mat3,
    /// Nutation in longitude and in obliquity, radians.
    pub nutation_longitude: f64,
    pub nutation_obliquity: f64,
    /// Mean obliquity of date, radians.
    pub mean_obliquity: f64,
}

impl Frame {
    pub fn new(jd_tt: f64) -> Frame {
        let (to_date, dpsi, deps, epsa) = rotation(jd_tt);
        let (ahead, ..) = rotation(jd_tt + RATE_STEP);
        let (behind, ..) = rotation(jd_tt - RATE_STEP);
        let mut to_date_rate = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                to_date_rate[i][j] = (ahead[i][j] - behind[i][j]) / (2.0 * RATE_STEP);
            }
        }
        Frame {
            to_date,
            to_date_rate,
            nutation_longitude: dpsi,
            nutation_obliquity: deps,
            mean_obliquity: epsa,
        }
    }

    /// True obliquity of date, radians.
    pub fn true_obliquity(&self) -> f64 {
        self.mean_obliquity + self.nutation_obliquity
    }

    /// A J2000-ecliptic position and velocity, in the true ecliptic of date.
    pub fn to_date(&self, pos: Vec3, vel: Vec3) -> (Vec3, Vec3) {
        let p = mul(&self.to_date, pos);
        let v = mul(&self.to_date, vel);
        let w = mul(&self.to_date_rate, pos);
        (p, [v[0] + w[0], v[1] + w[1], v[2] + w[2]])
    }

    /// Greenwich apparent sidereal time, radians in [0, 2 pi).
    pub fn sidereal_time(&self, jd_ut: f64, jd_tt: f64) -> f64 {
        let gmst = gmst06(jd_ut, 0.0, jd_tt, 0.0);
        (gmst + self.nutation_longitude * self.mean_obliquity.cos())
            .rem_euclid(std::f64::consts::TAU)
    }
}

/// The rotation to the true ecliptic of date, with nutation and mean obliquity.
fn rotation(jd_tt: f64) -> (Mat3, f64, f64, f64) {
    let (gamb, phib, psib, epsa) = pfw06(jd_tt, 0.0);
    let (dpsi, deps) = nut00b(jd_tt, 0.0);
    // With eps = 0 the Fukushima-Williams matrix stops at the ecliptic of date.
    let ecliptic_of_date = fw2m(gamb, phib, psib + dpsi, 0.0);
    let (s, c) = OBLIQUITY_J2000.sin_cos();
    let ecliptic_to_equator = [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]];
    (
        mat_mul(&ecliptic_of_date, &ecliptic_to_equator),
        dpsi,
        deps,
        epsa,
    )
}
