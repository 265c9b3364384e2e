//! SPI statements prepared once per session and kept, for the hot paths
//! (the caller lookup, audit rows), so each call skips parsing and planning.

use pgrx::datum::{DatumWithOid, FromDatum, IntoDatum};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiResult, SpiTupleTable};
use pgrx::PgOid;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

thread_local! {
    // Shared out (an Rc) rather than borrowed while a statement runs: the
    // statement may fire triggers that use kept plans of their own.
    static PLANS: RefCell<HashMap<&'static str, Rc<OwnedPreparedStatement>>> = RefCell::new(HashMap::new());
}

/// Runs a read-only statement through its kept plan and hands the result to `read`.
pub fn select<R>(
    sql: &'static str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    read: impl FnOnce(SpiTupleTable<'_>) -> SpiResult<R>,
) -> SpiResult<R> {
    Spi::connect(|client| {
        let plan = ensure(client, sql, types, false)?;
        read(client.select(&*plan, None, args)?)
    })
}

/// The first column of the first row of a read-only statement, if any row.
pub fn value<T: FromDatum + IntoDatum>(
    sql: &'static str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
) -> SpiResult<Option<T>> {
    select(sql, types, args, |table| {
        if table.is_empty() {
            Ok(None)
        } else {
            table.first().get::<T>(1)
        }
    })
}

/// Runs a data-changing statement through its kept plan.
pub fn execute(sql: &'static str, types: &[PgOid], args: &[DatumWithOid<'_>]) -> SpiResult<()> {
    Spi::connect_mut(|client| {
        let plan = ensure(client, sql, types, true)?;
        client.update(&*plan, None, args).map(|_| ())
    })
}

/// Runs a statement (which may change data) through its kept plan, its
/// parameter types those of `args`, and returns the first column (jsonb)
/// of its first row.
pub fn first_json(
    sql: &'static str,
    args: &[DatumWithOid<'_>],
) -> SpiResult<Option<serde_json::Value>> {
    let types: Vec<PgOid> = args.iter().map(|a| PgOid::from(a.oid())).collect();
    Spi::connect_mut(|client| {
        let plan = ensure(client, sql, &types, true)?;
        let table = client.update(&*plan, None, args)?;
        if table.is_empty() {
            return Ok(None);
        }
        Ok(table.first().get::<pgrx::JsonB>(1)?.map(|j| j.0))
    })
}

fn ensure(
    client: &SpiClient<'_>,
    sql: &'static str,
    types: &[PgOid],
    mutating: bool,
) -> SpiResult<Rc<OwnedPreparedStatement>> {
    if let Some(plan) = PLANS.with_borrow(|plans| plans.get(sql).cloned()) {
        return Ok(plan);
    }
    let prepared = if mutating {
        client.prepare_mut(sql, types)?
    } else {
        client.prepare(sql, types)?
    };
    let kept = Rc::new(prepared.keep());
    PLANS.with_borrow_mut(|plans| plans.insert(sql, kept.clone()));
    Ok(kept)
}
