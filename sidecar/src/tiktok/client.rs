//! The TikTok Display API v2 client: the owner's authorization (an
//! authorize URL, a code exchanged for tokens, tokens refreshed) and the
//! owner's posts (`/v2/video/list/`). The client secret and every token are
//! held as secrets: no help text, log line, error or `Debug` output shows
//! them. Every request has a timeout, and all clones of a client share one
//! budget of 600 requests a minute.
//!
//! Access tokens live 2 hours and refresh tokens 180 days; each refresh
//! returns a new refresh token and the old one stops working, so the new
//! one must be kept (developers.tiktok.com/doc/oauth-user-access-token-management).

use super::config::TikTokConfig;
use super::errors::TikTokError;
use super::limit::{Limiter, MINUTE, REQUESTS_PER_MINUTE};
use crate::error::CliError;
use crate::http::outbound::{self, excerpt, scrub, Answer};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What the owner is asked to allow.
pub const SCOPES: &str = "user.info.basic,video.list";
/// The fields of a post asked of `/v2/video/list/`.
pub const VIDEO_FIELDS: &str =
    "id,create_time,title,video_description,duration,share_url,embed_link,cover_image_url";
/// The most posts TikTok returns on one page.
pub const MAX_COUNT: u8 = 20;

/// The owner's tokens. `Debug` shows neither token.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    /// The owner's TikTok user id for this app.
    pub open_id: String,
    /// The scopes granted, comma-separated.
    pub scope: String,
    /// Counted from when the request was sent, so never later than TikTok's.
    pub access_expires_at: SystemTime,
    pub refresh_expires_at: SystemTime,
}

impl Tokens {
    /// Whether the owner granted `scope` (e.g. `video.list`).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split([',', ' ']).any(|s| s.trim() == scope)
    }
}

/// One post, as `/v2/video/list/` gives it. Only `id` and `create_time`
/// are required; TikTok leaves out what it does not have.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Video {
    pub id: String,
    /// Unix seconds (UTC).
    pub create_time: i64,
    pub title: Option<String>,
    pub video_description: Option<String>,
    /// Seconds.
    pub duration: Option<i64>,
    pub share_url: Option<String>,
    pub embed_link: Option<String>,
    pub cover_image_url: Option<String>,
}

impl Video {
    fn from_json(v: &Value) -> Option<Video> {
        let id = match v.get("id")? {
            Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let text = |name: &str| v.get(name).and_then(|t| t.as_str()).map(str::to_string);
        Some(Video {
            id,
            create_time: v.get("create_time")?.as_i64()?,
            title: text("title"),
            video_description: text("video_description"),
            duration: v.get("duration").and_then(|d| d.as_i64()),
            share_url: text("share_url"),
            embed_link: text("embed_link"),
            cover_image_url: text("cover_image_url"),
        })
    }
}

/// One page of posts, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoPage {
    pub videos: Vec<Video>,
    /// Pass it back for the next page (a time in Unix milliseconds).
    pub cursor: Option<i64>,
    pub has_more: bool,
}

/// A TikTok Display API client; clones share the connection pool and the
/// request budget.
#[derive(Clone)]
pub struct TikTokClient {
    http: reqwest::Client,
    config: Arc<TikTokConfig>,
    limiter: Limiter,
}

impl std::fmt::Debug for TikTokClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TikTokClient")
            .field("api_url", &self.config.api_url)
            .field("client_key", &self.config.client_key)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.config.redirect_uri)
            .finish()
    }
}

impl TikTokClient {
    /// A client with TikTok's budget of 600 requests a minute.
    pub fn new(config: TikTokConfig) -> Result<TikTokClient, CliError> {
        TikTokClient::with_budget(config, REQUESTS_PER_MINUTE, MINUTE)
    }

    /// A client allowed at most `limit` requests in any `window`.
    pub fn with_budget(
        config: TikTokConfig,
        limit: u32,
        window: Duration,
    ) -> Result<TikTokClient, CliError> {
        let http = outbound::client(config.timeout)?;
        Ok(TikTokClient {
            http,
            config: Arc::new(config),
            limiter: Limiter::new(limit, window),
        })
    }

    /// Where to send the owner to allow the app `user.info.basic` and
    /// `video.list`; TikTok sends them back to the redirect URI with `code`
    /// and `state`. `state` should be unguessable and checked on return.
    /// Where TikTok sends the owner back (`TIKTOK_REDIRECT_URI`).
    pub fn redirect_uri(&self) -> &str {
        &self.config.redirect_uri
    }

