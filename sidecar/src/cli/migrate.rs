//! `samia migrate up|status`: the embedded `sql/migrations`, applied in refinery's format.
//!
//! Migrations are forward-only: there is no down migration. Going back means
//! restoring a backup taken before `migrate up` (`samia backup`, `samia
//! restore`); `migrate status` shows the last backup recorded.
//!
//! History lives in `ops.schema_migrations` (refinery's table: version, name,
//! applied_on, checksum). Each migration runs in its own transaction together
//! with its history row, under a transaction-scoped advisory lock: two
//! runners never apply the same migration twice, and nothing outlives the
//! transaction (which a transaction-mode pooler requires).

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use refinery::{Migration, Runner};
use samia_core::migrations::MIGRATIONS;
use std::process::ExitCode;
use std::time::Instant;
use tokio_postgres::{Client, Transaction};

/// Apply or inspect the schema migrations embedded in this binary.
/// Migrations are forward-only: there is no down migration; to go back,
/// restore a backup taken before `migrate up` (samia backup, samia
/// restore).
#[derive(clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub action: MigrateAction,
}

#[derive(clap::Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations in order, each in its own transaction. Prints one
    /// line per migration (applied or skipped). Refuses to run when an applied
    /// migration has changed since it was applied. Forward-only: nothing
    /// undoes a migration; take a backup first (samia backup --out FILE).
    /// First compares the database's samia extension with the files
    /// installed on its server and with what the pending migrations need
    /// (their `-- requires: samia >= X.Y.Z` line): runs `ALTER EXTENSION
    /// samia UPDATE` when this role may (a superuser), or stops before
    /// changing anything and names the command and the role that must run it.
    Up {
        /// Apply the pending migrations up to this version only (e.g. 23),
        /// as a database of an older release has them.
        #[arg(long, value_name = "VERSION")]
        to: Option<i32>,
    },
    /// List applied, pending and changed migrations, and the last backup
    /// recorded. Exits 1 when an applied migration has changed or is unknown
    /// to this binary.
    Status,
}

/// `samia migrate`.
pub async fn command(args: MigrateArgs) -> Result<ExitCode, CliError> {
    let (_, mut client) = super::connect(&args.db).await?;
    match args.action {
        MigrateAction::Up { to } => up(&mut client, to).await,
        MigrateAction::Status => status(&mut client).await,
    }
}

pub const HISTORY_TABLE: &str = "ops.schema_migrations";
/// `pg_advisory_lock` key: "samia migrate".
const LOCK_KEY: i64 = 0x5341_4d49_414d_4947;

/// The state of one migration, comparing this binary with the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied {
        applied_on: String,
    },
    Pending,
    /// Applied, but the embedded file's checksum differs from the recorded one.
    Changed,
    /// Recorded in the database but not embedded in this binary.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub version: i32,
    pub name: String,
    pub state: State,
}

impl Entry {
    pub fn label(&self) -> String {
        format!("V{}__{}", self.version, self.name)
    }
}

fn embedded() -> Result<Vec<Migration>, CliError> {
    MIGRATIONS
        .iter()
        .map(|(stem, sql)| {
            Migration::unapplied(stem, sql).map_err(|source| CliError::Migration {
                context: format!("embedded migration {stem} is invalid"),
                reason: source.to_string(),
                source,
            })
        })
        .collect()
}

fn runner(migrations: &[Migration]) -> Runner {
    let mut runner = Runner::new(migrations)
        .set_abort_divergent(true)
        .set_abort_missing(true);
    runner.set_migration_table_name(HISTORY_TABLE);
    runner
}

/// Compares the embedded migrations with the database's history.
pub async fn plan(client: &mut Client) -> Result<Vec<Entry>, CliError> {
    let migrations = embedded()?;
    let history_exists: bool = client
        .fetch_one("select to_regclass($1) is not null", &[&HISTORY_TABLE])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| CliError::db("reading the migration history", e))?;
    let applied = if history_exists {
        runner(&migrations)
            .get_applied_migrations_async(client)
            .await
            .map_err(|source| CliError::Migration {
                context: format!("cannot read {HISTORY_TABLE}"),
                reason: source.to_string(),
                source,
            })?
    } else {
        Vec::new()
    };

    let mut entries: Vec<Entry> = migrations
        .iter()
        .map(|m| {
            let state = match applied.iter().find(|a| a.version() == m.version()) {
                Some(a) if a.checksum() == m.checksum() && a.name() == m.name() => State::Applied {
                    applied_on: a.applied_on().map(format_time).unwrap_or_default(),
                },
                Some(_) => State::Changed,
                None => State::Pending,
            };
            Entry {
                version: m.version(),
                name: m.name().to_string(),
                state,
            }
        })
        .collect();
    for a in &applied {
        if !migrations.iter().any(|m| m.version() == a.version()) {
            entries.push(Entry {
                version: a.version(),
                name: a.name().to_string(),
                state: State::Unknown,
            });
        }
    }
    entries.sort_by_key(|e| e.version);
    Ok(entries)
}

