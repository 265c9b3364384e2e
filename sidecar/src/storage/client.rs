//! The Supabase Storage client of the daemon: upload, streamed download,
//! signed URLs and delete, as the project's `service_role`. The service key
//! comes from the environment (through `StorageArgs`), is held as a secret
//! and never appears in help, a log line or an error.
//!
//! Storage answers every client error with HTTP 400 and the real status as
//! a string in the body (`{"statusCode": "404", "code": "NoSuchKey",
//! "error": "not_found", "message": "Object not found"}`); server errors
//! keep their HTTP status, and a busy database or gateway answers 429.

use crate::error::CliError;
use crate::http::outbound::{self, Answer, ProviderError, Transport};
use bytes::Bytes;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::Duration;

/// Storage's settings of `samia run`.
#[derive(clap::Args, Debug)]
pub struct StorageArgs {
    /// The Supabase project's URL (https://<ref>.supabase.co), or plain http
    /// on loopback for a fake Storage (`samia-fake storage`). Without it
    /// (and the key) the daemon runs without media probing.
    #[arg(long = "supabase-url", env = "SUPABASE_URL", value_name = "URL")]
    url: Option<String>,
    /// The project's service_role key, which Storage accepts for every
    /// bucket. Prefer the environment: a command line is visible to other
    /// users of the machine.
    #[arg(
        long = "supabase-service-role-key",
        env = "SUPABASE_SERVICE_ROLE_KEY",
        value_name = "KEY",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true
    )]
    service_key: Option<SecretString>,
}

/// Where Storage answers and with which key.
#[derive(Clone)]
pub struct StorageConfig {
    /// The project's URL, without a trailing slash.
    pub base_url: String,
    pub service_key: SecretString,
    /// Connect timeout and timeout of the small calls.
    pub timeout: Duration,
}

impl StorageConfig {
    /// From `SUPABASE_URL` and `SUPABASE_SERVICE_ROLE_KEY` (or their flags);
    /// `None` when neither is set.
    pub fn from_args(
        args: &StorageArgs,
        timeout: Duration,
    ) -> Result<Option<StorageConfig>, CliError> {
        let url = args.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let key = args
            .service_key
            .as_ref()
            .map(|k| k.expose_secret().trim())
            .filter(|k| !k.is_empty());
        let (url, key) = match (url, key) {
            (None, None) => return Ok(None),
            (Some(url), Some(key)) => (url, key),
            (Some(_), None) => return Err(CliError::Config(
                "SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not: export the project's \
                     service_role key too (or unset SUPABASE_URL to run without media probing)"
                    .into(),
            )),
            (None, Some(_)) => return Err(CliError::Config(
                "SUPABASE_SERVICE_ROLE_KEY is set but SUPABASE_URL is not: export the project's \
                     URL, e.g. SUPABASE_URL=https://<ref>.supabase.co"
                    .into(),
            )),
        };
        let base_url = url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || crate::http::is_loopback_http(&base_url)) {
            return Err(CliError::Config(format!(
                "SUPABASE_URL {base_url:?} must be https:// (plain http only on loopback)"
            )));
        }
        Ok(Some(StorageConfig {
            base_url,
            service_key: SecretString::from(key.to_string()),
            timeout,
        }))
    }
}

/// Why Storage did not do what was asked. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// No such object or bucket (or not visible to the caller).
    #[error("Supabase Storage has no such object or bucket: {message}")]
    NotFound { message: String },
    /// The object exists and the upload did not ask to replace it.
    #[error(
        "Supabase Storage already has this object ({message}): upload with upsert to replace it"
    )]
    Duplicate { message: String },
    /// Over the bucket's (or the project's) file size limit.
    #[error("Supabase Storage refused the file as too large: {message}")]
    TooLarge { message: String },
    /// A content type the bucket does not allow.
    #[error("Supabase Storage refused the content type: {message}")]
    InvalidMime { message: String },
    /// The key or a policy refused the request.
    #[error(
        "Supabase Storage refused access ({message}): check that SUPABASE_SERVICE_ROLE_KEY is the \
         service_role key of the project at SUPABASE_URL"
    )]
    Denied { message: String },
    /// Worth another try later: a rate limit, an outage, a timeout.
    #[error("Supabase Storage is unavailable{}: {message}", status.map(|s| format!(" (status {s})")).unwrap_or_default())]
    Retryable {
        status: Option<u16>,
        retry_after: Option<Duration>,
        message: String,
    },
    /// Any other refusal, with the status Storage gave.
    #[error("Supabase Storage refused the request (status {status}): {message}")]
    Other { status: u16, message: String },
}

