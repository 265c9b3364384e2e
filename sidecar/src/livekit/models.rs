//! Rooms and participants as LiveKit describes them (`livekit_models.proto`),
//! read from either of its JSON spellings: Twirp answers use the proto names
//! (`joined_at`) with every field present, webhooks protobuf JSON's camelCase
//! (`joinedAt`) without fields at their zero value. 64-bit integers come as
//! strings, enums as names (or numbers, for values newer than the reader).

use serde_json::Value;

/// `ParticipantInfo.State`, by number.
pub const STATES: &[&str] = &["JOINING", "JOINED", "ACTIVE", "DISCONNECTED"];

/// `DisconnectReason`, by number.
pub const DISCONNECT_REASONS: &[&str] = &[
    "UNKNOWN_REASON",
    "CLIENT_INITIATED",
    "DUPLICATE_IDENTITY",
    "SERVER_SHUTDOWN",
    "PARTICIPANT_REMOVED",
    "ROOM_DELETED",
    "STATE_MISMATCH",
    "JOIN_FAILURE",
    "MIGRATION",
    "SIGNAL_CLOSE",
    "ROOM_CLOSED",
    "USER_UNAVAILABLE",
    "USER_REJECTED",
    "SIP_TRUNK_FAILURE",
    "CONNECTION_TIMEOUT",
    "MEDIA_FAILURE",
    "AGENT_ERROR",
];

/// `snake_case` to protobuf JSON's `lowerCamelCase`.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Field `name` (proto spelling) of `v`, under either spelling.
pub fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get(name)
        .or_else(|| v.get(camel(name)))
        .filter(|f| !f.is_null())
}

pub fn text(v: &Value, name: &str) -> Option<String> {
    field(v, name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// An integer field, as a number or a string of digits.
pub fn int(v: &Value, name: &str) -> Option<i64> {
    let f = field(v, name)?;
    f.as_i64().or_else(|| f.as_str()?.trim().parse().ok())
}

fn flag(v: &Value, name: &str) -> bool {
    field(v, name).and_then(Value::as_bool).unwrap_or(false)
}

fn count(v: &Value, name: &str) -> u32 {
    int(v, name)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// An enum field's name; absent means the zero value, `names[0]`.
pub fn enum_name(v: &Value, name: &str, names: &[&str]) -> String {
    match field(v, name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|i| names.get(usize::try_from(i).ok()?))
            .map(|s| s.to_string())
            .unwrap_or_else(|| n.to_string()),
        _ => names.first().map(|s| s.to_string()).unwrap_or_default(),
    }
}

/// A room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub sid: String,
    pub name: String,
    /// Unix seconds.
    pub creation_time: Option<i64>,
    pub num_participants: u32,
    /// Seconds the room stays open when nobody joins.
    pub empty_timeout: u32,
    /// Seconds the room stays open after the last participant left.
    pub departure_timeout: u32,
    /// 0: no limit.
    pub max_participants: u32,
}

impl Room {
    /// Needs a name; everything else may be missing.
    pub fn from_json(v: &Value) -> Option<Room> {
        Some(Room {
            sid: text(v, "sid").unwrap_or_default(),
            name: text(v, "name")?,
            creation_time: int(v, "creation_time").filter(|t| *t > 0),
            num_participants: count(v, "num_participants"),
            empty_timeout: count(v, "empty_timeout"),
            departure_timeout: count(v, "departure_timeout"),
            max_participants: count(v, "max_participants"),
        })
    }
}

/// A participant of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub sid: String,
    pub identity: String,
    pub name: Option<String>,
    /// `JOINING`, `JOINED`, `ACTIVE` or `DISCONNECTED`.
    pub state: String,
    /// Unix seconds.
    pub joined_at: Option<i64>,
    /// Joined with a hidden grant: the others do not see them (a monitor).
    pub hidden: bool,
    pub can_publish: bool,
    pub can_subscribe: bool,
    pub can_publish_data: bool,
    /// Why they left (`CLIENT_INITIATED`, `PARTICIPANT_REMOVED`,
    /// `ROOM_DELETED`, ...); `None` while connected or when LiveKit gave none.
    pub disconnect_reason: Option<String>,
}

impl Participant {
    /// Needs an identity; everything else may be missing.
    pub fn from_json(v: &Value) -> Option<Participant> {
        let none = Value::Null;
        let permission = field(v, "permission").unwrap_or(&none);
        let reason = enum_name(v, "disconnect_reason", DISCONNECT_REASONS);
        Some(Participant {
            sid: text(v, "sid").unwrap_or_default(),
            identity: text(v, "identity")?,
            name: text(v, "name"),
            state: enum_name(v, "state", STATES),
            joined_at: int(v, "joined_at").filter(|t| *t > 0),
            hidden: flag(permission, "hidden"),
            can_publish: flag(permission, "can_publish"),
            can_subscribe: flag(permission, "can_subscribe"),
            can_publish_data: flag(permission, "can_publish_data"),
            disconnect_reason: Some(reason).filter(|r| r != DISCONNECT_REASONS[0]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_spellings_read_the_same() {
        let twirp = json!({
            "sid": "PA_1", "identity": "u1", "name": "", "state": "ACTIVE",
            "joined_at": "1717200000", "disconnect_reason": "UNKNOWN_REASON",
            "permission": {"can_subscribe": true, "can_publish": false,
                           "can_publish_data": false, "hidden": true},
        });
        let hook = json!({
            "sid": "PA_1", "identity": "u1", "state": "ACTIVE", "joinedAt": "1717200000",
            "permission": {"canSubscribe": true, "hidden": true},
        });
        let a = Participant::from_json(&twirp).expect("a participant");
        assert_eq!(Participant::from_json(&hook), Some(a.clone()));
        assert!(a.hidden && a.can_subscribe && !a.can_publish);
        assert_eq!(
            (a.joined_at, a.name, a.disconnect_reason),
            (Some(1717200000), None, None)
        );
    }

    #[test]
    fn enums_come_as_names_or_numbers_and_zero_is_absent() {
        let left = json!({"identity": "u1", "state": 3, "disconnectReason": 4});
        let p = Participant::from_json(&left).expect("a participant");
        assert_eq!(p.state, "DISCONNECTED");
        assert_eq!(p.disconnect_reason.as_deref(), Some("PARTICIPANT_REMOVED"));
        let joining = Participant::from_json(&json!({"identity": "u2"})).expect("a participant");
        assert_eq!(joining.state, "JOINING");
        let future = json!({"identity": "u3", "disconnectReason": 99});
        assert_eq!(
            Participant::from_json(&future)
                .and_then(|p| p.disconnect_reason)
                .as_deref(),
            Some("99")
        );
        assert!(Participant::from_json(&json!({"sid": "PA_1"})).is_none());
    }

    #[test]
    fn rooms_need_a_name() {
        let room = Room::from_json(&json!({
            "sid": "RM_1", "name": "call-7", "creationTime": "1717200000",
            "emptyTimeout": 300, "departureTimeout": 20,
        }))
        .expect("a room");
        assert_eq!(
            (
                room.creation_time,
                room.empty_timeout,
                room.num_participants
            ),
            (Some(1717200000), 300, 0)
        );
        assert!(Room::from_json(&json!({"sid": "RM_1"})).is_none());
        assert_eq!(camel("creation_time_ms"), "creationTimeMs");
    }
}
