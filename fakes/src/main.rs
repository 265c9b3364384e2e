//! `samia-fake`: the providers' test doubles on loopback, for `make up` and
//! the tests. Each prints `fake NAME listening on http://ADDR` as its first
//! line and serves until SIGINT or SIGTERM. Exit codes as `samia`'s: 2 for
//! a configuration problem.

use clap::{Parser, Subcommand};
use samia_fakes::{fcm, livekit, storage, tiktok, twilio};
use samia_sidecar::error::CliError;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "samia-fake",
    version,
    about = "Fake Twilio Verify, Supabase Storage, TikTok, LiveKit and FCM on loopback, for development and tests",
    long_about = "Fake Twilio Verify, Supabase Storage, TikTok, LiveKit and Firebase Cloud \
        Messaging on loopback, for development and tests (make up, make test). Each \
        answers like the real API, keeps what it was asked (GET /_fake/requests) and \
        injects the faults a test queues (POST /_fake/faults). Never part of the samia \
        binary."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Each one's help is the doc comment of its arguments.
#[derive(Subcommand)]
enum Command {
    Twilio(twilio::FakeArgs),
    Storage(storage::FakeArgs),
    Tiktok(tiktok::FakeArgs),
    Livekit(livekit::FakeArgs),
    Fcm(fcm::FakeArgs),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let ran: Result<ExitCode, CliError> = match &cli.command {
        Command::Twilio(args) => twilio::run(args).await,
        Command::Storage(args) => storage::run(args).await,
        Command::Tiktok(args) => tiktok::run(args).await,
        Command::Livekit(args) => livekit::run(args).await,
        Command::Fcm(args) => fcm::run(args).await,
    };
    ran.unwrap_or_else(|e| {
        eprintln!("samia-fake: {e}");
        e.exit_code()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The secrets the fakes read: hidden in help, never defaulted.
    #[test]
    fn secrets_hide_their_values() {
        let secrets = [
            "SUPABASE_JWT_SECRET",
            "TIKTOK_CLIENT_SECRET",
            "LIVEKIT_API_SECRET",
        ];
        let cli = Cli::command();
        let read: Vec<_> = cli
            .get_subcommands()
            .flat_map(|c| c.get_arguments())
            .filter(|a| {
                a.get_env()
                    .and_then(|v| v.to_str())
                    .is_some_and(|v| secrets.contains(&v))
            })
            .inspect(|a| assert!(a.is_hide_env_values_set() && a.get_default_values().is_empty()))
            .collect();
        assert_eq!(read.len(), secrets.len());
    }
}
