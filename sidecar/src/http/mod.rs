//! HTTP. Inbound, the daemon's routes (and the fake providers of the
//! samia-fakes crate): axum routers served on hyper, with the same rules
//! for every server, and the apps' access tokens checked (`auth`).
//! Outbound, the one client layer every provider's client uses
//! (`outbound`).
//!
//! The servers' rules: a wrong method is answered 405 with `Allow`, a
//! request body over [`MAX_BODY`] 413, an unreadable one 400, an unknown
//! path 404 (from the server's own fallback), each with a JSON body
//! `{"code", "message"}`.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub mod auth;
pub mod ops;
pub mod outbound;

/// Largest request body read (form posts are small).
pub const MAX_BODY: usize = 64 * 1024;

/// An error answered as `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable: `not_found`, `method_not_allowed`, ...
    pub code: &'static str,
    /// For a person: what was wrong and what to do.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "code": self.code, "message": self.message })),
        )
            .into_response()
    }
}

/// The whole request body, at most [`MAX_BODY`] bytes (413 past that).
#[derive(Debug, Clone)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Body, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|rejection| body_error(&rejection))
    }
}

fn body_error(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over {MAX_BODY} bytes"),
        )
    } else {
        ApiError::bad_request(format!(
            "cannot read the request body: {}",
            rejection.body_text()
        ))
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not allowed on {}: see the Allow header",
            uri.path()
        ),
    )
}

/// Adds the shared rules to a router that has all its routes and its
/// fallback: the JSON 405 for routes without a method fallback of their
/// own, and the body limit.
pub fn finish(router: Router) -> Router {
    router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Serves `router` on `listener` until `shutdown` turns true; requests in
/// progress then finish, and no new connection is accepted.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            // An error means the sender is gone: stop as well.
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await
}

/// Binds `listen` and prints `{label}listening on http://ADDR` as the first
/// line of stdout (tests and `make up` read it to find a free port).
pub async fn bind(
    listen: &str,
    label: &str,
) -> Result<(TcpListener, std::net::SocketAddr), crate::error::CliError> {
    let cannot = |e: std::io::Error| {
        crate::error::CliError::Config(format!("cannot listen on {listen}: {e}"))
    };
    let listener = TcpListener::bind(listen).await.map_err(cannot)?;
    let addr = listener.local_addr().map_err(cannot)?;
    println!("{label}listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    Ok((listener, addr))
}

/// Whether `url` is plain http to this machine (127.0.0.1, localhost or
/// [::1], then a port, a path or nothing): the only place a provider URL
/// may be other than https, for the fake providers.
pub fn is_loopback_http(url: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            url.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        })
}

#[cfg(any(test, feature = "testing"))]
pub mod testing {
    //! Requests sent straight to a router, without a socket (for the tests
    //! of this crate and of samia-fakes: feature `testing`).

    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode};
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    pub struct Answer {
        pub status: StatusCode,
        pub headers: HeaderMap,
        pub body: String,
    }

    impl Answer {
        pub fn json(&self) -> serde_json::Value {
            serde_json::from_str(&self.body).expect("a JSON body")
        }

        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).and_then(|v| v.to_str().ok())
        }
    }

    pub async fn send(router: &Router, request: Request<Body>) -> Answer {
        let response = router
            .clone()
            .oneshot(request)
            .await
            .expect("routers are infallible");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("a body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        }
    }

    pub fn request(method: &str, path: &str, body: impl Into<Body>) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(path)
            .body(body.into())
            .expect("a valid request")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{request, send};
    use super::*;
    use axum::routing::{get, post};

    fn router() -> Router {
        finish(
            Router::new()
                .route("/get", get(|| async { "got\n" }))
                .route(
                    "/echo",
                    post(|Body(body): Body| async move { body.len().to_string() }),
                )
                .fallback(|uri: Uri| async move {
                    ApiError::not_found(format!("nothing at {}", uri.path()))
                }),
        )
    }

    #[tokio::test]
    async fn a_wrong_method_is_405_with_allow_and_a_json_body() {
        let answer = send(&router(), request("POST", "/get", "")).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.header("allow"), Some("GET,HEAD"));
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.json()["code"], "method_not_allowed");
        assert!(answer.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("POST")));
        let answer = send(&router(), request("GET", "/echo", "")).await;
        assert_eq!(
            (answer.status, answer.header("allow")),
            (StatusCode::METHOD_NOT_ALLOWED, Some("POST"))
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413_with_a_json_body() {
        let fits = send(&router(), request("POST", "/echo", vec![b'x'; MAX_BODY])).await;
        assert_eq!((fits.status, fits.body.as_str()), (StatusCode::OK, "65536"));
        let answer = send(
            &router(),
            request("POST", "/echo", vec![b'x'; MAX_BODY + 1]),
        )
        .await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(answer.json()["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn a_streamed_body_over_the_limit_is_413_too() {
        // No Content-Length: the limit is enforced while reading.
        let chunks = futures_util::stream::iter(
            (0..(MAX_BODY / 1024 + 1)).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1024])),
        );
        let body = axum::body::Body::from_stream(chunks);
        let answer = send(&router(), request("POST", "/echo", body)).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(answer.json()["code"], "payload_too_large");
    }

    #[tokio::test]
    async fn an_unknown_path_is_the_servers_json_404() {
        let answer = send(&router(), request("GET", "/nowhere", "")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(
            answer.json(),
            json!({ "code": "not_found", "message": "nothing at /nowhere" })
        );
    }

    #[tokio::test]
    async fn serve_answers_on_loopback_and_stops_when_told() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(serve(listener, router(), shutdown));
        let response = reqwest::get(format!("http://{addr}/get"))
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.text().await.expect("a body"), "got\n");
        stop.send(true).expect("the server listens");
        tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .expect("stopped in time")
            .expect("no panic")
            .expect("no error");
    }
}
