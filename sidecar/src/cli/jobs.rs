//! `samia jobs list|stats|retry|cancel`: the operator's view of `ops.jobs`.

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use serde_json::json;
use std::process::ExitCode;
use tokio_postgres::{Client, Row};

/// Inspect the job queue and requeue dead-lettered jobs.
#[derive(clap::Args)]
pub struct JobsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub action: JobsAction,
}

#[derive(clap::Subcommand)]
pub enum JobsAction {
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

/// `samia jobs`.
pub async fn command(args: JobsArgs) -> Result<ExitCode, CliError> {
    let (_, mut client) = super::connect(&args.db).await?;
    match args.action {
        JobsAction::List {
            status,
            kind,
            limit,
            json,
        } => list(&client, status.as_deref(), kind.as_deref(), limit, json).await,
        JobsAction::Stats { json } => stats(&client, json).await,
        JobsAction::Retry { ids, all_dead } => retry(&client, &ids, all_dead).await,
        JobsAction::Cancel { ids, reason } => cancel(&mut client, &ids, reason.as_deref()).await,
    }
}

const STATUSES: &[&str] = &["queued", "running", "done", "dead", "cancelled"];

/// One row of `jobs list`, in the order of its query's columns.
struct JobRow {
    id: i64,
    kind: String,
    status: String,
    attempts: i32,
    max_attempts: i32,
    run_at: String,
    locked_by: Option<String>,
    last_error: Option<String>,
    created_at: String,
}

impl JobRow {
    fn read(r: &Row) -> Result<JobRow, tokio_postgres::Error> {
        Ok(JobRow {
            id: r.try_get(0)?,
            kind: r.try_get(1)?,
            status: r.try_get(2)?,
            attempts: r.try_get(3)?,
            max_attempts: r.try_get(4)?,
            run_at: r.try_get(5)?,
            locked_by: r.try_get(6)?,
            last_error: r.try_get(7)?,
            created_at: r.try_get(8)?,
        })
    }
}

/// One row of `jobs stats`.
struct StatsRow {
    kind: String,
    status: String,
    count: i64,
    oldest_ready_seconds: f64,
}

impl StatsRow {
    fn read(r: &Row) -> Result<StatsRow, tokio_postgres::Error> {
        Ok(StatsRow {
            kind: r.try_get(0)?,
            status: r.try_get(1)?,
            count: r.try_get(2)?,
            oldest_ready_seconds: r.try_get(3)?,
        })
    }
}

/// The `id` column (the first) of every row.
fn ids_of(rows: &[Row], context: &str) -> Result<Vec<i64>, CliError> {
    rows.iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::db(context, e))
}