/// The labels (`V24__review_holes`) of the entries whose state matches.
pub fn labels(entries: &[Entry], state: impl Fn(&State) -> bool) -> Vec<String> {
    entries
        .iter()
        .filter(|e| state(&e.state))
        .map(Entry::label)
        .collect()
}

/// `2026-11-25T00:10:19Z`: whole seconds, UTC.
fn format_time(t: &time::OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(*t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Why `up` must not run, if anything blocks it.
fn blocker(entries: &[Entry]) -> Option<String> {
    if let Some(e) = entries.iter().find(|e| e.state == State::Changed) {
        return Some(format!(
            "migration {} changed after it was applied (its checksum differs from {HISTORY_TABLE}); \
             refusing to apply anything past it. Restore the original file and add a new migration instead",
            e.label()
        ));
    }
    if let Some(e) = entries.iter().find(|e| e.state == State::Unknown) {
        return Some(format!(
            "migration {} is recorded in the database but not part of this binary; \
             the database is newer than this samia, use a matching build",
            e.label()
        ));
    }
    let last_applied = entries
        .iter()
        .filter(|e| matches!(e.state, State::Applied { .. }))
        .map(|e| e.version)
        .max();
    if let Some(e) = entries
        .iter()
        .find(|e| e.state == State::Pending && Some(e.version) < last_applied)
    {
        return Some(format!(
            "migration {} is older than migrations already applied; renumber it after the latest one",
            e.label()
        ));
    }
    None
}

/// refinery's history table, created as refinery creates it.
const HISTORY_DDL: &str = "create table if not exists ops.schema_migrations(
    version int4 primary key,
    name varchar(255),
    applied_on varchar(255),
    checksum varchar(255))";

/// Takes the migration lock for the rest of this transaction. A lock per
/// transaction, not per session: through a transaction-mode pooler the
/// statements of one connection run in whichever server session is free,
/// where a session lock would be taken in one and never released.
async fn lock(tx: &Transaction<'_>) -> Result<(), CliError> {
    tx.exec("select pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map(|_| ())
        .map_err(|e| CliError::db("taking the migration lock", e))
}

pub async fn up(client: &mut Client, to: Option<i32>) -> Result<ExitCode, CliError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| CliError::db("creating the migration history", e))?;
    lock(&tx).await?;
    tx.batch_execute(&format!("create schema if not exists ops; {HISTORY_DDL}"))
        .await
        .map_err(|e| CliError::db("creating the migration history", e))?;
    tx.commit()
        .await
        .map_err(|e| CliError::db("creating the migration history", e))?;
    apply_pending(client, to).await
}

