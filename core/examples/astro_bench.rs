//! Times a full natal chart (twelve bodies with speeds, Placidus houses and
//! aspects) and, in the same run, the Swiss Ephemeris through pyswisseph
//! (`scripts/astro-bench.py`, Moshier mode, twelve bodies with speeds and
//! Placidus houses; aspects are not counted on its side).
//!
//!     cargo run --release -p samia-core --example astro_bench [CHARTS]

use samia_core::astro::{natal_chart, ChartOptions};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The instants and places: a fixed spread over 1900-2025 and latitudes to 60 degrees.
fn inputs(count: usize) -> Vec<(f64, f64, f64)> {
    let start = 2_415_020.5; // 1900-01-01
    let span = 46_022.0; // to 2026
    (0..count)
        .map(|i| {
            let x = (i as f64 * 0.618_033_988_749_895).fract();
            let y = (i as f64 * 0.754_877_666_246_693).fract();
            let z = (i as f64 * 0.569_840_290_998_053).fract();
            (start + x * span, -60.0 + 120.0 * y, -180.0 + 360.0 * z)
        })
        .collect()
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let options = ChartOptions::default();
    let cases = inputs(count);
    // Warm up.
    for &(jd, lat, lon) in cases.iter().take(100) {
        black_box(natal_chart(jd, lat, lon, &options).ok());
    }
    let started = Instant::now();
    let mut aspects = 0usize;
    for &(jd, lat, lon) in &cases {
        if let Ok(chart) = natal_chart(black_box(jd), lat, lon, &options) {
            aspects += chart.aspects.len();
            black_box(chart);
        }
    }
    let rust_us = started.elapsed().as_secs_f64() * 1e6 / count as f64;
    println!("samia-core:  {rust_us:9.1} us per chart ({count} charts, {aspects} aspects found)");

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new("python3")
        .arg(root.join("scripts/astro-bench.py"))
        .arg(count.to_string())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            match text.trim().parse::<f64>() {
                Ok(py_us) => {
                    println!("pyswisseph:  {py_us:9.1} us per chart (Moshier, bodies and houses)");
                    println!(
                        "ratio:       {:9.2}x (pyswisseph time / samia-core time)",
                        py_us / rust_us
                    );
                }
                Err(_) => println!("pyswisseph:  unexpected output {text:?}"),
            }
        }
        Ok(out) => println!(
            "pyswisseph:  scripts/astro-bench.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("pyswisseph:  could not run python3: {e}"),
    }
}
