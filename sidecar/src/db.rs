//! The database named by `DATABASE_URL`, and a small connection pool to it.

use crate::error::CliError;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::Host;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

pub mod kept;
pub mod unnamed;

pub use kept::Kept;
pub use unnamed::{Param, Query};

/// What stands between the sidecar and PostgreSQL (`SAMIA_DB_POOL_MODE`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolMode {
    /// A direct connection, or a pooler in session mode (Supavisor's session
    /// pooler, PgBouncer `pool_mode = session`): one server session per
    /// connection, so `samia run` is woken by LISTEN.
    #[default]
    Session,
    /// A pooler in transaction mode (Supavisor's transaction pooler,
    /// PgBouncer `pool_mode = transaction`): each transaction may run in
    /// another server session, which cannot carry a LISTEN, so `samia run`
    /// polls.
    Transaction,
}

/// Where the database is: the settings of every command that connects.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// The database: a URL such as postgres://USER@HOST:5432/DBNAME (the
    /// password after the user name) or a key=value string. Prefer the
    /// environment: a command line is visible to other users of the machine.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        value_name = "URL",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<SecretString>,
    /// PEM file of CA certificates trusted besides the Web PKI roots when the
    /// URL says sslmode=require (Supabase publishes its own CA).
    #[arg(
        long = "db-ca-file",
        env = "SAMIA_DB_CA_FILE",
        value_name = "PATH",
        global = true
    )]
    pub ca_file: Option<PathBuf>,
    /// "session" for a direct connection or a session-mode pooler,
    /// "transaction" for a transaction-mode pooler (then `samia run` polls
    /// for jobs instead of LISTENing).
    #[arg(
        long = "db-pool-mode",
        env = "SAMIA_DB_POOL_MODE",
        value_enum,
        value_name = "MODE",
        default_value = "session",
        global = true
    )]
    pub pool_mode: PoolMode,
}

/// A parsed `DATABASE_URL` and a printable description of where it points
/// (host, port and database, never the password).
pub struct Target {
    pub config: Config,
    pub shown: String,
    /// Extra CA certificates for TLS (`SAMIA_DB_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl Target {
    pub fn from_args(args: &DbArgs) -> Result<Target, CliError> {
        let url = args
            .database_url
            .as_ref()
            .map(|u| u.expose_secret().trim())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                CliError::Config(
                    "DATABASE_URL is not set: export it, e.g. DATABASE_URL=postgres://USER@HOST:5432/DBNAME"
                        .into(),
                )
            })?;
        let mut target = Target::parse(url)?;
        target.ca_file = args.ca_file.clone();
        Ok(target)
    }

    pub fn parse(url: &str) -> Result<Target, CliError> {
        // The parser's messages name the option at fault, never its value.
        let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
            CliError::Config(format!(
                "DATABASE_URL is not a valid connection string: {e}"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("samia");
        }
        let shown = describe_target(&config);
        Ok(Target {
            config,
            shown,
            ca_file: None,
        })
    }
}

fn describe_target(config: &Config) -> String {
    let port = |i: usize| {
        config
            .get_ports()
            .get(i)
            .or(config.get_ports().first())
            .copied()
            .unwrap_or(5432)
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| match h {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{}", port(i)),
            Host::Tcp(name) => format!("{name}:{}", port(i)),
            Host::Unix(path) => format!("{}/.s.PGSQL.{}", path.display(), port(i)),
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost (default socket)".to_string()
    } else {
        hosts.join(",")
    };
    match config.get_dbname() {
        Some(db) => format!("{hosts} (database {db})"),
        None => hosts,
    }
}

/// The TLS connector for `sslmode=require`: the server's certificate must
/// chain to the Web PKI roots or to the PEM certificates in the target's
/// CA file (`SAMIA_DB_CA_FILE`), and match the host.
/// `None` (plain TCP) for `sslmode=disable` or `prefer`, the default.
pub fn tls(target: &Target) -> Result<Option<MakeRustlsConnect>, CliError> {
    if target.config.get_ssl_mode() != SslMode::Require {
        return Ok(None);
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &target.ca_file {
        let shown = path.display().to_string();
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| CliError::Config(format!("SAMIA_DB_CA_FILE {shown}: {e}")))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CliError::Config(format!("SAMIA_DB_CA_FILE {shown}: {e}")))?;
        if certs.is_empty() {
            return Err(CliError::Config(format!(
                "SAMIA_DB_CA_FILE {shown} holds no PEM certificate"
            )));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| CliError::Config(format!("SAMIA_DB_CA_FILE {shown}: {e}")))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| CliError::Config(format!("TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

pub fn pool(target: &Target) -> Result<Pool, CliError> {
    let config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match tls(target)? {
        Some(tls) => Manager::from_config(target.config.clone(), tls, config),
        None => Manager::from_config(target.config.clone(), NoTls, config),
    };
    Pool::builder(manager)
        .max_size(4)
        .build()
        .map_err(|e| CliError::Config(format!("cannot build the connection pool: {e}")))
}

pub async fn client(pool: &Pool, target: &Target) -> Result<Object, CliError> {
    pool.get().await.map_err(|source| CliError::Connect {
        target: target.shown.clone(),
        source,
    })
}

/// Fails with a configuration error naming the database unless `table`
/// exists there (the migrations have not run).
pub async fn require_table(pool: &Pool, target: &Target, table: &str) -> Result<(), CliError> {
    let client = client(pool, target).await?;
    let ready: bool = client
        .fetch_one("select to_regclass($1) is not null", &[&table])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| CliError::db(format!("looking for {table}"), e))?;
    if ready {
        Ok(())
    } else {
        Err(CliError::Config(format!(
            "{} has no {table} table: run `samia migrate up` first",
            target.shown
        )))
    }
}

/// The `app_config` value of `key` (keys in `samia_core::config`), read as
/// JSON; `None` when unset or not JSON. The caller interprets it with
/// `samia_core::config`, which tolerates a wrong type.
pub async fn setting<C: tokio_postgres::GenericClient>(
    client: &C,
    key: &str,
) -> Result<Option<serde_json::Value>, tokio_postgres::Error> {
    let row = client
        .query_typed_opt(
            "select value::text from public.app_config where key = $1",
            &[(&key, tokio_postgres::types::Type::TEXT)],
        )
        .await?;
    Ok(match row {
        Some(r) => serde_json::from_str(&r.try_get::<_, String>(0)?).ok(),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_target_never_contains_the_password() {
        let t = Target::parse("postgres://app:secret@localhost:6543/samia").expect("valid");
        assert_eq!(t.shown, "localhost:6543 (database samia)");
        assert!(!t.shown.contains("secret"));
    }

    #[test]
    fn key_value_strings_and_sockets_are_described() {
        let t = Target::parse("host=/var/run/postgresql port=5433 dbname=x user=y").expect("valid");
        assert_eq!(t.shown, "/var/run/postgresql/.s.PGSQL.5433 (database x)");
    }

    #[test]
    fn a_bad_url_is_a_config_error_without_the_password() {
        let err = Target::parse("postgres://app:secret@localhost:notaport/db")
            .err()
            .expect("invalid");
        assert!(matches!(err, CliError::Config(_)));
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