async fn apply_pending(client: &mut Client, to: Option<i32>) -> Result<ExitCode, CliError> {
    let mut entries = plan(client).await?;
    if let Some(to) = to {
        entries.retain(|e| e.version <= to || e.state != State::Pending);
    }
    if let Some(reason) = blocker(&entries) {
        print_entries(&entries);
        return Err(CliError::Refused(reason));
    }
    crate::cli::extension::before_migrations(client, &entries).await?;
    let migrations = embedded()?;
    let (mut applied, mut skipped) = (0, 0);
    for entry in &entries {
        if let State::Applied { applied_on } = &entry.state {
            println!("skipped  {}  (applied {applied_on})", entry.label());
            skipped += 1;
            continue;
        }
        let Some(migration) = migrations.iter().find(|m| m.version() == entry.version) else {
            continue;
        };
        let started = Instant::now();
        if apply(client, migration, &entry.label()).await? {
            println!(
                "applied  {}  ({} ms)",
                entry.label(),
                started.elapsed().as_millis()
            );
            applied += 1;
        } else {
            // Another runner applied it between our plan and our turn.
            println!("skipped  {}  (applied concurrently)", entry.label());
            skipped += 1;
        }
    }
    if let Some(status) = crate::cli::realtime::setup(&*client).await? {
        println!("realtime {}", crate::cli::realtime::describe(&status));
    }
    println!(
        "{} migrations: {applied} applied, {skipped} skipped",
        entries.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Applies one migration and records it in refinery's format, in one
/// transaction under the migration lock; false when another runner had
/// applied it already.
async fn apply(client: &mut Client, migration: &Migration, label: &str) -> Result<bool, CliError> {
    let context = format!("applying migration {label}");
    let tx = client
        .transaction()
        .await
        .map_err(|e| CliError::db(&context, e))?;
    lock(&tx).await?;
    let version = migration.version();
    let done = tx
        .fetch_opt(
            "select 1 from ops.schema_migrations where version = $1",
            &[&version],
        )
        .await
        .map_err(|e| CliError::db("reading the migration history", e))?
        .is_some();
    if done {
        return Ok(false);
    }
    if let Err(e) = tx.batch_execute(migration.sql().unwrap_or_default()).await {
        println!("FAILED   {label}");
        let at = failed_line(&e, label)
            .map(|line| format!(" (at {label}.sql line {line})"))
            .unwrap_or_default();
        // Not a superuser (on Supabase: postgres): the extension is a
        // superuser's to create, once, before the migrations.
        let hint = if e.as_db_error().is_some_and(|db| {
            db.code().code() == "42501" && db.message().contains("extension \"samia\"")
        }) {
            "; a superuser must run `create extension samia;` in this database first \
             (on Supabase: supabase_admin), then `samia migrate up` again"
        } else {
            ""
        };
        return Err(CliError::db(
            format!("migration {label} failed and was rolled back{at}{hint}"),
            e,
        ));
    }
    let applied_on = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| CliError::Config(format!("cannot format the time of {label}: {e}")))?;
    tx.exec(
        "insert into ops.schema_migrations (version, name, applied_on, checksum)
         values ($1, $2, $3, $4)",
        &[
            &version,
            &migration.name(),
            &applied_on,
            &migration.checksum().to_string(),
        ],
    )
    .await
    .map_err(|e| CliError::db(&context, e))?;
    tx.commit().await.map_err(|e| CliError::db(&context, e))?;
    Ok(true)
}

/// The line of the migration file a failed statement points at.
fn failed_line(e: &tokio_postgres::Error, stem: &str) -> Option<usize> {
    let position = e.as_db_error().and_then(|db| match db.position() {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    })?;
    let sql = MIGRATIONS
        .iter()
        .find(|(s, _)| *s == stem)
        .map(|(_, sql)| *sql)?;
    // The position counts characters from 1.
    Some(
        sql.chars()
            .take(position.saturating_sub(1))
            .filter(|c| *c == '\n')
            .count()
            + 1,
    )
}

pub async fn status(client: &mut Client) -> Result<ExitCode, CliError> {
    let entries = plan(client).await?;
    print_entries(&entries);
    let count = |f: fn(&State) -> bool| entries.iter().filter(|e| f(&e.state)).count();
    println!(
        "{} applied, {} pending, {} changed, {} unknown",
        count(|s| matches!(s, State::Applied { .. })),
        count(|s| *s == State::Pending),
        count(|s| *s == State::Changed),
        count(|s| *s == State::Unknown),
    );
    println!(
        "last backup  {}",
        crate::cli::backup::last_backup(client).await?
    );
    match blocker(&entries) {
        Some(reason) => Err(CliError::Refused(reason)),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn print_entries(entries: &[Entry]) {
    for e in entries {
        match &e.state {
            State::Applied { applied_on } => println!("applied  {}  ({applied_on})", e.label()),
            State::Pending => println!("pending  {}", e.label()),
            State::Changed => println!(
                "CHANGED  {}  (file differs from the applied version)",
                e.label()
            ),
            State::Unknown => println!(
                "UNKNOWN  {}  (in the database, not in this binary)",
                e.label()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: i32, state: State) -> Entry {
        Entry {
            version,
            name: format!("m{version}"),
            state,
        }
    }

    #[test]
    fn a_changed_migration_blocks_everything() {
        let entries = [
            entry(
                1,
                State::Applied {
                    applied_on: String::new(),
                },
            ),
            entry(2, State::Changed),
            entry(3, State::Pending),
        ];
        let reason = blocker(&entries).expect("blocked");
        assert!(reason.contains("V2__m2"), "{reason}");
    }

    #[test]
    fn pending_after_applied_is_fine_but_a_gap_is_not() {
        let ok = [
            entry(
                1,
                State::Applied {
                    applied_on: String::new(),
                },
            ),
            entry(2, State::Pending),
        ];
        assert_eq!(blocker(&ok), None);
        let gap = [
            entry(1, State::Pending),
            entry(
                2,
                State::Applied {
                    applied_on: String::new(),
                },
            ),
        ];
        assert!(blocker(&gap).expect("blocked").contains("V1__m1"));
    }

    #[test]
    fn every_embedded_migration_has_a_valid_name() {
        assert_eq!(embedded().expect("valid").len(), MIGRATIONS.len());
    }
}
