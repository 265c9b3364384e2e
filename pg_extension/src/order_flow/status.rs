//! The status of an order as the trigger reads and writes it: through the
//! `order_status` enum's value oids, read once per session.

use crate::errors;
use crate::rows::Row;
use pgrx::prelude::*;
use samia_core::order_flow::Status;
use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroUsize;

thread_local! {
    /// `order_status` labels by enum value oid, per enum type.
    static LABELS: RefCell<(pg_sys::Oid, HashMap<pg_sys::Oid, Status>)> =
        RefCell::new((pg_sys::InvalidOid, HashMap::new()));
}

/// The status of a raw tuple, read through the enum's oid.
pub(crate) struct StatusColumn {
    attno: NonZeroUsize,
    tupdesc: pg_sys::TupleDesc,
}

impl StatusColumn {
    pub(crate) fn of(trigger: &PgTrigger<'_>) -> StatusColumn {
        // SAFETY: the trigger manager hands us a valid relation for the
        // duration of the call.
        let tupdesc = unsafe { (*trigger.trigger_data().tg_relation).rd_att };
        let desc = unsafe { pgrx::PgTupleDesc::from_pg_unchecked(tupdesc) };
        let Some((index, att)) = desc.iter().enumerate().find(|(_, a)| a.name() == "status") else {
            errors::misconfigured("public.orders has no status column")
        };
        load_labels(att.atttypid);
        StatusColumn {
            attno: NonZeroUsize::new(index + 1).unwrap_or(NonZeroUsize::MIN),
            tupdesc,
        }
    }

    pub(crate) fn read(&self, tuple: *mut pg_sys::HeapTupleData) -> Status {
        // SAFETY: `tuple` comes from the trigger data and matches `tupdesc`.
        let datum = unsafe { pgrx::htup::heap_getattr_raw(tuple, self.attno, self.tupdesc) };
        let Some(datum) = datum else {
            errors::misconfigured("an order without a status")
        };
        let oid = pg_sys::Oid::from(datum.value() as u32);
        LABELS
            .with_borrow(|(_, map)| map.get(&oid).copied())
            .unwrap_or_else(|| {
                errors::misconfigured(format_args!(
                    "order_status value {oid:?} is not one the extension knows"
                ))
            })
    }

    pub(super) fn write(&self, row: &mut Row<'_>, status: Status) {
        let oid = LABELS
            .with_borrow(|(_, map)| map.iter().find(|(_, s)| **s == status).map(|(o, _)| *o))
            .unwrap_or_else(|| errors::misconfigured(format_args!("order_status has no {status}")));
        // SAFETY: an enum datum is its value's oid, and the column is the enum.
        unsafe { row.set_by_index_unchecked(self.attno, Some(pg_sys::Datum::from(oid))) };
    }
}

fn load_labels(typid: pg_sys::Oid) {
    if LABELS.with_borrow(|(t, map)| *t == typid && map.len() == Status::ALL.len()) {
        return;
    }
    let rows = errors::spi(
        Spi::connect(|client| {
            let table = client.select(
                "select oid, enumlabel::text from pg_catalog.pg_enum where enumtypid = $1",
                None,
                &[typid.into()],
            )?;
            let mut out = HashMap::new();
            for row in table {
                if let (Some(oid), Some(label)) =
                    (row.get::<pg_sys::Oid>(1)?, row.get::<String>(2)?)
                {
                    if let Some(status) = Status::from_name(&label) {
                        out.insert(oid, status);
                    }
                }
            }
            Ok::<_, pgrx::spi::SpiError>(out)
        }),
        "reading order_status",
    );
    LABELS.with_borrow_mut(|slot| *slot = (typid, rows));
}