    pub fn authorize_url(&self, state: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_key", &self.config.client_key)
            .append_pair("scope", SCOPES)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("state", state)
            .finish();
        format!("{}/v2/auth/authorize/?{query}", self.config.auth_url)
    }

    /// Exchanges the authorization code the owner came back with.
    pub async fn exchange_code(&self, code: &str) -> Result<Tokens, TikTokError> {
        self.token(
            &[
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", &self.config.redirect_uri),
            ],
            code,
        )
        .await
    }

    /// New tokens for a refresh token. The refresh token returned replaces
    /// the one given, which stops working: keep the new one before anything else.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Tokens, TikTokError> {
        let secret = refresh_token.expose_secret();
        self.token(
            &[("refresh_token", secret), ("grant_type", "refresh_token")],
            secret,
        )
        .await
    }

    async fn token(&self, fields: &[(&str, &str)], grant: &str) -> Result<Tokens, TikTokError> {
        let client_secret = self.config.client_secret.expose_secret();
        let mut form = vec![
            ("client_key", self.config.client_key.as_str()),
            ("client_secret", client_secret),
        ];
        form.extend_from_slice(fields);
        let secrets = [client_secret, grant];
        self.limiter.acquire().await;
        let sent_at = SystemTime::now();
        let request = self
            .http
            .post(format!("{}/v2/oauth/token/", self.config.api_url))
            .header(reqwest::header::CACHE_CONTROL, "no-cache")
            .form(&form);
        let answer = send(request, &secrets).await?;
        let (status, retry_after) = (answer.status, answer.retry_after);
        let Some(json) = answer.json().filter(Value::is_object) else {
            return Err(not_json(&answer, &secrets));
        };
        let field = |name: &str| json.get(name).and_then(|v| v.as_str());
        let error = field("error").filter(|e| !e.is_empty());
        if error.is_some() || !(200..300).contains(&status) {
            let message = field("error_description").map(|m| scrub(m, &secrets));
            return Err(TikTokError::from_answer(
                status,
                error,
                message.as_deref(),
                field("log_id").map(str::to_string),
                retry_after,
            ));
        }
        let missing = |name: &str| TikTokError::Protocol {
            status,
            excerpt: format!("the token answer has no {name}"),
        };
        let text = |name: &'static str| {
            field(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| missing(name))
        };
        let seconds = |name: &'static str| {
            json.get(name)
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .map(|s| Duration::from_secs(u64::try_from(s).unwrap_or(0)))
                .ok_or_else(|| missing(name))
        };
        Ok(Tokens {
            access_token: SecretString::from(text("access_token")?.to_string()),
            refresh_token: SecretString::from(text("refresh_token")?.to_string()),
            open_id: text("open_id")?.to_string(),
            scope: field("scope").unwrap_or_default().to_string(),
            access_expires_at: sent_at + seconds("expires_in")?,
            refresh_expires_at: sent_at + seconds("refresh_expires_in")?,
        })
    }

    /// One page of the owner's public posts, newest first: from the newest
    /// without a cursor, else those posted before it. `max_count` is 1 to 20;
    /// TikTok may return fewer even when `has_more` is true.
    pub async fn list_videos(
        &self,
        access_token: &SecretString,
        cursor: Option<i64>,
        max_count: u8,
    ) -> Result<VideoPage, TikTokError> {
        if !(1..=MAX_COUNT).contains(&max_count) {
            return Err(TikTokError::InvalidParams {
                code: "invalid_params".into(),
                message: format!("max_count must be 1 to {MAX_COUNT}, not {max_count}"),
                log_id: None,
            });
        }
        let token = access_token.expose_secret();
        let secrets = [token];
        let mut body = json!({ "max_count": max_count });
        if let Some(cursor) = cursor {
            body["cursor"] = json!(cursor);
        }
        self.limiter.acquire().await;
        let request = self
            .http
            .post(format!(
                "{}/v2/video/list/?fields={VIDEO_FIELDS}",
                self.config.api_url
            ))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let answer = send(request, &secrets).await?;
        let (status, retry_after) = (answer.status, answer.retry_after);
        let Some(json) = answer.json().filter(Value::is_object) else {
            return Err(not_json(&answer, &secrets));
        };
        let error = json.get("error");
        let error_field = |name: &str| error.and_then(|e| e.get(name)).and_then(|v| v.as_str());
        let code = error_field("code").filter(|c| !c.is_empty() && *c != "ok");
        if code.is_some() || !(200..300).contains(&status) {
            let message = error_field("message").map(|m| scrub(m, &secrets));
            return Err(TikTokError::from_answer(
                status,
                code,
                message.as_deref(),
                error_field("log_id").map(str::to_string),
                retry_after,
            ));
        }
        let protocol = |what: &str| TikTokError::Protocol {
            status,
            excerpt: what.to_string(),
        };
        let data = json
            .get("data")
            .filter(|d| d.is_object())
            .ok_or_else(|| protocol("the answer has no data"))?;
        let videos = match data.get("videos") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    Video::from_json(v).ok_or_else(|| protocol("a video without id or create_time"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(protocol("data.videos is not a list")),
        };
        Ok(VideoPage {
            videos,
            cursor: data.get("cursor").and_then(|c| c.as_i64()),
            has_more: data
                .get("has_more")
                .and_then(|h| h.as_bool())
                .unwrap_or(false),
        })
    }
}

