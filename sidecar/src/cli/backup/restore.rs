//! `samia restore FILE`: loads an archive of `samia backup` into an empty
//! database and checks the result against the manifest.
//!
//! Before anything is written: the archive's size and sha256 must match the
//! manifest, the target must hold nothing of the product, the server must
//! offer the samia extension at the manifest's version, and the restoring
//! role must be able to do what the archive needs (create the extension,
//! the roles it names, own its objects). `pg_restore` then runs in one
//! transaction, so a failure leaves the target as it was. pg_dump puts
//! triggers, policies and foreign keys after the data (post-data), so the
//! rows of `audit_log` and `moderation_actions` load before their
//! `records_written_by_extension` trigger exists and no trigger needs
//! disabling; the extension is created before any table (pre-data).

use super::manifest::{self, Manifest};
use super::toc::restore_list;
use super::{compare, pg_tools};
use crate::cli::migrate::{self, State};
use crate::db::Query as _;
use crate::db::{DbArgs, Target};
use crate::error::CliError;
use serde_json::json;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tokio_postgres::Client;

/// Load an archive of `samia backup` into an empty database (the
/// target's DATABASE_URL) and check it against its manifest: refuses a
/// changed archive, a database that holds the product, or a server
/// without the extension's version; exits 1 on any difference in rows,
/// migrations, triggers or policies after the load.
#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The archive written by `samia backup`; FILE.manifest.json must be
    /// next to it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The pg_restore program (default: pg_restore on PATH), of the archive's
    /// pg_dump version or newer.
    #[arg(long = "pg-restore", env = "SAMIA_PG_RESTORE", value_name = "PATH")]
    pub pg_restore: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The roles the migrations create, created the same way when an archive
/// names them and the target server lacks them (roles belong to the server,
/// not to a database, so pg_dump does not carry them).
const PRODUCT_ROLES: &[(&str, &str)] = &[
    ("anon", "create role anon nologin noinherit"),
    (
        "authenticated",
        "create role authenticated nologin noinherit",
    ),
    (
        "service_role",
        "create role service_role nologin noinherit bypassrls",
    ),
    ("samia_sidecar", "create role samia_sidecar nologin"),
];

/// What the target database and the restoring role are.
struct TargetDb {
    database: String,
    user: String,
    superuser: bool,
    create_role: bool,
    create_in_database: bool,
    has_orders: bool,
    applied_migrations: i64,
    extension: Option<String>,
    available: Vec<String>,
    has_auth_users: bool,
    has_storage_objects: bool,
}

