//! The fake's service account: its RSA key (read from `--key`, or made by
//! `openssl genpkey`, Debian's `openssl`, which `make up` and `make test`
//! install) and the key file the sidecar reads, as Google's console
//! downloads it but with `token_uri` pointing at the fake.

use samia_sidecar::error::CliError;
use serde_json::{json, Value};
use std::path::Path;

/// A new 2048-bit RSA key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), as Google
/// issues them.
pub async fn generate_key() -> Result<String, CliError> {
    let out = tokio::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            CliError::Config(format!(
                "cannot run openssl to make the fake's key ({e}): install Debian's openssl, \
                 or give a PKCS#8 PEM key with --key"
            ))
        })?;
    if !out.status.success() {
        return Err(CliError::Config(format!(
            "openssl genpkey failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| CliError::Config("openssl genpkey wrote something other than PEM".into()))
}

/// The key at `path` (PEM), or a new one.
pub async fn key(path: Option<&Path>) -> Result<String, CliError> {
    match path {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            CliError::Config(format!("--key {}: cannot be read ({e})", path.display()))
        }),
        None => generate_key().await,
    }
}

/// The key file of the fake's service account.
pub fn key_file(project_id: &str, client_email: &str, key_pem: &str, token_uri: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "fake-key-1",
        "private_key": key_pem,
        "client_email": client_email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    })
}

/// Writes `json` to `path` whole (a file beside it, renamed), readable by
/// its owner only: it holds a private key.
pub fn write(path: &Path, json: &Value) -> Result<(), CliError> {
    let failed = |e: &dyn std::fmt::Display| {
        CliError::Config(format!("cannot write {}: {e}", path.display()))
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(&e))?;
    use std::io::Write;
    file.write_all(format!("{json:#}\n").as_bytes())
        .map_err(|e| failed(&e))?;
    file.persist(path).map_err(|e| failed(&e.error))?;
    Ok(())
}
