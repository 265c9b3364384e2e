//! One worker loop of `samia run`: claim a job, hand it to the handler of
//! its kind ([`HANDLERS`]), record how it ended.
//!
//! Nothing is held across the provider call: the claim commits at once and
//! the lease (not a row lock) keeps other workers off the job. A handler may
//! read and mark what its job is about in the claim's transaction
//! ([`Ready`]). The result and the job's new state are written in one
//! transaction, guarded by the claim, and retried until the lease runs out
//! if the database is away.
//!
//! A notification wakes one idle worker; a worker that claims a job wakes
//! the next, so a burst of jobs brings in as many workers as it has jobs,
//! and a lone job costs one claim, not one per idle worker.

use crate::db::Kept;
use crate::jobs::{self, Backoff, Failure, Job, Next};
use crate::livekit::jobs as call_jobs;
use crate::livekit::LiveKitClient;
use crate::metrics::Metrics;
use crate::storage::jobs::{self as media_jobs, Prober};
use crate::tiktok::audio::{self, AudioMaker};
use crate::tiktok::jobs as tiktok_jobs;
use crate::tiktok::TikTokClient;
use crate::twilio::jobs as phone_jobs;
use crate::twilio::Twilio;
use deadpool_postgres::Pool;
use samia_core::jobs as kinds;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

pub struct Context {
    pub pool: Pool,
    pub twilio: Twilio,
    /// Storage and ffmpeg for `media.probe` (None: not configured).
    pub prober: Option<Prober>,
    /// TikTok for `tiktok.sync` (None: not configured).
    pub tiktok: Option<TikTokClient>,
    /// Storage, ffmpeg and the fetch command for `tiktok.audio`.
    pub audio: Option<AudioMaker>,
    /// LiveKit for the call jobs (None: not configured).
    pub livekit: Option<LiveKitClient>,
    /// FCM for `push.send` (None: not configured; the pushes wait).
    pub fcm: Option<crate::fcm::Fcm>,
    pub metrics: Arc<Metrics>,
    /// Woken when a job is queued (LISTEN samia_jobs).
    pub wake: Arc<Notify>,
    pub shutdown: watch::Receiver<bool>,
    pub lease: Duration,
    pub poll: Duration,
    pub backoff: Backoff,
    pub worker_id: String,
    /// The workers' statements kept prepared (`db::Kept`): not behind a
    /// transaction-mode pooler.
    pub kept: bool,
}

/// What does the jobs of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    /// Twilio Verify: send or check a code (`twilio::jobs`).
    Phone,
    /// Probe a file in Storage (`storage::jobs`).
    Probe,
    /// List the owner's TikTok posts (`tiktok::jobs`).
    TikTokSync,
    /// Make a post's audio (`tiktok::audio`).
    TikTokAudio,
    /// LiveKit's rooms, and the calls' reminders and deadlines
    /// (`livekit::jobs`).
    Call,
    /// Push a notice to a device through FCM (`fcm::jobs`).
    Push,
}

/// Every job kind the daemon does, and its handler.
const HANDLERS: &[(&str, Handler)] = &[
    (kinds::PHONE_SEND_CODE, Handler::Phone),
    (kinds::PHONE_CHECK_CODE, Handler::Phone),
    (kinds::MEDIA_PROBE, Handler::Probe),
    (kinds::TIKTOK_SYNC, Handler::TikTokSync),
    (kinds::TIKTOK_AUDIO, Handler::TikTokAudio),
    (kinds::LIVEKIT_DELETE_ROOM, Handler::Call),
    (kinds::LIVEKIT_REMOVE_PARTICIPANT, Handler::Call),
    (kinds::CALL_REMIND, Handler::Call),
    (kinds::CALL_DEADLINE, Handler::Call),
    (kinds::PUSH_SEND, Handler::Push),
];

fn handler(kind: &str) -> Option<Handler> {
    HANDLERS.iter().find(|(k, _)| *k == kind).map(|(_, h)| *h)
}

/// Every job kind the daemon does.
pub fn kinds() -> Vec<&'static str> {
    HANDLERS.iter().map(|(kind, _)| *kind).collect()
}

/// What an attempt asks to record with the job's end.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    Phone(phone_jobs::Report),
    Media(media_jobs::Report),
    Push(crate::fcm::jobs::Report),
}

