//! Keys and service accounts for this module's tests. The RSA key is made
//! once per test run by `openssl genpkey` (Debian's `openssl`, which `make
//! test` installs): no key is kept in the repository.

use serde_json::{json, Value};
use std::sync::OnceLock;

/// A new 2048-bit RSA key as PKCS#8 PEM, as Google issues them.
pub fn new_key_pem() -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl runs (Debian's openssl package)");
    assert!(
        out.status.success(),
        "openssl genpkey failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("PEM is ASCII")
}

/// One key for the whole test run.
pub fn key_pem() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(new_key_pem)
}

/// A service account key file of project `samia-test` whose token
/// requests go to `token_uri`.
pub fn account_json(token_uri: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": "samia-test",
        "private_key_id": "k1",
        "private_key": key_pem(),
        "client_email": "firebase-adminsdk@samia-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    })
}
