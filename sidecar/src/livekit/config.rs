//! LiveKit's settings: where it answers and as which API key, from the
//! environment (through clap), the secret held so that no help text, log
//! line, error or `Debug` output shows it.

use crate::error::CliError;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// LiveKit's settings.
#[derive(clap::Args, Debug)]
pub struct LiveKitArgs {
    /// Where LiveKit answers: https:// or wss:// (the same host serves the
    /// API and the rooms), or plain http:// or ws:// on loopback for a fake
    /// LiveKit (`samia-fake livekit`).
    #[arg(
        id = "livekit_url",
        long = "livekit-url",
        env = "LIVEKIT_URL",
        value_name = "URL"
    )]
    url: Option<String>,
    /// The API key (LiveKit Cloud: Settings, Keys; a server: `keys` in its
    /// config). Without it (and the secret) calls are not available.
    #[arg(
        id = "livekit_api_key",
        long = "livekit-api-key",
        env = "LIVEKIT_API_KEY",
        value_name = "KEY"
    )]
    api_key: Option<String>,
    /// The API key's secret. Prefer the environment: a command line is
    /// visible to other users of the machine.
    #[arg(
        id = "livekit_api_secret",
        long = "livekit-api-secret",
        env = "LIVEKIT_API_SECRET",
        value_name = "SECRET",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true
    )]
    api_secret: Option<SecretString>,
}

/// Where LiveKit answers and as which API key. `Debug` shows no secret.
#[derive(Debug)]
pub struct LiveKitConfig {
    /// The API's origin, `https://` (or `http://` on loopback), without a
    /// trailing slash.
    pub url: String,
    pub api_key: String,
    pub api_secret: SecretString,
    /// Connect timeout, and timeout of each whole request.
    pub timeout: Duration,
}

fn set(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `url` as the API's `https://` (or loopback `http://`) origin.
fn api_url(value: &str) -> Result<String, CliError> {
    let url = value.trim().trim_end_matches('/');
    let url = if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        url.to_string()
    };
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or("");
    if host.is_empty() || host.contains(['?', '#']) {
        return Err(CliError::Config(format!(
            "LIVEKIT_URL {value:?} is not a URL such as https://my-project.livekit.cloud"
        )));
    }
    if url.starts_with("https://") || crate::http::is_loopback_http(&url) {
        Ok(url)
    } else {
        Err(CliError::Config(format!(
            "LIVEKIT_URL {value:?} must be https:// or wss:// (plain http or ws only on loopback)"
        )))
    }
}

impl LiveKitConfig {
    /// From `LIVEKIT_URL`, `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET` (or
    /// their flags); `None` when none of them is set.
    pub fn from_args(
        args: &LiveKitArgs,
        timeout: Duration,
    ) -> Result<Option<LiveKitConfig>, CliError> {
        let url = set(args.url.as_deref());
        let key = set(args.api_key.as_deref());
        let secret = set(args.api_secret.as_ref().map(|s| s.expose_secret()));
        let (key, secret) = match (key, secret) {
            (None, None) if url.is_none() => return Ok(None),
            (None, None) => {
                return Err(CliError::Config(
                    "LIVEKIT_URL is set but LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not: \
                     export the API key and its secret too (or unset LIVEKIT_URL to run \
                     without calls)"
                        .into(),
                ))
            }
            (Some(key), Some(secret)) => (key, secret),
            (Some(_), None) => {
                return Err(CliError::Config(
                    "LIVEKIT_API_KEY is set but LIVEKIT_API_SECRET is not: export the API \
                     key's secret too (or unset LIVEKIT_API_KEY to run without calls)"
                        .into(),
                ))
            }
            (None, Some(_)) => {
                return Err(CliError::Config(
                    "LIVEKIT_API_SECRET is set but LIVEKIT_API_KEY is not: export the API key \
                     the secret belongs to"
                        .into(),
                ))
            }
        };
        let url = url.ok_or_else(|| {
            CliError::Config(
                "LIVEKIT_URL is not set: export the LiveKit server's URL, such as \
                 wss://my-project.livekit.cloud"
                    .into(),
            )
        })?;
        Ok(Some(LiveKitConfig {
            url: api_url(url)?,
            api_key: key.to_string(),
            api_secret: SecretString::from(secret.to_string()),
            timeout,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        livekit: LiveKitArgs,
    }

    fn config(args: &[&str]) -> Result<Option<LiveKitConfig>, CliError> {
        let mut argv = vec!["samia"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("parses");
        LiveKitConfig::from_args(&cli.livekit, Duration::from_secs(5))
    }

    const URL: &str = "--livekit-url=wss://samia.livekit.cloud/";
    const KEY: &str = "--livekit-api-key=APIsamia";
    const SECRET: &str = "--livekit-api-secret=hunter2-livekit-secret-32-chars-xx";

    #[test]
    fn settings_need_all_three_and_https_or_loopback() {
        assert!(config(&[]).expect("fine").is_none());
        for (args, names) in [
            (vec![URL], "LIVEKIT_API_KEY"),
            (vec![URL, KEY], "LIVEKIT_API_SECRET"),
            (vec![URL, SECRET], "LIVEKIT_API_KEY"),
            (vec![KEY, SECRET], "LIVEKIT_URL"),
        ] {
            let e = config(&args).expect_err("refused").to_string();
            assert!(e.contains(names) && !e.contains("hunter2"), "{e}");
        }
        let plain = config(&["--livekit-url=http://livekit.example", KEY, SECRET]);
        assert!(plain.is_err_and(|e| e.to_string().contains("LIVEKIT_URL")));
        let junk = config(&["--livekit-url=livekit.example", KEY, SECRET]);
        assert!(junk.is_err_and(|e| e.to_string().contains("not a URL")));
        let cloud = config(&[URL, KEY, SECRET]).expect("fine").expect("set");
        assert_eq!(
            (cloud.url.as_str(), cloud.api_key.as_str()),
            ("https://samia.livekit.cloud", "APIsamia")
        );
        let fake = config(&["--livekit-url=ws://127.0.0.1:7880", KEY, SECRET])
            .expect("fine")
            .expect("set");
        assert_eq!(fake.url, "http://127.0.0.1:7880");
        let local = config(&["--livekit-url=http://localhost:7880/", KEY, SECRET])
            .expect("fine")
            .expect("set");
        assert_eq!(local.url, "http://localhost:7880");
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let cli = Cli::try_parse_from(["samia", URL, KEY, SECRET]).expect("parses");
        let config = LiveKitConfig::from_args(&cli.livekit, Duration::from_secs(5))
            .expect("fine")
            .expect("set");
        let shown = format!("{:?} {config:?}", cli.livekit);
        assert!(
            !shown.contains("hunter2") && shown.contains("APIsamia"),
            "{shown}"
        );
    }
}
