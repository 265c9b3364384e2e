//! The daemon's metrics, kept in a prometheus-client registry and rendered
//! in the Prometheus text format (0.0.4) at `/metrics`, and the freshness of
//! its database connection for `/healthz`.

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The `Content-Type` of what [`Metrics::render`] returns.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindResult {
    kind: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Op {
    op: String,
}

pub struct Metrics {
    registry: Registry,
    /// `samia_jobs_claimed_total{kind}`.
    claimed: Family<Kind, Counter>,
    /// `samia_jobs_finished_total{kind,result}`.
    finished: Family<KindResult, Counter>,
    /// `samia_provider_requests_total{kind,result}`.
    provider: Family<KindResult, Counter>,
    /// `samia_db_errors_total{op}`.
    db_errors: Family<Op, Counter>,
    in_flight: Gauge,
    /// Set from `last_db_ok_ms` when rendered.
    db_age: Gauge<f64, AtomicU64>,
    /// Unix milliseconds of the last successful database round trip.
    last_db_ok_ms: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let claimed = Family::<Kind, Counter>::default();
        let finished = Family::<KindResult, Counter>::default();
        let provider = Family::<KindResult, Counter>::default();
        let db_errors = Family::<Op, Counter>::default();
        let in_flight = Gauge::default();
        let db_age = Gauge::<f64, AtomicU64>::default();
        // Counters get their `_total` suffix from the encoder; the help text
        // gets its closing period from the registry.
        registry.register(
            "samia_jobs_claimed",
            "Jobs claimed, by kind",
            claimed.clone(),
        );
        registry.register(
            "samia_jobs_finished",
            "Attempts ended, by kind and result (done, retry, dead, lease_lost)",
            finished.clone(),
        );
        registry.register(
            "samia_provider_requests",
            "Calls to the provider, by operation and result",
            provider.clone(),
        );
        registry.register(
            "samia_db_errors",
            "Failed database operations of the daemon",
            db_errors.clone(),
        );
        registry.register(
            "samia_jobs_in_flight",
            "Jobs being worked on now",
            in_flight.clone(),
        );
        registry.register(
            "samia_db_last_ok_age_seconds",
            "Seconds since the database last answered (-1: never)",
            db_age.clone(),
        );
        Metrics {
            registry,
            claimed,
            finished,
            provider,
            db_errors,
            in_flight,
            db_age,
            last_db_ok_ms: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// A job of `kind` was claimed.
    pub fn claimed(&self, kind: &str) {
        self.claimed
            .get_or_create(&Kind { kind: kind.into() })
            .inc();
    }

    /// An attempt at a job of `kind` ended as `result`.
    pub fn finished(&self, kind: &str, result: &str) {
        self.finished
            .get_or_create(&KindResult {
                kind: kind.into(),
                result: result.into(),
            })
            .inc();
    }

    /// A provider call for a job of `kind` ended as `result`.
    pub fn provider_call(&self, kind: &str, result: &str) {
        self.provider
            .get_or_create(&KindResult {
                kind: kind.into(),
                result: result.into(),
            })
            .inc();
    }

    /// A database operation `op` of the daemon failed.
    pub fn db_error(&self, op: &str) {
        self.db_errors.get_or_create(&Op { op: op.into() }).inc();
    }

    pub fn job_started(&self) {
        self.in_flight.inc();
    }

    pub fn job_ended(&self) {
        self.in_flight.dec();
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

    /// Every metric in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let age = self
            .db_silence_ms()
            .map(|ms| ms as f64 / 1000.0)
            .unwrap_or(-1.0);
        self.db_age.set(age);
        let mut out = String::new();
        prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_labels() {
        let m = Metrics::default();
        m.claimed("phone.send_code");
        m.claimed("phone.send_code");
        m.finished("phone.send_code", "done");
        m.db_error("claim");
        m.job_started();
        let text = m.render().expect("renders");
        for line in [
            "# TYPE samia_jobs_claimed_total counter",
            "samia_jobs_claimed_total{kind=\"phone.send_code\"} 2",
            "samia_jobs_finished_total{kind=\"phone.send_code\",result=\"done\"} 1",
            "samia_db_errors_total{op=\"claim\"} 1",
            "# HELP samia_jobs_in_flight Jobs being worked on now.",
            "# TYPE samia_jobs_in_flight gauge",
            "samia_jobs_in_flight 1",
            "# TYPE samia_db_last_ok_age_seconds gauge",
            "samia_db_last_ok_age_seconds -1.0",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
    }

    #[test]
    fn the_database_age_is_measured_when_rendered() {
        let m = Metrics::default();
        m.db_ok();
        let text = m.render().expect("renders");
        let age: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("samia_db_last_ok_age_seconds "))
            .and_then(|v| v.parse().ok())
            .expect("an age");
        assert!((0.0..5.0).contains(&age), "{age}");
    }
}
