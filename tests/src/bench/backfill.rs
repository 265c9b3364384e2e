//! `samia backfill zodiac` over 1,000,000 profiles whose zodiac went stale
//! (loaded with triggers off): every row is rewritten through the profile
//! triggers in batches of 2,000 (the default). Prints the rows per second and the longest
//! batch transaction, the longest time any row lock was held.

use std::time::Instant;
use tokio_postgres::Client;

const PROFILES: i64 = 1_000_000;

pub async fn run(client: &Client, url: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    eprintln!("loading {PROFILES} profiles with a stale zodiac ...");
    client
        .batch_execute(&format!(
            "set session_replication_role = replica;
             insert into public.profiles (id, email, dob, zodiac)
               select ('50000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'b' || n || '@bench.test',
                      date '1940-01-01' + (n % 25000), null
                 from generate_series(1, {PROFILES}) n;
             set session_replication_role = origin;"
        ))
        .await?;
    client
        .batch_execute("vacuum analyze public.profiles")
        .await?;
    eprintln!("loaded in {:.1} s", started.elapsed().as_secs_f64());
    let out = crate::run_samia_with(&["backfill", "zodiac", "--json"], Some(url), &[]);
    anyhow::ensure!(out.code == 0, "samia backfill: {}", out.stderr);
    let summary: serde_json::Value = serde_json::from_str(&out.stdout)?;
    let rate = summary["rows_per_second"].as_f64().unwrap_or(0.0);
    let longest = summary["longest_batch_ms"].as_f64().unwrap_or(f64::MAX);
    let changed = summary["rows_changed"].as_i64().unwrap_or(0);
    println!("backfill: samia backfill zodiac over {PROFILES} stale profiles (and the rest), batches of 2,000 (the default)");
    println!(
        "  rows                          {:>12}  ({changed} rewritten through the profile triggers, {:.1} s)",
        summary["rows_seen"],
        summary["seconds"].as_f64().unwrap_or(0.0)
    );
    println!(
        "  rate                          {rate:>10.0}/s  (goal: at least 50,000/s; {})",
        if rate >= 50_000.0 { "met" } else { "NOT met" }
    );
    println!(
        "  longest batch (lock held)     {longest:>9.0} ms  (goal: at most 200 ms; {})",
        if longest <= 200.0 { "met" } else { "NOT met" }
    );
    client
        .batch_execute(
            "set session_replication_role = replica;
             delete from public.profiles where email like 'b%@bench.test';
             set session_replication_role = origin;",
        )
        .await?;
    Ok(())
}
