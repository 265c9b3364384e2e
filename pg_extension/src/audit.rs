//! Audit and moderation records, append-only tables, and the sealer of the
//! tamper-evident chain (see `samia_core::audit`).

use crate::caller::Caller;
use crate::{backend, errors, plans};
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::audit::{self, AuditRow, Hash, GENESIS};

/// A `moderation_actions` row to write with an audit row.
pub struct Moderation<'a> {
    pub target_kind: &'a str,
    pub action: &'a str,
    pub reason: Option<String>,
}

/// Runs `work`, the consequence of an action `actor` just recorded (a drop
/// cancelling its order): its audit rows name `actor`, and it writes no
/// moderation record of its own (the action has one). Restored on the way
/// out, errors included.
pub fn caused_by<R>(actor: Caller, work: impl FnOnce() -> R) -> R {
    backend::scoped(
        |s| std::mem::replace(&mut s.caused_by, backend::encode_caller(Some(actor))),
        |s, old| s.caused_by = old,
        work,
    )
}

/// The person whose action the current work follows from, if any.
fn cause() -> Option<Caller> {
    backend::with(|s| backend::decode_caller(s.caused_by))
}

/// Runs `write` as the extension writing its own records: the only way
/// `records_written_by_extension` lets an insert into `audit_log` or
/// `moderation_actions` through. Cleared on the way out, errors included.
fn writing<R>(write: impl FnOnce() -> R) -> R {
    backend::scoped(
        |s| {
            s.writing += 1;
        },
        |s, ()| s.writing = s.writing.saturating_sub(1),
        write,
    )
}

/// Writes one `audit_log` row (and one `moderation_actions` row when given)
/// in the current transaction, with the real caller as actor.
pub fn record(
    caller: &Caller,
    event: &str,
    entity: &str,
    entity_id: &str,
    meta: serde_json::Value,
    moderation: Option<Moderation<'_>>,
) {
    let cause = cause();
    let caller = cause.as_ref().unwrap_or(caller);
    append(caller, event, entity, entity_id, meta);
    if let (Some(m), None) = (moderation, cause) {
        let text = PgOid::from(pg_sys::TEXTOID);
        errors::spi(
            writing(|| {
                plans::execute(
                    "insert into public.moderation_actions (actor_id, target_kind, target_id, action, reason)
                     values ($1, $2, $3, $4, $5)",
                    &[PgOid::from(pg_sys::UUIDOID), text, text, text, text],
                    &[caller.uid.into(), m.target_kind.into(), entity_id.into(), m.action.into(), m.reason.into()],
                )
            }),
            "writing the moderation record",
        );
    }
}

/// Appends one `audit_log` row through a kept plan.
pub fn append(
    caller: &Caller,
    event: &str,
    entity: &str,
    entity_id: &str,
    meta: serde_json::Value,
) {
    let caller = cause().unwrap_or(*caller);
    let role = caller.actor.role_name();
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        writing(|| {
            plans::execute(
                "insert into public.audit_log (actor, actor_role, event, entity, entity_id, meta)
                 values ($1, $2, $3, $4, $5, $6)",
                &[
                    PgOid::from(pg_sys::UUIDOID),
                    text,
                    text,
                    text,
                    text,
                    PgOid::from(pg_sys::JSONBOID),
                ],
                &[
                    caller.uid.into(),
                    role.into(),
                    event.into(),
                    entity.into(),
                    entity_id.into(),
                    pgrx::JsonB(meta).into(),
                ],
            )
        }),
        "writing the audit log",
    );
}

/// BEFORE INSERT (per statement) on `audit_log` and `moderation_actions`:
/// records are written by the extension's triggers only, with the real
/// caller as actor, never by a role's own INSERT, its owner's or a
/// superuser's included (only a superuser who disables triggers gets past).
// Declared here rather than by pgrx, which writes 'MODULE_PATHNAME' for a
// trigger even when each version has a library of its own.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."records_written_by_extension"() RETURNS TRIGGER
LANGUAGE c
AS '@MODULE_PATHNAME@', 'records_written_by_extension_wrapper';
"#)]
fn records_written_by_extension<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::heap_tuple::PgHeapTupleError> {
    if backend::with(|s| s.writing > 0)
        || backend::legacy::lets_record_through(trigger.trigger_data())
    {
        return Ok(None);
    }
    let table = trigger.table_name().unwrap_or_else(|_| "this table".into());
    errors::denied_with_hint(
        format!("{table} is written by the database itself: its rows record what callers did"),
        "make the change the record is about (a block, a transition, ...); it records itself",
    )
}