pub async fn list(
    client: &Client,
    status: Option<&str>,
    kind: Option<&str>,
    limit: i64,
    as_json: bool,
) -> Result<ExitCode, CliError> {
    if let Some(s) = status.filter(|s| !STATUSES.contains(s)) {
        return Err(CliError::Config(format!(
            "--status {s:?} is not one of {}",
            STATUSES.join(", ")
        )));
    }
    let rows = client
        .fetch_all(
            "select id, kind, status, attempts, max_attempts, run_at::text, locked_by, last_error,
                    created_at::text, payload ->> 'verification_id'
               from ops.jobs
              where ($1::text is null or status = $1) and ($2::text is null or kind = $2)
              order by id desc limit $3",
            &[&status, &kind, &limit.clamp(1, 10_000)],
        )
        .await
        .map_err(|e| CliError::db("listing jobs", e))?;
    let jobs = rows
        .iter()
        .map(JobRow::read)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::db("reading the listed jobs", e))?;
    if as_json {
        let items: Vec<_> = jobs
            .iter()
            .map(|j| {
                json!({
                    "id": j.id, "kind": j.kind, "status": j.status, "attempts": j.attempts,
                    "max_attempts": j.max_attempts, "run_at": j.run_at,
                    "locked_by": j.locked_by, "last_error": j.last_error,
                    "created_at": j.created_at,
                })
            })
            .collect();
        println!("{}", json!(items));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>8}  {:<18} {:<8} {:>8}  {:<32} last error",
        "id", "kind", "status", "attempts", "run at"
    );
    for j in &jobs {
        println!(
            "{:>8}  {:<18} {:<8} {:>4}/{:<3}  {:<32} {}",
            j.id,
            j.kind,
            j.status,
            j.attempts,
            j.max_attempts,
            j.run_at,
            j.last_error
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(120)
                .collect::<String>()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn stats(client: &Client, as_json: bool) -> Result<ExitCode, CliError> {
    let rows = client
        .fetch_all(
            "select kind, status, count(*),
                    coalesce(extract(epoch from clock_timestamp() - min(run_at)
                               filter (where status = 'queued' and run_at <= clock_timestamp())), 0)::float8
               from ops.jobs group by kind, status order by kind, status",
            &[],
        )
        .await
        .map_err(|e| CliError::db("counting jobs", e))?;
    let stats = rows
        .iter()
        .map(StatsRow::read)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::db("reading the job counts", e))?;
    if as_json {
        let items: Vec<_> = stats
            .iter()
            .map(|s| {
                json!({ "kind": s.kind, "status": s.status,
                             "count": s.count, "oldest_ready_seconds": s.oldest_ready_seconds })
            })
            .collect();
        println!("{}", json!(items));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<18} {:<8} {:>8}  oldest ready",
        "kind", "status", "count"
    );
    for s in &stats {
        println!(
            "{:<18} {:<8} {:>8}  {:.1} s",
            s.kind, s.status, s.count, s.oldest_ready_seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Puts dead jobs back in the queue with fresh attempts. Exits 1 when a
/// named job is not dead.
pub async fn retry(client: &Client, ids: &[i64], all_dead: bool) -> Result<ExitCode, CliError> {
    if ids.is_empty() && !all_dead {
        return Err(CliError::Config(
            "name the jobs to retry (samia jobs retry ID...) or pass --all-dead".into(),
        ));
    }
    let rows = client
        .fetch_all(
            "update ops.jobs set status = 'queued', attempts = 0, run_at = clock_timestamp(),
                    locked_by = null, finished_at = null, updated_at = clock_timestamp()
              where status = 'dead' and ($2 or id = any($1))
             returning id",
            &[&ids, &all_dead],
        )
        .await
        .map_err(|e| CliError::db("requeueing dead jobs", e))?;
    let requeued = ids_of(&rows, "reading the requeued jobs")?;
    client
        .exec(
            "select pg_notify($1, 'retry')",
            &[&samia_core::jobs::CHANNEL],
        )
        .await
        .map_err(|e| CliError::db("waking the workers", e))?;
    println!("requeued {} dead jobs", requeued.len());
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !requeued.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Refused(format!(
            "jobs {} are not dead (or do not exist); only dead jobs are retried",
            missing.join(", ")
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ends queued, running or dead jobs for good. A cancelled code send also
/// cancels its verification, so the client can ask for a new code. A worker
/// still busy with a cancelled job finds it gone and records nothing. Exits 1
/// when a named job is done, already cancelled or missing.
pub async fn cancel(
    client: &mut Client,
    ids: &[i64],
    reason: Option<&str>,
) -> Result<ExitCode, CliError> {
    if ids.is_empty() {
        return Err(CliError::Config(
            "name the jobs to cancel: samia jobs cancel ID...".into(),
        ));
    }
    let reason = reason.unwrap_or("cancelled by an operator");
    let tx = client
        .transaction()
        .await
        .map_err(|e| CliError::db("starting a transaction", e))?;
    let rows = tx
        .fetch_all(
            "update ops.jobs set status = 'cancelled', locked_by = null, last_error = $2,
                    payload = payload - $3::text[], finished_at = clock_timestamp(), updated_at = clock_timestamp()
              where id = any($1) and status in ('queued', 'running', 'dead')
             returning id, kind, (payload ->> 'verification_id')::bigint",
            // What a phone job does not keep (the code typed), as when it ends.
            &[&ids, &reason, &crate::twilio::jobs::FORGET],
        )
        .await
        .map_err(|e| CliError::db("cancelling jobs", e))?;
    let mut cancelled = Vec::with_capacity(rows.len());
    for row in &rows {
        let read = |e| CliError::db("reading the cancelled jobs", e);
        let id: i64 = row.try_get(0).map_err(read)?;
        let kind: String = row.try_get(1).map_err(read)?;
        let verification: Option<i64> = row.try_get(2).map_err(read)?;
        cancelled.push(id);
        if let (true, Some(id)) = (kind == samia_core::jobs::PHONE_SEND_CODE, verification) {
            tx.exec(
                "select samia.phone_verification_outcome($1, 'canceled', null, 'canceled_by_operator')",
                &[&id],
            )
            .await
            .map_err(|e| CliError::db(format!("cancelling phone verification {id}"), e))?;
        }
    }
    tx.commit()
        .await
        .map_err(|e| CliError::db("committing the cancellation", e))?;
    println!("cancelled {} jobs", cancelled.len());
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !cancelled.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Refused(format!(
            "jobs {} are done, already cancelled or do not exist",
            missing.join(", ")
        )));
    }
    Ok(ExitCode::SUCCESS)
}
