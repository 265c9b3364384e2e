//! The order state machine, enforced on every write to `public.orders`
//! (CONTRACT.md section 5). The rules are `samia_core::order_flow::TRANSITIONS`;
//! this trigger applies them to the row, the caller and the service, and
//! records what happened: a new order in [`insert`], a change of one in
//! [`update`]; [`status`] reads and writes the status column.

use crate::caller::Caller;
use crate::rows::now;
use crate::{errors, plans};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::order_flow::{self, Delivery, ScheduleProblem};
use samia_core::roles::{Actor, AppRole};
pub(crate) use status::StatusColumn;

mod insert;
mod status;
mod update;

const ORDERS: &str = "public.orders";

/// What the trigger needs to know about a service.
#[derive(Clone)]
pub struct Service {
    pub code: String,
    pub delivery: Delivery,
    pub is_active: bool,
}

/// The service of an order, read through a kept plan (a primary-key lookup
/// in a handful of rows; a per-session cache of it bought too little to keep).
pub fn service(id: i64) -> Option<Service> {
    let found = errors::spi(
        plans::select(
            "select code, delivery, is_active from public.services where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[id.into()],
            |table| {
                if table.is_empty() {
                    return Ok(None);
                }
                let row = table.first();
                Ok(Some((
                    row.get::<String>(1)?.unwrap_or_default(),
                    row.get::<String>(2)?.unwrap_or_default(),
                    row.get::<bool>(3)?.unwrap_or(false),
                )))
            },
        ),
        "looking up the order's service",
    )?;
    Some(Service {
        delivery: Delivery::from_name(&found.1).unwrap_or_else(|| {
            errors::misconfigured(format_args!("service {id} has delivery {:?}", found.1))
        }),
        code: found.0,
        is_active: found.2,
    })
}

fn uuid_eq(a: Option<pgrx::Uuid>, b: Option<pgrx::Uuid>) -> bool {
    a.is_some() && a == b
}

fn raise_check(message: String, hint: &str) -> ! {
    errors::not_allowed(message, hint)
}

/// BEFORE INSERT OR UPDATE ON public.orders.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."orders_authority"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'orders_authority_wrapper';
"#)]
fn orders_authority<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("orders_authority must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let caller = Caller::current();
    match caller.actor {
        Actor::User { blocked: true, .. } => errors::denied_with_hint(
            "your account is blocked: you cannot place or change orders",
            "contact support to have the block reviewed",
        ),
        Actor::Untrusted => errors::denied(samia_core::roles::untrusted().0),
        Actor::User { .. } | Actor::System => {}
        Actor::Unknown => errors::denied("your profile does not exist yet; sign in again"),
        Actor::Anon => errors::denied("orders are placed and changed by signed-in users only"),
    }
    let column = StatusColumn::of(trigger);
    let data = trigger.trigger_data();
    match trigger.old() {
        None => {
            // Only clients place orders, whatever the path (a table insert,
            // `book_call`, another RPC): staff work on the orders clients place.
            if let Actor::User { role, .. } = caller.actor {
                if role != AppRole::Client {
                    errors::denied_with_hint(
                        format!("only clients place orders, not a {}", role.code()),
                        "sign in with a client account to order a reading or book a call",
                    );
                }
            }
            insert::on_insert(&caller, &mut new, column.read(data.tg_trigtuple))
        }
        Some(old) => {
            let (from, to) = (
                column.read(data.tg_trigtuple),
                column.read(data.tg_newtuple),
            );
            update::on_update(&caller, &old, &mut new, &column, from, to);
        }
    }
    Ok(Some(new))
}

/// `Some(owner)` of a media row (owner may be NULL), `None` when it does not exist.
fn media_owner(id: i64) -> Option<Option<pgrx::Uuid>> {
    errors::spi(
        plans::select(
            "select owner_id from public.media_assets where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[id.into()],
            |table| {
                if table.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(table.first().get::<pgrx::Uuid>(1)?))
                }
            },
        ),
        "looking up media",
    )
}

/// `scheduled_at` of a call order placed or moved: required, and not past
/// (SQLSTATE 22023). `order` names an existing order in the message.
fn check_schedule(service: &Service, scheduled: Option<TimestampWithTimeZone>, order: Option<i64>) {
    let micros = |t: TimestampWithTimeZone| t.into_inner();
    let which = order.map_or_else(|| "a call".to_string(), |id| format!("call order {id}"));
    match order_flow::schedule_problem(service.delivery, scheduled.map(micros), micros(now())) {
        None => {}
        Some(ScheduleProblem::Missing) => errors::invalid_value(
            format!("{which} for {} needs scheduled_at", service.code),
            Some("book a time with scheduled_at; for a call now, give the current time"),
        ),
        Some(ScheduleProblem::Past) => errors::invalid_value(
            format!(
                "{which} for {} cannot be scheduled at {}, which is past",
                service.code,
                scheduled.map(|t| t.to_string()).unwrap_or_default()
            ),
            Some("choose a time from now on"),
        ),
    }
}

/// Migration V11 made this the trigger that told other sessions to drop
/// their cached services; V14 drops that trigger, since services are no
/// longer cached. The function stays so that V11 still applies to a new
/// database; it changes nothing.
// Declared here rather than by pgrx, which writes 'MODULE_PATHNAME' for a
// trigger even when each version has a library of its own.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."invalidate_caches"() RETURNS TRIGGER
LANGUAGE c
AS '@MODULE_PATHNAME@', 'invalidate_caches_wrapper';
"#)]
fn invalidate_caches<'a>(
    _trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    Ok(None)
}