/// BEFORE UPDATE OR DELETE (per row) and BEFORE TRUNCATE (per statement):
/// the table is append-only for every role, its owner included.
// Declared here rather than by pgrx, which writes 'MODULE_PATHNAME' for a
// trigger even when each version has a library of its own.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."append_only"() RETURNS TRIGGER
LANGUAGE c
AS '@MODULE_PATHNAME@', 'append_only_wrapper';
"#)]
fn append_only<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::heap_tuple::PgHeapTupleError> {
    let table = trigger.table_name().unwrap_or_else(|_| "this table".into());
    let op = match trigger.op() {
        Ok(PgTriggerOperation::Update) => "updated",
        Ok(PgTriggerOperation::Delete) => "deleted",
        Ok(PgTriggerOperation::Truncate) => "truncated",
        _ => errors::misconfigured("append_only must run BEFORE UPDATE, DELETE or TRUNCATE"),
    };
    errors::denied(format!("{table} is append-only: its rows cannot be {op}"))
}

const SEAL_LOCK: i64 = 0x5341_4d49_4153_4541; // "SAMIASEA"
/// How far behind the newest sealed row the sealer looks for rows that
/// committed late (their transaction took its id before a sealed row's).
const LATE_WINDOW: i64 = 10_000;

/// Seals up to `max_rows` unsealed `audit_log` rows, oldest id first, and
/// returns how many it sealed. Safe to call from several sessions at once:
/// they take turns on an advisory lock.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn audit_seal(max_rows: default!(i32, 10000)) -> i32 {
    errors::spi(
        Spi::run_with_args("select pg_advisory_xact_lock($1)", &[SEAL_LOCK.into()]),
        "taking the sealing lock",
    );
    let last = Spi::connect(|client| {
        let table = client.select(
            "select seq, audit_id, row_hash from ops.audit_seals order by seq desc limit 1",
            Some(1),
            &[],
        )?;
        if table.is_empty() {
            return Ok::<_, pgrx::spi::SpiError>(None);
        }
        let row = table.first();
        Ok(Some((
            row.get::<i64>(1)?.unwrap_or(0),
            row.get::<i64>(2)?.unwrap_or(0),
            row.get::<Vec<u8>>(3)?.unwrap_or_default(),
        )))
    });
    let (mut seq, last_id, mut prev): (i64, i64, Hash) =
        match errors::spi(last, "reading the last seal") {
            None => (0, 0, GENESIS),
            Some((seq, id, hash)) => match <Hash>::try_from(hash.as_slice()) {
                Ok(h) => (seq, id, h),
                Err(_) => errors::misconfigured(format_args!("seal {seq} has a malformed hash")),
            },
        };

    let rows = Spi::connect(|client| {
        let sql = format!(
            "select {} from public.audit_log a
              where a.id > $1
                and not exists (select 1 from ops.audit_seals s where s.audit_id = a.id)
              order by a.id limit $2",
            audit::ROW_COLUMNS
        );
        let table = client.select(
            &sql,
            None,
            &[(last_id - LATE_WINDOW).into(), max_rows.max(0).into()],
        )?;
        let mut rows = Vec::new();
        for r in table {
            rows.push(AuditRow {
                id: r.get::<i64>(1)?.unwrap_or(0),
                actor: r.get::<String>(2)?,
                actor_role: r.get::<String>(3)?,
                event: r.get::<String>(4)?.unwrap_or_default(),
                entity: r.get::<String>(5)?,
                entity_id: r.get::<String>(6)?,
                meta: r.get::<String>(7)?,
                created_at_us: r.get::<i64>(8)?.unwrap_or(0),
            });
        }
        Ok::<_, pgrx::spi::SpiError>(rows)
    });
    let rows = errors::spi(rows, "reading unsealed audit rows");
    if rows.is_empty() {
        return 0;
    }

    let (mut seqs, mut ids, mut prevs, mut hashes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let hash = audit::chain(&prev, row);
        seq += 1;
        seqs.push(seq);
        ids.push(row.id);
        prevs.push(prev.to_vec());
        hashes.push(hash.to_vec());
        prev = hash;
    }
    errors::spi(
        Spi::run_with_args(
            "insert into ops.audit_seals (seq, audit_id, prev_hash, row_hash)
             select * from unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])",
            &[seqs.into(), ids.into(), prevs.into(), hashes.into()],
        ),
        "writing seals",
    );
    rows.len() as i32
}

/// The record of an operator's maintenance run (a backfill): `event` is
/// `backfill.<name>`, written as system. Only system sessions (the
/// sidecar's role, the database owner, superusers) may write one.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn record_maintenance(name: &str, meta: pgrx::JsonB) {
    let caller = Caller::current();
    if !caller.actor.is_system() {
        errors::denied("only system sessions record maintenance runs");
    }
    let event = format!("maintenance.{name}");
    append(&caller, &event, "maintenance", name, meta.0);
}