impl StorageError {
    /// Maps an answer that is not a success, as Storage gives them.
    pub fn from_answer(
        http_status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> StorageError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|j| j.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let message: String = field("message")
            .or_else(|| field("error"))
            .unwrap_or_else(|| format!("HTTP {http_status} without an error body"))
            .chars()
            .take(200)
            .collect();
        // The body's statusCode is a string; some gateways send a number.
        let body_status = json
            .as_ref()
            .and_then(|j| j.get("statusCode"))
            .and_then(|s| match s {
                Value::String(s) => s.trim().parse::<u16>().ok(),
                Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                _ => None,
            });
        let code = field("code").unwrap_or_default();
        if http_status == 429 || http_status >= 500 {
            return StorageError::Retryable {
                status: Some(http_status),
                retry_after,
                message,
            };
        }
        let status = body_status.unwrap_or(http_status);
        match status {
            404 => StorageError::NotFound { message },
            409 if code == "ResourceLocked" => StorageError::Retryable {
                status: Some(status),
                retry_after,
                message,
            },
            409 => StorageError::Duplicate { message },
            413 => StorageError::TooLarge { message },
            415 => StorageError::InvalidMime { message },
            401 | 403 => StorageError::Denied { message },
            400 if code == "InvalidJWT" => StorageError::Denied { message },
            408 | 423 | 429 => StorageError::Retryable {
                status: Some(status),
                retry_after,
                message,
            },
            s if s >= 500 => StorageError::Retryable {
                status: Some(s),
                retry_after,
                message,
            },
            s => StorageError::Other { status: s, message },
        }
    }
}

impl From<Transport> for StorageError {
    /// No answer is worth another try.
    fn from(e: Transport) -> StorageError {
        StorageError::Retryable {
            status: None,
            retry_after: None,
            message: e.0,
        }
    }
}

impl ProviderError for StorageError {
    fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Retryable { .. })
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            StorageError::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn code(&self) -> &str {
        match self {
            StorageError::NotFound { .. } => "not_found",
            StorageError::Duplicate { .. } => "duplicate",
            StorageError::TooLarge { .. } => "too_large",
            StorageError::InvalidMime { .. } => "invalid_mime",
            StorageError::Denied { .. } => "denied",
            StorageError::Retryable { .. } => "unavailable",
            StorageError::Other { .. } => "refused",
        }
    }

    /// A wrong key or project is configuration an operator can fix.
    fn awaits_operator(&self) -> bool {
        matches!(self, StorageError::Denied { .. })
    }
}

/// What an upload created: `Key` is `bucket/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub id: Option<String>,
    pub key: String,
}

/// An object being downloaded: read it with [`Download::chunk`].
pub struct Download {
    response: reqwest::Response,
}

impl Download {
    /// The size Storage announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The next piece of the object, `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, StorageError> {
        let chunk = self.response.chunk().await;
        Ok(chunk.map_err(|e| Transport::of(&e, &[]))?)
    }
}

/// Clones share the connection pool.
#[derive(Clone)]
pub struct StorageClient {
    http: reqwest::Client,
    config: StorageConfig,
}

impl StorageClient {
    pub fn new(config: StorageConfig) -> Result<StorageClient, CliError> {
        let http = outbound::streaming_client(config.timeout)?;
        Ok(StorageClient { http, config })
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/storage/v1/{rest}", self.config.base_url)
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let key = self.config.service_key.expose_secret();
        self.http
            .request(method, url)
            .bearer_auth(key)
            .header("apikey", key)
    }

    /// Sends `request` and reads the whole answer: its JSON body when it
    /// is a success, Storage's error otherwise.
    async fn json(&self, request: reqwest::RequestBuilder) -> Result<Value, StorageError> {
        let answer = outbound::send(request, &self.secrets()).await?;
        if !answer.is_success() {
            return Err(error_of(&answer));
        }
        answer.json().ok_or_else(|| StorageError::Other {
            status: answer.status,
            message: "the answer is not JSON".into(),
        })
    }

    fn secrets(&self) -> [&str; 1] {
        [self.config.service_key.expose_secret()]
    }

