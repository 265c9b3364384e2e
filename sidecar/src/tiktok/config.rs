//! TikTok's settings (`TIKTOK_*`): where its API and authorize page are
//! and which app the owner allows. The client secret is held as a secret.

use crate::error::CliError;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

pub const DEFAULT_API_URL: &str = "https://open.tiktokapis.com";
pub const DEFAULT_AUTH_URL: &str = "https://www.tiktok.com";
/// TikTok's settings.
#[derive(clap::Args, Debug)]
pub struct TikTokArgs {
    /// Where TikTok's API answers: https://, or plain http on loopback for a
    /// fake TikTok (`samia-fake tiktok`).
    #[arg(
        long = "tiktok-api-url",
        env = "TIKTOK_API_URL",
        value_name = "URL",
        default_value = DEFAULT_API_URL
    )]
    api_url: String,
    /// Where the owner authorizes the app (the authorize page's origin).
    #[arg(
        long = "tiktok-auth-url",
        env = "TIKTOK_AUTH_URL",
        value_name = "URL",
        default_value = DEFAULT_AUTH_URL
    )]
    auth_url: String,
    /// The app's client key (TikTok Developer Portal, App credentials).
    /// Without it (and the secret) TikTok is not synced.
    #[arg(
        long = "tiktok-client-key",
        env = "TIKTOK_CLIENT_KEY",
        value_name = "KEY"
    )]
    client_key: Option<String>,
    /// The app's client secret. Prefer the environment: a command line is
    /// visible to other users of the machine.
    #[arg(
        long = "tiktok-client-secret",
        env = "TIKTOK_CLIENT_SECRET",
        value_name = "SECRET",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true
    )]
    client_secret: Option<SecretString>,
    /// The redirect URI registered for the app; TikTok sends the owner back
    /// there with the authorization code.
    #[arg(
        long = "tiktok-redirect-uri",
        env = "TIKTOK_REDIRECT_URI",
        value_name = "URL"
    )]
    redirect_uri: Option<String>,
}

/// Where TikTok answers and as which app.
#[derive(Debug)]
pub struct TikTokConfig {
    /// Without a trailing slash.
    pub api_url: String,
    /// Without a trailing slash.
    pub auth_url: String,
    pub client_key: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
    /// Connect timeout, and timeout of each whole request.
    pub timeout: Duration,
}

fn base_url(name: &str, value: &str, default: &str) -> Result<String, CliError> {
    let url = Some(value.trim().trim_end_matches('/'))
        .filter(|u| !u.is_empty())
        .unwrap_or(default)
        .to_string();
    if url.starts_with("https://") || crate::http::is_loopback_http(&url) {
        Ok(url)
    } else {
        Err(CliError::Config(format!(
            "{name} {url:?} must be https:// (plain http only on loopback)"
        )))
    }
}

impl TikTokConfig {
    /// From `TIKTOK_API_URL`, `TIKTOK_AUTH_URL`, `TIKTOK_CLIENT_KEY`,
    /// `TIKTOK_CLIENT_SECRET` and `TIKTOK_REDIRECT_URI` (or their flags);
    /// `None` when neither the key nor the secret is set.
    pub fn from_args(
        args: &TikTokArgs,
        timeout: Duration,
    ) -> Result<Option<TikTokConfig>, CliError> {
        let key = args
            .client_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        let secret = args
            .client_secret
            .as_ref()
            .map(|s| s.expose_secret().trim())
            .filter(|s| !s.is_empty());
        let (key, secret) =
            match (key, secret) {
                (None, None) => return Ok(None),
                (Some(key), Some(secret)) => (key, secret),
                (Some(_), None) => return Err(CliError::Config(
                    "TIKTOK_CLIENT_KEY is set but TIKTOK_CLIENT_SECRET is not: export the app's \
                     client secret too (or unset TIKTOK_CLIENT_KEY to run without TikTok)"
                        .into(),
                )),
                (None, Some(_)) => return Err(CliError::Config(
                    "TIKTOK_CLIENT_SECRET is set but TIKTOK_CLIENT_KEY is not: export the app's \
                     client key too"
                        .into(),
                )),
            };
        let redirect_uri = args
            .redirect_uri
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                CliError::Config(
                    "TIKTOK_REDIRECT_URI is not set: export the redirect URI registered for the \
                     app in the TikTok Developer Portal"
                        .into(),
                )
            })?;
        if !(redirect_uri.starts_with("https://") || crate::http::is_loopback_http(redirect_uri)) {
            return Err(CliError::Config(format!(
                "TIKTOK_REDIRECT_URI {redirect_uri:?} must be https:// (plain http only on loopback)"
            )));
        }
        Ok(Some(TikTokConfig {
            api_url: base_url("TIKTOK_API_URL", &args.api_url, DEFAULT_API_URL)?,
            auth_url: base_url("TIKTOK_AUTH_URL", &args.auth_url, DEFAULT_AUTH_URL)?,
            client_key: key.to_string(),
            client_secret: SecretString::from(secret.to_string()),
            redirect_uri: redirect_uri.to_string(),
            timeout,
        }))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        tiktok: TikTokArgs,
    }

    pub(in crate::tiktok) fn config(args: &[&str]) -> Result<Option<TikTokConfig>, CliError> {
        let mut argv = vec!["samia"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("parses");
        TikTokConfig::from_args(&cli.tiktok, Duration::from_secs(5))
    }

    pub(in crate::tiktok) const KEY: &str = "--tiktok-client-key=awkey";
    pub(in crate::tiktok) const SECRET: &str = "--tiktok-client-secret=hunter2-secret";
    pub(in crate::tiktok) const REDIRECT: &str =
        "--tiktok-redirect-uri=https://samia.example/tiktok/callback";

    #[test]
    fn settings_need_key_secret_and_redirect_and_https_or_loopback() {
        assert!(config(&[]).expect("fine").is_none());
        let no_secret = config(&[KEY, REDIRECT]).expect_err("refused").to_string();
        assert!(no_secret.contains("TIKTOK_CLIENT_SECRET"), "{no_secret}");
        let no_key = config(&[SECRET, REDIRECT])
            .expect_err("refused")
            .to_string();
        assert!(
            no_key.contains("TIKTOK_CLIENT_KEY") && !no_key.contains("hunter2"),
            "{no_key}"
        );
        let no_redirect = config(&[KEY, SECRET]).expect_err("refused").to_string();
        assert!(no_redirect.contains("TIKTOK_REDIRECT_URI"), "{no_redirect}");
        let plain = config(&[KEY, SECRET, REDIRECT, "--tiktok-api-url=http://example.com"]);
        assert!(plain.is_err_and(|e| e.to_string().contains("TIKTOK_API_URL")));
        let fake = config(&[
            KEY,
            SECRET,
            "--tiktok-redirect-uri=http://127.0.0.1:9/cb",
            "--tiktok-api-url=http://127.0.0.1:5000/",
            "--tiktok-auth-url=http://localhost:5000",
        ])
        .expect("fine")
        .expect("configured");
        assert_eq!(
            (fake.api_url.as_str(), fake.auth_url.as_str()),
            ("http://127.0.0.1:5000", "http://localhost:5000")
        );
        let real = config(&[KEY, SECRET, REDIRECT])
            .expect("fine")
            .expect("configured");
        assert_eq!(real.api_url, DEFAULT_API_URL);
        assert_eq!(real.auth_url, DEFAULT_AUTH_URL);
    }
}
