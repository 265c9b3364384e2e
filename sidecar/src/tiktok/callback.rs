//! `GET /v1/tiktok/callback`: where TikTok sends the owner back after they
//! allowed the app (the redirect URI). The `state` must be one that
//! `samia tiktok connect` handed out and not used yet; the `code` is
//! exchanged for tokens, which are stored (never shown or logged), and a
//! full sync is queued.
//!
//! The answer goes to whoever followed the link: when the callback fails it
//! says what to do in words of ours, and the database's or TikTok's own
//! words go to the sidecar's log only.

use super::account;
use super::client::TikTokClient;
use super::errors::TikTokError;
use crate::http::outbound::ProviderError;
use crate::http::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::routing::get;
use axum::Router;
use deadpool_postgres::Pool;
use std::collections::HashMap;

#[derive(Clone)]
pub struct Callback {
    pub pool: Pool,
    pub tiktok: TikTokClient,
}

pub fn router(callback: Callback) -> Router {
    Router::new()
        .route("/v1/tiktok/callback", get(callback_handler))
        .with_state(callback)
}

/// Where in the callback the database failed: it decides what the owner
/// can do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No connection, or the `state` could not be looked up: the link is
    /// not spent and works again later.
    State,
    /// The tokens could not be stored: the code is spent at TikTok.
    Store,
    /// The tokens are stored; the first sync could not be queued.
    Queue,
}

/// Why the callback could not finish. The detail is for the sidecar's log
/// only: whoever followed the link gets a fixed message of ours
/// ([`Failure::answer`]), never the database's or TikTok's words, which
/// can name tables, constraints, hosts or TikTok's internals.
#[derive(Debug)]
pub enum Failure {
    Database {
        step: Step,
        reason: String,
    },
    /// TikTok sent the owner back with `error` (and maybe a description)
    /// instead of a code.
    NotAuthorized {
        error: String,
        description: Option<String>,
    },
    /// The code exchange failed. Never holds the code, a token or the
    /// client secret (see [`TikTokError`]).
    Exchange(TikTokError),
}

/// Where the answers send the owner for the detail.
const SEE_LOG: &str = "the sidecar's log says why";

impl Failure {
    /// What whoever followed the link is told.
    pub fn answer(&self) -> ApiError {
        match self {
            Failure::Database { step, .. } => {
                let what = match step {
                    Step::State => {
                        "the link could not be checked because the database failed: \
                         open it again in a minute"
                    }
                    Step::Store => {
                        "TikTok allowed the app, but the connection could not be saved: \
                         run `samia tiktok connect` again in a minute"
                    }
                    Step::Queue => {
                        "TikTok is connected, but its first sync could not be queued: \
                         the next scheduled sync will run it"
                    }
                };
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    format!("{what}; {SEE_LOG}"),
                )
            }
            Failure::NotAuthorized { .. } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "not_authorized",
                format!(
                    "TikTok did not authorize the app: run `samia tiktok connect` again and \
                     allow it; {SEE_LOG}"
                ),
            ),
            Failure::Exchange(e) if e.is_retryable() => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "tiktok_unavailable",
                format!(
                    "TikTok could not finish the connection now: run `samia tiktok connect` \
                     again in a few minutes; {SEE_LOG}"
                ),
            ),
            Failure::Exchange(_) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "tiktok_refused",
                format!(
                    "TikTok refused to finish the connection: run `samia tiktok connect` \
                     again; {SEE_LOG}"
                ),
            ),
        }
    }

    /// The detail, for operators. The `error` parameters come from the
    /// browser's URL: they are cut short and logged escaped.
    fn log(&self) {
        match self {
            Failure::Database { step, reason } => {
                tracing::warn!(?step, %reason, "the TikTok callback failed: database");
            }
            Failure::NotAuthorized { error, description } => {
                tracing::warn!(
                    error = ?shortened(error),
                    description = ?description.as_deref().map(shortened),
                    "the TikTok callback failed: TikTok did not authorize the app"
                );
            }
            Failure::Exchange(e) => {
                tracing::warn!(
                    code = e.code(),
                    error = %e,
                    "the TikTok callback failed: the code exchange"
                );
            }
        }
    }
}

/// Logs `failure` and answers it.
fn refuse(failure: Failure) -> ApiError {
    failure.log();
    failure.answer()
}

fn shortened(text: &str) -> String {
    text.chars().take(200).collect()
}

/// A database error for the log: the server's message and SQLSTATE, or
/// the client's own cause. Not the server's detail, which for a refused
/// row can hold the row's values (here: tokens).
fn db_reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()).replace('\n', " "),
        None => crate::error::describe(e),
    }
}

fn pool_reason(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(pg) => db_reason(pg),
        other => other.to_string(),
    }
}

fn database(step: Step) -> impl Fn(tokio_postgres::Error) -> ApiError {
    move |e| {
        refuse(Failure::Database {
            step,
            reason: db_reason(&e),
        })
    }
}

