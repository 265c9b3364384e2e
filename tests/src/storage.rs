//! The fake Supabase Storage (`samia-fake storage`) for tests, and requests
//! made to it as supabase-js makes them: `Authorization: Bearer <access
//! token>` and `apikey`, the token an HS256 JWT signed with the project's
//! JWT secret (the service key is one too, with role `service_role`).

use crate::cluster::{http, samia_fake_bin, spawn_listening};
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};
use std::process::{Child, Command};
use std::time::{SystemTime, UNIX_EPOCH};

/// The JWT secret of the test project (a test value, not a secret).
pub const JWT_SECRET: &str = "test-jwt-secret-of-at-least-thirty-two-characters";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A token of `claims`, signed with the test project's JWT secret.
pub fn sign(claims: Value) -> Result<String> {
    let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &key,
    )?)
}

/// A user's access token, as GoTrue issues it.
pub fn user_token(sub: &str) -> Result<String> {
    sign(json!({
        "sub": sub, "role": "authenticated", "aud": "authenticated",
        "iat": now(), "exp": now() + 3600,
    }))
}

/// The project's service key.
pub fn service_key() -> Result<String> {
    sign(json!({ "role": "service_role", "iss": "supabase", "iat": now(), "exp": now() + 86400 }))
}

/// A running fake Storage on loopback, writing `storage.objects` of `db_url`.
pub struct FakeStorage {
    child: Child,
    pub addr: String,
    http: reqwest::Client,
}

impl FakeStorage {
    pub fn start(db_url: &str) -> Result<FakeStorage> {
        let mut cmd = Command::new(samia_fake_bin());
        cmd.args(["storage", "--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", db_url)
            .env("SUPABASE_JWT_SECRET", JWT_SECRET);
        let (child, addr) = spawn_listening(cmd, "fake storage listening on http://")?;
        Ok(FakeStorage {
            child,
            addr,
            http: reqwest::Client::new(),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Uploads `bytes` as `user` (or with the service key when `None`);
    /// returns the HTTP status and body.
    pub async fn upload(
        &self,
        user: Option<&str>,
        bucket: &str,
        path: &str,
        mime: &str,
        bytes: Vec<u8>,
        upsert: bool,
    ) -> Result<(u16, Value)> {
        let token = match user {
            Some(u) => user_token(u)?,
            None => service_key()?,
        };
        let response = self
            .http
            .post(format!("{}/storage/v1/object/{bucket}/{path}", self.url()))
            .bearer_auth(&token)
            .header("apikey", &token)
            .header("content-type", mime)
            .header("x-upsert", if upsert { "true" } else { "false" })
            .body(bytes)
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Uploads and insists on success.
    pub async fn put(
        &self,
        user: &str,
        bucket: &str,
        path: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Result<()> {
        let (status, body) = self
            .upload(Some(user), bucket, path, mime, bytes, true)
            .await?;
        if status != 200 {
            bail!("uploading {bucket}/{path} as {user}: {status} {body}");
        }
        Ok(())
    }

    /// Downloads as `user` (anon when `None`): the status and the bytes.
    pub async fn download(
        &self,
        user: Option<&str>,
        bucket: &str,
        path: &str,
    ) -> Result<(u16, Vec<u8>)> {
        let mut request = self.http.get(format!(
            "{}/storage/v1/object/authenticated/{bucket}/{path}",
            self.url()
        ));
        let token = match user {
            Some(u) => user_token(u)?,
            None => sign(
                json!({ "role": "anon", "iss": "supabase", "iat": now(), "exp": now() + 3600 }),
            )?,
        };
        request = request.bearer_auth(&token).header("apikey", &token);
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.bytes().await?.to_vec()))
    }

    /// Queues faults for the next API requests (see `samia-fake storage`).
    pub fn inject(&self, faults: Value) -> Result<()> {
        let (status, body) = http(
            &self.addr,
            "POST",
            "/_fake/faults",
            &json!({ "faults": faults }).to_string(),
        )?;
        if status != 200 {
            bail!("inject: {status} {body}");
        }
        Ok(())
    }

    /// Every API request the fake answered.
    pub fn requests(&self) -> Result<Vec<Value>> {
        let (status, body) = http(&self.addr, "GET", "/_fake/requests", "")?;
        if status != 200 {
            bail!("GET /_fake/requests: {status} {body}");
        }
        serde_json::from_str(&body).map_err(|e| anyhow!("{e}: {body}"))
    }
}

impl Drop for FakeStorage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Audio and video made with ffmpeg for the probe, in a temporary folder.
pub mod files {
    use anyhow::{bail, Result};
    use std::process::Command;

    fn ffmpeg(args: &[&str], out: &std::path::Path) -> Result<Vec<u8>> {
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y"])
            .args(args)
            .arg(out)
            .status()?;
        if !status.success() {
            bail!("ffmpeg {args:?} failed");
        }
        Ok(std::fs::read(out)?)
    }

    /// A file name of its own for each call: tests run in parallel threads.
    fn scratch(name: &str) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::env::temp_dir().join(format!("samia-media-{}-{n}-{name}", std::process::id()))
    }

    /// `seconds` of a 440 Hz tone as AAC in an m4a container.
    pub fn tone_m4a(seconds: u32) -> Result<Vec<u8>> {
        tone_m4a_at(seconds, 440)
    }

    /// `seconds` of a tone of `hz` as AAC in an m4a container.
    pub fn tone_m4a_at(seconds: u32, hz: u32) -> Result<Vec<u8>> {
        let out = scratch(&format!("tone-{seconds}-{hz}.m4a"));
        let source = format!("sine=frequency={hz}:duration={seconds}");
        let bytes = ffmpeg(
            &["-f", "lavfi", "-i", &source, "-c:a", "aac", "-b:a", "64k"],
            &out,
        )?;
        let _ = std::fs::remove_file(out);
        Ok(bytes)
    }

    /// A small JPEG photo.
    pub fn photo_jpg() -> Result<Vec<u8>> {
        let out = scratch("cup.jpg");
        let bytes = ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "color=c=brown:s=64x64",
                "-frames:v",
                "1",
            ],
            &out,
        )?;
        let _ = std::fs::remove_file(out);
        Ok(bytes)
    }

    /// A short video with a sound track, as mp4.
    pub fn video_mp4() -> Result<Vec<u8>> {
        let out = scratch("video.mp4");
        let bytes = ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=2:size=160x120:rate=10",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=2",
                "-c:v",
                "mpeg4",
                "-c:a",
                "aac",
                "-shortest",
            ],
            &out,
        )?;
        let _ = std::fs::remove_file(out);
        Ok(bytes)
    }
}
