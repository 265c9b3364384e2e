//! The daemon's operations endpoints: `GET /healthz` (200 `ok` while the
//! database answers, 503 with the reason otherwise or while stopping) and
//! `GET /metrics` (Prometheus text).

use super::ApiError;
use crate::metrics::{self, Metrics};
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tokio::sync::watch;

/// What the endpoints read.
#[derive(Clone)]
pub struct Ops {
    pub metrics: Arc<Metrics>,
    /// True once the daemon is stopping.
    pub stopping: watch::Receiver<bool>,
    /// Unhealthy when the database has been silent for longer (milliseconds).
    pub stale_ms: u64,
    /// A problem that does not make the daemon unhealthy but needs an
    /// operator (TikTok syncing stopped), added to `/healthz`'s answer.
    pub notice: watch::Receiver<Option<String>>,
}

/// The endpoints, with a provider's `routes` (the TikTok callback) beside them.
pub fn router(ops: Ops, routes: Router) -> Router {
    super::finish(
        Router::new()
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .with_state(ops)
            .merge(routes)
            .fallback(not_found),
    )
}

async fn healthz(State(ops): State<Ops>) -> (StatusCode, String) {
    let stopping = *ops.stopping.borrow();
    let notice = ops
        .notice
        .borrow()
        .as_ref()
        .map(|n| format!("tiktok: {n}\n"))
        .unwrap_or_default();
    match ops.metrics.db_silence_ms() {
        _ if stopping => (StatusCode::SERVICE_UNAVAILABLE, "stopping\n".into()),
        Some(ms) if ms <= ops.stale_ms => (StatusCode::OK, format!("ok\n{notice}")),
        Some(ms) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database silent for {ms} ms\n"),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database not reached yet\n".into(),
        ),
    }
}

async fn metrics(State(ops): State<Ops>) -> Response {
    match ops.metrics.render() {
        Ok(body) => ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "cannot render the metrics",
        )
        .into_response(),
    }
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "nothing at {}: try /healthz or /metrics",
        uri.path()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{request, send};

    fn ops(stale_ms: u64) -> (Ops, watch::Sender<bool>) {
        let (stop, stopping) = watch::channel(false);
        let (_, notice) = watch::channel(None);
        let ops = Ops {
            metrics: Arc::new(Metrics::default()),
            stopping,
            stale_ms,
            notice,
        };
        (ops, stop)
    }

    #[tokio::test]
    async fn healthz_follows_the_database_and_the_stop() {
        let (ops, stop) = ops(60_000);
        let app = router(ops.clone(), Router::new());
        let answer = send(&app, request("GET", "/healthz", "")).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database not reached yet\n"
            )
        );
        ops.metrics.db_ok();
        let answer = send(&app, request("GET", "/healthz", "")).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::OK, "ok\n")
        );
        assert_eq!(
            answer.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        stop.send(true).expect("receivers");
        let answer = send(&app, request("GET", "/healthz", "")).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "stopping\n")
        );
    }

    #[tokio::test]
    async fn metrics_are_prometheus_text() {
        let (ops, _stop) = ops(60_000);
        ops.metrics.claimed("phone.send_code");
        let answer = send(&router(ops, Router::new()), request("GET", "/metrics", "")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("content-type"), Some(metrics::CONTENT_TYPE));
        assert!(
            answer
                .body
                .lines()
                .any(|l| l == "samia_jobs_claimed_total{kind=\"phone.send_code\"} 1"),
            "{}",
            answer.body
        );
    }

    #[tokio::test]
    async fn other_paths_and_methods_are_json_errors() {
        let (ops, _stop) = ops(60_000);
        let app = router(ops, Router::new());
        let answer = send(&app, request("GET", "/", "")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.json()["code"], "not_found");
        let answer = send(&app, request("POST", "/metrics", "")).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.json()["code"], "method_not_allowed");
    }
}