impl Report {
    async fn apply<C: crate::db::Query>(&self, client: &C) -> Result<(), tokio_postgres::Error> {
        match self {
            Report::Phone(r) => phone_jobs::apply(client, r).await,
            Report::Media(r) => media_jobs::apply(client, r).await,
            Report::Push(r) => crate::fcm::jobs::apply(client, r).await,
        }
    }
}

/// What a handler read (and marked) in the claim's transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Ready {
    Push(crate::fcm::jobs::Prepared),
}

/// What an attempt did: the report to record, and the provider's result
/// for the metrics.
type Done = (Option<Report>, String);

impl Handler {
    /// What the handler reads and marks in the claim's transaction.
    async fn read_claimed<C: crate::db::Query>(
        self,
        ctx: &Context,
        client: &C,
        job: &Job,
    ) -> Result<Option<Ready>, tokio_postgres::Error> {
        match self {
            Handler::Push => Ok(
                crate::fcm::jobs::prepare_claimed(client, job, ctx.fcm.is_some())
                    .await?
                    .map(Ready::Push),
            ),
            _ => Ok(None),
        }
    }

    /// Does one attempt of `job`.
    async fn perform(
        self,
        ctx: &Context,
        job: &Job,
        ready: Option<Ready>,
    ) -> Result<Done, Failure> {
        // The share of the lease of a probe or of making audio; the rest is
        // for recording it.
        let budget = ctx.lease.mul_f64(0.8);
        let ok = || "ok".to_string();
        match self {
            Handler::Phone => {
                let (report, result) = phone_jobs::perform(&ctx.twilio, job).await?;
                Ok((Some(Report::Phone(report)), result))
            }
            Handler::Probe => {
                let report =
                    media_jobs::perform(ctx.prober.as_ref(), &ctx.pool, job, budget).await?;
                Ok((report.map(Report::Media), ok()))
            }
            Handler::TikTokSync => {
                let fetch = ctx.audio.as_ref().is_some_and(|a| a.fetch.is_some());
                tiktok_jobs::perform_sync(ctx.tiktok.as_ref(), &ctx.pool, job, fetch).await?;
                Ok((None, ok()))
            }
            Handler::TikTokAudio => {
                audio::perform(ctx.audio.as_ref(), &ctx.pool, job, budget).await?;
                Ok((None, ok()))
            }
            Handler::Call => {
                call_jobs::perform(ctx.livekit.as_ref(), &ctx.pool, job).await?;
                Ok((None, ok()))
            }
            Handler::Push => {
                let prepared = ready.map(|Ready::Push(p)| p);
                let (report, result) =
                    crate::fcm::jobs::perform(ctx.fcm.as_ref(), &ctx.pool, job, prepared).await?;
                Ok((report.map(Report::Push), result))
            }
        }
    }

    /// What the client sees of a job of this kind that is dead-lettered.
    fn report_when_dead(self, job: &Job) -> Option<Report> {
        match self {
            Handler::Phone => phone_jobs::report_when_dead(job).map(Report::Phone),
            _ => None,
        }
    }

    /// The payload fields a job of this kind loses when it ends.
    fn forget(self) -> &'static [&'static str] {
        match self {
            Handler::Phone => phone_jobs::FORGET,
            _ => &[],
        }
    }
}

/// Does one attempt of `job` with the handler of its kind.
async fn perform(ctx: &Context, job: &Job, ready: Option<Ready>) -> Result<Done, Failure> {
    match handler(&job.kind) {
        Some(handler) => handler.perform(ctx, job, ready).await,
        None => Err(Failure::Permanent(format!(
            "no handler for job kind {}",
            job.kind
        ))),
    }
}

/// What the client sees of a job that is dead-lettered.
fn report_when_dead(job: &Job) -> Option<Report> {
    handler(&job.kind).and_then(|h| h.report_when_dead(job))
}

