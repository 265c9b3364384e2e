//! The `samia` extension across releases (CONTRACT.md section 13): the
//! database's version, the version of the files installed on its server,
//! and what the embedded migrations need (`-- requires: samia >= X.Y.Z`,
//! `samia_core::migrations::requires`). `migrate up` updates the extension
//! when it may or stops before changing anything; `health` warns about an
//! extension older than its files; `run` refuses a database older than it
//! needs.

use crate::cli::migrate::{self, State};
use crate::db::Query as _;
use crate::error::CliError;
use samia_core::migrations::{self as rules, ExtensionStep, Version, MIGRATIONS};
use tokio_postgres::Client;

/// The extension as this database and its server see it.
#[derive(Debug, Clone)]
pub struct Extension {
    /// The database's version (`pg_extension`), if created.
    pub installed: Option<String>,
    /// The version of the installed files (`default_version`), if any.
    pub available: Option<String>,
    /// The extension's owner, who may update it.
    pub owner: String,
    /// Whether the connecting role may run `ALTER EXTENSION samia UPDATE`
    /// (a superuser: the extension is not trusted).
    pub may_update: bool,
}

impl Extension {
    pub async fn read(client: &Client) -> Result<Extension, CliError> {
        let read = |e| CliError::db("reading the samia extension's versions", e);
        let row = client
            .fetch_one(
                "select (select e.extversion from pg_catalog.pg_extension e where e.extname = 'samia'),
                        (select a.default_version from pg_catalog.pg_available_extensions a
                          where a.name = 'samia'),
                        coalesce((select pg_catalog.pg_get_userbyid(e.extowner)
                                    from pg_catalog.pg_extension e where e.extname = 'samia'),
                                 'a superuser'),
                        (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user)",
                &[],
            )
            .await
            .map_err(read)?;
        Ok(Extension {
            installed: row.try_get(0).map_err(read)?,
            available: row.try_get(1).map_err(read)?,
            owner: row.try_get(2).map_err(read)?,
            may_update: row.try_get::<_, Option<bool>>(3).map_err(read)? == Some(true),
        })
    }

    /// What to do before the migrations `pending` (their SQL) run.
    pub fn step<'a>(&self, pending: impl Iterator<Item = &'a str>) -> ExtensionStep {
        rules::extension_step(
            self.installed.as_deref().and_then(Version::parse),
            self.available.as_deref().and_then(Version::parse),
            pending.filter_map(rules::requires).max(),
            self.may_update,
            &self.owner,
        )
    }
}

/// The SQL of the embedded migrations not applied yet.
fn pending_sql(entries: &[migrate::Entry]) -> Vec<&'static str> {
    entries
        .iter()
        .filter(|e| e.state == State::Pending)
        .filter_map(|e| {
            MIGRATIONS
                .iter()
                .find(|(stem, _)| rules::version_of(stem) == u32::try_from(e.version).ok())
                .map(|(_, sql)| *sql)
        })
        .collect()
}

/// Before `migrate up` applies anything: updates the extension when a
/// pending migration needs a newer one (or the files are newer) and this
/// role may, prints advice when it may not and nothing needs it, and
/// refuses, having changed nothing, when a needed update cannot run here.
pub async fn before_migrations(
    client: &mut Client,
    entries: &[migrate::Entry],
) -> Result<(), CliError> {
    let extension = Extension::read(client).await?;
    match extension.step(pending_sql(entries).into_iter()) {
        ExtensionStep::Ready => Ok(()),
        ExtensionStep::Advise(advice) => {
            println!("note     {advice}");
            Ok(())
        }
        ExtensionStep::Refuse(why) => Err(CliError::Refused(why)),
        ExtensionStep::Update { from, to } => {
            client
                .batch_execute("alter extension samia update")
                .await
                .map_err(|e| {
                    CliError::db(
                        format!("updating the samia extension from {from} to {to}"),
                        e,
                    )
                })?;
            println!("updated  extension samia {from} -> {to}");
            Ok(())
        }
    }
}

/// For `samia health`: a warning when the database's extension is older
/// than the files installed on its server, with what to run.
pub fn warning(extension: &Extension) -> Option<String> {
    match extension.step(std::iter::empty()) {
        ExtensionStep::Advise(advice) => Some(advice),
        ExtensionStep::Update { from, to } => Some(format!(
            "the samia extension is at {from} but {to} is installed on this server: \
             run `samia migrate up` (it updates the extension first) or `ALTER EXTENSION samia UPDATE;`"
        )),
        _ => None,
    }
}

/// For `samia run`: refuses a database older than this build needs (a
/// migration not applied, or an extension older than the migrations need).
pub async fn require_current(client: &mut Client) -> Result<(), CliError> {
    let older = |why: String| {
        CliError::Config(format!(
            "the database is older than this samia needs: {why}. Upgrade it first \
             (docs/operations.md, \"Upgrading\": update the extension, then `samia migrate up`)"
        ))
    };
    // The sidecar's role may read the history from V24 on.
    let unreadable: bool = client
        .fetch_one(
            "select pg_catalog.to_regclass('ops.schema_migrations') is not null
                    and not pg_catalog.has_table_privilege('ops.schema_migrations', 'select')",
            &[],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| CliError::db("reading the migration history", e))?;
    if unreadable {
        return Err(older(
            "this role may not read its migration history, as before V24".into(),
        ));
    }
    let entries = migrate::plan(client).await?;
    let pending = migrate::labels(&entries, |s| *s == State::Pending);
    if !pending.is_empty() {
        return Err(older(format!(
            "migrations {} are not applied",
            pending.join(", ")
        )));
    }
    let needed = MIGRATIONS
        .iter()
        .filter_map(|(_, sql)| rules::requires(sql))
        .max();
    let extension = Extension::read(client).await?;
    let installed = extension.installed.as_deref().and_then(Version::parse);
    if let Some(needed) = needed.filter(|n| installed.is_none_or(|i| i < *n)) {
        return Err(older(format!(
            "the samia extension is {} and this samia needs {needed}",
            extension.installed.as_deref().unwrap_or("not created")
        )));
    }
    Ok(())
}
