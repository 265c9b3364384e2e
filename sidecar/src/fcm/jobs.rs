//! `push.send`: one notice to one device (a row of `ops.push_sends`, queued
//! with the notice and held until the user's quiet hours end).
//!
//! The row's status says how far it got: `queued`, `sending` (committed
//! before the request to FCM, with the job's claim), then `sent`, `dead`
//! (FCM says the token is gone: the device is disabled and later notices
//! skip it), `skipped` (the device was disabled meanwhile), each written
//! with the job's end in one transaction, or `failed` (FCM refused the
//! message for good). A push is never lost: the job stays until an
//! attempt records an answer.
//!
//! Delivery is exactly once when the sidecar stops (is killed, loses the
//! database) before FCM accepted the message (taking FCM to accept a
//! message only by answering it, as the fake does): the next attempt,
//! after the lease, sends it. It is at least once when FCM accepted it and the
//! answer was not committed (the sidecar killed after FCM's answer, the
//! request timing out after FCM took it, the database away until the lease
//! ran out): FCM has no idempotency key, so the next attempt sends it
//! again, and the collapse key (per order, else per notice) makes a device
//! that has not shown the first yet show one (docs/notifications.md).

use super::client::{Fcm, SendOutcome};
use super::message::PushMessage;
use crate::db::Query;
use crate::jobs::{Failure, Job};
use deadpool_postgres::Pool;
use std::collections::BTreeMap;

fn database(e: impl std::error::Error) -> Failure {
    let mut error = format!("database: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        error.push_str(&format!(": {s}"));
        source = s.source();
    }
    Failure::Transient {
        error,
        retry_after: None,
    }
}

/// The push a job is for.
fn send_id(job: &Job) -> Result<i64, Failure> {
    job.payload
        .get("send_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| Failure::Permanent(format!("job {}: send_id is not a number", job.id)))
}

/// What a job found of its push when it was claimed.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// No such push.
    Missing(i64),
    /// The push ended already (`sent`, `dead`, `skipped`, `failed`).
    Ended(String),
    /// The device was disabled since the notice: nothing to send.
    Disabled(i64),
    /// To send (marked `sending` when FCM is configured).
    Send {
        send: i64,
        device: i64,
        message: Box<PushMessage>,
    },
}

/// Reads the push, its device and its notice, and marks the push
/// `sending` when it is to be sent now (`configured`: FCM is), in one
/// statement. Run in the claim's transaction, the mark commits with the
/// claim.
pub async fn prepare<C: Query>(
    client: &C,
    send: i64,
    configured: bool,
) -> Result<Prepared, tokio_postgres::Error> {
    let row = client
        .fetch_opt(
            "with p as (
               select s.id, s.status, d.token, d.disabled_at is not null as disabled, n.title,
                      n.body, n.kind, n.order_id, n.id as notice, s.device_id
                 from ops.push_sends s
                 join public.push_devices d on d.id = s.device_id
                 join public.notifications n on n.id = s.notification_id
                where s.id = $1),
             marked as (
               update ops.push_sends s set status = 'sending'
                 from p
                where s.id = p.id and p.status = 'queued' and not p.disabled and $2)
             select status, token, disabled, title, body, kind, order_id, notice, device_id from p",
            &[&send, &configured],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Prepared::Missing(send));
    };
    let status: String = row.try_get(0)?;
    if matches!(status.as_str(), "sent" | "dead" | "skipped" | "failed") {
        return Ok(Prepared::Ended(status));
    }
    let device: i64 = row.try_get(8)?;
    if row.try_get::<_, bool>(2)? {
        return Ok(Prepared::Disabled(send));
    }
    let kind: String = row.try_get(5)?;
    let order: Option<i64> = row.try_get(6)?;
    let notice: i64 = row.try_get(7)?;
    let mut data = BTreeMap::from([
        ("kind".to_string(), kind.clone()),
        ("notification_id".to_string(), notice.to_string()),
    ]);
    if let Some(order) = order {
        data.insert("order_id".into(), order.to_string());
    }
    let message = PushMessage {
        token: row.try_get(1)?,
        title: row.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
        body: row.try_get::<_, Option<String>>(4)?.unwrap_or_default(),
        data,
        collapse_key: Some(
            order.map_or_else(|| format!("notice-{notice}"), |o| format!("order-{o}")),
        ),
        time_critical: samia_core::push::URGENT_KINDS.contains(&kind.as_str()),
    };
    Ok(Prepared::Send {
        send,
        device,
        message: Box::new(message),
    })
}

