//! The one way out to the providers (Twilio Verify, Supabase Storage,
//! TikTok, LiveKit, a project's JWKS): the HTTP client each of their
//! clients is built with, how an answer is read (status, `Retry-After`,
//! body), what a request that got no answer was (a [`Transport`] error),
//! secrets cut out of any text that might quote them, and
//! [`ProviderError`], what the job engine needs to know of any provider's
//! error (`jobs::Failure::from_provider` turns one into a job's failure).

use crate::error::CliError;
use bytes::Bytes;
use std::time::Duration;

/// Every request's `User-Agent`.
pub const USER_AGENT: &str = concat!("samia/", env!("CARGO_PKG_VERSION"));

/// A provider's HTTP client: at most `timeout` to connect and for each
/// whole request. Redirects are never followed: an answer is the
/// provider's own, or an error.
pub fn client(timeout: Duration) -> Result<reqwest::Client, CliError> {
    build(builder(timeout).timeout(timeout))
}

/// As [`client`], but `timeout` bounds each read rather than the whole
/// request: for bodies streamed for longer than that (Storage's downloads;
/// its other calls set a timeout of their own).
pub fn streaming_client(timeout: Duration) -> Result<reqwest::Client, CliError> {
    build(builder(timeout).read_timeout(timeout))
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, CliError> {
    builder
        .build()
        .map_err(|e| CliError::Config(format!("cannot build the HTTP client: {e}")))
}

/// No HTTP answer (a timeout, a refused or reset connection, a body cut
/// short): the cause, without the URL, any header or any secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Transport(pub String);

impl Transport {
    /// The cause of `e`, with every one of `secrets` cut out.
    pub fn of(e: &reqwest::Error, secrets: &[&str]) -> Transport {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        let mut text = kind.to_string();
        // The error's own text names the URL: only its causes are told.
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            let s = cause.to_string();
            if !text.contains(&s) {
                text.push_str(": ");
                text.push_str(&s);
            }
            source = cause.source();
        }
        Transport(scrub(&text, secrets))
    }
}

/// An answer, read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The `Retry-After` the provider sent, in seconds.
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Sends `request`; the answer's body is still to be read.
pub async fn open(
    request: reqwest::RequestBuilder,
    secrets: &[&str],
) -> Result<reqwest::Response, Transport> {
    request.send().await.map_err(|e| Transport::of(&e, secrets))
}

/// Sends `request` and reads its whole answer.
pub async fn send(request: reqwest::RequestBuilder, secrets: &[&str]) -> Result<Answer, Transport> {
    read(open(request, secrets).await?, secrets).await
}

/// Reads `response` whole: status, `Retry-After` and body.
pub async fn read(response: reqwest::Response, secrets: &[&str]) -> Result<Answer, Transport> {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let body = response
        .bytes()
        .await
        .map_err(|e| Transport::of(&e, secrets))?;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// `Retry-After` as a number of seconds (the form the providers send).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// `text` with every one of `secrets` (four characters or more) in it
/// replaced by `[redacted]`.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, "[redacted]");
    }
    out
}

/// The start of a body that is not the provider's API (a gateway's page):
/// printable, at most `max` characters (then `…`), without `secrets`.
pub fn excerpt(body: &[u8], secrets: &[&str], max: usize) -> String {
    let text = scrub(&String::from_utf8_lossy(body), secrets);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out.trim().to_string()
}

/// What the job engine needs to know of a provider's error.
pub trait ProviderError: std::fmt::Display {
    /// Worth the same request again later: a rate limit, the provider
    /// failing, no answer at all.
    fn is_retryable(&self) -> bool;

    /// How long the provider asked to wait, when it did.
    fn retry_after(&self) -> Option<Duration>;

    /// A short stable name: the provider's code, or `transport`, ...
    fn code(&self) -> &str;

    /// Not worth retrying as it is, but an operator can fix it (a wrong key
    /// or setting): the job waits for the fix instead of being given up.
    fn awaits_operator(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_cut_out_of_text_and_excerpts() {
        assert_eq!(
            scrub("bad token act.abc123 here", &["act.abc123", ""]),
            "bad token [redacted] here"
        );
        assert_eq!(
            scrub("a key abc", &["abc"]),
            "a key abc",
            "too short to be one"
        );
        let body = format!("<html>{}\n{}</html>", "act.secret1", "x".repeat(300));
        let e = excerpt(body.as_bytes(), &["act.secret1"], 120);
        assert!(!e.contains("secret1") && !e.contains('\n') && e.ends_with('…'));
        assert_eq!(e.chars().count(), 121);
        assert_eq!(excerpt(b"  short \n", &[], 120), "short");
    }

    #[test]
    fn retry_after_is_read_as_seconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            reqwest::header::RETRY_AFTER,
            " 7 ".parse().expect("a value"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "soon".parse().expect("a value"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_a_closed_port_is_a_transport_error() {
        let app = axum::Router::new().route(
            "/moved",
            axum::routing::get(|| async { axum::response::Redirect::temporary("/elsewhere") }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let http = client(Duration::from_secs(5)).expect("a client");
        let answer = send(http.get(format!("http://{addr}/moved")), &[])
            .await
            .expect("an answer");
        assert_eq!(answer.status, 307);
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("an address")
        };
        let secret = "tok-hunter2";
        let failed = send(http.get(format!("http://{closed}/?t={secret}")), &[secret])
            .await
            .expect_err("nothing listens");
        assert!(failed.0.starts_with("connection failed"), "{failed}");
        assert!(
            !failed.0.contains(secret) && !failed.0.contains("127.0.0.1"),
            "{failed}"
        );
    }
}
