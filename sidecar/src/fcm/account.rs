//! A Google service account key (the JSON file the Firebase console
//! downloads: Project settings, Service accounts, "Generate new private
//! key"): which project it sends for, as whom, where it gets its access
//! tokens, and the RSA key that signs its token requests.
//!
//! The file is a secret: what goes wrong reading it names the field (or the
//! line and column of a JSON syntax error) and never quotes a value of it.

use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use serde_json::Value;
use std::sync::Arc;

/// Where Google issues access tokens, when the account names no `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Why a service account key cannot be used. The text names the field and
/// what is wrong, never a value of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccountError(pub String);

/// The RSA private key of a service account: signs with RS256 only.
#[derive(Clone)]
pub struct SigningKey(Arc<RsaKeyPair>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// The key of a PEM text: PKCS#8 (`BEGIN PRIVATE KEY`, what Google
    /// issues) or PKCS#1 (`BEGIN RSA PRIVATE KEY`), RSA of 2048 to 4096 bits.
    /// The error says what was found, never the key.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
            "is not a PEM private key (expected -----BEGIN PRIVATE KEY-----)".to_string()
        })?;
        let pair = match &der {
            PrivateKeyDer::Pkcs8(key) => RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(key) => RsaKeyPair::from_der(key.secret_pkcs1_der()),
            _ => return Err("is not an RSA key (expected an RSA private key)".into()),
        }
        .map_err(|e| format!("is not a usable RSA private key ({e})"))?;
        Ok(SigningKey(Arc::new(pair)))
    }

    /// The RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut signature = vec![0u8; self.0.public().modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| "signing with the service account key failed".to_string())?;
        Ok(signature)
    }

    /// The public half as a DER `RSAPublicKey` (PKCS#1), as
    /// `jsonwebtoken::DecodingKey::from_rsa_der` takes it.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.0.public_key().as_ref().to_vec()
    }
}

/// A service account key, parsed and checked.
#[derive(Clone)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    /// Named in the `kid` of the token requests when the file has it.
    pub private_key_id: Option<String>,
    pub token_uri: String,
    pub key: SigningKey,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Whether `url` may receive the account's token requests: https, or
/// plain http on loopback (a fake).
pub fn is_allowed_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://");
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/')) || crate::http::is_loopback_http(url)
}