async fn inspect(client: &Client) -> Result<TargetDb, CliError> {
    let context = "inspecting the target database";
    let row = client
        .fetch_one(
            "select current_database()::text, current_user::text, r.rolsuper, r.rolcreaterole,
                    has_database_privilege(current_database(), 'CREATE'),
                    to_regclass('public.orders') is not null,
                    to_regclass('ops.schema_migrations') is not null,
                    (select extversion from pg_extension where extname = 'samia'),
                    array(select version from pg_available_extension_versions
                           where name = 'samia' order by version),
                    to_regclass('auth.users') is not null,
                    to_regclass('storage.objects') is not null
               from pg_roles r where r.rolname = current_user",
            &[],
        )
        .await
        .map_err(|e| CliError::db(context, e))?;
    let read = |e| CliError::db(context, e);
    let has_history: bool = row.try_get(6).map_err(read)?;
    let applied_migrations = if has_history {
        client
            .fetch_one(
                &format!("select count(*) from {}", migrate::HISTORY_TABLE),
                &[],
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(read)?
    } else {
        0
    };
    Ok(TargetDb {
        database: row.try_get(0).map_err(read)?,
        user: row.try_get(1).map_err(read)?,
        superuser: row.try_get(2).map_err(read)?,
        create_role: row.try_get(3).map_err(read)?,
        create_in_database: row.try_get(4).map_err(read)?,
        has_orders: row.try_get(5).map_err(read)?,
        applied_migrations,
        extension: row.try_get(7).map_err(read)?,
        available: row.try_get(8).map_err(read)?,
        has_auth_users: row.try_get(9).map_err(read)?,
        has_storage_objects: row.try_get(10).map_err(read)?,
    })
}

/// Refuses unless the archive's file is the one the manifest describes.
fn check_archive(file: &Path, manifest: &Manifest) -> Result<(), CliError> {
    let (bytes, sha256) = manifest::digest(file)
        .map_err(|e| CliError::Config(format!("cannot read {}: {e}", file.display())))?;
    if sha256 != manifest.archive.sha256 {
        return Err(CliError::Refused(format!(
            "{} does not match its manifest: its sha256 is {sha256} but the manifest says {} \
             ({bytes} bytes, manifest {}): the file changed after the backup; refusing to restore it",
            file.display(),
            manifest.archive.sha256,
            manifest.archive.bytes
        )));
    }
    if bytes != manifest.archive.bytes {
        return Err(CliError::Refused(format!(
            "{} is {bytes} bytes but its manifest says {}; refusing to restore it",
            file.display(),
            manifest.archive.bytes
        )));
    }
    Ok(())
}

/// Why the archive cannot go into this target, if it cannot.
async fn preflight(
    client: &Client,
    manifest: &Manifest,
    t: &TargetDb,
) -> Result<Vec<&'static str>, CliError> {
    let db = &t.database;
    if t.has_orders || t.applied_migrations > 0 {
        return Err(CliError::Refused(format!(
            "database {db} is not empty of the product ({}): restore into a new, empty database \
             (createdb), never over a live one",
            match (t.has_orders, t.applied_migrations) {
                (true, 0) => "it has public.orders".to_string(),
                (false, n) => format!("{n} migrations applied"),
                (true, n) => format!("it has public.orders and {n} migrations applied"),
            }
        )));
    }
    let tables: Vec<String> = manifest.row_counts.keys().cloned().collect();
    let clashes: Vec<String> = client
        .fetch_all(
            "select t from unnest($1::text[]) t where to_regclass(t) is not null order by 1",
            &[&tables],
        )
        .await
        .map_err(|e| CliError::db("looking for tables of the archive", e))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::db("looking for tables of the archive", e))?;
    if !clashes.is_empty() {
        return Err(CliError::Refused(format!(
            "database {db} already has tables of the archive ({}): restore into a new, empty database",
            shortlist(&clashes)
        )));
    }

    let version = &manifest.extension.version;
    match &t.extension {
        Some(v) if v != version => {
            return Err(CliError::Refused(format!(
                "database {db} has the samia extension at {v}, the backup was taken at {version}: \
                 restore into a database without it, or create it there at {version}"
            )))
        }
        Some(_) => {}
        None if !t.available.contains(version) => {
            return Err(CliError::Refused(format!(
                "the server offers the samia extension at {}, the backup needs {version}: install \
                 the extension's files of version {version} on the database server (cargo pgrx \
                 install, or its package) and run the restore again",
                if t.available.is_empty() {
                    "no version".to_string()
                } else {
                    t.available.join(", ")
                }
            )))
        }
        None => {}
    }

    let has = |s: &str| manifest.schemas.iter().any(|x| x == s);
    for (schema, table, present) in [
        ("auth", "auth.users", t.has_auth_users),
        ("storage", "storage.objects", t.has_storage_objects),
    ] {
        if has(schema) && present {
            return Err(CliError::Refused(format!(
                "the archive holds the {schema} schema the migrations create on plain PostgreSQL, \
                 but database {db} already has {table} (a Supabase database?): restore it into \
                 plain PostgreSQL"
            )));
        }
        if !has(schema) && !present {
            return Err(CliError::Refused(format!(
                "the archive comes from Supabase and leaves out {schema}, which GoTrue and Storage \
                 own, but database {db} has no {table}: restore it into a Supabase database \
                 (its auth and storage restored with Supabase's own backups first)"
            )));
        }
    }

    if !t.superuser {
        let who = &t.user;
        if t.extension.is_none() {
            return Err(CliError::Refused(format!(
                "role {who} is not a superuser, and creating the samia extension needs one (it \
                 is not a trusted extension): have a superuser run `create extension samia \
                 version '{version}'` in database {db} first (as supabase_admin does on \
                 Supabase), or restore as a superuser"
            )));
        }
        if !t.create_in_database {
            return Err(CliError::Refused(format!(
                "role {who} may not create schemas in database {db}: restore as its owner or a superuser"
            )));
        }
        let foreign: Vec<String> = client
            .fetch_all(
                "select o from unnest($1::text[]) o
                  where not exists (select from pg_roles where rolname = o)
                     or not pg_has_role(current_user, o, 'MEMBER')
                  order by 1",
                &[&manifest.owners],
            )
            .await
            .map_err(|e| CliError::db("checking the owners of the archive", e))?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(|e| CliError::db("checking the owners of the archive", e))?;
        if !foreign.is_empty() {
            return Err(CliError::Refused(format!(
                "the archive's objects are owned by {}, and role {who} is neither a superuser nor \
                 a member of {}: restore as that owner or as a superuser",
                foreign.join(", "),
                if foreign.len() == 1 { "it" } else { "them" }
            )));
        }
    }

    let missing: Vec<String> = client
        .fetch_all(
            "select r from unnest($1::text[]) r
              where not exists (select from pg_roles where rolname = r) order by 1",
            &[&manifest.roles],
        )
        .await
        .map_err(|e| CliError::db("looking for the roles of the archive", e))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::db("looking for the roles of the archive", e))?;
    let unknown: Vec<&String> = missing
        .iter()
        .filter(|r| !PRODUCT_ROLES.iter().any(|(name, _)| name == r))
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::Refused(format!(
            "the archive names roles this server does not have: {}; create them first (pg_dump \
             carries no roles: `pg_dumpall --roles-only` on the source server lists them)",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut to_create = Vec::new();
    for (name, _) in PRODUCT_ROLES {
        if !missing.iter().any(|m| m == name) {
            continue;
        }
        let allowed = t.superuser || (t.create_role && *name != "service_role");
        if !allowed {
            return Err(CliError::Refused(format!(
                "the server has no role {name} and role {} may not create it ({}): have a \
                 superuser run `samia migrate up` on any database of this server once, or create \
                 it as the migrations do",
                t.user,
                if *name == "service_role" {
                    "BYPASSRLS needs a superuser"
                } else {
                    "no CREATEROLE"
                }
            )));
        }
        to_create.push(*name);
    }
    Ok(to_create)
}

fn shortlist(items: &[String]) -> String {
    let mut s = items.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        s.push_str(&format!(" and {} more", items.len() - 5));
    }
    s
}

