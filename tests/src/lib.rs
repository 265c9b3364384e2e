//! Test harness: throwaway databases on the cluster that `make test` starts,
//! the `samia` binary, and requests made exactly as PostgREST makes them.
//!
//! Environment (set by `scripts/test.sh`):
//! - `SAMIA_TEST_ADMIN_URL`: a superuser connection string to the cluster.
//! - `SAMIA_BIN`: the `samia` binary under test.
//! - `SAMIA_FAKE_BIN`: the `samia-fake` binary, whose fakes of Twilio,
//!   Storage, TikTok and LiveKit the tests start.
//! - `SAMIA_TEST_FLAVOUR`: `postgres` (the default: plain PostgreSQL with the
//!   migrations' shim) or `supabase` (a cluster built from Supabase's own SQL
//!   by `scripts/supabase.sh`, whose superuser `supabase_admin` the admin URL
//!   names; see [`Flavour`]).
//!
//! Every test gets its own database, cloned from `samia_template` (already
//! migrated) or created empty.

use anyhow::{anyhow, Context, Result};
use std::ops::{Deref, DerefMut};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio_postgres::{Client, NoTls, Row};

pub mod bench;
pub mod calls;
pub mod cluster;
pub mod fcm;
pub mod fixture;
pub mod horoscopes;
pub mod livekit;
pub mod media;
pub mod pooler;
pub mod postgrest;
pub mod realtime;
pub mod storage;
pub mod tiktok;

pub const TEMPLATE: &str = "samia_template";

/// The test cluster's superuser connection string (`SAMIA_TEST_ADMIN_URL`).
pub fn admin_url() -> String {
    std::env::var("SAMIA_TEST_ADMIN_URL")
        .expect("SAMIA_TEST_ADMIN_URL is not set: run the integration tests with `make test`")
}

/// The kind of database the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Plain PostgreSQL: the superuser is `postgres`, which also migrated the
    /// template; requests run on a superuser session that `SET LOCAL ROLE`s.
    Postgres,
    /// Supabase's shape: the superuser is `supabase_admin`, which created the
    /// extension; `postgres` (not a superuser) migrated the template, owns
    /// each test database and runs the `samia` commands; requests log in as
    /// `authenticator`, as PostgREST does there.
    Supabase,
}

/// `SAMIA_TEST_FLAVOUR`: `postgres` (default) or `supabase`.
pub fn flavour() -> Flavour {
    match std::env::var("SAMIA_TEST_FLAVOUR").as_deref() {
        Ok("supabase") => Flavour::Supabase,
        Ok("" | "postgres") | Err(_) => Flavour::Postgres,
        Ok(other) => panic!("SAMIA_TEST_FLAVOUR={other}: expected postgres or supabase"),
    }
}

/// A session for a test: the superuser's, without JWT claims (the actor
/// `system`), which it derefs to, and the connections that requests made as
/// PostgREST and Storage make them use ([`postgrest::Api`]): on Supabase
/// one logged in as `authenticator` and one as `supabase_storage_admin`, on
/// plain PostgreSQL the superuser session itself.
pub struct Session {
    system: Client,
    api: Option<Client>,
    storage: Option<Client>,
}

impl Session {
    /// The connection PostgREST's requests go through.
    pub fn api(&mut self) -> &mut Client {
        self.api.as_mut().unwrap_or(&mut self.system)
    }

    /// Requests made as Supabase Storage makes them on a user's (or the
    /// service key's) behalf: see [`postgrest::StorageApi`].
    pub fn storage(&mut self) -> postgrest::StorageApi<'_> {
        postgrest::StorageApi(self.storage.as_mut().unwrap_or(&mut self.system))
    }
}

impl Deref for Session {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.system
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.system
    }
}

