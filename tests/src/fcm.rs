//! The fake FCM (`samia-fake fcm`) for the push tests: its service account
//! for the sidecar, the messages it accepted, tokens it calls dead, send
//! requests held unanswered.

use crate::cluster::{http, samia_fake_bin, spawn_listening};
use anyhow::{bail, Result};
use serde_json::Value;
use std::process::{Child, Command};

pub struct FakeFcm {
    child: Child,
    pub addr: String,
    account: std::path::PathBuf,
}

impl FakeFcm {
    pub fn start() -> Result<FakeFcm> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let account = std::env::temp_dir().join(format!(
            "samia-fcm-account-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let mut cmd = Command::new(samia_fake_bin());
        cmd.args(["fcm", "--listen", "127.0.0.1:0", "--service-account-out"])
            .arg(&account);
        let (child, addr) = spawn_listening(cmd, "fake fcm listening on http://")?;
        Ok(FakeFcm {
            child,
            addr,
            account,
        })
    }

    /// What `samia run` needs to push through the fake.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "FCM_SERVICE_ACCOUNT_FILE".into(),
                self.account.display().to_string(),
            ),
            ("FCM_BASE_URL".into(), format!("http://{}", self.addr)),
        ]
    }

    /// The messages accepted so far: `{name, token, message}` each.
    pub fn messages(&self) -> Result<Vec<Value>> {
        let (status, body) = http(&self.addr, "GET", "/_fake/messages", "")?;
        if status != 200 {
            bail!("GET /_fake/messages: {status} {body}");
        }
        Ok(serde_json::from_str::<Vec<Value>>(&body)?)
    }

    /// Holds send requests unanswered (`true`) or releases them (`false`);
    /// the fake's [`Hold`] after the switch.
    pub fn hold(&self, on: bool) -> Result<Hold> {
        let body = serde_json::json!({ "hold": on }).to_string();
        let (status, answer) = http(&self.addr, "POST", "/_fake/hold", &body)?;
        if status != 200 {
            bail!("POST /_fake/hold: {status} {answer}");
        }
        Hold::read(&answer)
    }

    /// How many send requests are held now, and were abandoned so far.
    pub fn held(&self) -> Result<Hold> {
        let (status, answer) = http(&self.addr, "GET", "/_fake/hold", "")?;
        if status != 200 {
            bail!("GET /_fake/hold: {status} {answer}");
        }
        Hold::read(&answer)
    }

    /// From now on FCM answers 404 UNREGISTERED for `token`.
    pub fn kill_token(&self, token: &str) -> Result<()> {
        let body = serde_json::json!({ "tokens": [token] }).to_string();
        let (status, answer) = http(&self.addr, "POST", "/_fake/tokens/dead", &body)?;
        if status != 200 {
            bail!("POST /_fake/tokens/dead: {status} {answer}");
        }
        Ok(())
    }
}

/// The fake's held send requests: waiting now, and dropped unanswered
/// because their client went away (never accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub held: u64,
    pub abandoned: u64,
}

impl Hold {
    fn read(answer: &str) -> Result<Hold> {
        let v: Value = serde_json::from_str(answer)?;
        match (v["held"].as_u64(), v["abandoned"].as_u64()) {
            (Some(held), Some(abandoned)) => Ok(Hold { held, abandoned }),
            _ => bail!("the fake's hold: {answer}"),
        }
    }
}

impl Drop for FakeFcm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.account);
    }
}
