//! VSOP87B: heliocentric ecliptic coordinates of the planets (ecliptic and
//! equinox J2000), as truncated series of `A cos(B + C tau)` in Julian millennia.

use super::time::J2000;
use super::trig::sin_cos;
use super::vector::{from_spherical, Vec3};

pub use super::tables::vsop87b::{EARTH, JUPITER, MARS, MERCURY, NEPTUNE, SATURN, URANUS, VENUS};

/// One term: the index of its frequency, and the coefficients of the cosine and
/// the sine of `frequency * tau`.
pub struct Term(pub u16, pub f64, pub f64);

/// The series of one planet: its distinct frequencies (radians per Julian
/// millennium), and per coordinate one slice of terms per power of tau.
pub struct Planet {
    pub frequencies: &'static [f64],
    pub longitude: &'static [&'static [Term]],
    pub latitude: &'static [&'static [Term]],
    pub radius: &'static [&'static [Term]],
}

const DAYS_PER_MILLENNIUM: f64 = 365_250.0;
/// More than any planet's count of distinct frequencies.
const MAX_FREQUENCIES: usize = 768;

impl Planet {
    /// Heliocentric position (AU) and velocity (AU/day), J2000 ecliptic.
    pub fn state(&self, jd_tt: f64) -> (Vec3, Vec3) {
        let tau = (jd_tt - J2000) / DAYS_PER_MILLENNIUM;
        let mut waves = [(0.0, 1.0, 0.0); MAX_FREQUENCIES];
        for (wave, &frequency) in waves.iter_mut().zip(self.frequencies) {
            let (s, c) = sin_cos(frequency * tau);
            *wave = (s, c, frequency);
        }
        let waves = &waves[..self.frequencies.len().min(MAX_FREQUENCIES)];
        let (l, dl) = evaluate(self.longitude, waves, tau);
        let (b, db) = evaluate(self.latitude, waves, tau);
        let (r, dr) = evaluate(self.radius, waves, tau);
        from_spherical(
            l,
            b,
            r,
            dl / DAYS_PER_MILLENNIUM,
            db / DAYS_PER_MILLENNIUM,
            dr / DAYS_PER_MILLENNIUM,
        )
    }
}

/// The value of a series and its derivative in tau; `waves` holds
/// `(sin, cos, frequency)` of each frequency.
fn evaluate(powers: &[&[Term]], waves: &[(f64, f64, f64)], tau: f64) -> (f64, f64) {
    let mut value = 0.0;
    let mut rate = 0.0;
    let mut tau_k = 1.0; // tau^k
    let mut k_tau_k1 = 0.0; // k tau^(k-1)
    for (k, terms) in powers.iter().enumerate() {
        let mut sum = 0.0;
        let mut dsum = 0.0;
        for Term(i, a, b) in terms.iter() {
            let Some(&(s, c, frequency)) = waves.get(usize::from(*i)) else {
                continue;
            };
            sum += a * c + b * s;
            dsum += frequency * (b * c - a * s);
        }
        value += sum * tau_k;
        rate += dsum * tau_k + sum * k_tau_k1;
        k_tau_k1 = (k as f64 + 1.0) * tau_k;
        tau_k *= tau;
    }
    (value, rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earth_is_one_au_from_the_sun() {
        let (pos, vel) = EARTH.state(J2000);
        for planet in [
            &MERCURY, &VENUS, &EARTH, &MARS, &JUPITER, &SATURN, &URANUS, &NEPTUNE,
        ] {
            assert!(planet.frequencies.len() <= MAX_FREQUENCIES);
        }
        let r = super::super::vector::norm(pos);
        assert!((r - 0.9833).abs() < 0.001, "{r}");
        // About 1 degree a day.
        let v = super::super::vector::norm(vel);
        assert!((v - 0.0172).abs() < 0.0005, "{v}");
    }
}
