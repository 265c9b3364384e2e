//! What happens once an order row exists: its `order.created` audit row and,
//! for an astro order, its natal chart cast from the client's profile.

use crate::caller::Caller;
use crate::rows::get_old;
use crate::{astro, errors, plans};
use pgrx::datum::{Date, Time};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::astro::summarize;

const ORDERS: &str = "public.orders";

fn id_of(new: &PgHeapTuple<'_, AllocatedByPostgres>) -> i64 {
    match errors::column(new.get_by_name::<i64>("id"), ORDERS, "id") {
        Some(id) => id,
        None => errors::misconfigured("an order without an id"),
    }
}

/// AFTER INSERT ON public.orders FOR EACH ROW: the `order.created` audit row,
/// with the real caller as actor.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."orders_audit_created"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'orders_audit_created_wrapper';
"#)]
fn orders_audit_created<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let caller = Caller::current();
    let Some(new) = trigger.new() else {
        errors::misconfigured("orders_audit_created must run AFTER INSERT FOR EACH ROW")
    };
    let id = get_old::<i64>(&new, ORDERS, "id");
    let user_id = get_old::<pgrx::Uuid>(&new, ORDERS, "user_id")
        .map(|u| uuid::Uuid::from_bytes(*u.as_bytes()).to_string());
    let service_id = get_old::<i64>(&new, ORDERS, "service_id");
    let is_gold = get_old::<bool>(&new, ORDERS, "is_gold");
    let Some(id) = id else {
        errors::misconfigured("an order without an id")
    };
    // Every order starts at new (orders_authority), so the status is not read back.
    let meta = serde_json::json!({
        "status": "new",
        "is_gold": is_gold,
        "user_id": user_id,
        "service_id": service_id,
    });
    crate::audit::append(&caller, "order.created", "orders", &id.to_string(), meta);
    Ok(None)
}

fn is_astro(service_id: i64) -> bool {
    crate::order_flow::service(service_id).is_some_and(|s| s.code == "astro")
}

/// AFTER INSERT ON public.orders FOR EACH ROW: an astro order gets its chart,
/// cast from the client's date, time and place of birth, with a summary for
/// the reader. Without a date or place of birth the order is refused (22023);
/// an unknown place lists the closest matches.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."orders_astro_chart"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'orders_astro_chart_wrapper';
"#)]
fn orders_astro_chart<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("orders_astro_chart must run AFTER INSERT FOR EACH ROW")
    };
    let service_id = errors::column(new.get_by_name::<i64>("service_id"), ORDERS, "service_id");
    if !service_id.is_some_and(is_astro) {
        return Ok(None);
    }
    let order_id = id_of(&new);
    let Some(user_id) = errors::column(new.get_by_name::<pgrx::Uuid>("user_id"), ORDERS, "user_id")
    else {
        errors::misconfigured("an order without a user")
    };
    // The order's own birth data (for the client or someone else), else the
    // profile's.
    let own_dob: Option<Date> = errors::column(new.get_by_name("birth_date"), ORDERS, "birth_date");
    let subject: Option<String> =
        errors::column(new.get_by_name("birth_name"), ORDERS, "birth_name");
    let profile = if let Some(d) = own_dob {
        crate::profiles::validate_dob(d);
        (
            Some(d),
            errors::column(new.get_by_name::<Time>("birth_time"), ORDERS, "birth_time"),
            errors::column(
                new.get_by_name::<String>("birth_place"),
                ORDERS,
                "birth_place",
            ),
        )
    } else {
        profile_birth(user_id)
    };
    let (dob, birth_time, place) = profile;
    let place = place
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let (Some(dob), Some(place)) = (dob, place.clone()) else {
        if own_dob.is_some() {
            errors::invalid_value(
                "the order's birth data needs a birth place",
                Some("give birth_place with birth_date (and birth_time if known)"),
            );
        }
        let missing = if dob.is_none() {
            "date of birth"
        } else {
            "birth place"
        };
        errors::invalid_value(
            format!("an astro reading needs the client's date and place of birth: the profile has no {missing}"),
            Some("set dob, birth_place (and birth_time if known) on the profile, or give them with the order"),
        )
    };
    let chart = astro::chart_for(dob, birth_time, &place);
    let summary = summarize(&chart)
        .unwrap_or_else(|e| errors::misconfigured(format_args!("chart summary: {e}")));
    save_chart(
        order_id, user_id, dob, birth_time, place, subject, chart, summary,
    );
    Ok(None)
}

