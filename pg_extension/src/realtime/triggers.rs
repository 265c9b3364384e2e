//! The triggers that tell the apps of changes (wired by migration V25):
//! each reads what `samia_core::realtime` needs of the old and new rows and
//! sends what it derives. AFTER triggers: they see the row as committed
//! by every BEFORE trigger, and an error before them sends nothing.

use super::send;
use crate::order_flow::StatusColumn;
use crate::rows::get_old;
use crate::{errors, plans};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::realtime::{self as rt, CallRow, HoroscopeRow, OrderRow};

type Tuple<'a> = PgHeapTuple<'a, AllocatedByPostgres>;
type Fired<'a> = Result<Option<Tuple<'a>>, PgHeapTupleError>;

fn uuid_text(u: Option<pgrx::Uuid>) -> Option<String> {
    u.map(|u| uuid::Uuid::from_bytes(*u.as_bytes()).to_string())
}

fn rfc3339(at: Option<TimestampWithTimeZone>) -> Option<String> {
    at.and_then(crate::time::utc)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// The time of the change: the transaction's.
fn at() -> String {
    rfc3339(Some(crate::rows::now())).unwrap_or_default()
}

type OrderFields = (i64, String, Option<String>, &'static str);

fn order_row(r: &OrderFields) -> OrderRow<'_> {
    OrderRow {
        id: r.0,
        client: &r.1,
        reader: r.2.as_deref(),
        status: r.3,
    }
}

fn new_row<'a>(trigger: &'a PgTrigger<'a>, name: &str) -> Tuple<'a> {
    trigger.new().unwrap_or_else(|| {
        errors::misconfigured(format_args!(
            "{name} must run AFTER INSERT OR UPDATE FOR EACH ROW"
        ))
    })
}

const ORDERS: &str = "public.orders";

/// AFTER INSERT OR UPDATE ON public.orders FOR EACH ROW.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."realtime_orders"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'realtime_orders_wrapper';
"#)]
fn realtime_orders<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    if !super::available() {
        return Ok(None);
    }
    let status = StatusColumn::of(trigger);
    let data = trigger.trigger_data();
    // INSERT: the new row is the trigger tuple; UPDATE: the old one is.
    let (new_tuple, old_tuple) = match trigger.old() {
        Some(_) => (data.tg_newtuple, Some(data.tg_trigtuple)),
        None => (data.tg_trigtuple, None),
    };
    let new = new_row(trigger, "realtime_orders");
    let old = trigger.old();
    let read = |t: &Tuple<'_>, raw: *mut pg_sys::HeapTupleData| -> OrderFields {
        (
            get_old::<i64>(t, ORDERS, "id").unwrap_or_default(),
            uuid_text(get_old::<pgrx::Uuid>(t, ORDERS, "user_id")).unwrap_or_default(),
            uuid_text(get_old::<pgrx::Uuid>(t, ORDERS, "assigned_reader")),
            status.read(raw).name(),
        )
    };
    let n = read(&new, new_tuple);
    let o = old.as_ref().zip(old_tuple).map(|(t, raw)| read(t, raw));
    let old_row = o.as_ref().map(order_row);
    send(&rt::order_changed(old_row.as_ref(), &order_row(&n), &at()));
    Ok(None)
}

const CALLS: &str = "public.calls";

struct CallFields {
    order_id: i64,
    reader: Option<String>,
    planned_start: Option<String>,
    planned_end: Option<String>,
    joined: bool,
    started: bool,
    ended: bool,
    end_reason: Option<String>,
}

fn call_fields(t: &Tuple<'_>) -> CallFields {
    let set = |c: &str| get_old::<TimestampWithTimeZone>(t, CALLS, c).is_some();
    CallFields {
        order_id: get_old::<i64>(t, CALLS, "order_id").unwrap_or_default(),
        reader: uuid_text(get_old::<pgrx::Uuid>(t, CALLS, "reader_id")),
        planned_start: rfc3339(get_old::<TimestampWithTimeZone>(t, CALLS, "planned_start")),
        planned_end: rfc3339(get_old::<TimestampWithTimeZone>(t, CALLS, "planned_end")),
        joined: set("client_joined_at") || set("reader_joined_at"),
        started: set("started_at"),
        ended: set("ended_at"),
        end_reason: get_old::<String>(t, CALLS, "end_reason"),
    }
}

impl CallFields {
    fn row<'a>(&'a self, client: Option<&'a str>) -> CallRow<'a> {
        CallRow {
            order_id: self.order_id,
            client,
            reader: self.reader.as_deref(),
            planned_start: self.planned_start.as_deref(),
            planned_end: self.planned_end.as_deref(),
            joined: self.joined,
            started: self.started,
            ended: self.ended,
            end_reason: self.end_reason.as_deref(),
        }
    }
}

