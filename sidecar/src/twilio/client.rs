//! The Twilio Verify v2 client: start a verification (send a code) and check
//! a code. Credentials come from the environment (through `TwilioArgs`), the
//! auth token is held as a secret and never appears in help, a log line or
//! an error.

use crate::error::CliError;
use crate::http::outbound::{self, ProviderError, Transport};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://verify.twilio.com";

/// Twilio's settings of `samia run`.
#[derive(clap::Args, Debug)]
pub struct TwilioArgs {
    /// The Twilio account SID (AC...).
    #[arg(
        long = "twilio-account-sid",
        env = "TWILIO_ACCOUNT_SID",
        value_name = "SID"
    )]
    account_sid: Option<String>,
    /// The Twilio auth token. Prefer the environment: a command line is
    /// visible to other users of the machine.
    #[arg(
        long = "twilio-auth-token",
        env = "TWILIO_AUTH_TOKEN",
        value_name = "TOKEN",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true
    )]
    auth_token: Option<SecretString>,
    /// The Verify service SID (VA...).
    #[arg(
        long = "twilio-verify-service-sid",
        env = "TWILIO_VERIFY_SERVICE_SID",
        value_name = "SID"
    )]
    service_sid: Option<String>,
    /// Where Twilio Verify answers: https://, or plain http on loopback for a
    /// fake Twilio (`samia-fake twilio`).
    #[arg(
        long = "twilio-base-url",
        env = "TWILIO_BASE_URL",
        value_name = "URL",
        default_value = DEFAULT_BASE_URL
    )]
    base_url: String,
}

/// Where and as whom to call Twilio.
pub struct TwilioConfig {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: SecretString,
    pub service_sid: String,
    pub timeout: Duration,
}

impl TwilioConfig {
    /// From `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_VERIFY_SERVICE_SID`
    /// and `TWILIO_BASE_URL` (or their flags).
    pub fn from_args(args: &TwilioArgs, timeout: Duration) -> Result<TwilioConfig, CliError> {
        let required = |name: &str, value: Option<&str>| -> Result<String, CliError> {
            match value.map(str::trim) {
                Some(v) if !v.is_empty() => Ok(v.to_string()),
                _ => Err(CliError::Config(format!(
                    "{name} is not set: export TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and \
                     TWILIO_VERIFY_SERVICE_SID (or TWILIO_BASE_URL of a fake Twilio for development)"
                ))),
            }
        };
        let base_url = Some(args.base_url.trim().trim_end_matches('/'))
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_BASE_URL)
            .to_string();
        if !(base_url.starts_with("https://")
            || base_url.starts_with("http://127.0.0.1")
            || base_url.starts_with("http://localhost")
            || base_url.starts_with("http://[::1]"))
        {
            return Err(CliError::Config(format!(
                "TWILIO_BASE_URL {base_url:?} must be https:// (plain http only on loopback)"
            )));
        }
        Ok(TwilioConfig {
            base_url,
            account_sid: required("TWILIO_ACCOUNT_SID", args.account_sid.as_deref())?,
            auth_token: SecretString::from(required(
                "TWILIO_AUTH_TOKEN",
                args.auth_token.as_ref().map(|t| t.expose_secret()),
            )?),
            service_sid: required("TWILIO_VERIFY_SERVICE_SID", args.service_sid.as_deref())?,
            timeout,
        })
    }
}

/// A verification as Twilio reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub sid: Option<String>,
    /// `pending`, `approved`, `canceled`, ...
    pub status: String,
}

/// HTTP statuses worth retrying whatever the error code: a timeout, a
/// conflict, a rate limit.
const RETRY_STATUSES: &[u16] = &[408, 409, 425, 429];

/// HTTP statuses of a configuration an operator can fix: the credentials,
/// the Verify service.
const OPERATOR_STATUSES: &[u16] = &[401, 403, 404];

