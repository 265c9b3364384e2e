//! Row access without the executor, for the two things nearly every request
//! does: read the caller's profile by primary key, and append an audit row.
//!
//! Through SPI each of these pays for a plan-cache check, executor start and
//! end, and a snapshot, which is most of the work for one row. Here they use
//! the access methods the executor itself uses: an index scan under the
//! statement's snapshot, and a heap insert followed by an insert into every
//! index. They do so only for tables shaped as the migrations make them. For
//! any other shape (an INSERT trigger, a CHECK constraint, forced row
//! security, an expression, partial or exclusion index, a deferred unique
//! index, a column the caller does not fill, a type it does not expect), they
//! answer `None` and the caller takes the SQL path instead, so nothing a
//! table asks for is ever skipped silently.

use pgrx::datum::FromDatum;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;
use std::ffi::CStr;

/// A column value to append: its name, its type and the datum (`None` for NULL).
pub struct Value<'a> {
    pub column: &'a CStr,
    pub type_oid: pg_sys::Oid,
    pub datum: Option<pg_sys::Datum>,
}

thread_local! {
    /// Relations found by name, kept until PostgreSQL says they (or any
    /// schema) changed. A handful of entries, compared by address.
    static OIDS: std::cell::RefCell<Vec<(&'static CStr, &'static CStr, pg_sys::Oid)>> =
        const { std::cell::RefCell::new(Vec::new()) };
    static WATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[pg_guard]
unsafe extern "C-unwind" fn relation_changed(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    OIDS.with_borrow_mut(|oids| {
        oids.retain(|(_, _, oid)| relid != pg_sys::InvalidOid && *oid != relid)
    });
}

#[pg_guard]
unsafe extern "C-unwind" fn schema_changed(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    OIDS.with_borrow_mut(Vec::clear);
}

/// The oid of `schema.table`, or `InvalidOid` when it does not exist. Found
/// through the catalog once, then kept for the session until an
/// invalidation for that relation (or for any schema) arrives, as the
/// relation cache itself is kept.
pub fn relation_oid(schema: &'static CStr, table: &'static CStr) -> pg_sys::Oid {
    if !WATCHING.get() {
        // SAFETY: callbacks with 'static function pointers, registered once
        // per session (PostgreSQL allows a few of each).
        unsafe {
            pg_sys::CacheRegisterRelcacheCallback(Some(relation_changed), pg_sys::Datum::from(0));
            pg_sys::CacheRegisterSyscacheCallback(
                pg_sys::SysCacheIdentifier::NAMESPACEOID as i32,
                Some(schema_changed),
                pg_sys::Datum::from(0),
            );
        }
        WATCHING.set(true);
    }
    let kept = OIDS.with_borrow(|oids| {
        oids.iter()
            .find(|(s, t, _)| std::ptr::eq(*s, schema) && std::ptr::eq(*t, table))
            .map(|(_, _, oid)| *oid)
    });
    if let Some(oid) = kept {
        return oid;
    }
    // SAFETY: catalog lookups by name; both return InvalidOid when missing.
    let oid = unsafe {
        let namespace = pg_sys::get_namespace_oid(schema.as_ptr(), true);
        if namespace == pg_sys::InvalidOid {
            return pg_sys::InvalidOid;
        }
        pg_sys::get_relname_relid(table.as_ptr(), namespace)
    };
    if oid != pg_sys::InvalidOid {
        OIDS.with_borrow_mut(|oids| oids.push((schema, table, oid)));
    }
    oid
}

/// The attributes of a tuple descriptor.
///
/// # Safety
/// `desc` must be a valid tuple descriptor that outlives the slice.
pub unsafe fn attributes<'a>(desc: pg_sys::TupleDesc) -> &'a [pg_sys::FormData_pg_attribute] {
    // SAFETY: the caller guarantees `desc`; natts counts the trailing array.
    unsafe { (*desc).attrs.as_slice((*desc).natts as usize) }
}

/// Is this attribute named `name`? Compares the bytes of the NUL-terminated
/// name (no UTF-8 check: this runs for every column of every append).
fn is_named(a: &pg_sys::FormData_pg_attribute, name: &CStr) -> bool {
    let wanted = name.to_bytes_with_nul();
    wanted.len() <= a.attname.data.len()
        && a.attname.data[..wanted.len()]
            .iter()
            .zip(wanted)
            .all(|(x, y)| *x as u8 == *y)
}

pub fn attribute_named<'a>(
    attrs: &'a [pg_sys::FormData_pg_attribute],
    name: &CStr,
) -> Option<(usize, &'a pg_sys::FormData_pg_attribute)> {
    attrs
        .iter()
        .enumerate()
        .find(|(_, a)| !a.attisdropped && is_named(a, name))
}

