//! Work for the sidecar, queued in `ops.jobs` in the caller's transaction.

use crate::{errors, plans};
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::jobs;
use std::cell::Cell;

thread_local! {
    /// The (transaction, subtransaction) that last sent the wake-up: one
    /// per subtransaction is enough, PostgreSQL delivers it at commit (and
    /// drops it with a rolled-back subtransaction, hence the subtransaction).
    static WOKEN: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
}

/// Queues a job in the current transaction and wakes the sidecar at commit,
/// through kept plans (a registration queues one per file).
pub fn enqueue(kind: &str, payload: serde_json::Value) {
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::execute(
            "insert into ops.jobs (kind, payload) values ($1, $2)",
            &[text, PgOid::from(pg_sys::JSONBOID)],
            &[kind.into(), pgrx::JsonB(payload).into()],
        ),
        "queueing the sidecar job",
    );
    wake(kind);
}

/// Queues a job that no worker claims before `run_at` (an RFC 3339 time);
/// a time already past is claimable at once.
pub fn enqueue_at(kind: &str, payload: serde_json::Value, run_at: &str) {
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::execute(
            "insert into ops.jobs (kind, payload, run_at)
             values ($1, $2, greatest(now(), $3::timestamptz))",
            &[text, PgOid::from(pg_sys::JSONBOID), text],
            &[kind.into(), pgrx::JsonB(payload).into(), run_at.into()],
        ),
        "queueing the sidecar job",
    );
    wake(kind);
}

fn wake(kind: &str) {
    let text = PgOid::from(pg_sys::TEXTOID);
    // SAFETY: reads this backend's transaction and subtransaction ids.
    let now = unsafe {
        (
            crate::caller::local_transaction_id(),
            pg_sys::GetCurrentSubTransactionId(),
        )
    };
    if WOKEN.get() == now {
        return;
    }
    WOKEN.set(now);
    errors::spi(
        plans::execute(
            "select pg_catalog.pg_notify($1, $2)",
            &[text, text],
            &[jobs::CHANNEL.into(), kind.into()],
        ),
        "waking the sidecar",
    );
}
