//! A new order: it starts at `new`, owned by its caller, for an active
//! service, with no reader and no answer yet.

use super::{check_schedule, media_owner, raise_check, service, ORDERS};
use crate::caller::Caller;
use crate::errors;
use crate::rows::{get, set, Row};
use pgrx::datum::{Date, TimestampWithTimeZone};
use samia_core::order_flow::{Delivery, Status};

/// A new order starts at `new`, owned by its caller, for an active service,
/// with no reader and no answer yet.
pub(super) fn on_insert(caller: &Caller, new: &mut Row<'_>, status: Status) {
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