/// [`prepare`] in the claim's transaction, for a job whose payload names
/// its push (else the attempt fails it).
pub async fn prepare_claimed<C: Query>(
    client: &C,
    job: &Job,
    configured: bool,
) -> Result<Option<Prepared>, tokio_postgres::Error> {
    match send_id(job) {
        Ok(send) => Ok(Some(prepare(client, send, configured).await?)),
        Err(_) => Ok(None),
    }
}

/// What FCM's answer changes, recorded with the job's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Sent {
        send: i64,
        name: String,
    },
    /// FCM called the token dead: the push is `dead`, the device disabled.
    Dead {
        send: i64,
        device: i64,
        code: String,
        error: String,
    },
    Skipped {
        send: i64,
    },
}

/// Records `report` (in the transaction that ends the job).
pub async fn apply<C: Query>(client: &C, report: &Report) -> Result<(), tokio_postgres::Error> {
    match report {
        Report::Sent { send, name } => {
            client
                .exec(
                    "update ops.push_sends set status = 'sent', sent_at = now(), provider_ref = $2,
                            error = null
                      where id = $1",
                    &[send, name],
                )
                .await?
        }
        Report::Dead {
            send,
            device,
            code,
            error,
        } => client
            .exec(
                "with dead as (update ops.push_sends set status = 'dead', error = $2 where id = $1)
                     update public.push_devices set disabled_at = now(), disabled_reason = $3
                      where id = $4 and disabled_at is null",
                &[send, error, code, device],
            )
            .await?,
        Report::Skipped { send } => client
            .exec(
                "update ops.push_sends set status = 'skipped', error = 'the device was disabled'
                      where id = $1",
                &[send],
            )
            .await?,
    };
    Ok(())
}

/// Does one attempt of a `push.send` job: the report to record with its
/// end, and what FCM answered, for the metrics. `prepared` is what the
/// claim found; without it the attempt reads (and marks) the push itself.
pub async fn perform(
    fcm: Option<&Fcm>,
    pool: &Pool,
    job: &Job,
    prepared: Option<Prepared>,
) -> Result<(Option<Report>, String), Failure> {
    let prepared = match prepared {
        Some(p) => p,
        None => {
            let send = send_id(job)?;
            let client = pool.get().await.map_err(database)?;
            prepare(&**client, send, fcm.is_some())
                .await
                .map_err(database)?
        }
    };
    let (send, device, message) = match prepared {
        Prepared::Missing(send) => {
            return Err(Failure::Permanent(format!(
                "job {}: no push {send}",
                job.id
            )))
        }
        Prepared::Ended(status) => return Ok((None, format!("already {status}"))),
        Prepared::Disabled(send) => return Ok((Some(Report::Skipped { send }), "skipped".into())),
        Prepared::Send {
            send,
            device,
            message,
        } => (send, device, message),
    };
    // Kept until FCM is configured: the notice waits, it is not dropped.
    let Some(fcm) = fcm else {
        return Err(Failure::Transient {
            error: "FCM is not configured: set FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON for `samia run`".into(),
            retry_after: None,
        });
    };
    match fcm.send(&message).await {
        Ok(SendOutcome::Sent { name }) => Ok((Some(Report::Sent { send, name }), "sent".into())),
        Ok(SendOutcome::TokenDead { code, message }) => {
            let error = format!("{code}: {message}");
            let result = format!("dead token ({code})");
            Ok((
                Some(Report::Dead {
                    send,
                    device,
                    code,
                    error,
                }),
                result,
            ))
        }
        Err(e) => {
            // Written at once: the job's end records no report on a failure.
            let failure = Failure::from_provider(&e);
            let status = match failure {
                Failure::Permanent(_) => "failed",
                _ => "queued",
            };
            let client = pool.get().await.map_err(database)?;
            client
                .exec(
                    "update ops.push_sends set status = $2, error = $3 where id = $1",
                    &[&send, &status, &e.to_string()],
                )
                .await
                .map_err(database)?;
            Err(failure)
        }
    }
}