    /// Uploads `body` to `bucket`/`path`; with `upsert` an existing object is
    /// replaced, without it the answer is [`StorageError::Duplicate`].
    pub async fn upload(
        &self,
        bucket: &str,
        path: &str,
        body: Bytes,
        content_type: &str,
        upsert: bool,
    ) -> Result<Uploaded, StorageError> {
        let url = self.url(&format!("object/{}", object_path(bucket, path)));
        let request = self
            .request(reqwest::Method::POST, &url)
            .timeout(self.config.timeout.max(Duration::from_secs(60)))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header("x-upsert", if upsert { "true" } else { "false" })
            .header(reqwest::header::CACHE_CONTROL, "max-age=3600")
            .body(body);
        let json = self.json(request).await?;
        let key = json
            .get("Key")
            .and_then(|k| k.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{bucket}/{path}"));
        let id = json
            .get("Id")
            .or_else(|| json.get("id"))
            .and_then(|i| i.as_str())
            .map(str::to_string);
        Ok(Uploaded { id, key })
    }

    /// Starts downloading `bucket`/`path` (an authenticated download). The
    /// body is read piece by piece, each read bounded by the client's timeout.
    pub async fn download(&self, bucket: &str, path: &str) -> Result<Download, StorageError> {
        let url = self.url(&format!(
            "object/authenticated/{}",
            object_path(bucket, path)
        ));
        let secrets = self.secrets();
        let response = outbound::open(self.request(reqwest::Method::GET, &url), &secrets).await?;
        if !response.status().is_success() {
            return Err(error_of(&outbound::read(response, &secrets).await?));
        }
        Ok(Download { response })
    }

    /// A URL that serves `bucket`/`path` to anyone for `expires_in` seconds.
    pub async fn signed_url(
        &self,
        bucket: &str,
        path: &str,
        expires_in: u64,
    ) -> Result<String, StorageError> {
        let url = self.url(&format!("object/sign/{}", object_path(bucket, path)));
        let request = self
            .request(reqwest::Method::POST, &url)
            .timeout(self.config.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json!({ "expiresIn": expires_in }).to_string());
        let json = self.json(request).await?;
        let relative = json
            .get("signedURL")
            .or_else(|| json.get("signedUrl"))
            .and_then(|s| s.as_str())
            .ok_or_else(|| StorageError::Other {
                status: 200,
                message: "the answer has no signedURL".into(),
            })?;
        Ok(format!(
            "{}/storage/v1/{}",
            self.config.base_url,
            relative.trim_start_matches('/')
        ))
    }

    /// Deletes the objects at `paths` of `bucket`; returns the names deleted
    /// (paths that did not exist are left out, as Storage does).
    pub async fn delete(&self, bucket: &str, paths: &[&str]) -> Result<Vec<String>, StorageError> {
        let url = self.url(&format!("object/{}", encode_segment(bucket)));
        let request = self
            .request(reqwest::Method::DELETE, &url)
            .timeout(self.config.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json!({ "prefixes": paths }).to_string());
        let json = self.json(request).await?;
        Ok(json
            .as_array()
            .map(|objects| {
                objects
                    .iter()
                    .filter_map(|o| o.get("name").and_then(|n| n.as_str()))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Storage's error in an answer that is not a success.
fn error_of(answer: &Answer) -> StorageError {
    StorageError::from_answer(answer.status, answer.retry_after, &answer.body)
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `bucket/path`, each segment encoded, the slashes of the path kept.
pub fn object_path(bucket: &str, path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
    format!("{}/{}", encode_segment(bucket), encoded.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(e: StorageError) -> bool {
        matches!(e, StorageError::Retryable { .. })
    }

    fn answer(http: u16, body: &str) -> StorageError {
        StorageError::from_answer(http, Some(Duration::from_secs(3)), body.as_bytes())
    }

    #[test]
    fn client_errors_come_as_400_with_the_status_in_the_body() {
        assert_eq!(
            answer(
                400,
                r#"{"statusCode":"404","code":"NoSuchKey","error":"not_found","message":"Object not found"}"#
            ),
            StorageError::NotFound {
                message: "Object not found".into()
            }
        );
        assert!(matches!(
            answer(
                400,
                r#"{"statusCode":"409","error":"Duplicate","message":"The resource already exists"}"#
            ),
            StorageError::Duplicate { .. }
        ));
        assert!(matches!(
            answer(
                400,
                r#"{"statusCode":"413","error":"Payload too large","message":"The object exceeded the maximum allowed size"}"#
            ),
            StorageError::TooLarge { .. }
        ));
        assert!(matches!(
            answer(
                400,
                r#"{"statusCode":"415","error":"invalid_mime_type","message":"mime type text/plain is not supported"}"#
            ),
            StorageError::InvalidMime { .. }
        ));
        assert!(matches!(
            answer(
                400,
                r#"{"statusCode":"403","error":"Unauthorized","message":"new row violates row-level security policy"}"#
            ),
            StorageError::Denied { .. }
        ));
        assert!(matches!(
            answer(
                400,
                r#"{"statusCode":"400","code":"InvalidJWT","message":"jwt expired"}"#
            ),
            StorageError::Denied { .. }
        ));
        assert!(matches!(
            answer(
                400,
                r#"{"statusCode":"400","code":"InvalidKey","message":"Invalid key: a//b"}"#
            ),
            StorageError::Other { status: 400, .. }
        ));
    }

    #[test]
    fn rate_limits_and_outages_are_retryable_with_retry_after() {
        let limited = answer(
            429,
            r#"{"statusCode":"429","error":"too_many_connections"}"#,
        );
        assert_eq!(
            limited,
            StorageError::Retryable {
                status: Some(429),
                retry_after: Some(Duration::from_secs(3)),
                message: "too_many_connections".into()
            }
        );
        assert!(retryable(answer(500, "")));
        assert!(retryable(answer(502, "<html>bad gateway</html>")));
        // A busy database is rendered as HTTP 400 with its 5xx in the body.
        assert!(retryable(answer(
            400,
            r#"{"statusCode":"503","code":"DatabaseConnectionLimit","message":"m"}"#
        )));
        assert!(retryable(answer(
            544,
            r#"{"statusCode":"544","code":"DatabaseTimeout","message":"m"}"#
        )));
        assert!(!retryable(answer(
            400,
            r#"{"statusCode":"404","message":"m"}"#
        )));
    }

    #[test]
    fn messages_are_cut_short_and_a_missing_body_is_described() {
        let long = format!(r#"{{"statusCode":"400","message":"{}"}}"#, "x".repeat(500));
        let StorageError::Other { message, .. } = answer(400, &long) else {
            panic!("another error");
        };
        assert_eq!(message.len(), 200);
        assert_eq!(
            answer(404, ""),
            StorageError::NotFound {
                message: "HTTP 404 without an error body".into()
            }
        );
    }

    #[test]
    fn paths_are_encoded_per_segment() {
        assert_eq!(
            object_path("readings", "u1/my answer#1.m4a"),
            "readings/u1/my%20answer%231.m4a"
        );
        assert_eq!(encode_segment("a/b"), "a%2Fb");
    }

    #[test]
    fn settings_need_both_values_and_https_or_loopback() {
        let t = Duration::from_secs(1);
        let args = |url: Option<&str>, key: Option<&str>| StorageArgs {
            url: url.map(str::to_string),
            service_key: key.map(SecretString::from),
        };
        assert!(StorageConfig::from_args(&args(None, None), t)
            .expect("fine")
            .is_none());
        let only_url = StorageConfig::from_args(&args(Some("https://x.supabase.co"), None), t);
        assert!(only_url.is_err_and(|e| e.to_string().contains("SUPABASE_SERVICE_ROLE_KEY")));
        let only_key = StorageConfig::from_args(&args(None, Some("k-hunter2")), t);
        assert!(only_key.is_err_and(
            |e| e.to_string().contains("SUPABASE_URL") && !e.to_string().contains("hunter2")
        ));
        let plain = StorageConfig::from_args(&args(Some("http://example.com"), Some("k")), t);
        assert!(plain.is_err_and(|e| e.to_string().contains("https://")));
        let sneaky =
            StorageConfig::from_args(&args(Some("http://localhost.example.com"), Some("k")), t);
        assert!(sneaky.is_err());
        let fake = StorageConfig::from_args(&args(Some("http://127.0.0.1:5000/"), Some("k")), t)
            .expect("fine")
            .expect("configured");
        assert_eq!(fake.base_url, "http://127.0.0.1:5000");
    }
}
