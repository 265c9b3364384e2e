//! PgBouncer in front of the test cluster, as Supavisor stands in front of
//! Supabase: a child of the test, in session or transaction mode, on a free
//! loopback port, stopped when dropped. It reaches the cluster the way the
//! admin URL does (the cluster's Unix socket under `make test`).

use anyhow::{anyhow, bail, Context, Result};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_postgres::config::Host;

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Session,
    Transaction,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Session => "session",
            Mode::Transaction => "transaction",
        }
    }
}

/// A running PgBouncer.
pub struct PgBouncer {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    pub mode: Mode,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The host (socket folder or name) and port the admin URL points at.
fn server_of(url: &str) -> Result<(String, u16)> {
    let config: tokio_postgres::Config = url
        .parse()
        .with_context(|| format!("reading the connection string {url}"))?;
    let host = match config.get_hosts().first() {
        Some(Host::Unix(path)) => path.to_string_lossy().into_owned(),
        Some(Host::Tcp(name)) => name.clone(),
        None => "/var/run/postgresql".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Ok((host, port))
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl PgBouncer {
    /// Starts PgBouncer in `mode` in front of the server of `admin_url`,
    /// letting in `users` (trust authentication, as the test cluster does).
    /// Every database name is passed through to the server. Idle server
    /// connections are handed out in turn (`server_round_robin`): once a
    /// pool holds several ([`PgBouncer::warm`]), consecutive transactions of
    /// one client in transaction mode land on different server sessions, as
    /// they do on a busy Supavisor.
    pub fn start(admin_url: &str, mode: Mode, users: &[&str]) -> Result<PgBouncer> {
        let (host, server_port) = server_of(admin_url)?;
        let dir = tempfile::Builder::new()
            .prefix("samia-pgbouncer-")
            .tempdir()?;
        let port = free_port()?;
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let ini = format!(
            "[databases]\n\
             * = host={host} port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth}\n\
             pool_mode = {mode}\n\
             default_pool_size = 10\n\
             server_round_robin = 1\n\
             max_client_conn = 200\n\
             logfile = {log}\n\
             pidfile = {pid}\n\
             log_connections = 0\n\
             log_disconnections = 0\n",
            auth = path("userlist.txt"),
            mode = mode.name(),
            log = path("pgbouncer.log"),
            pid = path("pgbouncer.pid"),
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini)?;
        let userlist: String = users.iter().map(|u| format!("\"{u}\" \"\"\n")).collect();
        std::fs::write(dir.path().join("userlist.txt"), userlist)?;
        let ini = path("pgbouncer.ini");
        let mut cmd = if is_root() {
            // PgBouncer refuses to run as root.
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()?;
            if !status.success() {
                bail!("chown postgres {}", dir.path().display());
            }
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "pgbouncer", &ini]);
            c
        } else {
            let mut c = Command::new("pgbouncer");
            c.arg(&ini);
            c
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context(
                "starting pgbouncer (Debian package `pgbouncer`, which `make test` installs)",
            )?;
        let mut bouncer = PgBouncer {
            child,
            dir,
            port,
            mode,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = bouncer.child.try_wait()? {
                bail!(
                    "pgbouncer exited ({status}) before listening: {}",
                    bouncer.log()
                );
            }
            if started.elapsed() > Duration::from_secs(15) {
                bail!("pgbouncer did not listen within 15 s: {}", bouncer.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(bouncer)
    }

    /// A key=value connection string to `db` through this PgBouncer.
    pub fn url(&self, db: &str, user: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} dbname={db} sslmode=disable",
            self.port
        )
    }

    /// Has PgBouncer open `n` server connections to `db` for `user` (a pool
    /// per database and user) and keep them idle, by holding `n` client
    /// connections busy at once: from then on, in transaction mode, a
    /// client's consecutive transactions go to different server sessions.
    pub async fn warm(&self, db: &str, user: &str, n: usize) -> Result<()> {
        let config: tokio_postgres::Config = self.url(db, user).parse()?;
        let mut clients = Vec::new();
        let mut connections = Vec::new();
        for _ in 0..n {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            clients.push(client);
            connections.push(tokio::spawn(connection));
        }
        let busy = clients
            .iter()
            .map(|c| c.simple_query("select pg_sleep(0.2)"));
        for result in futures_util::future::join_all(busy).await {
            result.with_context(|| format!("warming the pool of {db}: {}", self.log()))?;
        }
        // Closed before returning: in session mode each would hold its
        // server connection until PgBouncer sees it go.
        drop(clients);
        for connection in connections {
            connection.await??;
        }
        Ok(())
    }

    /// PgBouncer's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }

    fn pid(&self) -> Result<u32> {
        let file: PathBuf = self.dir.path().join("pgbouncer.pid");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        text.trim()
            .parse()
            .map_err(|_| anyhow!("{} holds no process id", file.display()))
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        // SIGTERM to PgBouncer itself (the child may be runuser): an
        // immediate shutdown.
        if let Ok(pid) = self.pid() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
