//! `samia.zodiac_of` (Rust, in the extension) against the original spec's SQL
//! `calc_zodiac`, over the same 1,000,000 dates.

use super::{best_of, ms};
use tokio_postgres::Client;

pub const DATES: i64 = 1_000_000;
const ROUNDS: usize = 5;

pub async fn run(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(include_str!("../../sql/spec_calc_zodiac.sql"))
        .await?;
    client
        .batch_execute(&format!(
            "drop table if exists spec.bench_dates;
             create unlogged table spec.bench_dates as
               select date '1900-01-01' + (random() * 45000)::int as d from generate_series(1, {DATES});
             analyze spec.bench_dates;
             set max_parallel_workers_per_gather = 0;"
        ))
        .await?;
    // Both must agree before their speed means anything.
    let differ: i64 = client
        .query_one(
            "select count(*) from spec.bench_dates where samia.zodiac_of(d) is distinct from spec.calc_zodiac(d)",
            &[],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        differ == 0,
        "zodiac_of and calc_zodiac disagree on {differ} dates"
    );

    let (rust, sql) = best_of(
        client,
        ROUNDS,
        "select sum(length(samia.zodiac_of(d))) from spec.bench_dates",
        "select sum(length(spec.calc_zodiac(d))) from spec.bench_dates",
    )
    .await?;
    let ratio = sql.as_secs_f64() / rust.as_secs_f64();
    println!("zodiac: {DATES} dates, best of {ROUNDS} rounds, one backend, no parallel workers");
    println!("  samia.zodiac_of (Rust)       {:>12}", ms(rust));
    println!("  spec calc_zodiac (SQL)       {:>12}", ms(sql));
    println!(
        "  ratio                        {ratio:>10.1}x  (goal: at least 5x; {})",
        if ratio >= 5.0 { "met" } else { "NOT met" }
    );
    client.batch_execute("drop table spec.bench_dates").await?;
    Ok(())
}
