//! `samia backup --out FILE`: a `pg_dump` custom-format archive of the
//! product's schemas and, next to it, `FILE.manifest.json` (manifest.rs).
//!
//! The row counts of the manifest and the archive come from one snapshot:
//! a REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot`),
//! counts every table, and stays open while `pg_dump --snapshot` dumps that
//! very snapshot. Each backup is recorded in `ops.backups`. `samia restore`
//! (restore.rs) loads it into an empty database and checks it against the
//! manifest.

pub mod compare;
pub mod manifest;
pub mod pg_tools;
pub mod restore;
pub mod toc;

use crate::db::Query as _;
use crate::db::{DbArgs, PoolMode, Target};
use crate::error::CliError;
use manifest::{AppliedMigration, Archive, Extension, Manifest};
use serde_json::json;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tokio_postgres::{Client, IsolationLevel};

/// Write a pg_dump archive (custom format) of the product's schemas and
/// FILE.manifest.json next to it (migrations, extension version, exact
/// row counts, the archive's size and sha256), from one snapshot; record
/// it in ops.backups. pg_dump gets the connection through PG*
/// environment variables, never on its command line. Progress on stderr.
#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The archive to write (pg_dump custom format); the manifest goes to
    /// FILE.manifest.json. Neither may exist yet.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The pg_dump program (default: pg_dump on PATH). It must be of the
    /// server's major version or newer.
    #[arg(long = "pg-dump", env = "SAMIA_PG_DUMP", value_name = "PATH")]
    pub pg_dump: Option<PathBuf>,
    /// Print one JSON object (the manifest and where it went) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What the source database is: its name, version and the schemas to dump.
struct Source {
    database: String,
    server_version: String,
    deployment: &'static str,
    schemas: Vec<String>,
}

/// The schemas of the product: `public` (the apps' tables), `ops` (the
/// sidecar's), `samia` (the extension's; dumped for its grants, its
/// functions come with `create extension`) and, on plain PostgreSQL only,
/// the shim schemas `auth` and `storage` the migrations created. On Supabase
/// GoTrue and Storage own those (detected by their roles) and back them up.
async fn source(client: &Client) -> Result<Source, CliError> {
    let context = "reading the database's name and kind";
    let row = client
        .fetch_one(
            "select current_database()::text, current_setting('server_version'),
                    exists (select from pg_roles where rolname = 'supabase_auth_admin'),
                    exists (select from pg_roles where rolname = 'supabase_storage_admin'),
                    to_regnamespace('auth') is not null,
                    to_regnamespace('storage') is not null,
                    to_regclass('ops.schema_migrations') is not null,
                    exists (select from pg_extension where extname = 'samia')",
            &[],
        )
        .await
        .map_err(|e| CliError::db(context, e))?;
    let get = |i: usize| -> Result<bool, CliError> {
        row.try_get(i).map_err(|e| CliError::db(context, e))
    };
    let database: String = row.try_get(0).map_err(|e| CliError::db(context, e))?;
    let server_version: String = row.try_get(1).map_err(|e| CliError::db(context, e))?;
    let (gotrue, storage_api) = (get(2)?, get(3)?);
    let (has_auth, has_storage) = (get(4)?, get(5)?);
    if !get(6)? || !get(7)? {
        return Err(CliError::Refused(format!(
            "database {database} is not a samia database (no ops.schema_migrations or no samia \
             extension): nothing of the product to back up"
        )));
    }
    let mut schemas: Vec<String> = ["public", "ops", "samia"].map(String::from).to_vec();
    if has_auth && !gotrue {
        schemas.push("auth".into());
    }
    if has_storage && !storage_api {
        schemas.push("storage".into());
    }
    Ok(Source {
        database,
        server_version,
        deployment: if gotrue || storage_api {
            "supabase"
        } else {
            "postgres"
        },
        schemas,
    })
}

/// The one connection of `samia backup` and `samia restore`: a server
/// session of their own, never through a transaction-mode pooler.
async fn session(db: &DbArgs) -> Result<(Target, deadpool_postgres::Object), CliError> {
    if db.pool_mode == PoolMode::Transaction {
        return Err(CliError::Config(
            "backup and restore need one server session (pg_dump's snapshot and settings): \
             connect directly or through the session pooler, without SAMIA_DB_POOL_MODE=transaction"
                .into(),
        ));
    }
    super::connect(db).await
}

/// `samia backup`.
pub async fn command(args: BackupArgs) -> Result<ExitCode, CliError> {
    let (target, mut client) = session(&args.db).await?;
    run(&mut client, &target, &args).await
}