async fn callback_handler(
    State(cb): State<Callback>,
    uri: Uri,
) -> Result<(StatusCode, String), ApiError> {
    let query: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let Some(state) = query.get("state").filter(|s| !s.is_empty()) else {
        return Err(ApiError::bad_request(
            "the callback has no state: open the link `samia tiktok connect` printed",
        ));
    };
    let client = cb.pool.get().await.map_err(|e| {
        refuse(Failure::Database {
            step: Step::State,
            reason: pool_reason(&e),
        })
    })?;
    let known = account::take_state(&**client, state)
        .await
        .map_err(database(Step::State))?;
    if !known {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_state",
            "this link is unknown, used or expired: run `samia tiktok connect` again",
        ));
    }
    if let Some(error) = query.get("error") {
        return Err(refuse(Failure::NotAuthorized {
            error: error.clone(),
            description: query.get("error_description").cloned(),
        }));
    }
    let Some(code) = query.get("code").filter(|c| !c.is_empty()) else {
        return Err(ApiError::bad_request("the callback has no code"));
    };
    let tokens = cb
        .tiktok
        .exchange_code(code)
        .await
        .map_err(|e| refuse(Failure::Exchange(e)))?;
    if !tokens.has_scope("video.list") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "scope_missing",
            "the owner did not allow video.list: run `samia tiktok connect` again and allow it",
        ));
    }
    account::store(&**client, &tokens, true)
        .await
        .map_err(database(Step::Store))?;
    super::ingest::queue(&**client, true)
        .await
        .map_err(database(Step::Queue))?;
    tracing::info!(open_id = %tokens.open_id, "TikTok connected");
    Ok((
        StatusCode::OK,
        "TikTok is connected: the owner's posts are being synced. You can close this page.\n"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{request, send};
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;

    /// Provider text, as TikTok might word a refusal.
    const TIKTOK_SAYS: &str = "Client 8f2c is suspended under policy TT-7";
    const LOG_ID: &str = "202406011200000A1B2C3D4E5F";

    /// The answer as the browser gets it: status and the whole body.
    async fn shown(error: ApiError) -> (StatusCode, String) {
        let response = error.into_response();
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, String::from_utf8(body.to_vec()).expect("UTF-8"))
    }

    #[tokio::test]
    async fn tiktoks_words_never_reach_the_answer() {
        let refusal = |status, code| {
            TikTokError::from_answer(
                status,
                Some(code),
                Some(TIKTOK_SAYS),
                Some(LOG_ID.into()),
                None,
            )
        };
        let failures = [
            refusal(400, "invalid_grant"),
            refusal(401, "invalid_client"),
            refusal(500, "server_error"),
            refusal(403, "spam_risk_user_banned"),
            TikTokError::Transport(TIKTOK_SAYS.into()),
            TikTokError::Protocol {
                status: 502,
                excerpt: TIKTOK_SAYS.into(),
            },
        ];
        for e in failures {
            assert!(e.to_string().contains(TIKTOK_SAYS), "{e}");
            let (status, body) = shown(Failure::Exchange(e.clone()).answer()).await;
            assert_eq!(status, StatusCode::BAD_GATEWAY, "{e}");
            for leak in [TIKTOK_SAYS, LOG_ID, e.code()] {
                assert!(!body.contains(leak), "{leak:?} in {body}");
            }
            assert!(body.contains("samia tiktok connect"), "{body}");
        }
        let not_authorized = Failure::NotAuthorized {
            error: "access_denied_by_policy".into(),
            description: Some(TIKTOK_SAYS.into()),
        };
        let (status, body) = shown(not_authorized.answer()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for leak in [TIKTOK_SAYS, "access_denied_by_policy"] {
            assert!(!body.contains(leak), "{leak:?} in {body}");
        }
    }

    #[tokio::test]
    async fn the_databases_words_never_reach_the_answer() {
        let reason = "relation \"ops.tiktok_account\" does not exist (SQLSTATE 42P01)";
        for step in [Step::State, Step::Store, Step::Queue] {
            let failure = Failure::Database {
                step,
                reason: reason.into(),
            };
            let (status, body) = shown(failure.answer()).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            for leak in ["ops.tiktok_account", "relation", "SQLSTATE", "42P01"] {
                assert!(!body.contains(leak), "{step:?}: {leak:?} in {body}");
            }
            assert!(body.contains(SEE_LOG), "{body}");
        }
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_reached_is_not_described_to_the_browser() {
        // A loopback port nothing listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("an address").port()
        };
        let target = crate::db::Target::parse(&format!("postgres://samia@127.0.0.1:{port}/samia"))
            .expect("a target");
        let pool = crate::db::pool(&target).expect("a pool");
        let why = pool_reason(&pool.get().await.expect_err("nothing listens"));
        assert!(!why.is_empty());
        let tiktok = TikTokClient::new(super::super::TikTokConfig {
            api_url: "http://127.0.0.1:9".into(),
            auth_url: "http://127.0.0.1:9".into(),
            client_key: "key".into(),
            client_secret: secrecy::SecretString::from("secret"),
            redirect_uri: "http://127.0.0.1:9/v1/tiktok/callback".into(),
            timeout: std::time::Duration::from_secs(1),
        })
        .expect("a client");
        let app = router(Callback { pool, tiktok });
        let answer = send(
            &app,
            request("GET", "/v1/tiktok/callback?state=s1&code=c1", ""),
        )
        .await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json()["code"], "unavailable");
        for leak in [why.as_str(), &port.to_string(), "127.0.0.1", "os error"] {
            assert!(!answer.body.contains(leak), "{leak:?} in {}", answer.body);
        }
    }
}