/// Reads column `name` of `tuple` (described by `desc`) as `T`, if its type
/// is `type_oid`: `Err` names what did not fit, `Ok(None)` is NULL.
///
/// # Safety
/// `tuple` and `desc` must belong together and be valid for the call.
pub unsafe fn column<T: FromDatum>(
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
    name: &CStr,
    type_oid: pg_sys::Oid,
) -> Result<Option<T>, String> {
    // SAFETY: the caller guarantees the tuple and its descriptor.
    unsafe {
        match attribute_named(attributes(desc), name) {
            Some((i, a)) if a.atttypid == type_oid => {
                let mut is_null = false;
                let datum = pg_sys::heap_getattr(tuple, i as i32 + 1, desc, &mut is_null);
                Ok(T::from_datum(datum, is_null))
            }
            Some(_) => Err(format!("{name:?} is not of type {}", type_oid.to_u32())),
            None => Err(format!("no column {name:?}")),
        }
    }
}

/// Reads by-value columns of the row of `schema.table` whose primary key
/// (a single uuid column) equals `key`, under the statement's snapshot,
/// without row-level security (the caller is the extension). `Some(None)` is
/// "no such row"; `None` means the table is not shaped for this and the
/// caller should use SQL. Each column comes back with its expected type
/// checked; NULL is `None`.
pub fn fetch_by_uuid<const N: usize>(
    schema: &'static CStr,
    table: &'static CStr,
    key: pgrx::Uuid,
    columns: [(&CStr, pg_sys::Oid); N],
) -> Option<Option<[Option<pg_sys::Datum>; N]>> {
    let relid = relation_oid(schema, table);
    if relid == pg_sys::InvalidOid {
        return None;
    }
    // SAFETY: the relation is opened and locked as the executor would (and
    // the lock kept to the end of the transaction, as the executor does);
    // every pointer read below belongs to it or to the scan, and only
    // by-value datums leave the scan.
    unsafe {
        let rel = pg_sys::table_open(relid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let result = fetch_in(rel, key, &columns);
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        result
    }
}

/// # Safety
/// `rel` must be an open relation.
unsafe fn fetch_in<const N: usize>(
    rel: pg_sys::Relation,
    key: pgrx::Uuid,
    columns: &[(&CStr, pg_sys::Oid); N],
) -> Option<Option<[Option<pg_sys::Datum>; N]>> {
    // SAFETY: see fetch_by_uuid.
    unsafe {
        if (*(*rel).rd_rel).relkind as u8 != pg_sys::RELKIND_RELATION {
            return None;
        }
        let desc = (*rel).rd_att;
        let attrs = attributes(desc);
        let index = pg_sys::RelationGetPrimaryKeyIndex(rel);
        if index == pg_sys::InvalidOid {
            return None;
        }
        // The primary key must be the one uuid column the key is for.
        let index_rel = pg_sys::index_open(index, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let form = (*index_rel).rd_index;
        let key_attnum = if (*form).indnkeyatts == 1 {
            (*form).indkey.values.as_slice(1)[0]
        } else {
            0
        };
        pg_sys::index_close(index_rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        if key_attnum <= 0 || attrs[key_attnum as usize - 1].atttypid != pg_sys::UUIDOID {
            return None;
        }
        let mut wanted = [0usize; N];
        for (slot, (name, type_oid)) in wanted.iter_mut().zip(columns.iter()) {
            match attribute_named(attrs, name) {
                Some((i, a)) if a.atttypid == *type_oid && a.attbyval => *slot = i,
                _ => return None,
            }
        }

        let mut scan_key = pg_sys::ScanKeyData::default();
        pg_sys::ScanKeyInit(
            &mut scan_key,
            key_attnum,
            pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
            pg_sys::Oid::from(pg_sys::F_UUID_EQ),
            key.into_datum()?,
        );
        let pushed = !pg_sys::ActiveSnapshotSet();
        if pushed {
            pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
        }
        let scan = pg_sys::systable_beginscan(
            rel,
            index,
            true,
            pg_sys::GetActiveSnapshot(),
            1,
            &mut scan_key,
        );
        let tuple = pg_sys::systable_getnext(scan);
        let found = if tuple.is_null() {
            None
        } else {
            let mut values = [None; N];
            for (value, i) in values.iter_mut().zip(wanted) {
                let mut is_null = false;
                let datum = pg_sys::heap_getattr(tuple, i as i32 + 1, desc, &mut is_null);
                *value = (!is_null).then_some(datum);
            }
            Some(values)
        };
        pg_sys::systable_endscan(scan);
        if pushed {
            pg_sys::PopActiveSnapshot();
        }
        Some(found)
    }
}

/// Appends one row to `schema.table`, giving every column its value, as an
/// INSERT run by the current user would, minus parsing, planning and the
/// executor. `None` means the table needs the executor (see the module
/// documentation), or the current user may not insert, or a value does not
/// fit its column: the caller then runs the INSERT in SQL, which applies
/// whatever the table asks for or raises the proper error.
pub fn append(schema: &'static CStr, table: &'static CStr, values: &[Value<'_>]) -> Option<()> {
    let relid = relation_oid(schema, table);
    if relid == pg_sys::InvalidOid {
        return None;
    }
    // SAFETY: the relation and its indexes are opened and locked as the
    // executor would for an INSERT; the locks are kept to the end of the
    // transaction. Everything allocated here lives in a scratch context
    // emptied on return (the heap tuple is copied into its page by the insert).
    unsafe {
        if pg_sys::pg_class_aclcheck(
            relid,
            pg_sys::GetUserId(),
            pg_sys::ACL_INSERT as pg_sys::AclMode,
        ) != pg_sys::AclResult::ACLCHECK_OK
        {
            return None;
        }
        let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        let mut scratch = PgMemoryContexts::For(scratch());
        let done = scratch.switch_to(|_| append_in(rel, values));
        scratch.reset();
        pg_sys::table_close(rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        done
    }
}

thread_local! {
    static SCRATCH: std::cell::Cell<pg_sys::MemoryContext> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// A memory context for one append, kept for the session and emptied after
/// each use (cheaper than making a context per row). An append cut short by
/// an error leaves its scraps to the next one, which starts by emptying it.
fn scratch() -> pg_sys::MemoryContext {
    if SCRATCH.get().is_null() {
        // SAFETY: a child of TopMemoryContext lives as long as the session.
        let context = unsafe {
            pg_sys::AllocSetContextCreateExtended(
                pg_sys::TopMemoryContext,
                c"samia direct append".as_ptr(),
                pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
                pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
                pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
            )
        };
        SCRATCH.set(context);
    }
    let context = SCRATCH.get();
    // SAFETY: the context is ours and nothing allocated in it is still in use.
    unsafe { pg_sys::MemoryContextReset(context) };
    context
}

/// # Safety
/// `rel` must be open with RowExclusiveLock.
unsafe fn append_in(rel: pg_sys::Relation, values: &[Value<'_>]) -> Option<()> {
    // SAFETY: see append.
    unsafe {
        let class = &*(*rel).rd_rel;
        if class.relkind as u8 != pg_sys::RELKIND_RELATION
            || class.relam != pg_sys::HEAP_TABLE_AM_OID
            || class.relforcerowsecurity
        {
            return None;
        }
        let triggers = (*rel).trigdesc;
        if !triggers.is_null() {
            let t = &*triggers;
            if t.trig_insert_before_row
                || t.trig_insert_after_row
                || t.trig_insert_instead_row
                || t.trig_insert_before_statement
                || t.trig_insert_after_statement
            {
                return None;
            }
        }
        let desc = (*rel).rd_att;
        let constraints = (*desc).constr;
        if !constraints.is_null()
            && ((*constraints).num_check > 0 || (*constraints).has_generated_stored)
        {
            return None;
        }

        // Every live column must be given, with its own type; NOT NULL holds.
        let attrs = attributes(desc);
        let mut datums = vec![pg_sys::Datum::from(0); attrs.len()];
        let mut nulls = vec![true; attrs.len()];
        let mut given = 0;
        for (i, a) in attrs.iter().enumerate() {
            if a.attisdropped {
                continue;
            }
            // Values usually come in column order: try that one first.
            let value = match values.get(given) {
                Some(v) if is_named(a, v.column) => v,
                _ => values.iter().find(|v| is_named(a, v.column))?,
            };
            if value.type_oid != a.atttypid || (a.attnotnull && value.datum.is_none()) {
                return None;
            }
            if let Some(d) = value.datum {
                datums[i] = d;
                nulls[i] = false;
            }
            given += 1;
        }
        if given != values.len() {
            return None;
        }

        // Every index must be one a plain column insert can maintain.
        let list = pg_sys::RelationGetIndexList(rel);
        let mut indexes = Vec::new();
        let mut plain = true;
        for n in 0..pg_sys::list_length(list) {
            let index = pg_sys::index_open(
                pg_sys::list_nth_oid(list, n),
                pg_sys::RowExclusiveLock as pg_sys::LOCKMODE,
            );
            let info = pg_sys::BuildIndexInfo(index);
            let form = &*(*index).rd_index;
            if !(*info).ii_Expressions.is_null()
                || !(*info).ii_Predicate.is_null()
                || !(*info).ii_ExclusionOps.is_null()
                || (form.indisunique && !form.indimmediate)
            {
                plain = false;
            }
            indexes.push((index, info));
        }
        if plain {
            let tuple = pg_sys::heap_form_tuple(desc, datums.as_mut_ptr(), nulls.as_mut_ptr());
            pg_sys::simple_heap_insert(rel, tuple);
            let slot = pg_sys::MakeSingleTupleTableSlot(desc, &pg_sys::TTSOpsHeapTuple);
            pg_sys::ExecStoreHeapTuple(tuple, slot, false);
            let mut key_values = [pg_sys::Datum::from(0); pg_sys::INDEX_MAX_KEYS as usize];
            let mut key_nulls = [false; pg_sys::INDEX_MAX_KEYS as usize];
            for &(index, info) in &indexes {
                if !(*info).ii_ReadyForInserts {
                    continue;
                }
                pg_sys::FormIndexDatum(
                    info,
                    slot,
                    std::ptr::null_mut(),
                    key_values.as_mut_ptr(),
                    key_nulls.as_mut_ptr(),
                );
                let check = if (*(*index).rd_index).indisunique {
                    pg_sys::IndexUniqueCheck::UNIQUE_CHECK_YES
                } else {
                    pg_sys::IndexUniqueCheck::UNIQUE_CHECK_NO
                };
                pg_sys::index_insert(
                    index,
                    key_values.as_mut_ptr(),
                    key_nulls.as_mut_ptr(),
                    &mut (*tuple).t_self,
                    rel,
                    check,
                    false,
                    info,
                );
            }
            pg_sys::ExecDropSingleTupleTableSlot(slot);
        }
        for (index, _) in indexes {
            pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
        }
        plain.then_some(())
    }
}
