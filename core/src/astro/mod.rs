//! Natal charts: an ephemeris, houses, aspects, a gazetteer and readable summaries.
//!
//! The ephemeris gives apparent geocentric positions (true equinox and ecliptic
//! of date, with light-time, aberration, light deflection and nutation) from
//! published analytical theories: VSOP87B for the planets, ELP/MPP02 (fitted to
//! DE405) for the Moon, and the Chapront-Francou series as given by Meeus for
//! Pluto. Precession, nutation (IAU 2000B), obliquity and sidereal time follow
//! the IAU 2006/2000 models. Time arguments are Julian days: `jd_ut` (UT1,
//! taken equal to UTC) and `jd_tt` (Terrestrial Time, `jd_ut + delta_t`).
//!
//! Supported dates: 1800-2100. Pluto's series is valid 1885-2099 only.

pub mod aspects;
pub mod birth;
pub mod chart;
pub mod delta_t;
mod elp;
pub mod ephemeris;
mod frames;
pub mod houses;
pub mod nodes;
pub mod places;
mod pluto;
pub mod signs;
pub mod summary;
mod tables;
pub mod time;
mod trig;
mod vector;
mod vsop87;

pub use birth::{birth_chart, BirthChartError};
pub use chart::{natal_chart, natal_chart_tt, noon_chart, Chart, ChartError, ChartOptions};
pub use ephemeris::{Body, Position};
pub use houses::HouseSystem;
pub use summary::{summarize, SummaryError};