/// The client's own date, time and place of birth from their profile.
fn profile_birth(user_id: pgrx::Uuid) -> (Option<Date>, Option<Time>, Option<String>) {
    errors::spi(
        plans::select(
            "select dob, birth_time, birth_place from public.profiles where id = $1",
            &[PgOid::from(pg_sys::UUIDOID)],
            &[user_id.into()],
            |table| {
                if table.is_empty() {
                    return Ok((None, None, None));
                }
                let row = table.first();
                Ok((
                    row.get::<Date>(1)?,
                    row.get::<Time>(2)?,
                    row.get::<String>(3)?,
                ))
            },
        ),
        "reading the client's birth data",
    )
}

#[allow(clippy::too_many_arguments)]
fn save_chart(
    order_id: i64,
    user_id: pgrx::Uuid,
    dob: Date,
    birth_time: Option<Time>,
    place: String,
    subject: Option<String>,
    chart: serde_json::Value,
    summary: String,
) {
    let at = |key: &str| chart.pointer(&format!("/place/{key}")).cloned();
    let latitude = at("latitude").and_then(|v| v.as_f64());
    let longitude = at("longitude").and_then(|v| v.as_f64());
    let timezone = at("timezone").and_then(|v| v.as_str().map(str::to_string));
    let float = PgOid::from(pg_sys::FLOAT8OID);
    errors::spi(
        plans::execute(
            "insert into public.astro_charts
               (order_id, profile_id, dob, birth_time, birth_place, latitude, longitude, timezone,
                chart, summary, subject_name, computed_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())",
            &[
                PgOid::from(pg_sys::INT8OID),
                PgOid::from(pg_sys::UUIDOID),
                PgOid::from(pg_sys::DATEOID),
                PgOid::from(pg_sys::TIMEOID),
                PgOid::from(pg_sys::TEXTOID),
                float,
                float,
                PgOid::from(pg_sys::TEXTOID),
                PgOid::from(pg_sys::JSONBOID),
                PgOid::from(pg_sys::TEXTOID),
                PgOid::from(pg_sys::TEXTOID),
            ],
            &[
                order_id.into(),
                user_id.into(),
                dob.into(),
                birth_time.into(),
                place.into(),
                latitude.into(),
                longitude.into(),
                timezone.into(),
                pgrx::JsonB(chart).into(),
                summary.into(),
                subject.into(),
            ],
        ),
        "saving the order's chart",
    );
}

/// BEFORE UPDATE ON public.media_assets: the approved audio of an order and
/// the audio of a published horoscope are pinned: their url, bytes, sha256,
/// bucket and path no longer change.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."media_pinned"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'media_pinned_wrapper';
"#)]
fn media_pinned<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    const MEDIA: &str = "public.media_assets";
    let (Some(new), Some(old)) = (trigger.new(), trigger.old()) else {
        errors::misconfigured("media_pinned must run BEFORE UPDATE FOR EACH ROW")
    };
    let text_changed = |c: &str| {
        errors::column(old.get_by_name::<String>(c), MEDIA, c)
            != errors::column(new.get_by_name::<String>(c), MEDIA, c)
    };
    let bytes_changed = errors::column(old.get_by_name::<i64>("bytes"), MEDIA, "bytes")
        != errors::column(new.get_by_name::<i64>("bytes"), MEDIA, "bytes");
    if !(bytes_changed
        || ["url", "sha256", "bucket", "path"]
            .into_iter()
            .any(text_changed))
    {
        return Ok(Some(new));
    }
    let id = errors::column(old.get_by_name::<i64>("id"), MEDIA, "id").unwrap_or_default();
    let pinned_by = crate::media::pinned_by(id);
    if let Some(what) = pinned_by {
        pgrx::pg_sys::panic::ErrorReport::new(
            PgSqlErrorCode::ERRCODE_CHECK_VIOLATION,
            format!("media {id} is {what}: its url, bytes, sha256, bucket and path can no longer change"),
            "samia",
        )
        .set_hint("upload a new media row instead")
        .report(PgLogLevel::ERROR);
    }
    Ok(Some(new))
}

/// BEFORE INSERT ON public.services FOR EACH ROW: a service of a known code
/// inserted without `delivery` (as the original spec's seed does) gets the
/// contract's; any other still needs one (NOT NULL).
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."services_default_delivery"() RETURNS TRIGGER
LANGUAGE c SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'services_default_delivery_wrapper';
"#)]
fn services_default_delivery<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("services_default_delivery must run BEFORE INSERT FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let missing = errors::column(
        new.get_by_name::<String>("delivery"),
        "public.services",
        "delivery",
    )
    .is_none();
    if missing {
        let code = errors::column(new.get_by_name::<String>("code"), "public.services", "code");
        if let Some(delivery) = code
            .as_deref()
            .and_then(samia_core::order_flow::delivery_of)
        {
            crate::rows::set(&mut new, "public.services", "delivery", delivery.name());
        }
    }
    Ok(Some(new))
}
