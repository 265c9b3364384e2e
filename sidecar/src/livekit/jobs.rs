//! The call jobs: closing a room and taking a blocked party out of one at
//! LiveKit, and the database's own reminders and deadlines of calls.

use super::client::{LiveKitClient, Removal};
use crate::db::Query as _;
use crate::jobs::{Failure, Job};
use deadpool_postgres::Pool;
use samia_core::jobs as kinds;

fn field<'a>(job: &'a Job, name: &str) -> Result<&'a serde_json::Value, Failure> {
    job.payload
        .get(name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| Failure::Permanent(format!("{} job without {name}", job.kind)))
}

fn text<'a>(job: &'a Job, name: &str) -> Result<&'a str, Failure> {
    field(job, name)?
        .as_str()
        .ok_or_else(|| Failure::Permanent(format!("{} job: {name} is not text", job.kind)))
}

fn database(e: impl std::fmt::Display) -> Failure {
    Failure::Transient {
        error: format!("database: {e}"),
        retry_after: None,
    }
}

/// Does one attempt of a call job.
pub async fn perform(
    livekit: Option<&LiveKitClient>,
    pool: &Pool,
    job: &Job,
) -> Result<(), Failure> {
    let order = field(job, "order_id")?
        .as_i64()
        .ok_or_else(|| Failure::Permanent(format!("{} job: order_id is not a number", job.kind)))?;
    match job.kind.as_str() {
        kinds::LIVEKIT_DELETE_ROOM | kinds::LIVEKIT_REMOVE_PARTICIPANT => {
            // Kept until LiveKit is configured: a call must not stay open
            // because the sidecar was started without it.
            let Some(livekit) = livekit else {
                return Err(Failure::Transient {
                    error: "LiveKit is not configured: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET for `samia run`".into(),
                    retry_after: None,
                });
            };
            let room = text(job, "room")?;
            let done = if job.kind == kinds::LIVEKIT_DELETE_ROOM {
                livekit.delete_room(room).await
            } else {
                livekit
                    .remove_participant(room, text(job, "identity")?)
                    .await
            };
            match done {
                Ok(removal) => {
                    tracing::info!(
                        job = job.id,
                        order,
                        room,
                        kind = %job.kind,
                        already_gone = removal == Removal::AlreadyGone,
                        "LiveKit room updated"
                    );
                    Ok(())
                }
                // A refused grant or key is configuration: the job is
                // retried until the operator fixes it, rather than lost.
                Err(e) => Err(Failure::from_provider(&e)),
            }
        }
        kinds::CALL_REMIND => {
            let at = text(job, "scheduled_at")?;
            let minutes = field(job, "minutes")?
                .as_i64()
                .and_then(|m| i32::try_from(m).ok())
                .ok_or_else(|| {
                    Failure::Permanent("call.remind job: minutes is not a number".into())
                })?;
            let client = pool.get().await.map_err(database)?;
            let sent: bool = client
                .fetch_one(
                    "select samia.call_remind($1, $2::text::timestamptz, $3)",
                    &[&order, &at, &minutes],
                )
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|e| database(crate::error::describe(&e)))?;
            tracing::info!(job = job.id, order, minutes, sent, "call reminder");
            Ok(())
        }
        kinds::CALL_DEADLINE => {
            let check = text(job, "check")?;
            let client = pool.get().await.map_err(database)?;
            let ended: bool = client
                .fetch_one("select samia.call_deadline($1, $2)", &[&order, &check])
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|e| database(crate::error::describe(&e)))?;
            tracing::info!(job = job.id, order, check, ended, "call deadline");
            Ok(())
        }
        other => Err(Failure::Permanent(format!("{other} is not a call job"))),
    }
}
