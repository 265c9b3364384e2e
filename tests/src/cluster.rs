//! Processes the job tests start and stop themselves: a throwaway
//! PostgreSQL cluster (to restart under a running sidecar without touching
//! the shared test cluster), the fake Twilio (`samia-fake twilio`) and the
//! sidecar (`samia run`). Everything listens on loopback only; each is
//! stopped when dropped.

use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The program the environment variable `var` names (`make test` sets it).
fn program(var: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run the integration tests with `make test`"))
}

/// The `samia` binary under test (`SAMIA_BIN`).
pub(crate) fn samia_bin() -> String {
    program("SAMIA_BIN")
}

/// The `samia-fake` binary: the providers' fakes (`SAMIA_FAKE_BIN`).
pub(crate) fn samia_fake_bin() -> String {
    program("SAMIA_FAKE_BIN")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL program, as `postgres` when we are root.
fn pg(program: &str, args: &[&str]) -> Result<()> {
    let path = format!("{PG_BIN}/{program}");
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        Command::new(&path)
    };
    let out = cmd
        .args(args)
        .output()
        .with_context(|| format!("running {program}"))?;
    if !out.status.success() {
        bail!(
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A cluster of its own in a temporary directory, on a Unix socket there.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    /// Extra `-c name=value` server settings.
    settings: Vec<String>,
}

impl Cluster {
    pub fn start() -> Result<Cluster> {
        Cluster::start_with(5432, Vec::new(), |_| Ok(()))
    }

    /// A cluster on `port` with extra settings; `prepare` runs on the cluster
    /// folder (owned by the server's user) after initdb, before the start.
    pub fn start_with(
        port: u16,
        settings: Vec<String>,
        prepare: impl FnOnce(&std::path::Path) -> Result<()>,
    ) -> Result<Cluster> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "samia-jobs-cluster-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            let status = Command::new("chown").arg("postgres:").arg(&dir).status()?;
            if !status.success() {
                bail!("chown postgres {}", dir.display());
            }
        }
        let data = dir.join("data");
        pg(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        )?;
        prepare(&dir)?;
        let cluster = Cluster {
            dir,
            port,
            settings,
        };
        cluster.up()?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    /// Starts the (stopped) server.
    pub fn up(&self) -> Result<()> {
        let mut opts = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c fsync=off -c port={}",
            self.dir.display(),
            self.port
        );
        for setting in &self.settings {
            opts.push_str(&format!(" -c {setting}"));
        }
        let log = self.dir.join("postgres.log").to_string_lossy().into_owned();
        pg(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
    }

    /// Stops the server (fast shutdown: sessions are disconnected).
    pub fn down(&self) -> Result<()> {
        pg("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
    }

    pub fn url(&self, db: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={db}",
            self.dir.display(),
            self.port
        )
    }

    /// A migrated database `samia` on this cluster.
    pub async fn migrated(&self) -> Result<String> {
        let admin = crate::connect(&self.url("postgres")).await?;
        admin.batch_execute("create database samia").await?;
        let url = self.url("samia");
        let out = crate::run_samia(&["migrate", "up"], Some(&url));
        if out.code != 0 {
            bail!("migrate up failed: {out:?}");
        }
        Ok(url)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A whole HTTP/1.1 exchange on loopback: (status, body).
pub fn http(addr: &str, method: &str, path: &str, body: &str) -> Result<(u16, String)> {
    let (status, response) = http_raw(addr, method, path, body)?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The status and the whole response, headers included.
pub fn http_raw(addr: &str, method: &str, path: &str, body: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no HTTP status in {response:?}"))?;
    Ok((status, response))
}

/// A child process whose first stdout line names its address.
pub(crate) fn spawn_listening(mut cmd: Command, prefix: &str) -> Result<(Child, String)> {
    // Logs go to a file (a pipe nobody reads would fill up and stall the child).
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let log = std::env::temp_dir().join(format!(
        "samia-test-{}-{}.log",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&log)?))
        .spawn()
        .context("starting samia")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let Some(addr) = line.trim().strip_prefix(prefix) else {
        let _ = child.kill();
        let _ = child.wait();
        let err = std::fs::read_to_string(&log).unwrap_or_default();
        bail!("expected {prefix:?}, got {line:?}; stderr: {err}");
    };
    Ok((child, addr.to_string()))
}

/// The fake Twilio Verify API.
pub struct FakeTwilio {
    child: Child,
    pub addr: String,
}

pub const FAKE_SID: &str = "ACfake";
pub const FAKE_TOKEN: &str = "fake-token";
pub const FAKE_SERVICE: &str = "VAfake";

impl FakeTwilio {
    pub fn start() -> Result<FakeTwilio> {
        let mut cmd = Command::new(samia_fake_bin());
        cmd.args(["twilio", "--listen", "127.0.0.1:0"]);
        let (child, addr) = spawn_listening(cmd, "fake twilio listening on http://")?;
        Ok(FakeTwilio { child, addr })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn get_json(&self, path: &str) -> Result<Vec<serde_json::Value>> {
        let (status, body) = http(&self.addr, "GET", path, "")?;
        if status != 200 {
            bail!("GET {path}: {status} {body}");
        }
        Ok(serde_json::from_str::<Vec<serde_json::Value>>(&body)?)
    }

    /// Every code "sent", oldest first.
    pub fn messages(&self) -> Result<Vec<serde_json::Value>> {
        self.get_json("/_fake/messages")
    }

    /// Every API request answered, oldest first.
    pub fn requests(&self) -> Result<Vec<serde_json::Value>> {
        self.get_json("/_fake/requests")
    }

    /// The last code sent to `to`.
    pub fn code_for(&self, to: &str) -> Result<String> {
        self.messages()?
            .iter()
            .rev()
            .find(|m| m["to"] == to)
            .and_then(|m| m["code"].as_str().map(str::to_string))
            .ok_or_else(|| anyhow!("no code was sent to {to}"))
    }

    /// Queues faults for the next API requests (see `samia-fake twilio`).
    pub fn inject(&self, faults: serde_json::Value) -> Result<()> {
        let (status, body) = http(
            &self.addr,
            "POST",
            "/_fake/faults",
            &serde_json::json!({ "faults": faults }).to_string(),
        )?;
        if status != 200 {
            bail!("inject: {status} {body}");
        }
        Ok(())
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `samia run`, connected as role `samia_sidecar`.
pub struct Sidecar {
    child: Child,
    pub addr: String,
}

impl Sidecar {
    /// Starts a sidecar on `db_url` against `fake`, with fast test timings
    /// that `env` may override (e.g. `("SAMIA_LEASE_MS", "3000")`).
    pub fn start(db_url: &str, fake: &FakeTwilio, env: &[(&str, &str)]) -> Result<Sidecar> {
        Sidecar::start_on("127.0.0.1:0", db_url, fake, env)
    }

    /// The same, listening on `listen` (a port chosen ahead, for a fake
    /// that must know where to post its webhooks).
    pub fn start_on(
        listen: &str,
        db_url: &str,
        fake: &FakeTwilio,
        env: &[(&str, &str)],
    ) -> Result<Sidecar> {
        let url = format!("{db_url} options='-c role=samia_sidecar'");
        Sidecar::start_url_on(listen, &url, fake, env)
    }

    /// [`Sidecar::start`] with `DATABASE_URL` exactly `url` (e.g. a login
    /// role of its own through a pooler, which passes no `options`).
    pub fn start_url(url: &str, fake: &FakeTwilio, env: &[(&str, &str)]) -> Result<Sidecar> {
        Sidecar::start_url_on("127.0.0.1:0", url, fake, env)
    }

    fn start_url_on(
        listen: &str,
        url: &str,
        fake: &FakeTwilio,
        env: &[(&str, &str)],
    ) -> Result<Sidecar> {
        let mut cmd = Command::new(samia_bin());
        cmd.args(["run", "--listen", listen])
            .env("DATABASE_URL", url)
            .env("TWILIO_BASE_URL", fake.url())
            .env("TWILIO_ACCOUNT_SID", FAKE_SID)
            .env("TWILIO_AUTH_TOKEN", FAKE_TOKEN)
            .env("TWILIO_VERIFY_SERVICE_SID", FAKE_SERVICE)
            .env("SAMIA_LEASE_MS", "3000")
            .env("SAMIA_PROVIDER_TIMEOUT_MS", "1000")
            .env("SAMIA_POLL_MS", "200")
            .env("SAMIA_BACKOFF_BASE_MS", "50")
            .env("SAMIA_BACKOFF_MAX_MS", "2000")
            .env("SAMIA_CONCURRENCY", "2")
            .env("RUST_LOG", "info");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (child, addr) = spawn_listening(cmd, "listening on http://")?;
        Ok(Sidecar { child, addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit code once it stopped (within `limit`).
    pub fn terminate(&mut self, limit: Duration) -> Result<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait()? {
                return Ok(s.code().unwrap_or(-1));
            }
            if started.elapsed() > limit {
                bail!("the sidecar did not stop within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Result<(u16, String)> {
        http(&self.addr, "GET", path, "")
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` every 25 ms until it returns Some, or fails after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if started.elapsed() > limit {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