pub async fn run(
    client: &mut Client,
    target: &Target,
    args: &BackupArgs,
) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let out = std::path::absolute(&args.out)
        .map_err(|e| CliError::Config(format!("--out {}: {e}", args.out.display())))?;
    let manifest_path = manifest::path_for(&out);
    for path in [&out, &manifest_path] {
        if path.exists() {
            return Err(CliError::Config(format!(
                "{} already exists: choose a new file name (a backup never overwrites one)",
                path.display()
            )));
        }
    }
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| CliError::Config(format!("--out {} is not a file name", out.display())))?;
    match out.parent() {
        Some(dir) if dir.is_dir() => {}
        _ => {
            return Err(CliError::Config(format!(
                "the folder of {} does not exist",
                out.display()
            )))
        }
    }
    let pg_dump = pg_tools::locate(args.pg_dump.as_deref(), "pg_dump", "SAMIA_PG_DUMP")?;
    let pg_dump_version = pg_tools::version(&pg_dump).await?;
    let env = pg_tools::libpq_env(target)?;

    let src = source(client).await?;
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| CliError::db("starting the snapshot transaction", e))?;
    let context = "exporting the snapshot";
    let row = tx
        .fetch_one(
            "select pg_export_snapshot(),
                    to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    (select extversion from pg_extension where extname = 'samia')",
            &[],
        )
        .await
        .map_err(|e| CliError::db(context, e))?;
    let snapshot: String = row.try_get(0).map_err(|e| CliError::db(context, e))?;
    let created_at: String = row.try_get(1).map_err(|e| CliError::db(context, e))?;
    let extension_version: String = row.try_get(2).map_err(|e| CliError::db(context, e))?;

    let tables = manifest::tables(&tx, &src.schemas).await?;
    eprintln!(
        "backup: snapshot {snapshot} of database {} at {created_at}; counting the rows of {} tables",
        src.database,
        tables.len()
    );
    let row_counts = manifest::row_counts(&tx, &tables).await?;
    let migrations = applied_migrations(&tx).await?;
    let objects = manifest::objects(&tx, &src.schemas).await?;
    let (roles, owners) = manifest::roles(&tx, &src.schemas).await?;

    let mut partial = out.as_os_str().to_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut dump_args: Vec<OsString> = vec![
        "--format=custom".into(),
        "--no-password".into(),
        format!("--snapshot={snapshot}").into(),
        "--extension=samia".into(),
        // The exclusion constraint on calls needs its operator classes.
        "--extension=btree_gist".into(),
    ];
    for schema in &src.schemas {
        dump_args.push(format!("--schema={schema}").into());
    }
    let mut file_arg = OsString::from("--file=");
    file_arg.push(&partial);
    dump_args.push(file_arg);
    eprintln!(
        "backup: {pg_dump_version} of schemas {} to {}",
        src.schemas.join(", "),
        out.display()
    );
    let arg_refs: Vec<&std::ffi::OsStr> = dump_args.iter().map(|a| a.as_os_str()).collect();
    let dumped = pg_tools::run(&pg_dump, &arg_refs, &env).await;
    // The snapshot is no longer needed once pg_dump has read it.
    let ended = tx.commit().await;
    let dumped = match dumped {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    ended.map_err(|e| CliError::db("ending the snapshot transaction", e))?;
    for line in dumped.stderr.lines() {
        eprintln!("backup: {line}");
    }

    let (bytes, sha256) = manifest::digest(&partial)
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", partial.display())))?;
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        format_version: manifest::FORMAT_VERSION,
        created_at,
        samia_version: env!("CARGO_PKG_VERSION").into(),
        server_version: src.server_version,
        database: src.database,
        deployment: src.deployment.into(),
        schemas: src.schemas,
        extension: Extension {
            name: "samia".into(),
            version: extension_version,
        },
        migrations,
        row_counts,
        roles,
        owners,
        objects,
        archive: Archive {
            file: file_name,
            format: "custom".into(),
            bytes,
            sha256,
            pg_dump: pg_dump_version,
        },
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| CliError::Config(format!("cannot write the manifest: {e}")))?;
    write_new(&manifest_path, text.as_bytes())?;
    std::fs::rename(&partial, &out).map_err(|e| {
        CliError::Config(format!(
            "cannot move {} to {}: {e}",
            partial.display(),
            out.display()
        ))
    })?;
    eprintln!(
        "backup: wrote {} ({bytes} bytes) in {} ms",
        out.display(),
        started.elapsed().as_millis()
    );

    let recorded = record(client, &out, &manifest, &text).await?;
    let rows: i64 = manifest.row_counts.values().sum();
    if args.json {
        let report = json!({
            "archive": out.display().to_string(),
            "manifest_file": manifest_path.display().to_string(),
            "backup_id": recorded,
            "manifest": manifest,
        });
        println!("{report}");
    } else {
        println!("archive     {}  ({bytes} bytes)", out.display());
        println!("sha256      {}", manifest.archive.sha256);
        println!("manifest    {}", manifest_path.display());
        println!("schemas     {}", manifest.schemas.join(", "));
        println!("rows        {rows} in {} tables", manifest.row_counts.len());
        println!(
            "migrations  {} applied{}",
            manifest.migrations.len(),
            manifest
                .migrations
                .last()
                .map(|m| format!(" (latest V{}__{})", m.version, m.name))
                .unwrap_or_default()
        );
        println!("extension   samia {}", manifest.extension.version);
        match recorded {
            Some(id) => println!("recorded    ops.backups id {id}"),
            None => println!("recorded    not in ops.backups (migration V21 not applied yet)"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ops.schema_migrations`, as `samia migrate` wrote it.
pub async fn applied_migrations(
    client: &impl tokio_postgres::GenericClient,
) -> Result<Vec<AppliedMigration>, CliError> {
    let context = "reading the migration history";
    let rows = client
        .fetch_all(
            &format!(
                "select version, name::text, checksum::text from {} order by version",
                crate::cli::migrate::HISTORY_TABLE
            ),
            &[],
        )
        .await
        .map_err(|e| CliError::db(context, e))?;
    rows.iter()
        .map(|r| {
            Ok(AppliedMigration {
                version: r.try_get(0).map_err(|e| CliError::db(context, e))?,
                name: r.try_get(1).map_err(|e| CliError::db(context, e))?,
                checksum: r.try_get(2).map_err(|e| CliError::db(context, e))?,
            })
        })
        .collect()
}

/// Writes a file that must not exist yet, and flushes it to disk.
fn write_new(path: &Path, contents: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let fail =
        |e: std::io::Error| CliError::Config(format!("cannot write {}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(contents).map_err(fail)?;
    file.write_all(b"\n").map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// One row in `ops.backups`; `None` when the table is not there yet (a
/// backup taken before `samia migrate up` brought migration V21).
async fn record(
    client: &Client,
    out: &Path,
    manifest: &Manifest,
    text: &str,
) -> Result<Option<i64>, CliError> {
    let context = "recording the backup in ops.backups";
    let exists: bool = client
        .fetch_one("select to_regclass('ops.backups') is not null", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| CliError::db(context, e))?;
    if !exists {
        eprintln!(
            "backup: warning: not recorded, this database has no ops.backups yet (samia migrate up adds it)"
        );
        return Ok(None);
    }
    let bytes = i64::try_from(manifest.archive.bytes)
        .map_err(|_| CliError::Refused("the archive is too large to record".into()))?;
    let id: i64 = client
        .fetch_one(
            "insert into ops.backups (taken_at, file, bytes, sha256, manifest)
             values ($1::text::timestamptz, $2, $3, $4, $5::text::jsonb)
             returning id",
            &[
                &manifest.created_at,
                &out.display().to_string(),
                &bytes,
                &manifest.archive.sha256,
                &text,
            ],
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| CliError::db(context, e))?;
    Ok(Some(id))
}

/// The newest row of `ops.backups`, for `samia migrate status`, as one line.
pub async fn last_backup(client: &Client) -> Result<String, CliError> {
    let context = "reading ops.backups";
    let exists: bool = client
        .fetch_one("select to_regclass('ops.backups') is not null", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| CliError::db(context, e))?;
    if !exists {
        return Ok("none recorded (ops.backups comes with migration V21)".into());
    }
    let row = client
        .fetch_opt(
            "select to_char(taken_at at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    file, bytes, sha256,
                    coalesce(jsonb_array_length(manifest -> 'migrations'), 0)
               from ops.backups order by taken_at desc, id desc limit 1",
            &[],
        )
        .await
        .map_err(|e| CliError::db(context, e))?;
    let Some(row) = row else {
        return Ok("none recorded (samia backup --out FILE)".into());
    };
    let read = |e| CliError::db(context, e);
    let taken_at: String = row.try_get(0).map_err(read)?;
    let file: String = row.try_get(1).map_err(read)?;
    let bytes: i64 = row.try_get(2).map_err(read)?;
    let sha256: String = row.try_get(3).map_err(read)?;
    let migrations: i32 = row.try_get(4).map_err(read)?;
    Ok(format!(
        "{taken_at}  {file}  ({bytes} bytes, sha256 {}..., {migrations} migrations)",
        sha256.get(..12).unwrap_or(&sha256)
    ))
}
