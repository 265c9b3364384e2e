//! A per-session cache of `public.services`, which every order write reads
//! and which changes rarely.
//!
//! It follows PostgreSQL's own cache invalidation: a change to services sends
//! a relcache invalidation for the table (`samia.invalidate_caches()`), which
//! PostgreSQL delivers to every session at commit and which each session
//! processes before its next transaction; the callback registered here then
//! empties the cache. A value read while an invalidation arrived is not kept.
//!
//! Callers' roles and block states are deliberately not cached across
//! statements: a lookup racing a block could keep the old state, and a block
//! must take effect on the very next request.

use pgrx::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Entries kept at most before the cache starts over.
const LIMIT: usize = 100_000;

thread_local! {
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
    /// The table whose invalidation empties the cache.
    static TABLE: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    /// Bumped by every invalidation, so a value read across one is not kept.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static SERVICES: RefCell<HashMap<i64, Option<crate::order_flow::Service>>> = RefCell::new(HashMap::new());
}

#[pg_guard]
unsafe extern "C-unwind" fn invalidated(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    if relid == pg_sys::InvalidOid || relid == TABLE.get() {
        GENERATION.set(GENERATION.get().wrapping_add(1));
        SERVICES.with_borrow_mut(HashMap::clear);
    }
}

/// Registers the invalidation callback once per session and learns the
/// table's oid. Until both are done, nothing is cached.
fn ready() -> bool {
    if !REGISTERED.get() {
        // SAFETY: registering a callback with a 'static function pointer; at
        // most once per session (PostgreSQL allows a few per session).
        unsafe { pg_sys::CacheRegisterRelcacheCallback(Some(invalidated), pg_sys::Datum::from(0)) };
        REGISTERED.set(true);
    }
    if TABLE.get() != pg_sys::InvalidOid {
        return true;
    }
    match Spi::get_one::<pg_sys::Oid>("select to_regclass('public.services')::oid") {
        Ok(Some(oid)) => {
            TABLE.set(oid);
            true
        }
        _ => false,
    }
}

/// The cached service, or `load` it.
pub fn service(
    id: i64,
    load: impl FnOnce() -> Option<crate::order_flow::Service>,
) -> Option<crate::order_flow::Service> {
    if !ready() {
        return load();
    }
    if let Some(hit) = SERVICES.with_borrow(|m| m.get(&id).cloned()) {
        return hit;
    }
    let generation = GENERATION.get();
    let value = load();
    if GENERATION.get() != generation {
        return value;
    }
    SERVICES.with_borrow_mut(|m| {
        if m.len() >= LIMIT {
            m.clear();
        }
        m.insert(id, value.clone());
    });
    value
}

/// Tells every session that rows of `relid` changed (sent at commit).
pub fn invalidate(relid: pg_sys::Oid) {
    // SAFETY: queues an invalidation message for this transaction.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relid) };
}

/// AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ... FOR EACH STATEMENT on
/// public.services: every session drops its cached copy at the commit of
/// this change.
#[pg_trigger]
fn invalidate_caches<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::heap_tuple::PgHeapTupleError> {
    match trigger.relid() {
        Ok(relid) => invalidate(relid),
        Err(_) => crate::errors::misconfigured("invalidate_caches must run as a table trigger"),
    }
    Ok(None)
}
