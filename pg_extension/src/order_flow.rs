//! The order state machine, enforced on every write to `public.orders`
//! (CONTRACT.md section 5). The rules are `samia_core::order_flow::TRANSITIONS`;
//! this trigger applies them to the row, the caller and the service, and
//! records what happened.

use crate::audit::{self, Moderation};
use crate::caller::Caller;
use crate::rows::{get, get_old, now, set, Row};
use crate::{errors, plans};
use pgrx::datum::{Date, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::order_flow::{
    self, Change, ChangeRefusal, Delivery, Needs, Refusal, ScheduleProblem, Standing, Status,
};
use samia_core::roles::{Actor, AppRole};
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroUsize;

const ORDERS: &str = "public.orders";

/// What the trigger needs to know about a service.
#[derive(Clone)]
pub struct Service {
    pub code: String,
    pub delivery: Delivery,
    pub is_active: bool,
}

thread_local! {
    /// `order_status` labels by enum value oid, per enum type.
    static LABELS: RefCell<(pg_sys::Oid, HashMap<pg_sys::Oid, Status>)> =
        RefCell::new((pg_sys::InvalidOid, HashMap::new()));
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

/// The status of a raw tuple, read through the enum's oid.
struct StatusColumn {
    attno: NonZeroUsize,
    tupdesc: pg_sys::TupleDesc,
}

impl StatusColumn {
    fn of(trigger: &PgTrigger<'_>) -> StatusColumn {
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

    fn read(&self, tuple: *mut pg_sys::HeapTupleData) -> Status {
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

    fn write(&self, row: &mut Row<'_>, status: Status) {
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

fn uuid_eq(a: Option<pgrx::Uuid>, b: Option<pgrx::Uuid>) -> bool {
    a.is_some() && a == b
}

fn not_allowed(id: i64, from: Status, to: Status, delivery: Delivery, standing: &Standing) -> ! {
    let next = order_flow::next_for(from, delivery, standing);
    let hint = if next.is_empty() {
        format!("you cannot change the status of an order that is {from}")
    } else {
        let names: Vec<&str> = next.iter().map(|s| s.name()).collect();
        format!("from {from} you may move it to: {}", names.join(", "))
    };
    raise_check(format!("order {id} cannot go from {from} to {to}"), &hint)
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
            on_insert(&caller, &mut new, column.read(data.tg_trigtuple))
        }
        Some(old) => {
            let (from, to) = (
                column.read(data.tg_trigtuple),
                column.read(data.tg_newtuple),
            );
            on_update(&caller, &old, &mut new, &column, from, to);
        }
    }
    Ok(Some(new))
}

/// A new order starts at `new`, owned by its caller, for an active service,
/// with no reader and no answer yet.
fn on_insert(caller: &Caller, new: &mut Row<'_>, status: Status) {
    let owner = get::<pgrx::Uuid>(new, ORDERS, "user_id");
    match (caller.uid, owner) {
        (Some(_), None) => set(new, ORDERS, "user_id", caller.uid),
        (Some(uid), Some(owner)) if uid != owner => errors::denied(format!(
            "you place orders for yourself only, not for {owner}"
        )),
        (None, None) => errors::invalid_value(
            "an order needs its client: set user_id",
            Some("name the client's profile id in user_id"),
        ),
        _ => {}
    }
    if status != Status::New {
        raise_check(
            format!("a new order starts at new, not {status}"),
            "leave status out when placing an order",
        );
    }
    for column in [
        "assigned_reader",
        "output_media_id",
        "delivered_at",
        "archived_at",
    ] {
        let present = match column {
            "assigned_reader" => get::<pgrx::Uuid>(new, ORDERS, column).is_some(),
            "output_media_id" => get::<i64>(new, ORDERS, column).is_some(),
            _ => get::<TimestampWithTimeZone>(new, ORDERS, column).is_some(),
        };
        if present {
            raise_check(
                format!("a new order cannot have {column} set"),
                "an admin assigns it once it is placed",
            );
        }
    }
    let service_id = get::<i64>(new, ORDERS, "service_id").unwrap_or_default();
    let service = match service(service_id) {
        Some(s) if s.is_active => s,
        Some(s) => errors::invalid_value(
            format!("the service {} is not available", s.code),
            Some("choose an active service"),
        ),
        None => errors::invalid_value(format!("there is no service {service_id}"), None),
    };
    let birth_data = get::<Date>(new, ORDERS, "birth_date").is_some()
        || get::<String>(new, ORDERS, "birth_name").is_some()
        || get::<String>(new, ORDERS, "birth_place").is_some()
        || get::<pgrx::datum::Time>(new, ORDERS, "birth_time").is_some();
    if birth_data && service.code != "astro" {
        errors::invalid_value(
            format!(
                "birth data goes with astro orders only, not {}",
                service.code
            ),
            Some("leave birth_name, birth_date, birth_time and birth_place empty"),
        );
    }
    if birth_data && get::<Date>(new, ORDERS, "birth_date").is_none() {
        errors::invalid_value(
            "an order's birth data starts with birth_date",
            Some("give birth_date and birth_place (and birth_time if known), or none of them to use your profile's"),
        );
    }
    if !crate::config::enabled(samia_core::config::ORDERS_ENABLED, Some(&service.code)) {
        raise_check(
            format!("orders for {} are switched off for now", service.code),
            "try again later (app_config orders.enabled)",
        );
    }
    if service.delivery == Delivery::Call
        && !crate::config::enabled(samia_core::config::CALLS_ENABLED, None)
    {
        raise_check(
            "call bookings are switched off for now".into(),
            "try again later (app_config calls.enabled)",
        );
    }
    let scheduled = get::<TimestampWithTimeZone>(new, ORDERS, "scheduled_at");
    check_schedule(&service, scheduled, None);
    if service.delivery == Delivery::Call && caller.uid.is_some() {
        crate::calls::check_limits(get::<pgrx::Uuid>(new, ORDERS, "user_id"), scheduled, true);
    }
    if let Some(media) = get::<i64>(new, ORDERS, "input_media_id") {
        let owner = get::<pgrx::Uuid>(new, ORDERS, "user_id");
        if media_owner(media) != owner.map(Some) {
            errors::invalid_value(
                format!("media {media} is not yours to attach"),
                Some("upload your coffee-cup photo or voice note first, then attach its id"),
            );
        }
    }
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

fn on_update(
    caller: &Caller,
    old: &PgHeapTuple<'_, AllocatedByPostgres>,
    new: &mut Row<'_>,
    column: &StatusColumn,
    from: Status,
    to: Status,
) {
    let id = get_old::<i64>(old, ORDERS, "id").unwrap_or_default();
    let owner = get_old::<pgrx::Uuid>(old, ORDERS, "user_id");
    // Whose order it is and what it is for never change, for anyone: the
    // state machine and every record rest on them.
    if owner != get::<pgrx::Uuid>(new, ORDERS, "user_id")
        || get_old::<i64>(old, ORDERS, "service_id") != get::<i64>(new, ORDERS, "service_id")
    {
        raise_check(
            format!("order {id}: its client and service cannot change"),
            "cancel the order and place a new one",
        );
    }
    let old_reader = get_old::<pgrx::Uuid>(old, ORDERS, "assigned_reader");
    let new_reader = get::<pgrx::Uuid>(new, ORDERS, "assigned_reader");
    let service_id = get_old::<i64>(old, ORDERS, "service_id").unwrap_or_default();
    let Some(service) = service(service_id) else {
        errors::misconfigured(format_args!("order {id} has no service"))
    };
    let standing = Standing {
        actor: caller.actor,
        is_owner: uuid_eq(caller.uid, owner),
        is_assigned_reader: uuid_eq(caller.uid, old_reader),
    };
    let old_reason = get_old::<String>(old, ORDERS, "status_reason");
    let given_reason = get::<String>(new, ORDERS, "status_reason")
        .filter(|r| Some(r) != old_reason.as_ref())
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let old_output = get_old::<i64>(old, ORDERS, "output_media_id");
    let new_output = get::<i64>(new, ORDERS, "output_media_id");

    let delivering = from != to && matches!(to, Status::Approved | Status::Delivered);
    if !delivering
        && get::<TimestampWithTimeZone>(new, ORDERS, "delivered_at")
            != get_old::<TimestampWithTimeZone>(old, ORDERS, "delivered_at")
    {
        raise_check(
            format!("order {id}: delivered_at is set by its delivery only"),
            "approve the answer, or end the call, to deliver the order",
        );
    }

    // A self-transition (a reassignment) is a change of reader at the same status.
    let reassigning = from == to
        && new_reader != old_reader
        && order_flow::from_state(from, service.delivery).any(|t| t.to == to);
    let mut needs_reader = false;
    if from != to || reassigning {
        let transition = match order_flow::check(from, to, service.delivery, &standing) {
            Ok(t) => t,
            Err(Refusal::NotAllowed) => not_allowed(id, from, to, service.delivery, &standing),
            Err(Refusal::NotYours(who)) => {
                let mut labels: Vec<&str> = who.iter().map(|w| w.label()).collect();
                labels.dedup();
                errors::denied(format!(
                    "only {} may move order {id} from {from} to {to}",
                    labels.join(" or ")
                ))
            }
        };
        for need in transition.needs {
            match need {
                Needs::Reason if given_reason.is_none() => errors::invalid_value(
                    format!("moving order {id} from {from} to {to} needs a reason"),
                    Some("set status_reason together with status"),
                ),
                Needs::OutputMedia if new_output.is_none() => raise_check(
                    format!("order {id} cannot go to {to} without its recorded answer"),
                    "upload the audio and set output_media_id first",
                ),
                Needs::Reader if new_reader.is_none() => errors::invalid_value(
                    format!("assigning order {id} needs a reader"),
                    Some("set assigned_reader together with status"),
                ),
                Needs::Reader => needs_reader = true,
                Needs::BeforeJoinWindow => crate::calls::before_join_window(id),
                _ => {}
            }
        }
        if matches!(to, Status::AwaitingApproval | Status::Approved) {
            if let Some(Err(why)) = new_output.map(crate::media::answer_ready) {
                raise_check(
                    format!("order {id} cannot go to {to}: {why}"),
                    "submit an answer whose media_assets.status is ready",
                );
            }
        }
        // The reason belongs to the latest transition only.
        set(new, ORDERS, "status_reason", given_reason.clone());
        record_transition(
            caller,
            id,
            from,
            to,
            given_reason.as_deref(),
            owner,
            new_output,
        );
        match to {
            Status::Approved => {
                // Approval delivers, in the same transaction.
                column.write(new, Status::Delivered);
                set(new, ORDERS, "delivered_at", now());
                record_transition(
                    caller,
                    id,
                    Status::Approved,
                    Status::Delivered,
                    None,
                    owner,
                    new_output,
                );
                notify_delivered(id, owner, service.delivery);
            }
            Status::Delivered => {
                set(new, ORDERS, "delivered_at", now());
                notify_delivered(id, owner, service.delivery);
            }
            _ => {}
        }
    }
    // The rules for the rest are `order_flow::may_change`; this reads the
    // row and raises.
    let check = |change: Change, transition: bool| {
        let Err(refusal) = order_flow::may_change(change, from, to, &standing, transition) else {
            return;
        };
        let (message, hint) = match (change, refusal) {
            (Change::Reason, _) => (
                format!("order {id}: status_reason changes only together with status"),
                "give the reason with the transition it explains",
            ),
            (Change::Reader, _) => (
                format!("order {id}: the reader changes only when an admin assigns the order"),
                "set status = 'assigned' together with assigned_reader",
            ),
            (Change::Answer, ChangeRefusal::Final) => (
                format!("the approved audio of order {id} cannot be replaced"),
                "an approved answer is final",
            ),
            (Change::Answer, _) => (
                format!("order {id}: the recorded answer changes only while the order is in progress, by its reader"),
                "start the order (status in_progress), then set output_media_id",
            ),
            (Change::Archive, ChangeRefusal::NotYours) => {
                errors::denied(format!("only an admin may archive order {id}"))
            }
            (Change::Archive, _) => (
                format!("order {id} is {to}: only delivered or cancelled orders are archived"),
                "cancel the order first, or wait until it is delivered",
            ),
            (Change::Schedule, ChangeRefusal::NotYours) => errors::denied(format!(
                "only the client or an admin may reschedule order {id}"
            )),
            (Change::Schedule, _) => (
                format!("order {id} is {from}: it can be rescheduled only before it starts"),
                "reschedule while the order is new or assigned",
            ),
        };
        raise_check(message, hint)
    };
    if from == to && !reassigning && given_reason.is_some() {
        check(Change::Reason, false);
    }
    if new_reader != old_reader {
        check(Change::Reader, needs_reader);
        if let Some(reader) = new_reader {
            check_reader(reader);
        }
    }
    if new_output != old_output {
        check(Change::Answer, from != to);
        if let Some(media) = new_output {
            let reader = new_reader.or(old_reader);
            if media_owner(media) != Some(reader) || reader.is_none() {
                errors::invalid_value(
                    format!("media {media} is not an upload of the order's reader"),
                    Some("upload the audio as the assigned reader, then set its id"),
                );
            }
        }
    }
    let archived = get::<TimestampWithTimeZone>(new, ORDERS, "archived_at");
    if archived != get_old::<TimestampWithTimeZone>(old, ORDERS, "archived_at") {
        check(Change::Archive, from != to);
    }
    let scheduled = get::<TimestampWithTimeZone>(new, ORDERS, "scheduled_at");
    let was_scheduled = get_old::<TimestampWithTimeZone>(old, ORDERS, "scheduled_at");
    if scheduled != was_scheduled {
        check(Change::Schedule, from != to);
    }
    if scheduled != was_scheduled {
        check_schedule(&service, scheduled, Some(id));
        if service.delivery == Delivery::Call && standing.is(order_flow::Who::Owner) {
            crate::calls::check_limits(owner, scheduled, false);
        }
    }
    if service.delivery == Delivery::Call {
        match (to, new_reader.or(old_reader), scheduled) {
            (Status::Assigned, Some(reader), Some(at))
                if from != to || reassigning || scheduled != was_scheduled =>
            {
                crate::calls::hold(id, reader, at, &service.code)
            }
            (Status::Cancelled, _, _) if from != to => {
                crate::calls::release(id, given_reason.as_deref())
            }
            _ => {}
        }
    }
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

fn check_reader(reader: pgrx::Uuid) {
    let ok = crate::caller::profile_standing(reader)
        .map(|(role_id, blocked)| AppRole::from_id(role_id) == Some(AppRole::Reader) && !blocked);
    if ok != Some(true) {
        errors::invalid_value(
            format!("{reader} is not an unblocked reader and cannot be assigned"),
            Some("assign a profile whose role is reader and that is not blocked"),
        );
    }
}

/// `order.transition` in the audit log; approve, reject and cancel by staff
/// also in moderation_actions (approval keeps the approved audio's sha256).
fn record_transition(
    caller: &Caller,
    id: i64,
    from: Status,
    to: Status,
    reason: Option<&str>,
    owner: Option<pgrx::Uuid>,
    output: Option<i64>,
) {
    let staff =
        caller.actor.active_role().is_some_and(AppRole::is_staff) && !uuid_eq(caller.uid, owner);
    let moderation = match to {
        Status::Approved => Some(Moderation {
            target_kind: "order",
            action: "approve",
            reason: output.map(|m| {
                format!(
                    "audio {m} sha256 {}",
                    media_sha256(m).unwrap_or_else(|| "unknown".into())
                )
            }),
        }),
        Status::Rejected => Some(Moderation {
            target_kind: "order",
            action: "reject",
            reason: reason.map(str::to_string),
        }),
        Status::Cancelled if staff => Some(Moderation {
            target_kind: "order",
            action: "cancel",
            reason: reason.map(str::to_string),
        }),
        _ => None,
    };
    audit::record(
        caller,
        "order.transition",
        "orders",
        &id.to_string(),
        json!({ "from": from.name(), "to": to.name(), "reason": reason, "actor_role": caller.actor.role_name() }),
        moderation,
    );
}

fn media_sha256(id: i64) -> Option<String> {
    errors::spi(
        plans::value::<String>(
            "select sha256 from public.media_assets where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[id.into()],
        ),
        "reading the approved audio",
    )
}

fn notify_delivered(id: i64, owner: Option<pgrx::Uuid>, delivery: Delivery) {
    let Some(owner) = owner else { return };
    let (title, body) = match delivery {
        Delivery::Audio => (
            "Your reading is ready",
            format!("Order {id} has been delivered. Open it to listen."),
        ),
        Delivery::Call => (
            "Your call is complete",
            format!("Order {id}: your call has ended. Thank you."),
        ),
    };
    let text = PgOid::from(pg_sys::TEXTOID);
    errors::spi(
        plans::execute(
            "insert into public.notifications (user_id, kind, title, body, order_id)
             values ($1, 'order.delivered', $2, $3, $4)",
            &[
                PgOid::from(pg_sys::UUIDOID),
                text,
                text,
                PgOid::from(pg_sys::INT8OID),
            ],
            &[owner.into(), title.into(), body.into(), id.into()],
        ),
        "notifying the client",
    );
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
