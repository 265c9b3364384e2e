//! `samia`: the SAMIA-TAROT operator binary.
//!
//! Configuration comes from the environment (`DATABASE_URL` and the
//! variables each command's `--help` lists), read through clap. Exit codes:
//! 0 success, 1 a check failed (unhealthy, QA findings, migration refused or
//! failed), 2 configuration or connection problem.

mod cli;
mod daemon;
mod db;
mod error;
mod http;
mod jobs;
mod livekit;
mod metrics;
mod sealer;
mod storage;
mod tiktok;
mod twilio;

use clap::{Parser, Subcommand};
use cli::{
    audit, costs, health, jobs as jobs_cli, migrate, qa, storage as storage_cli,
    tiktok as tiktok_cli,
};
use db::DbArgs;
use error::CliError;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "samia",
    version,
    about = "SAMIA-TAROT operator tool: migrations, health checks, data QA and the audit chain",
    long_about = "SAMIA-TAROT operator tool.\n\n\
        Connects to the database named by the DATABASE_URL environment variable \
        (a URL such as postgres://USER@HOST:5432/DBNAME, with the password after the \
        user name when one is needed, or a key=value \
        string). The password is never printed: errors name the host, port and database.\n\n\
        Exit codes: 0 success; 1 a check failed (unhealthy, QA findings, migration \
        refused or failed); 2 configuration or connection problem."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply or inspect the schema migrations embedded in this binary.
    /// Migrations are forward-only: there is no down migration; to go back,
    /// restore a backup taken before `migrate up` (samia backup, samia
    /// restore).
    Migrate {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Check the database: server and extension versions, pending migrations,
    /// row counts. Exits 0 only when healthy.
    Health {
        #[command(flatten)]
        db: DbArgs,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The tamper-evident audit chain: seal new rows, or verify every sealed row.
    Audit {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Data-QA sweep: counts rows that break the data contract. Exits 1 when
    /// any check finds a problem.
    Qa {
        #[command(flatten)]
        db: DbArgs,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The job daemon: works the ops.jobs queue (Twilio Verify, media probes
    /// of files in Supabase Storage) until SIGINT/SIGTERM, serving /healthz
    /// and /metrics. Twilio credentials come from TWILIO_ACCOUNT_SID,
    /// TWILIO_AUTH_TOKEN, TWILIO_VERIFY_SERVICE_SID; Storage's from
    /// SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (without them media.probe
    /// jobs fail, the rest runs).
    Run(Box<daemon::RunArgs>),
    /// What the paid providers were used for against each budget of
    /// app_config: verification codes (all countries and per country),
    /// TikTok requests, the largest users' storage against the quota. Today
    /// (UTC) unless a day or a month is given.
    Costs {
        #[command(flatten)]
        db: DbArgs,
        /// A day, YYYY-MM-DD (UTC).
        #[arg(long)]
        day: Option<String>,
        /// A month, YYYY-MM; daily budgets count once per day of it.
        #[arg(long)]
        month: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Recompute derived data after a rule or table changed, in short
    /// batches (progress on stderr; resumes where a cut-short run stopped;
    /// recorded in audit_log as system).
    Backfill {
        #[command(flatten)]
        db: DbArgs,
        /// What to recompute: profiles' zodiac or country_code, astro
        /// charts, or probe jobs for files never probed.
        #[arg(value_enum)]
        what: cli::backfill::What,
        /// Count what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Start from the beginning even if an earlier run was cut short.
        #[arg(long)]
        restart: bool,
        /// Keys per batch (each batch is one short transaction: about
        /// 100 ms at the default on a small server).
        #[arg(long, default_value_t = 2_000)]
        batch: i64,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The chain of custody of an order, a file, a horoscope or a profile,
    /// oldest first: its own timestamps and every audit and moderation
    /// record of it and of what it links to (files with their sha256, the
    /// approvals, the TikTok post a horoscope came from).
    Lineage {
        #[command(flatten)]
        db: DbArgs,
        /// What to trace.
        #[arg(value_enum)]
        item: cli::lineage::Item,
        /// Its id (a number; a uuid for a profile).
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a pg_dump archive (custom format) of the product's schemas and
    /// FILE.manifest.json next to it (migrations, extension version, exact
    /// row counts, the archive's size and sha256), from one snapshot; record
    /// it in ops.backups. pg_dump gets the connection through PG*
    /// environment variables, never on its command line. Progress on stderr.
    Backup(Box<cli::backup::BackupArgs>),
    /// Load an archive of `samia backup` into an empty database (the
    /// target's DATABASE_URL) and check it against its manifest: refuses a
    /// changed archive, a database that holds the product, or a server
    /// without the extension's version; exits 1 on any difference in rows,
    /// migrations, triggers or policies after the load.
    Restore(Box<cli::backup::restore::RestoreArgs>),
    /// Inspect the job queue and requeue dead-lettered jobs.
    Jobs {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: JobsAction,
    },
    /// A fake Twilio Verify API on loopback for development and tests
    /// (no DATABASE_URL needed).
    FakeTwilio(twilio::fake::FakeArgs),
    /// Files in Supabase Storage as the service role: upload, a signed URL to
    /// share, delete (SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY; no
    /// DATABASE_URL needed).
    Storage {
        #[command(flatten)]
        storage: storage::StorageArgs,
        #[command(subcommand)]
        action: StorageAction,
    },
    /// The owner's TikTok account: connect it (OAuth), sync posts now, show
    /// the connection and the posts per status. TIKTOK_CLIENT_KEY,
    /// TIKTOK_CLIENT_SECRET and TIKTOK_REDIRECT_URI name the app.
    Tiktok {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        tiktok: tiktok::TikTokArgs,
        #[command(subcommand)]
        action: TiktokAction,
    },
    /// A fake Supabase Storage API on loopback for development and tests: files
    /// on local disk, storage.objects rows written through DATABASE_URL under
    /// the caller's role and JWT claims, as the real service does.
    FakeStorage(storage::fake::FakeArgs),
    /// A fake TikTok Display API and OAuth on loopback for development and
    /// tests: one creator's posts from a seed file, authorizations approved
    /// at once (TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET; no DATABASE_URL
    /// needed).
    FakeTiktok(tiktok::fake::FakeArgs),
    /// A fake LiveKit server on loopback for development and tests: rooms
    /// in memory, the RoomService, tokens checked as LiveKit checks them,
    /// signed webhooks (LIVEKIT_API_KEY and LIVEKIT_API_SECRET; no
    /// DATABASE_URL needed).
    FakeLivekit(livekit::fake::FakeArgs),
}

#[derive(Subcommand)]
enum TiktokAction {
    /// Print the link the owner opens to allow the app (scopes
    /// user.info.basic and video.list); `samia run` receives the answer at
    /// TIKTOK_REDIRECT_URI (/v1/tiktok/callback) and stores the tokens.
    Connect,
    /// List the owner's posts now and record the new ones (progress on
    /// stderr). Exit 1 when TikTok refuses or syncing is stopped.
    Sync {
        /// List every post, update known ones and flag those TikTok no
        /// longer lists (`removed`), instead of stopping at a known post.
        #[arg(long)]
        full: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The connection (never the tokens), the last sync, posts per status.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum StorageAction {
    /// Upload a file to BUCKET at PATH.
    Upload {
        file: std::path::PathBuf,
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        path: String,
        /// The stored content type (default: from the file's extension).
        #[arg(long)]
        content_type: Option<String>,
        /// Replace an object already at PATH (otherwise that is refused).
        #[arg(long)]
        upsert: bool,
    },
    /// Print a URL that serves BUCKET/PATH to anyone until it expires.
    Sign {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        path: String,
        /// Seconds the URL works.
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
    },
    /// Delete objects of BUCKET (exit 1 when one of them did not exist).
    Delete {
        #[arg(long)]
        bucket: String,
        paths: Vec<String>,
    },
}

#[derive(Subcommand)]
enum JobsAction {
    /// The newest jobs, optionally of one status or kind.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Jobs per kind and status, and the age of the oldest ready job.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Requeue dead-lettered jobs with fresh attempts.
    Retry {
        /// Job ids.
        ids: Vec<i64>,
        /// Every dead job.
        #[arg(long)]
        all_dead: bool,
    },
    /// End queued, running or dead jobs for good (a cancelled code send also
    /// cancels its phone verification).
    Cancel {
        /// Job ids.
        ids: Vec<i64>,
        /// Recorded as the job's last error.
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Seal committed audit rows that are not sealed yet, oldest first.
    Seal,
    /// Recompute the chain from the rows and name the first edited, deleted or
    /// reordered row. Exits 1 when the chain is broken.
    Verify {
        /// A seal and hash printed by an earlier verify, as SEQ:HASH; the chain
        /// must still hold that hash at that seal (catches a rewritten chain).
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Vec<String>,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("samia: {e}");
            e.exit_code()
        }
    }
}

/// A secret setting, held so that it never reaches a log line or help text.
fn secret_arg(value: &str) -> Result<secrecy::SecretString, std::convert::Infallible> {
    Ok(secrecy::SecretString::from(value))
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let db_args = match &cli.command {
        Command::FakeTwilio(args) => return twilio::fake::run(args).await,
        Command::FakeStorage(args) => return storage::fake::run(args).await,
        Command::FakeTiktok(args) => return tiktok::fake::run(args).await,
        Command::FakeLivekit(args) => return livekit::fake::run(args).await,
        Command::Storage { storage, action } => return storage_command(storage, action).await,
        Command::Migrate { db, .. }
        | Command::Health { db, .. }
        | Command::Audit { db, .. }
        | Command::Qa { db, .. }
        | Command::Jobs { db, .. }
        | Command::Tiktok { db, .. }
        | Command::Costs { db, .. }
        | Command::Lineage { db, .. }
        | Command::Backfill { db, .. } => db,
        Command::Run(args) => &args.db,
        Command::Backup(args) => &args.db,
        Command::Restore(args) => &args.db,
    };
    if db_args.pool_mode == db::PoolMode::Transaction
        && matches!(cli.command, Command::Backup(_) | Command::Restore(_))
    {
        return Err(CliError::Config(
            "backup and restore need one server session (pg_dump's snapshot and settings): \
             connect directly or through the session pooler, without SAMIA_DB_POOL_MODE=transaction"
                .into(),
        ));
    }
    let target = db::Target::from_args(db_args)?;
    let pool = db::pool(&target)?;
    match cli.command {
        Command::Migrate { action, .. } => {
            let mut client = db::client(&pool, &target).await?;
            match action {
                MigrateAction::Up { to } => migrate::up(&mut client, to).await,
                MigrateAction::Status => migrate::status(&mut client).await,
            }
        }
        Command::Health { json, .. } => {
            let mut client = db::client(&pool, &target).await?;
            health::run(&mut client, json).await
        }
        Command::Audit { action, .. } => {
            let client = db::client(&pool, &target).await?;
            match action {
                AuditAction::Seal => audit::seal(&client).await,
                AuditAction::Verify { anchor } => audit::verify(&client, &anchor).await,
            }
        }
        Command::Qa { json, .. } => {
            let client = db::client(&pool, &target).await?;
            qa::run(&client, json).await
        }
        Command::Run(args) => daemon::run(&target, *args).await,
        Command::Backup(args) => {
            let mut client = db::client(&pool, &target).await?;
            cli::backup::run(&mut client, &target, &args).await
        }
        Command::Restore(args) => {
            let mut client = db::client(&pool, &target).await?;
            cli::backup::restore::run(&mut client, &target, &args).await
        }
        Command::Backfill {
            what,
            dry_run,
            restart,
            batch,
            json,
            ..
        } => {
            let mut client = db::client(&pool, &target).await?;
            let options = cli::backfill::Options {
                batch,
                dry_run,
                restart,
                json,
            };
            cli::backfill::run(&mut client, what, options).await
        }
        Command::Lineage { item, id, json, .. } => {
            let client = db::client(&pool, &target).await?;
            cli::lineage::run(&**client, item, &id, json).await
        }
        Command::Costs {
            day, month, json, ..
        } => {
            let client = db::client(&pool, &target).await?;
            costs::run(&**client, day.as_deref(), month.as_deref(), json).await
        }
        Command::Tiktok { tiktok, action, .. } => {
            let mut client = db::client(&pool, &target).await?;
            match action {
                TiktokAction::Connect => tiktok_cli::connect(&client, &tiktok).await,
                TiktokAction::Sync { full, json } => {
                    tiktok_cli::sync_now(&mut client, &tiktok, full, json).await
                }
                TiktokAction::Status { json } => tiktok_cli::status(&client, json).await,
            }
        }
        Command::Jobs { action, .. } => {
            let mut client = db::client(&pool, &target).await?;
            match action {
                JobsAction::List {
                    status,
                    kind,
                    limit,
                    json,
                } => jobs_cli::list(&client, status.as_deref(), kind.as_deref(), limit, json).await,
                JobsAction::Stats { json } => jobs_cli::stats(&client, json).await,
                JobsAction::Retry { ids, all_dead } => {
                    jobs_cli::retry(&client, &ids, all_dead).await
                }
                JobsAction::Cancel { ids, reason } => {
                    jobs_cli::cancel(&mut client, &ids, reason.as_deref()).await
                }
            }
        }
        // Returned above, before the database settings are read.
        Command::FakeTwilio(args) => twilio::fake::run(&args).await,
        Command::FakeStorage(args) => storage::fake::run(&args).await,
        Command::FakeTiktok(args) => tiktok::fake::run(&args).await,
        Command::FakeLivekit(args) => livekit::fake::run(&args).await,
        Command::Storage { storage, action } => storage_command(&storage, &action).await,
    }
}

async fn storage_command(
    storage: &storage::StorageArgs,
    action: &StorageAction,
) -> Result<ExitCode, CliError> {
    match action {
        StorageAction::Upload {
            file,
            bucket,
            path,
            content_type,
            upsert,
        } => {
            storage_cli::upload(
                storage,
                file,
                bucket,
                path,
                content_type.as_deref(),
                *upsert,
            )
            .await
        }
        StorageAction::Sign {
            bucket,
            path,
            expires_in,
        } => storage_cli::sign(storage, bucket, path, *expires_in).await,
        StorageAction::Delete { bucket, paths } => {
            storage_cli::delete(storage, bucket, paths).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every variable `samia run` reads.
    const RUN_VARIABLES: &[&str] = &[
        "DATABASE_URL",
        "SAMIA_DB_CA_FILE",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_VERIFY_SERVICE_SID",
        "TWILIO_BASE_URL",
        "SUPABASE_URL",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SAMIA_MEDIA_TIMEOUT_MS",
        "SAMIA_FFMPEG_DIR",
        "SAMIA_MEDIA_TMPDIR",
        "SAMIA_CONCURRENCY",
        "SAMIA_LEASE_MS",
        "SAMIA_POLL_MS",
        "SAMIA_PROVIDER_TIMEOUT_MS",
        "SAMIA_BACKOFF_BASE_MS",
        "SAMIA_BACKOFF_MAX_MS",
        "SAMIA_SEAL_MS",
        "SAMIA_LISTEN",
        "SAMIA_WORKER_ID",
        "SAMIA_LOG_FORMAT",
        "RUST_LOG",
        "LIVEKIT_URL",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "SUPABASE_JWT_SECRET",
        "SUPABASE_JWKS_URL",
        "SUPABASE_JWT_ISSUER",
        "SAMIA_CALL_TOKEN_TTL_SECS",
        "SAMIA_API_CONNECTIONS",
    ];

    const SECRETS: &[&str] = &[
        "DATABASE_URL",
        "TWILIO_AUTH_TOKEN",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SUPABASE_JWT_SECRET",
        "TIKTOK_CLIENT_SECRET",
        "LIVEKIT_API_SECRET",
    ];

    #[test]
    fn run_help_lists_every_variable() {
        let mut cli = Cli::command();
        cli.build();
        let help = cli
            .find_subcommand_mut("run")
            .expect("run is a subcommand")
            .render_long_help()
            .to_string();
        for var in RUN_VARIABLES {
            assert!(
                help.contains(&format!("[env: {var}")),
                "{var} missing:\n{help}"
            );
        }
    }

    fn long_help(path: &[&str]) -> String {
        let mut cli = Cli::command();
        cli.build();
        let mut command = &mut cli;
        for name in path {
            command = command
                .find_subcommand_mut(name)
                .unwrap_or_else(|| panic!("{name} is a subcommand"));
        }
        command.render_long_help().to_string()
    }

    #[test]
    fn migrate_help_says_migrations_are_forward_only() {
        let help = long_help(&["migrate"]);
        assert!(help.contains("forward-only"), "{help}");
        assert!(help.contains("samia restore"), "{help}");
        assert!(long_help(&["migrate", "up"]).contains("Forward-only"));
    }

    #[test]
    fn backup_and_restore_name_their_programs_variables() {
        assert!(long_help(&["backup"]).contains("[env: SAMIA_PG_DUMP"));
        assert!(long_help(&["restore"]).contains("[env: SAMIA_PG_RESTORE"));
        assert!(long_help(&["restore"]).contains("[env: DATABASE_URL"));
    }

    #[test]
    fn secrets_hide_their_values_and_have_no_default() {
        let mut cli = Cli::command();
        cli.build();
        let mut seen = Vec::new();
        for command in cli.get_subcommands() {
            for arg in command.get_arguments() {
                let Some(var) = arg.get_env().and_then(|v| v.to_str()) else {
                    continue;
                };
                if SECRETS.contains(&var) {
                    assert!(
                        arg.is_hide_env_values_set(),
                        "{var} of {}",
                        command.get_name()
                    );
                    assert!(arg.get_default_values().is_empty(), "{var} has a default");
                    seen.push(var.to_string());
                }
            }
        }
        for secret in SECRETS {
            assert!(seen.iter().any(|s| s == secret), "{secret} is not read");
        }
    }

    #[test]
    fn a_secret_given_as_a_flag_never_shows_in_debug_output() {
        // Built at run time, so the source holds no URL with a password.
        let url = format!("postgres://app:{}@db/samia", "hunter2");
        let cli = Cli::try_parse_from([
            "samia",
            "run",
            "--database-url",
            url.as_str(),
            "--twilio-auth-token",
            "tok-hunter3",
            "--supabase-service-role-key",
            "key-hunter4",
        ])
        .expect("parses");
        let Command::Run(args) = cli.command else {
            panic!("parsed as another command");
        };
        let shown = format!("{args:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3") && !shown.contains("hunter4"),
            "{shown}"
        );
    }
}
