//! `samia-bench [NAME...]`: runs the named benchmarks (all when none is
//! named) against the database in `DATABASE_URL`. `make bench` provides a
//! throwaway cluster with the release build of the extension (for
//! `realtime`, a Supabase-shaped one with Realtime's schema).

use std::process::ExitCode;

const BENCHES: &[&str] = &[
    "zodiac",
    "rls",
    "audit",
    "lifecycle",
    "media",
    "probe",
    "jobs",
    "ingest",
    "backfill",
    "calls",
    "realtime",
    "push",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: samia-bench [{}]...\nDATABASE_URL names a migrated database.",
            BENCHES.join("|")
        );
        return ExitCode::SUCCESS;
    }
    let names: Vec<&str> = if args.is_empty() {
        BENCHES.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    if let Some(unknown) = names.iter().find(|n| !BENCHES.contains(n)) {
        eprintln!(
            "samia-bench: unknown benchmark {unknown:?}; known: {}",
            BENCHES.join(", ")
        );
        return ExitCode::from(2);
    }
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("samia-bench: DATABASE_URL is not set");
        return ExitCode::from(2);
    };
    let client = match samia_tests::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("samia-bench: {e:#}");
            return ExitCode::from(2);
        }
    };
    for name in names {
        let result = match name {
            "zodiac" => samia_tests::bench::zodiac::run(&client).await,
            "rls" => samia_tests::bench::rls::run_all(&client, &url).await,
            "audit" => samia_tests::bench::audit::run_all(&client, &url).await,
            "jobs" => samia_tests::bench::jobs::run(&url).await,
            "lifecycle" => samia_tests::bench::lifecycle::run_all(&client, &url).await,
            "media" => samia_tests::bench::media::run_all(&client, &url).await,
            "probe" => samia_tests::bench::probe::run(&client, &url).await,
            "ingest" => samia_tests::bench::ingest::run(&client, &url).await,
            "backfill" => samia_tests::bench::backfill::run(&client, &url).await,
            "calls" => samia_tests::bench::calls::run(&client, &url).await,
            "realtime" => samia_tests::bench::realtime::run(&client, &url).await,
            "push" => samia_tests::bench::push::run(&url).await,
            _ => unreachable!("checked above"),
        };
        if let Err(e) = result {
            eprintln!("samia-bench: {name}: {e:#}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
