//! The command line as a whole: help texts, the variables `samia run`
//! reads, and secrets kept out of help and `Debug` output.

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
    "SAMIA_PROBE_DECODER",
    "SAMIA_PROBE_THREADS",
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
    "TIKTOK_CLIENT_KEY",
    "TIKTOK_CLIENT_SECRET",
    "TIKTOK_REDIRECT_URI",
    "TIKTOK_API_URL",
    "TIKTOK_AUTH_URL",
    "SAMIA_TIKTOK_FETCH_CMD",
    "SAMIA_TIKTOK_FETCH_MAX_BYTES",
    "SAMIA_TIKTOK_FETCH_TIMEOUT_MS",
    "SAMIA_TIKTOK_SCHEDULE_MS",
    "FCM_SERVICE_ACCOUNT_FILE",
    "FCM_SERVICE_ACCOUNT_JSON",
    "FCM_BASE_URL",
];

const SECRETS: &[&str] = &[
    "DATABASE_URL",
    "TWILIO_AUTH_TOKEN",
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_JWT_SECRET",
    "TIKTOK_CLIENT_SECRET",
    "LIVEKIT_API_SECRET",
    "FCM_SERVICE_ACCOUNT_JSON",
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
