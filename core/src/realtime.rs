//! What the apps are told live through Supabase Realtime (CONTRACT.md
//! section 14): for each change of a row the users should see, the
//! broadcasts to send, each a topic, an event and a payload.
//!
//! Topics: `user:<uid>` (one user: the client of an order or call, its
//! assigned reader, the owner of a notification or phone verification),
//! `staff:orders`, `staff:calls`, `staff:horoscopes` (monitors and admins)
//! and `horoscopes` (everyone, anon included). Payloads hold ids, states
//! and times only: never a text a user wrote, never another user's data,
//! and never more than the receiver may select.

use serde_json::{json, Value};

pub const STAFF_ORDERS: &str = "staff:orders";
pub const STAFF_CALLS: &str = "staff:calls";
pub const STAFF_HOROSCOPES: &str = "staff:horoscopes";
pub const HOROSCOPES: &str = "horoscopes";
/// Every topic staff read (the `realtime.messages` policy lists them).
pub const STAFF_TOPICS: [&str; 3] = [STAFF_ORDERS, STAFF_CALLS, STAFF_HOROSCOPES];

/// The topic of one user (`uid` as PostgreSQL prints a uuid).
pub fn user_topic(uid: &str) -> String {
    format!("user:{uid}")
}

/// One message for `realtime.send(payload, event, topic, true)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    pub topic: String,
    pub event: &'static str,
    pub payload: Value,
}

impl Broadcast {
    fn new(topic: impl Into<String>, event: &'static str, payload: &Value) -> Broadcast {
        Broadcast {
            topic: topic.into(),
            event,
            payload: payload.clone(),
        }
    }

    /// As one element of the array the extension hands to `realtime.send`.
    pub fn to_json(&self) -> Value {
        json!({ "topic": self.topic, "event": self.event, "payload": self.payload })
    }
}

/// What the broadcasts need of an `orders` row.
#[derive(Debug, Clone, Copy)]
pub struct OrderRow<'a> {
    pub id: i64,
    pub client: &'a str,
    pub reader: Option<&'a str>,
    pub status: &'a str,
}

/// An order was placed (`old` none) or changed, at `at` (RFC 3339): its
/// client learns of every status change, its assigned reader of every
/// change while the order is theirs, a reader it is taken from that it is
/// no longer theirs, and staff of every change of the work queues.
pub fn order_changed(old: Option<&OrderRow<'_>>, new: &OrderRow<'_>, at: &str) -> Vec<Broadcast> {
    let status_changed = old.is_none_or(|o| o.status != new.status);
    let reader_changed = old.map_or(new.reader.is_some(), |o| o.reader != new.reader);
    if !status_changed && !reader_changed {
        return Vec::new();
    }
    let payload = json!({
        "order_id": new.id,
        "status": new.status,
        "previous_status": old.map(|o| o.status),
        "at": at,
    });
    let mut out = Vec::new();
    if status_changed {
        out.push(Broadcast::new(user_topic(new.client), "order", &payload));
    }
    if let Some(reader) = new.reader {
        out.push(Broadcast::new(user_topic(reader), "order", &payload));
    }
    if let Some(gone) = old
        .and_then(|o| o.reader)
        .filter(|r| Some(*r) != new.reader)
    {
        out.push(Broadcast::new(
            user_topic(gone),
            "order_unassigned",
            &json!({ "order_id": new.id, "at": at }),
        ));
    }
    out.push(Broadcast::new(STAFF_ORDERS, "order", &payload));
    out
}

/// What the broadcasts need of a `calls` row (times as RFC 3339).
#[derive(Debug, Clone, Copy, Default)]
pub struct CallRow<'a> {
    pub order_id: i64,
    /// The order's client.
    pub client: Option<&'a str>,
    pub reader: Option<&'a str>,
    pub planned_start: Option<&'a str>,
    pub planned_end: Option<&'a str>,
    pub joined: bool,
    pub started: bool,
    pub ended: bool,
    pub end_reason: Option<&'a str>,
}

