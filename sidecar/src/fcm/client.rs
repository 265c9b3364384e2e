//! The FCM client: `POST {base}/v1/projects/{project_id}/messages:send`
//! with a bearer access token (see `token`), one message to one device.
//! Clones share the connection pool and the access token.

use super::config::FcmConfig;
use super::errors::{verdict, ErrorBody, FcmError, Verdict};
use super::message::PushMessage;
use super::token::{self, TokenCache};
use crate::error::CliError;
use crate::http::outbound::{self, excerpt, scrub};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::sync::Arc;

/// How much of an answer that is not FCM's API an error shows.
const EXCERPT: usize = 200;

/// What became of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// FCM took it: its name, `projects/{project_id}/messages/{id}`.
    Sent { name: String },
    /// The device token will never work again (`UNREGISTERED`, or
    /// `INVALID_ARGUMENT` about the token): forget it, send nothing more
    /// to it.
    TokenDead { code: String, message: String },
}

/// An FCM client for one service account.
#[derive(Clone)]
pub struct Fcm {
    http: reqwest::Client,
    config: Arc<FcmConfig>,
    token: Arc<TokenCache>,
}

impl std::fmt::Debug for Fcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fcm")
            .field("base_url", &self.config.base_url)
            .field("account", &self.config.account)
            .finish()
    }
}

/// What one attempt at a send came to.
enum Attempt {
    Done(SendOutcome),
    AuthRefused { status: u16, message: String },
}

impl Fcm {
    pub fn new(config: FcmConfig) -> Result<Fcm, CliError> {
        let http = outbound::client(config.timeout)?;
        Ok(Fcm {
            http,
            config: Arc::new(config),
            token: Arc::default(),
        })
    }

    /// The Firebase project messages are sent for.
    pub fn project_id(&self) -> &str {
        &self.config.account.project_id
    }

    /// Sends `msg`. A refused access token (401, 403) is dropped and a new
    /// one fetched, once; refused again, the account is at fault
    /// ([`FcmError::AccountRejected`]).
    pub async fn send(&self, msg: &PushMessage) -> Result<SendOutcome, FcmError> {
        let body = msg.body()?.to_string();
        let token = self.access_token().await?;
        let first = match self.attempt(&token, &body).await? {
            Attempt::Done(outcome) => return Ok(outcome),
            Attempt::AuthRefused { status, message } => {
                tracing::info!(status, "FCM refused the access token; fetching another");
                self.token.forget(&token).await;
                (status, message)
            }
        };
        let token = self.access_token().await?;
        match self.attempt(&token, &body).await? {
            Attempt::Done(outcome) => Ok(outcome),
            Attempt::AuthRefused { status, message } => {
                self.token.forget(&token).await;
                Err(self.rejected(format!(
                    "FCM answered HTTP {} then HTTP {status} with a new access token: {message}",
                    first.0
                )))
            }
        }
    }

    /// Fetches an access token if none is kept: whether the account works
    /// at all (for a check at start-up).
    pub async fn check_account(&self) -> Result<(), FcmError> {
        self.access_token().await.map(|_| ())
    }

    async fn access_token(&self) -> Result<SecretString, FcmError> {
        let account = &self.config.account;
        self.token
            .get(|| token::fetch(&self.http, account))
            .await
            .map_err(|e| match e {
                FcmError::AccountRejected { reason, .. } => self.rejected(reason),
                e => e,
            })
    }

    fn rejected(&self, reason: String) -> FcmError {
        FcmError::AccountRejected {
            project_id: self.config.account.project_id.clone(),
            client_email: self.config.account.client_email.clone(),
            reason,
        }
    }

    async fn attempt(&self, token: &SecretString, body: &str) -> Result<Attempt, FcmError> {
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.config.base_url, self.config.account.project_id
        );
        let secret = token.expose_secret();
        let request = self
            .http
            .post(url)
            .bearer_auth(secret)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let answer = outbound::send(request, &[secret]).await?;
        let (status, retry_after) = (answer.status, answer.retry_after);
        tracing::debug!(status, "FCM answered");
        let json = answer.json().filter(Value::is_object);
        if answer.is_success() {
            let name = json
                .as_ref()
                .and_then(|j| j.get("name"))
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty());
            return match name {
                Some(name) => Ok(Attempt::Done(SendOutcome::Sent {
                    name: name.to_string(),
                })),
                None => Err(FcmError::Protocol {
                    status,
                    excerpt: excerpt(&answer.body, &[secret], EXCERPT),
                }),
            };
        }
        let body = json.as_ref().and_then(ErrorBody::parse).map(|mut b| {
            b.message = scrub(&b.message, &[secret]);
            b
        });
        let plain = excerpt(&answer.body, &[secret], EXCERPT);
        match verdict(status, body, plain, retry_after) {
            Verdict::TokenDead { code, message } => {
                Ok(Attempt::Done(SendOutcome::TokenDead { code, message }))
            }
            Verdict::AuthRefused { status, message } => {
                Ok(Attempt::AuthRefused { status, message })
            }
            Verdict::Failed(e) => Err(e),
        }
    }
}