/// Connects with a connection string, driving the connection in the background.
pub async fn connect(url: &str) -> Result<Client> {
    let config: tokio_postgres::Config = url
        .parse()
        .with_context(|| format!("reading the connection string {url}"))?;
    connect_config(&config)
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// Connects with a parsed configuration (for a login other than the URL's).
pub async fn connect_config(config: &tokio_postgres::Config) -> Result<Client> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// A database of its own for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A copy of the migrated template.
    pub async fn migrated() -> Result<TestDb> {
        TestDb::create(Some(TEMPLATE)).await
    }

    /// An empty database (nothing migrated).
    pub async fn empty() -> Result<TestDb> {
        TestDb::create(None).await
    }

    async fn create(template: Option<&str>) -> Result<TestDb> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let admin = connect(&admin_url()).await?;
        let mut sql = match template {
            Some(t) => format!("create database {name} template {t}"),
            None => format!("create database {name}"),
        };
        if flavour() == Flavour::Supabase {
            // As Supabase's database `postgres`: owned by `postgres`.
            sql.push_str(" owner postgres");
        }
        // A template may be busy for an instant while another test copies it.
        let mut attempt = 0;
        loop {
            match admin.batch_execute(&sql).await {
                Ok(()) => break,
                Err(e)
                    if attempt < 50
                        && e.code() == Some(&tokio_postgres::error::SqlState::OBJECT_IN_USE) =>
                {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(anyhow!("{sql}: {e}")),
            }
        }
        // In a key=value string the last dbname wins.
        let url = format!("{} dbname={name}", admin_url());
        Ok(TestDb { name, url })
    }

    /// A superuser session without JWT claims (the actor `system`), with
    /// the connection for requests made as PostgREST makes them.
    pub async fn system(&self) -> Result<Session> {
        let system = connect(&self.url).await?;
        let (api, storage) = match flavour() {
            Flavour::Postgres => (None, None),
            Flavour::Supabase => (
                Some(connect(&self.url_as("authenticator")).await?),
                Some(connect(&self.url_as("supabase_storage_admin")).await?),
            ),
        };
        Ok(Session {
            system,
            api,
            storage,
        })
    }

    /// This database's connection string for another login role.
    pub fn url_as(&self, role: &str) -> String {
        // In a key=value string the last user wins.
        format!("{} user={role}", self.url)
    }

    /// Where requests made as PostgREST makes them connect: as
    /// `authenticator` on Supabase, the superuser on plain PostgreSQL.
    pub fn api_url(&self) -> String {
        match flavour() {
            Flavour::Postgres => self.url.clone(),
            Flavour::Supabase => self.url_as("authenticator"),
        }
    }

    /// Where the operator commands connect: the superuser on plain
    /// PostgreSQL, `postgres` (the database owner, not a superuser) on
    /// Supabase.
    pub fn operator_url(&self) -> String {
        match flavour() {
            Flavour::Postgres => self.url.clone(),
            Flavour::Supabase => self.url_as("postgres"),
        }
    }

    /// Runs the `samia` binary against this database, as the operator.
    pub fn samia(&self, args: &[&str]) -> Output {
        run_samia(args, Some(&self.operator_url()))
    }
}

/// What a run of the `samia` binary printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `samia` with `DATABASE_URL` set to `database_url` (or unset).
pub fn run_samia(args: &[&str], database_url: Option<&str>) -> Output {
    run_samia_with(args, database_url, &[])
}

/// [`run_samia`] with more environment variables.
pub fn run_samia_with(
    args: &[&str],
    database_url: Option<&str>,
    env: &[(String, String)],
) -> Output {
    let bin = std::env::var("SAMIA_BIN")
        .expect("SAMIA_BIN is not set: run the integration tests with `make test`");
    let mut cmd = Command::new(bin);
    cmd.args(args).env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().expect("the samia binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The SQLSTATE of a failed statement, if it came from the server.
pub fn sqlstate(e: &tokio_postgres::Error) -> Option<&str> {
    e.code().map(|c| c.code())
}

/// The single text value of a one-row, one-column query.
pub async fn one_text(client: &Client, sql: &str) -> Result<Option<String>> {
    let row: Row = client
        .query_one(sql, &[])
        .await
        .with_context(|| sql.to_string())?;
    Ok(row.get(0))
}

/// The single count (bigint) of a one-row, one-column query.
pub async fn count(client: &Client, sql: &str) -> Result<i64> {
    let row: Row = client
        .query_one(sql, &[])
        .await
        .with_context(|| sql.to_string())?;
    Ok(row.get(0))
}

/// Signs a user up as GoTrue would: a row in `auth.users`.
pub async fn sign_up(client: &Client, id: &str, email: &str) -> Result<()> {
    client
        .execute(
            "insert into auth.users (id, email, email_confirmed_at) values ($1::text::uuid, $2, null)",
            &[&id, &email],
        )
        .await
        .with_context(|| format!("signing up {email}"))?;
    Ok(())
}
