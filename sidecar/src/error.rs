//! Errors the `samia` binary reports, each one line and with an exit code.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad or missing configuration (exit 2).
    #[error("{0}")]
    Config(String),
    /// The database cannot be reached (exit 2).
    #[error("cannot connect to the database at {target}: {}", pool_reason(.source))]
    Connect {
        target: String,
        #[source]
        source: deadpool_postgres::PoolError,
    },
    /// A statement failed, or its rows were not what was expected (exit 1).
    #[error("{context}: {}", describe(.source))]
    Database {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// Reading the migration history or applying a migration failed (exit 1).
    #[error("{context}: {reason}")]
    Migration {
        context: String,
        /// The database's own message when there is one (see `migrate`).
        reason: String,
        #[source]
        source: refinery::Error,
    },
    /// A check or a migration refused to go on (exit 1).
    #[error("{0}")]
    Refused(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Config(_) | CliError::Connect { .. } => ExitCode::from(2),
            CliError::Database { .. } | CliError::Migration { .. } | CliError::Refused(_) => {
                ExitCode::from(1)
            }
        }
    }

    /// Wraps a failed statement (or an unreadable row) with what was being done.
    pub fn db(context: impl Into<String>, source: tokio_postgres::Error) -> CliError {
        CliError::Database {
            context: context.into(),
            source,
        }
    }

    /// [`CliError::db`] for `map_err`: `.map_err(CliError::db_in("reading x"))`.
    pub fn db_in(context: &str) -> impl Fn(tokio_postgres::Error) -> CliError + '_ {
        move |source| CliError::db(context, source)
    }
}

/// Why the pool gave no connection: the server's or client's own reason.
fn pool_reason(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(pg) => describe(pg),
        other => other.to_string(),
    }
}

/// One line for a tokio-postgres error: the server's message, detail and
/// SQLSTATE when there is one, otherwise the client-side cause.
pub fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            s.push_str(&format!("; {detail}"));
        }
        return s.replace('\n', " ");
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(&format!(": {text}"));
        }
        source = cause.source();
    }
    s.replace('\n', " ")
}
