//! `samia`: the SAMIA-TAROT operator binary.
//!
//! Configuration comes from the environment only (`DATABASE_URL`). Exit codes:
//! 0 success, 1 a check failed (unhealthy, QA findings, migration refused or
//! failed), 2 configuration or connection problem.

mod cli;
mod daemon;
mod db;
mod error;
mod http;
mod jobs;
mod metrics;
mod sealer;
mod twilio;

use clap::{Parser, Subcommand};
use cli::{audit, health, jobs as jobs_cli, migrate, qa};
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
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Check the database: server and extension versions, pending migrations,
    /// row counts. Exits 0 only when healthy.
    Health {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The tamper-evident audit chain: seal new rows, or verify every sealed row.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Data-QA sweep: counts rows that break the data contract. Exits 1 when
    /// any check finds a problem.
    Qa {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The job daemon: works the ops.jobs queue (Twilio Verify) until
    /// SIGINT/SIGTERM, serving /healthz and /metrics. Twilio credentials come
    /// from TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VERIFY_SERVICE_SID.
    Run(daemon::RunArgs),
    /// Inspect the job queue and requeue dead-lettered jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// A fake Twilio Verify API on loopback for development and tests
    /// (no DATABASE_URL needed).
    FakeTwilio(twilio::fake::FakeArgs),
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
    /// migration has changed since it was applied.
    Up,
    /// List applied, pending and changed migrations. Exits 1 when an applied
    /// migration has changed or is unknown to this binary.
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

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let command = match cli.command {
        Command::FakeTwilio(args) => return twilio::fake::run(args).await,
        other => other,
    };
    let target = db::Target::from_env()?;
    let pool = db::pool(&target)?;
    match command {
        Command::Migrate { action } => {
            let mut client = db::client(&pool, &target).await?;
            match action {
                MigrateAction::Up => migrate::up(&mut client).await,
                MigrateAction::Status => migrate::status(&mut client).await,
            }
        }
        Command::Health { json } => {
            let mut client = db::client(&pool, &target).await?;
            health::run(&mut client, json).await
        }
        Command::Audit { action } => {
            let client = db::client(&pool, &target).await?;
            match action {
                AuditAction::Seal => audit::seal(&client).await,
                AuditAction::Verify { anchor } => audit::verify(&client, &anchor).await,
            }
        }
        Command::Qa { json } => {
            let client = db::client(&pool, &target).await?;
            qa::run(&client, json).await
        }
        Command::Run(args) => daemon::run(&target, args).await,
        Command::Jobs { action } => {
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
        // Returned above, before DATABASE_URL is read; kept total without a panic.
        Command::FakeTwilio(args) => twilio::fake::run(args).await,
    }
}
