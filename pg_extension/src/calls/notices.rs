//! What a booking tells its parties: the booking notice and the reminders,
//! each in the reader's or the client's own time zone.

use super::{minutes, rfc3339, row, text_of, time_of, utc};
use crate::jobs;
use chrono::{DateTime, Utc};
use samia_core::calls as rules;
use samia_core::jobs as kinds;
use serde_json::json;

/// The booking's notifications and the jobs it sets off.
pub(super) fn announce(
    order: i64,
    reader: pgrx::Uuid,
    start: DateTime<Utc>,
    immediate: bool,
    moved: bool,
) {
    booked_notifications(order, None, Some(reader), moved);
    let at = rfc3339(start);
    if !immediate {
        for lead in rules::REMINDERS {
            let when = start - chrono::Duration::minutes(lead);
            if when > utc(crate::rows::now()) {
                jobs::enqueue_at(
                    kinds::CALL_REMIND,
                    json!({ "order_id": order, "scheduled_at": at, "minutes": lead }),
                    &rfc3339(when),
                );
            }
        }
    }
    let missed = minutes(rules::MISSED_AFTER, rules::DEFAULT_MISSED_AFTER);
    jobs::enqueue_at(
        kinds::CALL_DEADLINE,
        json!({ "order_id": order, "check": "missed", "scheduled_at": at }),
        &rfc3339(start + chrono::Duration::minutes(missed)),
    );
}

/// Notifies a call's client and reader of its time, each in their own time
/// zone (the client's from the booking, the reader's from their hours);
/// `lead` names a reminder's minutes before the call. `reader` is the one
/// being assigned (the order row does not show it yet while it is assigned).
pub(super) fn booked_notifications(
    order: i64,
    lead: Option<i64>,
    reader: Option<pgrx::Uuid>,
    moved: bool,
) {
    let Some(v) = row(
        "select jsonb_build_object('client', o.user_id, 'reader', coalesce($2, o.assigned_reader),
                  'service', s.name, 'code', s.code, 'pre_ritual', s.meta ->> 'pre_ritual',
                  'start', c.planned_start, 'client_tz', c.time_zone,
                  'reader_tz', (select a.time_zone from public.reader_availability a
                                 where a.reader_id = coalesce($2, o.assigned_reader) and a.active
                                 order by a.id limit 1))
           from public.orders o join public.services s on s.id = o.service_id
           join public.calls c on c.order_id = o.id where o.id = $1",
        &[order.into(), reader.into()],
        "reading the booking",
    ) else {
        return;
    };
    let Some(start) = time_of(&v, "start") else {
        return;
    };
    let service = text_of(&v, "service").unwrap_or_else(|| "call".into());
    let ritual = text_of(&v, "pre_ritual").filter(|r| !r.trim().is_empty());
    let kind = match (lead, moved) {
        (Some(_), _) => "call.reminder",
        (None, true) => "call.moved",
        (None, false) => "call.booked",
    };
    let at = rfc3339(start);
    for (role, zone) in [("client", "client_tz"), ("reader", "reader_tz")] {
        let Some(uid) = text_of(&v, role).and_then(|u| u.parse::<uuid::Uuid>().ok()) else {
            continue;
        };
        let mut params =
            json!({ "order_id": order, "role": role, "service": service, "start": at });
        if let Some(m) = lead {
            params["minutes"] = json!(m);
        }
        // The healing pre-ritual goes to the client, at booking and before.
        if let (Some(ritual), "client") = (&ritual, role) {
            params["pre_ritual"] = json!(ritual);
        }
        crate::notices::notify(
            pgrx::Uuid::from_bytes(*uid.as_bytes()),
            kind,
            params,
            Some(order),
            text_of(&v, zone).as_deref(),
        );
    }
}