impl ServiceAccount {
    /// Parses the JSON of a service account key; `source` names where it
    /// came from in errors (`FCM_SERVICE_ACCOUNT_FILE /path`, ...).
    pub fn from_json(text: &str, source: &str) -> Result<ServiceAccount, AccountError> {
        let fail = |what: String| AccountError(format!("{source}: {what}"));
        // serde_json's own message may quote a value: only the place is told.
        let json: Value = serde_json::from_str(text).map_err(|e| {
            fail(format!(
                "is not JSON (line {}, column {}): use the key file as downloaded",
                e.line(),
                e.column()
            ))
        })?;
        let object = json
            .as_object()
            .ok_or_else(|| fail("is not a JSON object: use the key file as downloaded".into()))?;
        if let Some(kind) = object.get("type") {
            if kind.as_str() != Some("service_account") {
                return Err(fail(
                    "field `type` is not \"service_account\": this is not a service account \
                     key (Firebase console: Project settings, Service accounts, Generate new \
                     private key)"
                        .into(),
                ));
            }
        }
        let field = |name: &str| -> Result<Option<&str>, AccountError> {
            match object.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim())),
                Some(_) => Err(fail(format!("field `{name}` is not a string"))),
            }
        };
        let required = |name: &str| -> Result<&str, AccountError> {
            field(name)?.ok_or_else(|| fail(format!("field `{name}` is missing or empty")))
        };
        let project_id = required("project_id")?;
        if !project_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(fail(
                "field `project_id` is not a project ID (letters, digits and hyphens)".into(),
            ));
        }
        let client_email = required("client_email")?;
        if !client_email.contains('@') {
            return Err(fail("field `client_email` is not an email address".into()));
        }
        let key = SigningKey::from_pem(required("private_key")?)
            .map_err(|e| fail(format!("field `private_key` {e}")))?;
        let token_uri = field("token_uri")?.unwrap_or(DEFAULT_TOKEN_URI);
        if !is_allowed_url(token_uri) {
            return Err(fail(format!(
                "field `token_uri` {token_uri:?} must be https:// (plain http only on loopback)"
            )));
        }
        Ok(ServiceAccount {
            project_id: project_id.to_string(),
            client_email: client_email.to_string(),
            private_key_id: field("private_key_id")?.map(str::to_string),
            token_uri: token_uri.to_string(),
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fcm::testing::{account_json, key_pem};
    use serde_json::json;

    fn parse(json: Value) -> Result<ServiceAccount, AccountError> {
        ServiceAccount::from_json(&json.to_string(), "FCM_SERVICE_ACCOUNT_JSON")
    }

    #[test]
    fn a_downloaded_key_file_is_read() {
        let account = parse(account_json("https://oauth2.googleapis.com/token")).expect("valid");
        assert_eq!(account.project_id, "samia-test");
        assert_eq!(
            account.client_email,
            "firebase-adminsdk@samia-test.iam.gserviceaccount.com"
        );
        assert_eq!(account.private_key_id.as_deref(), Some("k1"));
        let mut no_uri = account_json("x");
        no_uri
            .as_object_mut()
            .expect("an object")
            .remove("token_uri");
        assert_eq!(parse(no_uri).expect("valid").token_uri, DEFAULT_TOKEN_URI);
        let shown = format!("{account:?}");
        assert!(
            !shown.contains("PRIVATE") && shown.contains("samia-test"),
            "{shown}"
        );
    }

    #[test]
    fn errors_name_the_field_and_never_the_key() {
        let pem = key_pem();
        let secret_line = pem.lines().nth(3).expect("a key line");
        let with = |name: &str, value: Value| {
            let mut json = account_json("https://oauth2.googleapis.com/token");
            json[name] = value;
            parse(json).expect_err("refused").to_string()
        };
        for (name, value, says) in [
            ("project_id", json!(""), "`project_id` is missing"),
            (
                "project_id",
                json!("a/b"),
                "`project_id` is not a project ID",
            ),
            ("client_email", json!(7), "`client_email` is not a string"),
            ("client_email", json!("nobody"), "not an email address"),
            (
                "type",
                json!("authorized_user"),
                "not a service account key",
            ),
            (
                "token_uri",
                json!("http://example.com/token"),
                "`token_uri`",
            ),
            ("private_key", json!(null), "`private_key` is missing"),
            (
                "private_key",
                json!("hunter2"),
                "`private_key` is not a PEM",
            ),
            (
                "private_key",
                json!(pem.replace(secret_line, &"A".repeat(secret_line.len()))),
                "`private_key` is not a usable RSA private key",
            ),
        ] {
            let e = with(name, value);
            assert!(e.contains(says), "{name}: {e}");
            assert!(e.starts_with("FCM_SERVICE_ACCOUNT_JSON: "), "{e}");
            assert!(!e.contains(secret_line) && !e.contains("hunter2"), "{e}");
        }
        // A syntax error is told by place: serde's own text could quote the key.
        let broken = format!("{{\"private_key\": \"{secret_line}\" \"x\": 1}}");
        let e = ServiceAccount::from_json(&broken, "FCM_SERVICE_ACCOUNT_FILE /k.json")
            .expect_err("not JSON")
            .to_string();
        assert!(e.contains("is not JSON (line 1, column"), "{e}");
        assert!(!e.contains(secret_line), "{e}");
        let e = ServiceAccount::from_json("[1]", "X").expect_err("not an object");
        assert!(e.to_string().contains("not a JSON object"), "{e}");
    }

    #[test]
    fn only_https_or_loopback_receives_token_requests() {
        for ok in [
            "https://oauth2.googleapis.com/token",
            "http://127.0.0.1:4000/token",
            "http://localhost/token",
        ] {
            assert!(is_allowed_url(ok), "{ok}");
        }
        for refused in [
            "http://oauth2.googleapis.com/token",
            "https://",
            "ftp://x",
            "",
        ] {
            assert!(!is_allowed_url(refused), "{refused}");
        }
    }
}