/// AFTER INSERT OR UPDATE ON public.calls FOR EACH ROW.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."realtime_calls"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'realtime_calls_wrapper';
"#)]
fn realtime_calls<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    if !super::available() {
        return Ok(None);
    }
    let new = call_fields(&new_row(trigger, "realtime_calls"));
    let old = trigger.old().as_ref().map(call_fields);
    if rt::call_state(old.as_ref().map(|o| o.row(None)).as_ref(), &new.row(None)).is_none() {
        return Ok(None);
    }
    let client = uuid_text(errors::spi(
        plans::value::<pgrx::Uuid>(
            "select user_id from public.orders where id = $1",
            &[PgOid::from(pg_sys::INT8OID)],
            &[new.order_id.into()],
        ),
        "reading the call's client",
    ));
    let old_row = old.as_ref().map(|o| o.row(client.as_deref()));
    send(&rt::call_changed(
        old_row.as_ref(),
        &new.row(client.as_deref()),
        &at(),
    ));
    Ok(None)
}

const NOTIFICATIONS: &str = "public.notifications";

/// AFTER INSERT ON public.notifications FOR EACH ROW.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."realtime_notifications"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'realtime_notifications_wrapper';
"#)]
fn realtime_notifications<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    if !super::available() {
        return Ok(None);
    }
    let new = new_row(trigger, "realtime_notifications");
    let Some(user) = uuid_text(get_old::<pgrx::Uuid>(&new, NOTIFICATIONS, "user_id")) else {
        return Ok(None);
    };
    send(&rt::notification_created(
        get_old::<i64>(&new, NOTIFICATIONS, "id").unwrap_or_default(),
        &user,
        &get_old::<String>(&new, NOTIFICATIONS, "kind").unwrap_or_default(),
        get_old::<i64>(&new, NOTIFICATIONS, "order_id"),
        &rfc3339(get_old::<TimestampWithTimeZone>(
            &new,
            NOTIFICATIONS,
            "created_at",
        ))
        .unwrap_or_else(at),
    ));
    Ok(None)
}

const PHONE: &str = "public.phone_verifications";

/// AFTER UPDATE ON public.phone_verifications FOR EACH ROW.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."realtime_phone_verifications"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'realtime_phone_verifications_wrapper';
"#)]
fn realtime_phone_verifications<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    if !super::available() {
        return Ok(None);
    }
    let new = new_row(trigger, "realtime_phone_verifications");
    let Some(old) = trigger.old() else {
        errors::misconfigured("realtime_phone_verifications must run AFTER UPDATE FOR EACH ROW")
    };
    let status = |t: &Tuple<'_>| get_old::<String>(t, PHONE, "status").unwrap_or_default();
    send(&rt::phone_verification_changed(
        get_old::<i64>(&new, PHONE, "id").unwrap_or_default(),
        uuid_text(get_old::<pgrx::Uuid>(&new, PHONE, "profile_id")).as_deref(),
        &status(&old),
        &status(&new),
        &at(),
    ));
    Ok(None)
}

const HOROSCOPES: &str = "public.horoscopes";

struct HoroscopeFields {
    id: i64,
    scope: String,
    zodiac: String,
    ref_date: String,
    approved: bool,
    rejected: bool,
}

fn horoscope_fields(t: &Tuple<'_>) -> HoroscopeFields {
    HoroscopeFields {
        id: get_old::<i64>(t, HOROSCOPES, "id").unwrap_or_default(),
        scope: get_old::<String>(t, HOROSCOPES, "scope").unwrap_or_default(),
        zodiac: get_old::<String>(t, HOROSCOPES, "zodiac").unwrap_or_default(),
        ref_date: get_old::<pgrx::datum::Date>(t, HOROSCOPES, "ref_date")
            .map(|d| d.to_string())
            .unwrap_or_default(),
        approved: get_old::<TimestampWithTimeZone>(t, HOROSCOPES, "approved_at").is_some(),
        rejected: get_old::<TimestampWithTimeZone>(t, HOROSCOPES, "rejected_at").is_some(),
    }
}

impl HoroscopeFields {
    fn row(&self) -> HoroscopeRow<'_> {
        HoroscopeRow {
            id: self.id,
            scope: &self.scope,
            zodiac: &self.zodiac,
            ref_date: &self.ref_date,
            approved: self.approved,
            rejected: self.rejected,
        }
    }
}

/// AFTER INSERT OR UPDATE ON public.horoscopes FOR EACH ROW.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."realtime_horoscopes"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'realtime_horoscopes_wrapper';
"#)]
fn realtime_horoscopes<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    if !super::available() {
        return Ok(None);
    }
    let new = horoscope_fields(&new_row(trigger, "realtime_horoscopes"));
    let old = trigger.old().as_ref().map(horoscope_fields);
    let old_row = old.as_ref().map(HoroscopeFields::row);
    send(&rt::horoscope_changed(old_row.as_ref(), &new.row(), &at()));
    Ok(None)
}