/// Runs until shutdown, finishing the job in hand first.
pub async fn run(ctx: Arc<Context>, index: usize) {
    let me = format!("{}/{index}", ctx.worker_id);
    let mut shutdown = ctx.shutdown.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let claimed = {
            // Registered before the claim: a job queued while it runs
            // wakes this worker again.
            let notified = ctx.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match claim(&ctx, &me).await {
                Ok(Some(claimed)) => Some(claimed),
                Ok(None) => {
                    tokio::select! {
                        _ = &mut notified => {}
                        _ = tokio::time::sleep(ctx.poll) => {}
                        _ = shutdown.changed() => {}
                    }
                    None
                }
                Err(e) => {
                    ctx.metrics.db_error("claim");
                    tracing::warn!(worker = %me, error = %e, "cannot claim jobs; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(ctx.poll.max(Duration::from_millis(250))) => {}
                        _ = shutdown.changed() => {}
                    }
                    None
                }
            }
        };
        if let Some((job, ready)) = claimed {
            // There may be more: the next idle worker looks.
            ctx.wake.notify_one();
            work(&ctx, job, ready).await;
        }
    }
}

/// Claims a job, with what its handler reads and marks in the same
/// transaction. When that reading fails, the job is claimed without it
/// (the handler reads in the attempt, where a failure is retried and
/// dead-lettered like any other), so one job cannot stop the claims.
async fn claim(ctx: &Context, me: &str) -> Result<Option<(Job, Option<Ready>)>, String> {
    match claim_with(ctx, me, true).await {
        Err(Claim::Read(e)) => {
            tracing::warn!(worker = %me, error = %e, "cannot read what the claimed job is about; claiming it without");
            claim_with(ctx, me, false).await.map_err(Claim::into_text)
        }
        other => other.map_err(Claim::into_text),
    }
}

enum Claim {
    Database(String),
    Read(String),
}

impl Claim {
    fn into_text(self) -> String {
        match self {
            Claim::Database(e) | Claim::Read(e) => e,
        }
    }
}

async fn claim_with(
    ctx: &Context,
    me: &str,
    read: bool,
) -> Result<Option<(Job, Option<Ready>)>, Claim> {
    let failed = |e: tokio_postgres::Error| Claim::Database(crate::error::describe(&e));
    let mut client = ctx
        .pool
        .get()
        .await
        .map_err(|e| Claim::Database(e.to_string()))?;
    let tx = client.transaction().await.map_err(failed)?;
    tx.batch_execute(jobs::CLAIM_PLAN).await.map_err(failed)?;
    let kept = Kept::new(&tx, ctx.kept);
    let Some(job) = jobs::claim(&kept, &kinds(), me, ctx.lease)
        .await
        .map_err(failed)?
    else {
        tx.commit().await.map_err(failed)?;
        ctx.metrics.db_ok();
        return Ok(None);
    };
    let ready = match handler(&job.kind) {
        Some(h) if read => h
            .read_claimed(ctx, &kept, &job)
            .await
            .map_err(|e| Claim::Read(crate::error::describe(&e)))?,
        _ => None,
    };
    tx.commit().await.map_err(failed)?;
    ctx.metrics.db_ok();
    Ok(Some((job, ready)))
}

async fn work(ctx: &Context, job: Job, ready: Option<Ready>) {
    let started = Instant::now();
    // Leave a margin so a write that succeeds is never after the lease end.
    let deadline = started + ctx.lease.mul_f64(0.9);
    ctx.metrics.claimed(&job.kind);
    ctx.metrics.job_started();
    let (next, report) = if job.attempt > job.max_attempts {
        (
            Next::Dead {
                error:
                    "the lease ran out during the last attempt (the worker stopped or was too slow)"
                        .into(),
            },
            report_when_dead(&job),
        )
    } else {
        match perform(ctx, &job, ready).await {
            Ok((report, result)) => {
                ctx.metrics.provider_call(&job.kind, &result);
                (Next::Done, report)
            }
            Err(Failure::Transient { error, retry_after }) => {
                ctx.metrics.provider_call(&job.kind, "retryable");
                if job.is_last_attempt() {
                    (Next::Dead { error }, report_when_dead(&job))
                } else {
                    let after = ctx.backoff.delay(job.id, job.attempt, retry_after);
                    (Next::Retry { after, error }, None)
                }
            }
            Err(Failure::Permanent(error)) => (Next::Dead { error }, report_when_dead(&job)),
        }
    };
    // What was recorded, which may differ from what was planned.
    let (result, next) = settle(ctx, &job, next, report, deadline).await;
    ctx.metrics.job_ended();
    let label = match (&next, result) {
        (_, Settled::LeaseLost) => "lease_lost",
        (_, Settled::GaveUp) => "unrecorded",
        (Next::Done, Settled::Recorded) => "done",
        (Next::Retry { .. }, Settled::Recorded) => "retry",
        (Next::Dead { .. }, Settled::Recorded) => "dead",
    };
    ctx.metrics.finished(&job.kind, label);
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &next {
        Next::Done => {
            tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempt, result = label, elapsed_ms, "job finished")
        }
        Next::Retry { after, error } => {
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, result = label, retry_in_ms = after.as_millis() as u64, error = %error, "job will be retried")
        }
        Next::Dead { error } => {
            tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempt, result = label, error = %error, "job dead-lettered")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    Recorded,
    LeaseLost,
    /// The database stayed away until the lease end; the job will be
    /// claimed again (the provider call may be repeated).
    GaveUp,
}