/// A libpq connection string naming only the database (the rest comes from
/// the environment).
fn dbname_conninfo(name: &str) -> String {
    format!(
        "dbname='{}'",
        name.replace('\\', "\\\\").replace('\'', "\\'")
    )
}

/// `samia restore`.
pub async fn command(args: RestoreArgs) -> Result<ExitCode, CliError> {
    let (target, mut client) = super::session(&args.db).await?;
    run(&mut client, &target, &args).await
}

pub async fn run(
    client: &mut Client,
    target: &Target,
    args: &RestoreArgs,
) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let file = std::path::absolute(&args.file)
        .map_err(|e| CliError::Config(format!("{}: {e}", args.file.display())))?;
    let manifest = manifest::read(&file)?;
    check_archive(&file, &manifest)?;
    eprintln!(
        "restore: {} matches its manifest ({} bytes, sha256 {}); backup of database {} at {}",
        file.display(),
        manifest.archive.bytes,
        manifest.archive.sha256,
        manifest.database,
        manifest.created_at
    );
    let pg_restore =
        pg_tools::locate(args.pg_restore.as_deref(), "pg_restore", "SAMIA_PG_RESTORE")?;
    let env = pg_tools::libpq_env(target)?;

    let t = inspect(client).await?;
    let to_create = preflight(client, &manifest, &t).await?;
    for name in &to_create {
        if let Some((_, sql)) = PRODUCT_ROLES.iter().find(|(n, _)| n == name) {
            client
                .batch_execute(sql)
                .await
                .map_err(|e| CliError::db(format!("creating role {name}"), e))?;
            eprintln!("restore: created role {name} (NOLOGIN, as the migrations do)");
        }
    }

    let existing_schemas: Vec<String> = client
        .fetch_all(
            "select nspname::text from pg_namespace where nspname::text = any($1)",
            &[&manifest.schemas],
        )
        .await
        .map_err(|e| CliError::db("listing the target's schemas", e))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::db("listing the target's schemas", e))?;
    let toc = pg_tools::run(&pg_restore, &[OsStr::new("--list"), file.as_os_str()], &[]).await?;
    let list = restore_list(
        &String::from_utf8_lossy(&toc.stdout),
        &existing_schemas,
        t.extension.is_some(),
    );
    let mut list_file = tempfile::NamedTempFile::new()
        .map_err(|e| CliError::Config(format!("cannot create a temporary file: {e}")))?;
    list_file
        .write_all(list.as_bytes())
        .and_then(|()| list_file.flush())
        .map_err(|e| CliError::Config(format!("cannot write a temporary file: {e}")))?;

    let mut use_list = OsString::from("--use-list=");
    use_list.push(list_file.path());
    let dbname = OsString::from(format!("--dbname={}", dbname_conninfo(&t.database)));
    eprintln!(
        "restore: pg_restore into {} in one transaction, as {}{}",
        target.shown,
        t.user,
        if t.superuser { " (superuser)" } else { "" }
    );
    let loading = Instant::now();
    let restored = pg_tools::run(
        &pg_restore,
        &[
            OsStr::new("--single-transaction"),
            OsStr::new("--exit-on-error"),
            OsStr::new("--no-password"),
            use_list.as_os_str(),
            dbname.as_os_str(),
            file.as_os_str(),
        ],
        &env,
    )
    .await?;
    let load_ms = loading.elapsed().as_millis();
    for line in restored.stderr.lines() {
        eprintln!("restore: {line}");
    }

    let report = compare::verify(client, &manifest).await?;
    let pending: Vec<String> = migrate::plan(client)
        .await
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e.state == State::Pending)
                .map(|e| e.label())
                .collect()
        })
        .unwrap_or_default();
    let ok = report.differences.is_empty();
    if args.json {
        println!(
            "{}",
            json!({
                "verified": ok,
                "archive": file.display().to_string(),
                "database": t.database,
                "backup": {
                    "database": manifest.database,
                    "created_at": manifest.created_at,
                    "sha256": manifest.archive.sha256,
                },
                "roles_created": to_create,
                "restore_ms": load_ms,
                "tables": report.tables,
                "rows": report.rows,
                "migrations": report.migrations,
                "extension": report.extension,
                "triggers": report.triggers,
                "policies": report.policies,
                "differences": report.differences,
                "pending_migrations": pending,
            })
        );
    } else {
        println!(
            "archive     {}  ({} bytes, sha256 matches the manifest)",
            file.display(),
            manifest.archive.bytes
        );
        println!(
            "backup      database {} at {}",
            manifest.database, manifest.created_at
        );
        println!("restored    into {} in {load_ms} ms", target.shown);
        if !to_create.is_empty() {
            println!("roles       created {}", to_create.join(", "));
        }
        println!("rows        {} in {} tables", report.rows, report.tables);
        println!("migrations  {} applied", report.migrations);
        println!(
            "extension   samia {}",
            report.extension.as_deref().unwrap_or("not created")
        );
        println!("triggers    {}", report.triggers);
        println!("policies    {}", report.policies);
        for d in &report.differences {
            println!("DIFF        {d}");
        }
        if !pending.is_empty() {
            println!(
                "note        {} migration(s) of this samia are not in the backup: samia migrate up applies them",
                pending.len()
            );
        }
        println!(
            "{} in {} ms",
            if ok {
                "restore verified: everything as in the manifest"
            } else {
                "restore NOT verified"
            },
            started.elapsed().as_millis()
        );
    }
    if ok {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CliError::Refused(format!(
            "the restored database differs from the manifest in {} point(s): {}",
            report.differences.len(),
            shortlist(&report.differences)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_is_quoted_for_libpq() {
        assert_eq!(dbname_conninfo("samia"), "dbname='samia'");
        assert_eq!(dbname_conninfo("o'k\\x"), "dbname='o\\'k\\\\x'");
    }
}
