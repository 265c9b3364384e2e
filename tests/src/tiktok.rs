//! A running `samia-fake tiktok` for the ingest tests, and how the owner's
//! browser goes through TikTok's authorize page to the sidecar's callback.

use crate::cluster::{http, samia_fake_bin, spawn_listening};
use anyhow::{bail, Context, Result};
use std::process::{Child, Command};

pub const CLIENT_KEY: &str = "fake-client-key";
/// Only the fake knows it; built here so no literal secret sits in a test.
pub fn client_secret() -> String {
    format!("fake-secret-{}", "for-tests")
}
/// The redirect URI registered for the app; the tests follow it to the
/// sidecar's real address themselves.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/v1/tiktok/callback";

pub struct FakeTikTok {
    child: Child,
    pub addr: String,
}

impl FakeTikTok {
    /// Starts the fake with `posts` (the seed file's JSON) and media files in `media_dir`.
    pub fn start(posts: &serde_json::Value, media_dir: &std::path::Path) -> Result<FakeTikTok> {
        let file = media_dir.join("posts.json");
        std::fs::write(&file, posts.to_string())?;
        let mut cmd = Command::new(samia_fake_bin());
        cmd.args(["tiktok", "--listen", "127.0.0.1:0", "--posts"])
            .arg(&file)
            .arg("--media-dir")
            .arg(media_dir)
            .env("TIKTOK_CLIENT_KEY", CLIENT_KEY)
            .env("TIKTOK_CLIENT_SECRET", client_secret());
        let (child, addr) = spawn_listening(cmd, "fake tiktok listening on http://")?;
        Ok(FakeTikTok { child, addr })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment a sidecar (or `samia tiktok`) needs to use the fake.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("TIKTOK_API_URL".into(), self.url()),
            ("TIKTOK_AUTH_URL".into(), self.url()),
            ("TIKTOK_CLIENT_KEY".into(), CLIENT_KEY.into()),
            ("TIKTOK_CLIENT_SECRET".into(), client_secret()),
            ("TIKTOK_REDIRECT_URI".into(), REDIRECT_URI.into()),
        ]
    }

    pub fn post(&self, path: &str, body: &str) -> Result<(u16, String)> {
        http(&self.addr, "POST", path, body)
    }

    /// Opens `authorize_url` as the owner (the fake approves at once) and
    /// returns the callback's path and query, as the browser would be sent.
    pub fn authorize(&self, authorize_url: &str) -> Result<String> {
        let path = authorize_url
            .strip_prefix(&self.url())
            .context("the authorize URL is not the fake's")?;
        let (status, response) = crate::cluster::http_raw(&self.addr, "GET", path, "")?;
        if status != 302 {
            bail!("authorize answered {status}: {response}");
        }
        let location = response
            .lines()
            .find_map(|l| {
                l.strip_prefix("location: ")
                    .or_else(|| l.strip_prefix("Location: "))
            })
            .context("no Location")?
            .trim()
            .to_string();
        Ok(location
            .strip_prefix("http://127.0.0.1:9")
            .context("redirected elsewhere")?
            .to_string())
    }
}

impl Drop for FakeTikTok {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