/// Why a call to Twilio did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No HTTP answer: timeout, refused or reset connection.
    #[error("Twilio did not answer: {0}")]
    Transport(String),
    /// An HTTP error status, with Twilio's error code when the body had one.
    #[error("Twilio answered HTTP {status}{}: {message}", code.map(|c| format!(" (error {c})")).unwrap_or_default())]
    Status {
        status: u16,
        code: Option<u32>,
        message: String,
        retry_after: Option<Duration>,
    },
    /// A 2xx answer whose body is not what Verify returns.
    #[error("Twilio answered with an unreadable body: {0}")]
    Body(String),
}

impl From<Transport> for CallError {
    fn from(e: Transport) -> CallError {
        CallError::Transport(e.0)
    }
}

impl ProviderError for CallError {
    /// No answer, an unreadable one, Twilio failing, or a status worth
    /// another try ([`RETRY_STATUSES`]).
    fn is_retryable(&self) -> bool {
        match self {
            CallError::Transport(_) | CallError::Body(_) => true,
            CallError::Status { status, .. } => *status >= 500 || RETRY_STATUSES.contains(status),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// `transport`, `body`, or the status's class: `429`, `5xx`, `4xx`.
    fn code(&self) -> &str {
        match self {
            CallError::Transport(_) => "transport",
            CallError::Body(_) => "body",
            CallError::Status { status: 429, .. } => "429",
            CallError::Status { status, .. } if *status >= 500 => "5xx",
            CallError::Status { .. } => "4xx",
        }
    }

    fn awaits_operator(&self) -> bool {
        matches!(self, CallError::Status { status, .. } if OPERATOR_STATUSES.contains(status))
    }
}

pub struct Twilio {
    http: reqwest::Client,
    config: TwilioConfig,
}

impl Twilio {
    pub fn new(config: TwilioConfig) -> Result<Twilio, CliError> {
        let http = outbound::client(config.timeout)?;
        Ok(Twilio { http, config })
    }

    /// Sends a code by SMS to `to` (E.164), its text in `locale` (Twilio
    /// Verify's `Locale`, e.g. `ar`, `en`) when given.
    pub async fn start_verification(
        &self,
        to: &str,
        locale: Option<&str>,
    ) -> Result<Verification, CallError> {
        let mut form = vec![("To", to), ("Channel", "sms")];
        if let Some(locale) = locale {
            form.push(("Locale", locale));
        }
        self.post("Verifications", &form).await
    }

    /// Checks the code a user typed for `to`.
    pub async fn check_verification(
        &self,
        to: &str,
        code: &str,
    ) -> Result<Verification, CallError> {
        self.post("VerificationCheck", &[("To", to), ("Code", code)])
            .await
    }

    async fn post(&self, resource: &str, form: &[(&str, &str)]) -> Result<Verification, CallError> {
        let url = format!(
            "{}/v2/Services/{}/{resource}",
            self.config.base_url, self.config.service_sid
        );
        let token = self.config.auth_token.expose_secret();
        let request = self
            .http
            .post(&url)
            .basic_auth(&self.config.account_sid, Some(token))
            .form(form);
        let answer = outbound::send(request, &[token]).await?;
        let (status, retry_after) = (answer.status, answer.retry_after);
        let json = answer.json();
        if !answer.is_success() {
            let code = json
                .as_ref()
                .and_then(|j| j.get("code"))
                .and_then(|c| c.as_u64())
                .and_then(|c| u32::try_from(c).ok());
            let message = json
                .as_ref()
                .and_then(|j| j.get("message"))
                .and_then(|m| m.as_str())
                .map(|m| m.chars().take(200).collect())
                .unwrap_or_else(|| "no error message".to_string());
            return Err(CallError::Status {
                status,
                code,
                message,
                retry_after,
            });
        }
        let json = json.ok_or_else(|| CallError::Body("not JSON".into()))?;
        let status = json
            .get("status")
            .and_then(|s| s.as_str())
            .ok_or_else(|| CallError::Body("no status field".into()))?;
        Ok(Verification {
            sid: json.get("sid").and_then(|s| s.as_str()).map(str::to_string),
            status: status.to_string(),
        })
    }
}
