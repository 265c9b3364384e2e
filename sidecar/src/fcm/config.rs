//! FCM's settings: the service account key (a file, or the JSON itself,
//! held as a secret from the start) and where FCM answers.

use super::account::{is_allowed_url, ServiceAccount};
use crate::error::CliError;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::time::Duration;

/// Where FCM's HTTP v1 API answers.
pub const DEFAULT_BASE_URL: &str = "https://fcm.googleapis.com";

/// FCM's settings.
#[derive(clap::Args, Debug)]
pub struct FcmArgs {
    /// The Firebase service account key file (JSON; Firebase console:
    /// Project settings, Service accounts, Generate new private key).
    /// Without it (or FCM_SERVICE_ACCOUNT_JSON) no push is sent.
    #[arg(
        id = "fcm_service_account_file",
        long = "fcm-service-account-file",
        env = "FCM_SERVICE_ACCOUNT_FILE",
        value_name = "PATH"
    )]
    service_account_file: Option<PathBuf>,
    /// The service account key itself (the file's JSON), instead of a file.
    /// Prefer the environment: a command line is visible to other users of
    /// the machine.
    #[arg(
        id = "fcm_service_account_json",
        long = "fcm-service-account-json",
        env = "FCM_SERVICE_ACCOUNT_JSON",
        value_name = "JSON",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true
    )]
    service_account_json: Option<SecretString>,
    /// Where FCM answers: https://, or plain http on loopback for a fake
    /// FCM (`samia-fake fcm`).
    #[arg(
        id = "fcm_base_url",
        long = "fcm-base-url",
        env = "FCM_BASE_URL",
        value_name = "URL",
        default_value = DEFAULT_BASE_URL
    )]
    base_url: String,
}

/// Where FCM answers and as which service account. `Debug` shows no key.
#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// FCM's origin, without a trailing slash.
    pub base_url: String,
    pub account: ServiceAccount,
    /// Connect timeout, and timeout of each whole request.
    pub timeout: Duration,
}

impl FcmConfig {
    /// From `FCM_SERVICE_ACCOUNT_FILE` or `FCM_SERVICE_ACCOUNT_JSON`, and
    /// `FCM_BASE_URL` (or their flags); `None` when no account is given.
    /// A bad or unreadable account is a configuration error naming the
    /// field at fault.
    pub fn from_args(args: &FcmArgs, timeout: Duration) -> Result<Option<FcmConfig>, CliError> {
        let json = args
            .service_account_json
            .as_ref()
            .filter(|j| !j.expose_secret().trim().is_empty());
        let file = args
            .service_account_file
            .as_ref()
            .filter(|p| !p.as_os_str().is_empty());
        let account = match (file, json) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(CliError::Config(
                    "FCM_SERVICE_ACCOUNT_FILE and FCM_SERVICE_ACCOUNT_JSON are both set: \
                     set only one of them"
                        .into(),
                ))
            }
            (Some(path), None) => {
                let source = format!("FCM_SERVICE_ACCOUNT_FILE {}", path.display());
                let text = std::fs::read_to_string(path)
                    .map(SecretString::from)
                    .map_err(|e| {
                        CliError::Config(format!(
                            "{source}: cannot be read ({e}): give the path of the key file"
                        ))
                    })?;
                ServiceAccount::from_json(text.expose_secret(), &source)
            }
            (None, Some(json)) => {
                ServiceAccount::from_json(json.expose_secret(), "FCM_SERVICE_ACCOUNT_JSON")
            }
        }
        .map_err(|e| CliError::Config(e.to_string()))?;
        let base_url = args.base_url.trim().trim_end_matches('/');
        let base_url = if base_url.is_empty() {
            DEFAULT_BASE_URL
        } else {
            base_url
        };
        if !is_allowed_url(base_url) || base_url.contains(['?', '#']) {
            return Err(CliError::Config(format!(
                "FCM_BASE_URL {base_url:?} must be an https:// origin such as {DEFAULT_BASE_URL} \
                 (plain http only on loopback, for a fake FCM)"
            )));
        }
        Ok(Some(FcmConfig {
            base_url: base_url.to_string(),
            account,
            timeout,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fcm::testing::{account_json, key_pem};
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        fcm: FcmArgs,
    }

    fn config(args: &[&str]) -> Result<Option<FcmConfig>, CliError> {
        let mut argv = vec!["samia".to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let cli = Cli::try_parse_from(argv).expect("parses");
        FcmConfig::from_args(&cli.fcm, Duration::from_secs(5))
    }

    fn json_arg() -> String {
        format!(
            "--fcm-service-account-json={}",
            account_json("https://oauth2.googleapis.com/token")
        )
    }

    #[test]
    fn the_account_comes_from_a_file_or_the_json_itself() {
        assert!(config(&[]).expect("fine").is_none());
        let from_json = config(&[&json_arg()]).expect("fine").expect("set");
        assert_eq!(from_json.base_url, DEFAULT_BASE_URL);
        assert_eq!(from_json.account.project_id, "samia-test");

        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("key.json");
        std::fs::write(&path, account_json("http://127.0.0.1:9/token").to_string())
            .expect("written");
        let file_arg = format!("--fcm-service-account-file={}", path.display());
        let from_file = config(&[&file_arg, "--fcm-base-url=http://127.0.0.1:9/"])
            .expect("fine")
            .expect("set");
        assert_eq!(from_file.base_url, "http://127.0.0.1:9");
        assert_eq!(from_file.account.token_uri, "http://127.0.0.1:9/token");

        let both = config(&[&file_arg, &json_arg()]).expect_err("refused");
        assert!(both.to_string().contains("both set"), "{both}");
        let missing = format!(
            "--fcm-service-account-file={}",
            dir.path().join("no").display()
        );
        let e = config(&[&missing]).expect_err("refused").to_string();
        assert!(
            e.contains("FCM_SERVICE_ACCOUNT_FILE") && e.contains("cannot be read"),
            "{e}"
        );
        let plain = config(&[&json_arg(), "--fcm-base-url=http://fcm.example"]);
        assert!(plain.is_err_and(|e| e.to_string().contains("FCM_BASE_URL")));
    }

    #[test]
    fn no_output_shows_the_key() {
        let key_line = key_pem().lines().nth(2).expect("a key line").to_string();
        let cli = Cli::try_parse_from(["samia".to_string(), json_arg()]).expect("parses");
        let config = FcmConfig::from_args(&cli.fcm, Duration::from_secs(5))
            .expect("fine")
            .expect("set");
        let shown = format!("{:?} {config:?}", cli.fcm);
        assert!(!shown.contains(&key_line), "{shown}");
        assert!(shown.contains("samia-test"), "{shown}");
        let mut broken = account_json("x");
        broken["client_email"] = serde_json::json!(1);
        let e = config_err(&broken.to_string());
        assert!(
            e.contains("`client_email`") && !e.contains(&key_line),
            "{e}"
        );
    }

    fn config_err(json: &str) -> String {
        config(&[&format!("--fcm-service-account-json={json}")])
            .expect_err("refused")
            .to_string()
    }
}