/// The state a change of a call row puts it in, if the parties should hear
/// of it: booked, moved, starting (a party joined), live, ended, dropped.
pub fn call_state(old: Option<&CallRow<'_>>, new: &CallRow<'_>) -> Option<&'static str> {
    let Some(old) = old else {
        return Some("booked");
    };
    if new.ended && !old.ended {
        return Some(if new.end_reason == Some("dropped_by_monitor") {
            "dropped"
        } else {
            "ended"
        });
    }
    if new.ended {
        return None;
    }
    if new.started && !old.started {
        return Some("live");
    }
    if new.joined && !old.joined && !new.started {
        return Some("starting");
    }
    if old.planned_start != new.planned_start || old.reader != new.reader {
        return Some("moved");
    }
    None
}

/// A call was booked (`old` none) or changed, at `at`: both parties and
/// staff hear of its new state; a reader it was taken from hears it moved.
pub fn call_changed(old: Option<&CallRow<'_>>, new: &CallRow<'_>, at: &str) -> Vec<Broadcast> {
    let Some(state) = call_state(old, new) else {
        return Vec::new();
    };
    let payload = json!({
        "order_id": new.order_id,
        "state": state,
        "planned_start": new.planned_start,
        "planned_end": new.planned_end,
        "at": at,
    });
    let mut out = Vec::new();
    if let Some(client) = new.client {
        out.push(Broadcast::new(user_topic(client), "call", &payload));
    }
    if let Some(reader) = new.reader {
        out.push(Broadcast::new(user_topic(reader), "call", &payload));
    }
    if let Some(gone) = old
        .and_then(|o| o.reader)
        .filter(|r| Some(*r) != new.reader)
    {
        out.push(Broadcast::new(
            user_topic(gone),
            "call",
            &json!({ "order_id": new.order_id, "state": "moved", "at": at }),
        ));
    }
    out.push(Broadcast::new(STAFF_CALLS, "call", &payload));
    out
}

/// A new notification: its owner hears of it.
pub fn notification_created(
    id: i64,
    user: &str,
    kind: &str,
    order_id: Option<i64>,
    created_at: &str,
) -> Vec<Broadcast> {
    vec![Broadcast::new(
        user_topic(user),
        "notification",
        &json!({ "notification_id": id, "kind": kind, "order_id": order_id, "at": created_at }),
    )]
}

/// A phone verification moved from `old` to `new` status: its owner hears
/// of it (sent, verified, failed, expired, canceled).
pub fn phone_verification_changed(
    id: i64,
    user: Option<&str>,
    old: &str,
    new: &str,
    at: &str,
) -> Vec<Broadcast> {
    match user {
        Some(user) if old != new => vec![Broadcast::new(
            user_topic(user),
            "phone_verification",
            &json!({ "verification_id": id, "status": new, "at": at }),
        )],
        _ => Vec::new(),
    }
}

/// What the broadcasts need of a `horoscopes` row.
#[derive(Debug, Clone, Copy)]
pub struct HoroscopeRow<'a> {
    pub id: i64,
    pub scope: &'a str,
    pub zodiac: &'a str,
    pub ref_date: &'a str,
    pub approved: bool,
    pub rejected: bool,
}

impl HoroscopeRow<'_> {
    fn state(&self) -> &'static str {
        if self.approved {
            "published"
        } else if self.rejected {
            "rejected"
        } else {
            "draft"
        }
    }
}

/// A horoscope was drafted (`old` none) or changed, at `at`: staff hear of
/// every change of the review queue; everyone of a publication.
pub fn horoscope_changed(
    old: Option<&HoroscopeRow<'_>>,
    new: &HoroscopeRow<'_>,
    at: &str,
) -> Vec<Broadcast> {
    let payload = json!({
        "horoscope_id": new.id,
        "state": new.state(),
        "scope": new.scope,
        "zodiac": new.zodiac,
        "ref_date": new.ref_date,
        "at": at,
    });
    let mut out = vec![Broadcast::new(STAFF_HOROSCOPES, "horoscope", &payload)];
    if new.approved && !old.is_some_and(|o| o.approved) {
        out.push(Broadcast::new(
            HOROSCOPES,
            "horoscope_published",
            &json!({
                "horoscope_id": new.id,
                "scope": new.scope,
                "zodiac": new.zodiac,
                "ref_date": new.ref_date,
                "at": at,
            }),
        ));
    }
    out
}

#[cfg(test)]
mod tests;
