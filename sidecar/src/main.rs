//! `samia`: the SAMIA-TAROT operator binary.
//!
//! Configuration comes from the environment (`DATABASE_URL` and the
//! variables each command's `--help` lists), read through clap. Exit codes:
//! 0 success, 1 a check failed (unhealthy, QA findings, migration refused or
//! failed), 2 configuration or connection problem. Each command's arguments
//! and handler are in the library's `cli` module.

use clap::{Parser, Subcommand};
use samia_sidecar::cli::{
    audit, backfill, backup, costs, health, jobs, lineage, migrate, qa, run, storage, tiktok,
};
use samia_sidecar::error::CliError;
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

/// The commands, in the order `samia --help` lists them; each one's help
/// is the doc comment of its arguments.
#[derive(Subcommand)]
enum Command {
    Migrate(migrate::MigrateArgs),
    Health(health::HealthArgs),
    Audit(audit::AuditArgs),
    Qa(qa::QaArgs),
    Run(Box<run::RunArgs>),
    Costs(costs::CostsArgs),
    Backfill(backfill::BackfillArgs),
    Lineage(lineage::LineageArgs),
    Backup(Box<backup::BackupArgs>),
    Restore(Box<backup::restore::RestoreArgs>),
    Jobs(jobs::JobsArgs),
    Storage(storage::StorageCommandArgs),
    Tiktok(tiktok::TiktokArgs),
}

/// `samia run` works jobs on every core (one thread per core: its workers'
/// database and HTTP round trips, JSON and TLS); the other commands do one
/// thing at a time on one thread.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match cli.command {
        Command::Run(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let result = match runtime {
        Ok(runtime) => runtime.block_on(dispatch(cli.command)),
        Err(e) => Err(CliError::Config(format!(
            "cannot start the async runtime: {e}"
        ))),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("samia: {e}");
            e.exit_code()
        }
    }
}

async fn dispatch(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Migrate(args) => migrate::command(args).await,
        Command::Health(args) => health::command(args).await,
        Command::Audit(args) => audit::command(args).await,
        Command::Qa(args) => qa::command(args).await,
        Command::Run(args) => run::command(*args).await,
        Command::Costs(args) => costs::command(args).await,
        Command::Backfill(args) => backfill::command(args).await,
        Command::Lineage(args) => lineage::command(args).await,
        Command::Backup(args) => backup::command(*args).await,
        Command::Restore(args) => backup::restore::command(*args).await,
        Command::Jobs(args) => jobs::command(args).await,
        Command::Storage(args) => storage::command(args).await,
        Command::Tiktok(args) => tiktok::command(args).await,
    }
}

#[cfg(test)]
#[path = "main_tests.rs"]
mod tests;