/// Sends `request` and reads its whole answer.
async fn send(request: reqwest::RequestBuilder, secrets: &[&str]) -> Result<Answer, TikTokError> {
    let answer = outbound::send(request, secrets).await?;
    tracing::debug!(status = answer.status, "TikTok answered");
    Ok(answer)
}

/// How much of a body that is not TikTok's API an error shows.
const EXCERPT: usize = 120;

/// A body that is not JSON: a gateway's rate limit or outage page keeps
/// its meaning, anything else is not TikTok's API.
fn not_json(answer: &Answer, secrets: &[&str]) -> TikTokError {
    let text = excerpt(&answer.body, secrets, EXCERPT);
    if answer.status == 429 || answer.status >= 500 {
        TikTokError::from_answer(answer.status, None, Some(&text), None, answer.retry_after)
    } else {
        TikTokError::Protocol {
            status: answer.status,
            excerpt: text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::tests::{config, KEY, REDIRECT, SECRET};
    use super::*;

    #[test]
    fn the_authorize_url_asks_for_both_scopes_with_everything_encoded() {
        let config = config(&[KEY, SECRET, REDIRECT])
            .expect("fine")
            .expect("configured");
        let client = TikTokClient::new(config).expect("a client");
        let url = client.authorize_url("st&te=1");
        let (base, query) = url.split_once('?').expect("a query");
        assert_eq!(base, "https://www.tiktok.com/v2/auth/authorize/");
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("client_key"), Some("awkey"));
        assert_eq!(get("scope"), Some("user.info.basic,video.list"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(
            get("redirect_uri"),
            Some("https://samia.example/tiktok/callback")
        );
        assert_eq!(get("state"), Some("st&te=1"));
        assert!(
            !query.contains("https://"),
            "the redirect URI is encoded: {query}"
        );
        assert!(!url.contains("hunter2"));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let config = config(&[KEY, SECRET, REDIRECT])
            .expect("fine")
            .expect("configured");
        assert!(!format!("{config:?}").contains("hunter2"));
        let client = TikTokClient::new(config).expect("a client");
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("awkey"),
            "{shown}"
        );
        let tokens = Tokens {
            access_token: SecretString::from("act.hunter3"),
            refresh_token: SecretString::from("rft.hunter4"),
            open_id: "open-1".into(),
            scope: "user.info.basic,video.list".into(),
            access_expires_at: SystemTime::UNIX_EPOCH,
            refresh_expires_at: SystemTime::UNIX_EPOCH,
        };
        let shown = format!("{tokens:?}");
        assert!(
            !shown.contains("hunter3") && !shown.contains("hunter4") && shown.contains("open-1"),
            "{shown}"
        );
        assert!(tokens.has_scope("video.list") && !tokens.has_scope("video"));
    }

    #[test]
    fn videos_need_an_id_and_a_time_and_nothing_else() {
        let v =
            Video::from_json(&json!({"id": "7301", "create_time": 1717200000})).expect("a video");
        assert_eq!(
            (v.id.as_str(), v.create_time, v.title, v.duration),
            ("7301", 1717200000, None, None)
        );
        let numeric = Video::from_json(&json!({"id": 7302, "create_time": 1, "title": "t"}))
            .expect("a video");
        assert_eq!(
            (numeric.id.as_str(), numeric.title.as_deref()),
            ("7302", Some("t"))
        );
        assert!(Video::from_json(&json!({"id": "7303"})).is_none());
        assert!(Video::from_json(&json!({"id": "", "create_time": 1})).is_none());
    }
}
