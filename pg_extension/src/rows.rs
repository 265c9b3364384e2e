//! Reading and writing trigger rows by column name, with misconfiguration
//! (a missing column, a wrong type) reported as an error rather than a panic.

use crate::errors;
use pgrx::datum::{FromDatum, IntoDatum, TimestampWithTimeZone, UnboxDatum};
use pgrx::prelude::*;

pub type Row<'a> = PgHeapTuple<'a, AllocatedByRust>;

/// A column type that can be read from a row into an owned Rust value.
pub trait Column: FromDatum + IntoDatum + for<'t> UnboxDatum<As<'t> = Self> + 'static {}
impl<T: FromDatum + IntoDatum + for<'t> UnboxDatum<As<'t> = T> + 'static> Column for T {}

pub fn get<T: Column>(row: &Row<'_>, table: &str, column: &str) -> Option<T> {
    errors::column(row.get_by_name::<T>(column), table, column)
}

pub fn get_old<T: Column>(
    row: &PgHeapTuple<'_, AllocatedByPostgres>,
    table: &str,
    column: &str,
) -> Option<T> {
    errors::column(row.get_by_name::<T>(column), table, column)
}

pub fn set<T: IntoDatum>(row: &mut Row<'_>, table: &str, column: &str, value: T) {
    errors::column(row.set_by_name(column, value), table, column)
}

pub fn changed<T: Column + PartialEq>(
    old: &PgHeapTuple<'_, AllocatedByPostgres>,
    new: &Row<'_>,
    table: &str,
    column: &str,
) -> bool {
    get_old::<T>(old, table, column) != get::<T>(new, table, column)
}

pub fn now() -> TimestampWithTimeZone {
    // SAFETY: reads a timestamp PostgreSQL keeps for the current transaction.
    let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    TimestampWithTimeZone::try_from(now)
        .unwrap_or_else(|e| errors::misconfigured(format_args!("transaction timestamp: {e}")))
}
