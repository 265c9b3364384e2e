//! Accuracy against the Swiss Ephemeris (Moshier mode) as a test oracle.
//!
//! Runs `scripts/astro-oracle.py`, which draws 1,200 instants (fixed seed) over
//! 1900-2025 and latitudes up to 60 degrees and writes pyswisseph's positions,
//! Placidus cusps, and Porphyry cusps at polar latitudes. Positions are compared
//! at the same Terrestrial Time (the oracle's own Delta-T), so a Delta-T
//! difference does not pass for an ephemeris error; Delta-T itself, and the
//! positions with this crate's own Delta-T, are checked separately.

use samia_core::astro::{delta_t, natal_chart, natal_chart_tt, Body, ChartOptions, HouseSystem};
use std::path::PathBuf;
use std::process::Command;

/// Worst allowed error, arcseconds, per body in `Body::ALL` order.
const TOLERANCE: [f64; 12] = [2.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 4.0, 4.0, 4.0, 5.0, 60.0];
/// Angles and Placidus cusps, arcseconds.
const HOUSE_TOLERANCE: f64 = 36.0;

struct Row {
    fields: Vec<f64>,
}

impl Row {
    fn f(&self, i: usize) -> f64 {
        self.fields[i]
    }
}

fn oracle() -> (Vec<Row>, Vec<Row>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::temp_dir().join(format!("samia-astro-oracle-{}.tsv", std::process::id()));
    let status = Command::new("python3")
        .arg(root.join("scripts/astro-oracle.py"))
        .arg(&out)
        .arg("1200")
        .status()
        .expect("run python3 scripts/astro-oracle.py (needs python3 with venv and PyPI access)");
    assert!(status.success(), "scripts/astro-oracle.py failed: {status}");
    let text = std::fs::read_to_string(&out).expect("oracle output");
    let _ = std::fs::remove_file(&out);
    let (mut charts, mut polar) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split('\t');
        let kind = parts.next().expect("kind");
        let fields = parts.map(|x| x.parse::<f64>().expect("number")).collect();
        match kind {
            "chart" => charts.push(Row { fields }),
            "polar" => polar.push(Row { fields }),
            other => panic!("unknown oracle row {other}"),
        }
    }
    (charts, polar)
}

fn arcsec(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d) * 3600.0
}

#[test]
fn positions_houses_and_delta_t_match_the_oracle() {
    let (charts, polar) = oracle();
    assert!(charts.len() >= 1000, "only {} oracle charts", charts.len());
    let options = ChartOptions::default();
    let mut worst = [0.0f64; 12];
    let mut worst_lat = [0.0f64; 12];
    let mut worst_speed = [0.0f64; 12];
    let mut worst_own_dt = [0.0f64; 12];
    let mut worst_angles = [0.0f64; 3]; // asc, mc, armc
    let mut worst_cusp = 0.0f64;
    let mut worst_dt = 0.0f64;
    let mut worst_at = [0.0f64; 12];
    for row in &charts {
        let (jd_ut, dt, lat, lon) = (row.f(0), row.f(1), row.f(2), row.f(3));
        let chart = natal_chart_tt(jd_ut, jd_ut + dt, lat, lon, &options).expect("chart");
        let own = natal_chart(jd_ut, lat, lon, &options).expect("chart with own delta-T");
        worst_dt = worst_dt.max((delta_t::seconds(jd_ut) - dt * 86_400.0).abs());
        for (i, body) in Body::ALL.into_iter().enumerate() {
            let p = chart.body(body).expect("body");
            let base = 4 + 3 * i;
            let e = arcsec(p.longitude, row.f(base));
            if e > worst[i] {
                worst[i] = e;
                worst_at[i] = jd_ut;
            }
            worst_lat[i] = worst_lat[i].max((p.latitude - row.f(base + 1)).abs() * 3600.0);
            worst_speed[i] = worst_speed[i].max((p.speed - row.f(base + 2)).abs());
            let q = own.body(body).expect("body");
            worst_own_dt[i] = worst_own_dt[i].max(arcsec(q.longitude, row.f(base)));
        }
        let h = chart.houses.as_ref().expect("houses");
        worst_angles[0] = worst_angles[0].max(arcsec(h.ascendant, row.f(40)));
        worst_angles[1] = worst_angles[1].max(arcsec(h.midheaven, row.f(41)));
        assert_eq!(h.system, HouseSystem::Placidus, "latitude {lat}");
        for k in 0..12 {
            worst_cusp = worst_cusp.max(arcsec(h.cusps[k], row.f(43 + k)));
        }
    }
    let mut worst_polar = 0.0f64;
    for row in &polar {
        let (jd_ut, lat, lon) = (row.f(0), row.f(1), row.f(2));
        let chart = natal_chart(jd_ut, lat, lon, &options).expect("polar chart");
        let h = chart.houses.as_ref().expect("houses");
        assert_eq!(h.system, HouseSystem::Porphyry, "latitude {lat}");
        assert!(h.note.is_some());
        worst_polar = worst_polar.max(arcsec(h.ascendant, row.f(3)));
        worst_polar = worst_polar.max(arcsec(h.midheaven, row.f(4)));
        for k in 0..12 {
            worst_polar = worst_polar.max(arcsec(h.cusps[k], row.f(6 + k)));
        }
    }

    println!(
        "worst errors against pyswisseph (Moshier), {} instants 1900-2025:",
        charts.len()
    );
    println!(
        "{:10} {:>10} {:>10} {:>12} {:>12} {:>14}",
        "body", "lon \"", "limit \"", "lat \"", "speed deg/d", "own dT lon \""
    );
    for (i, body) in Body::ALL.into_iter().enumerate() {
        println!(
            "{:10} {:10.3} {:10.1} {:12.3} {:12.6} {:14.3}   (worst at jd {:.3})",
            body.key(),
            worst[i],
            TOLERANCE[i],
            worst_lat[i],
            worst_speed[i],
            worst_own_dt[i],
            worst_at[i]
        );
    }
    println!("ascendant  {:10.3}", worst_angles[0]);
    println!("midheaven  {:10.3}", worst_angles[1]);
    println!("placidus   {:10.3}  (cusps 1-12)", worst_cusp);
    println!(
        "porphyry   {:10.3}  ({} polar charts: angles and cusps)",
        worst_polar,
        polar.len()
    );
    println!("delta-T    {:10.3} s", worst_dt);

    for (i, body) in Body::ALL.into_iter().enumerate() {
        assert!(
            worst[i] <= TOLERANCE[i],
            "{}: {:.3}\" > {}\"",
            body.key(),
            worst[i],
            TOLERANCE[i]
        );
        assert!(
            worst_own_dt[i] <= TOLERANCE[i],
            "{} with own delta-T: {:.3}\"",
            body.key(),
            worst_own_dt[i]
        );
    }
    assert!(worst_angles[0] <= HOUSE_TOLERANCE && worst_angles[1] <= HOUSE_TOLERANCE);
    assert!(worst_cusp <= HOUSE_TOLERANCE, "placidus {worst_cusp}");
    assert!(worst_polar <= HOUSE_TOLERANCE, "porphyry {worst_polar}");
    assert!(worst_dt <= 1.0, "delta-T differs by {worst_dt} s");
}
