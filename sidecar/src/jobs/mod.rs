//! `ops.jobs`: claiming under a lease, finishing, retrying with backoff and
//! dead-lettering (the table is described in migration V10).
//!
//! A claim moves `run_at` to the end of the lease and adds one to
//! `attempts`; every later write is guarded by the claim (`locked_by` and
//! `attempts`), so a worker whose lease ran out and whose job was claimed
//! again can no longer change it.

pub mod worker;

use crate::db::Query;
use crate::http::outbound::ProviderError;
use std::time::Duration;

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    pub worker: String,
}

impl Job {
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// How the claim must be planned, set in its transaction before it: as
/// a walk of `jobs_claimable_idx` in order, whatever the statistics say.
/// Until `ops.jobs` is first analysed (a new database: autovacuum may take
/// minutes) the planner guesses one ready job and sorts every ready job to
/// take the first (a bitmap scan of the kind or claimable index, then a
/// sort): about a millisecond a claim with 2,000 queued, against 0.05 ms
/// for the index walk, which stops at the first ready job.
pub const CLAIM_PLAN: &str = "set local enable_sort = off; set local enable_bitmapscan = off";

/// Claims the oldest ready job of one of `kinds`, leased to `worker` for
/// `lease`. Run it in a transaction that began with [`CLAIM_PLAN`].
///
/// Ready means `run_at` at or before the statement's start: a bound the
/// index scan stops at, so the jobs held for later (quiet hours, retries)
/// are not read.
pub async fn claim<C: Query>(
    client: &C,
    kinds: &[&str],
    worker: &str,
    lease: Duration,
) -> Result<Option<Job>, tokio_postgres::Error> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    let row = client
        .fetch_opt(
            "with next as (
               select id from ops.jobs
                where status in ('queued', 'running') and run_at <= statement_timestamp()
                  and kind = any($1)
                order by run_at, id
                limit 1
                for update skip locked)
             update ops.jobs j
                set status = 'running', attempts = j.attempts + 1, locked_by = $2,
                    run_at = clock_timestamp() + make_interval(secs => $3),
                    updated_at = clock_timestamp()
               from next
              where j.id = next.id
             returning j.id, j.kind, j.payload::text, j.attempts, j.max_attempts",
            &[&kinds, &worker, &lease.as_secs_f64()],
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Job {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        // A payload that is not JSON fails the job as malformed, in its handler.
        payload: serde_json::from_str(r.try_get::<_, &str>(2)?).unwrap_or(serde_json::Value::Null),
        attempt: r.try_get(3)?,
        max_attempts: r.try_get(4)?,
        worker: worker.to_string(),
    }))
}

/// Why an attempt did not produce a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Worth another attempt (outage, rate limit, timeout, configuration).
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// Will never work (a malformed job).
    Permanent(String),
}

impl Failure {
    /// A provider's error as the failure of the attempt: retried (after
    /// the provider's `Retry-After`, if it sent one) when it may pass or an
    /// operator can fix it, given up otherwise.
    pub fn from_provider<E: ProviderError + ?Sized>(e: &E) -> Failure {
        if e.is_retryable() || e.awaits_operator() {
            Failure::Transient {
                error: e.to_string(),
                retry_after: e.retry_after(),
            }
        } else {
            Failure::Permanent(e.to_string())
        }
    }
}

/// Where a job ends up after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    Done,
    Retry { after: Duration, error: String },
    Dead { error: String },
}

/// Records the end of an attempt, if this worker still holds the job;
/// a job that ends (done or dead) loses the payload fields of `forget`
/// (what its handler does not keep). Returns false when the lease was lost
/// (the job was claimed again).
pub async fn settle<C: Query>(
    client: &C,
    job: &Job,
    next: &Next,
    forget: &[&str],
) -> Result<bool, tokio_postgres::Error> {
    let guard = "where id = $1 and locked_by = $2 and attempts = $3 and status = 'running'";
    let n = match next {
        Next::Done => {
            client
                .exec(
                    &format!(
                        "update ops.jobs set status = 'done', locked_by = null, payload = payload - $4::text[],
                                finished_at = clock_timestamp(), updated_at = clock_timestamp() {guard}"
                    ),
                    &[&job.id, &job.worker, &job.attempt, &forget],
                )
                .await?
        }
        Next::Retry { after, error } => {
            client
                .exec(
                    &format!(
                        "update ops.jobs set status = 'queued', locked_by = null, last_error = $4,
                                run_at = clock_timestamp() + make_interval(secs => $5),
                                updated_at = clock_timestamp() {guard}"
                    ),
                    &[
                        &job.id,
                        &job.worker,
                        &job.attempt,
                        error,
                        &after.as_secs_f64(),
                    ],
                )
                .await?
        }
        Next::Dead { error } => {
            client
                .exec(
                    &format!(
                        "update ops.jobs set status = 'dead', locked_by = null, last_error = $4,
                                payload = payload - $5::text[],
                                finished_at = clock_timestamp(), updated_at = clock_timestamp() {guard}"
                    ),
                    &[&job.id, &job.worker, &job.attempt, error, &forget],
                )
                .await?
        }
    };
    Ok(n == 1)
}

/// The retry policy: exponential from `base`, capped at `max`, with jitter
/// spread by job id so jobs that failed together do not retry together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The delay before attempt `attempt + 1`, at least `floor` (a provider's
    /// Retry-After), never above `max`.
    pub fn delay(&self, job_id: i64, attempt: i32, floor: Option<Duration>) -> Duration {
        let exp = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
        let raw = self.base.saturating_mul(2u32.saturating_pow(exp));
        // Between 75% and 100% of the exponential step.
        let spread = (job_id.unsigned_abs().wrapping_mul(2_654_435_761) % 256) as u32;
        let jittered = raw.mul_f64(0.75 + f64::from(spread) / 1024.0);
        jittered.max(floor.unwrap_or(Duration::ZERO)).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let b = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        let d1 = b.delay(7, 1, None);
        let d2 = b.delay(7, 2, None);
        let d3 = b.delay(7, 3, None);
        assert!(
            d1 >= Duration::from_millis(1500) && d1 <= Duration::from_secs(2),
            "{d1:?}"
        );
        assert!(d2 > d1 && d3 > d2, "{d1:?} {d2:?} {d3:?}");
        assert_eq!(b.delay(7, 30, None), Duration::from_secs(60));
        assert!(b.delay(7, 1, Some(Duration::from_secs(30))) >= Duration::from_secs(30));
        assert_eq!(
            b.delay(7, 1, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
        assert_ne!(b.delay(1, 3, None), b.delay(2, 3, None));
    }
}