/// Records the end of the attempt; returns how that went and the end that
/// was recorded (a refused outcome turns the job dead).
async fn settle(
    ctx: &Context,
    job: &Job,
    mut next: Next,
    mut report: Option<Report>,
    deadline: Instant,
) -> (Settled, Next) {
    let mut pause = Duration::from_millis(100);
    loop {
        match try_settle(ctx, job, &next, report.as_ref()).await {
            Ok(true) => return (Settled::Recorded, next),
            Ok(false) => {
                tracing::warn!(job = job.id, "lease lost: another worker has the job now");
                return (Settled::LeaseLost, next);
            }
            Err(Attempt::Refused(error)) if report.is_some() => {
                // The database refused the report itself: keep the job for
                // an operator instead of retrying it.
                tracing::error!(job = job.id, error = %error, "the outcome was refused");
                next = Next::Dead { error };
                report = None;
            }
            Err(Attempt::Refused(error)) | Err(Attempt::Unreachable(error)) => {
                ctx.metrics.db_error("settle");
                if Instant::now() + pause >= deadline {
                    tracing::error!(job = job.id, error = %error, "cannot record the job's end before its lease runs out");
                    return (Settled::GaveUp, next);
                }
                tracing::warn!(job = job.id, error = %error, "cannot record the job's end yet; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

enum Attempt {
    /// The server answered with an error about the statement.
    Refused(String),
    /// No usable connection.
    Unreachable(String),
}

fn classify(e: &tokio_postgres::Error) -> Attempt {
    let text = crate::error::describe(e);
    match e.code().map(|c| c.code()) {
        // Connection exceptions, operator intervention (shutdown), and
        // serialization/deadlock conflicts are worth another try.
        Some(code)
            if !(code.starts_with("08") || code.starts_with("57") || code.starts_with("40")) =>
        {
            Attempt::Refused(text)
        }
        _ => Attempt::Unreachable(text),
    }
}

async fn try_settle(
    ctx: &Context,
    job: &Job,
    next: &Next,
    report: Option<&Report>,
) -> Result<bool, Attempt> {
    let mut client = ctx
        .pool
        .get()
        .await
        .map_err(|e| Attempt::Unreachable(e.to_string()))?;
    let tx = client.transaction().await.map_err(|e| classify(&e))?;
    let kept = Kept::new(&tx, ctx.kept);
    let forget = handler(&job.kind).map(Handler::forget).unwrap_or_default();
    if !jobs::settle(&kept, job, next, forget)
        .await
        .map_err(|e| classify(&e))?
    {
        return Ok(false);
    }
    if let Some(report) = report {
        report.apply(&kept).await.map_err(|e| classify(&e))?;
    }
    tx.commit().await.map_err(|e| classify(&e))?;
    ctx.metrics.db_ok();
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_claims_every_job_kind_and_no_other() {
        let kinds = kinds();
        for kind in samia_core::jobs::KINDS {
            assert!(kinds.contains(&kind), "{kind} is not claimed");
        }
        for kind in &kinds {
            assert!(
                samia_core::jobs::KINDS.contains(kind),
                "{kind} is handled but not in samia_core::jobs::KINDS"
            );
        }
        assert_eq!(kinds.len(), samia_core::jobs::KINDS.len());
    }
}
