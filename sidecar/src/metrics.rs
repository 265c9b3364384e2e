//! Counters of the daemon, rendered in the Prometheus text format at
//! `/metrics`, and the freshness of its database connection for `/healthz`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub struct Metrics {
    /// (metric, labels) -> count.
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    in_flight: AtomicI64,
    /// Unix milliseconds of the last successful database round trip.
    last_db_ok_ms: AtomicU64,
}

pub const CLAIMED: &str = "samia_jobs_claimed_total";
pub const FINISHED: &str = "samia_jobs_finished_total";
pub const PROVIDER: &str = "samia_provider_requests_total";
pub const DB_ERRORS: &str = "samia_db_errors_total";

const HELP: &[(&str, &str)] = &[
    (CLAIMED, "Jobs claimed, by kind."),
    (
        FINISHED,
        "Attempts ended, by kind and result (done, retry, dead, lease_lost).",
    ),
    (PROVIDER, "Calls to the provider, by operation and result."),
    (DB_ERRORS, "Failed database operations of the daemon."),
];

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Metrics {
    pub fn count(&self, metric: &'static str, labels: &[(&str, &str)]) {
        let labels = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace(['"', '\\', '\n'], "_")))
            .collect::<Vec<_>>()
            .join(",");
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((metric, labels)).or_insert(0) += 1;
        }
    }

    pub fn job_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn job_ended(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn db_ok(&self) {
        self.last_db_ok_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// Milliseconds since the database last answered (None: never).
    pub fn db_silence_ms(&self) -> Option<u64> {
        match self.last_db_ok_ms.load(Ordering::Relaxed) {
            0 => None,
            t => Some(now_ms().saturating_sub(t)),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().map(|c| c.clone()).unwrap_or_default();
        for (name, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((metric, labels), value) in counters.iter().filter(|((m, _), _)| m == name) {
                let _ = writeln!(out, "{metric}{{{labels}}} {value}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP samia_jobs_in_flight Jobs being worked on now.\n# TYPE samia_jobs_in_flight gauge\nsamia_jobs_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let silence = self
            .db_silence_ms()
            .map(|ms| ms as f64 / 1000.0)
            .unwrap_or(-1.0);
        let _ = writeln!(
            out,
            "# HELP samia_db_last_ok_age_seconds Seconds since the database last answered (-1: never).\n# TYPE samia_db_last_ok_age_seconds gauge\nsamia_db_last_ok_age_seconds {silence}"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_labels() {
        let m = Metrics::default();
        m.count(CLAIMED, &[("kind", "phone.send_code")]);
        m.count(CLAIMED, &[("kind", "phone.send_code")]);
        m.count(FINISHED, &[("kind", "phone.send_code"), ("result", "done")]);
        let text = m.render();
        assert!(
            text.contains("samia_jobs_claimed_total{kind=\"phone.send_code\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("samia_jobs_finished_total{kind=\"phone.send_code\",result=\"done\"} 1")
        );
        assert!(text.contains("samia_db_last_ok_age_seconds -1"));
    }
}
