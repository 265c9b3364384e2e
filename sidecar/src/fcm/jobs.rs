//! `push.send`: one notice to one device (a row of `ops.push_sends`, queued
//! with the notice and held until the user's quiet hours end).
//!
//! The row's status says how far it got: `queued`, `sending` (committed
//! before the request to FCM), then `sent`, `dead` (FCM says the token is
//! gone: the device is disabled and later notices skip it), `skipped` (the
//! device was disabled meanwhile) or `failed` (FCM refused the message for
//! good). A sidecar killed between `sending` and the answer sends again on
//! the job's next attempt: FCM has no idempotency key, so the message
//! carries a collapse key (per order, else per notice) and a device shows
//! the two as one. A push is never lost: the job stays until an attempt
//! records an answer.

use super::client::{Fcm, SendOutcome};
use super::message::PushMessage;
use crate::db::Query as _;
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

/// Does one attempt of a `push.send` job; what FCM answered, for the metrics.
pub async fn perform(fcm: Option<&Fcm>, pool: &Pool, job: &Job) -> Result<String, Failure> {
    let send = job
        .payload
        .get("send_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| Failure::Permanent(format!("job {}: send_id is not a number", job.id)))?;
    let client = pool.get().await.map_err(database)?;
    let Some(row) = client
        .fetch_opt(
            "select s.status, d.token, d.disabled_at is not null, n.title, n.body, n.kind,
                    n.order_id, n.id, s.device_id
               from ops.push_sends s
               join public.push_devices d on d.id = s.device_id
               join public.notifications n on n.id = s.notification_id
              where s.id = $1",
            &[&send],
        )
        .await
        .map_err(database)?
    else {
        return Err(Failure::Permanent(format!(
            "job {}: no push {send}",
            job.id
        )));
    };
    let status: String = row.get(0);
    if matches!(status.as_str(), "sent" | "dead" | "skipped" | "failed") {
        return Ok(format!("already {status}"));
    }
    let device: i64 = row.get(8);
    if row.get::<_, bool>(2) {
        client
            .exec(
                "update ops.push_sends set status = 'skipped', error = 'the device was disabled'
                  where id = $1",
                &[&send],
            )
            .await
            .map_err(database)?;
        return Ok("skipped".into());
    }
    // Kept until FCM is configured: the notice waits, it is not dropped.
    let Some(fcm) = fcm else {
        return Err(Failure::Transient {
            error: "FCM is not configured: set FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON for `samia run`".into(),
            retry_after: None,
        });
    };
    let kind: String = row.get(5);
    let order: Option<i64> = row.get(6);
    let notice: i64 = row.get(7);
    let mut data = BTreeMap::from([
        ("kind".to_string(), kind.clone()),
        ("notification_id".to_string(), notice.to_string()),
    ]);
    if let Some(order) = order {
        data.insert("order_id".into(), order.to_string());
    }
    let message = PushMessage {
        token: row.get(1),
        title: row.get::<_, Option<String>>(3).unwrap_or_default(),
        body: row.get::<_, Option<String>>(4).unwrap_or_default(),
        data,
        collapse_key: Some(
            order.map_or_else(|| format!("notice-{notice}"), |o| format!("order-{o}")),
        ),
        time_critical: samia_core::push::URGENT_KINDS.contains(&kind.as_str()),
    };
    client
        .exec(
            "update ops.push_sends set status = 'sending' where id = $1",
            &[&send],
        )
        .await
        .map_err(database)?;
    match fcm.send(&message).await {
        Ok(SendOutcome::Sent { name }) => {
            client
                .exec(
                    "update ops.push_sends set status = 'sent', sent_at = now(), provider_ref = $2,
                            error = null
                      where id = $1",
                    &[&send, &name],
                )
                .await
                .map_err(database)?;
            Ok("sent".into())
        }
        Ok(SendOutcome::TokenDead { code, message }) => {
            let error = format!("{code}: {message}");
            client
                .exec(
                    "with dead as (update ops.push_sends set status = 'dead', error = $2 where id = $1)
                     update public.push_devices set disabled_at = now(), disabled_reason = $3
                      where id = $4 and disabled_at is null",
                    &[&send, &error, &code, &device],
                )
                .await
                .map_err(database)?;
            Ok(format!("dead token ({code})"))
        }
        Err(e) => {
            let failure = Failure::from_provider(&e);
            let status = match failure {
                Failure::Permanent(_) => "failed",
                _ => "queued",
            };
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
