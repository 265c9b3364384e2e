//! Work for the sidecar, queued in `ops.jobs` in the caller's transaction.

use crate::errors;
use pgrx::prelude::*;
use samia_core::jobs;

/// Queues a job in the current transaction and wakes the sidecar at commit.
pub fn enqueue(kind: &str, payload: serde_json::Value) {
    errors::spi(
        Spi::run_with_args(
            "insert into ops.jobs (kind, payload) values ($1, $2)",
            &[kind.into(), pgrx::JsonB(payload).into()],
        ),
        "queueing the sidecar job",
    );
    errors::spi(
        Spi::run_with_args(
            "select pg_catalog.pg_notify($1, $2)",
            &[jobs::CHANNEL.into(), kind.into()],
        ),
        "waking the sidecar",
    );
}
