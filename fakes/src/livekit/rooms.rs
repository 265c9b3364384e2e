//! The fake's rooms and who is in them, with LiveKit's rules
//! (livekit/livekit `pkg/rtc/room.go`, `pkg/service/roomservice.go`):
//!
//! - A room starts when it is created (CreateRoom) or when its first
//!   participant joins (rooms are created on join, LiveKit's `auto_create`).
//! - A second connection with an identity already in the room replaces the
//!   first, which leaves with `DUPLICATE_IDENTITY`.
//! - A room closes by itself when nobody is in it: `departure_timeout`
//!   seconds after the last one left (default 20), or `empty_timeout`
//!   seconds after it was created when nobody ever joined (default 300).
//!   Hidden participants count: they keep a room open.
//! - Deleting a room disconnects everyone with `ROOM_DELETED`; removing a
//!   participant disconnects them with `PARTICIPANT_REMOVED`.
//!
//! Every change returns the webhook events it causes, in order.

use super::proto::{Style, F};
use samia_sidecar::livekit::models::{DISCONNECT_REASONS, STATES};
use samia_sidecar::livekit::token::{unix, VideoGrant};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `DisconnectReason` numbers used here.
pub const CLIENT_INITIATED: usize = 1;
pub const DUPLICATE_IDENTITY: usize = 2;
pub const PARTICIPANT_REMOVED: usize = 4;
pub const ROOM_DELETED: usize = 5;
pub const ROOM_CLOSED: usize = 10;

const ACTIVE: usize = 2;
const DISCONNECTED: usize = 3;

/// The number of a `DisconnectReason` name.
pub fn reason_number(name: &str) -> Option<usize> {
    DISCONNECT_REASONS.iter().position(|r| *r == name)
}

/// A new sid: `prefix` and 12 characters, as LiveKit's look.
pub fn sid(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}{}", &random[..12])
}

fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn secs(at: SystemTime) -> i64 {
    i64::try_from(unix(at)).unwrap_or(i64::MAX)
}

struct Member {
    sid: String,
    identity: String,
    name: String,
    joined_at: SystemTime,
    grant: VideoGrant,
    is_publisher: bool,
    version: u32,
    state: usize,
    reason: usize,
}

impl Member {
    fn proto(&self) -> F {
        let g = &self.grant;
        F::Msg(vec![
            ("sid", F::Str(self.sid.clone())),
            ("identity", F::Str(self.identity.clone())),
            ("state", F::Enum(STATES[self.state], self.state)),
            ("tracks", F::List(Vec::new())),
            ("metadata", F::Str(String::new())),
            ("joined_at", F::I64(secs(self.joined_at))),
            ("joined_at_ms", F::I64(millis(self.joined_at))),
            ("name", F::Str(self.name.clone())),
            ("version", F::U32(self.version)),
            (
                "permission",
                F::Msg(vec![
                    ("can_subscribe", F::Bool(g.may_subscribe())),
                    ("can_publish", F::Bool(g.may_publish())),
                    ("can_publish_data", F::Bool(g.may_publish_data())),
                    ("can_publish_sources", F::List(Vec::new())),
                    ("hidden", F::Bool(g.hidden)),
                    ("recorder", F::Bool(false)),
                    ("can_update_metadata", F::Bool(false)),
                    ("agent", F::Bool(false)),
                    ("can_subscribe_metrics", F::Bool(false)),
                    ("can_manage_agent_session", F::Bool(false)),
                ]),
            ),
            ("region", F::Str(String::new())),
            ("is_publisher", F::Bool(self.is_publisher)),
            ("kind", F::Enum("STANDARD", 0)),
            ("attributes", F::EmptyMap),
            (
                "disconnect_reason",
                F::Enum(DISCONNECT_REASONS[self.reason], self.reason),
            ),
            ("kind_details", F::List(Vec::new())),
            ("data_tracks", F::List(Vec::new())),
            ("client_protocol", F::U32(0)),
            ("capabilities", F::List(Vec::new())),
        ])
    }
}

struct Room {
    sid: String,
    name: String,
    created_at: SystemTime,
    empty_timeout: u32,
    departure_timeout: u32,
    max_participants: u32,
    metadata: String,
    members: Vec<Member>,
    ever_joined: bool,
    last_left: Option<SystemTime>,
}

impl Room {
    fn proto(&self) -> F {
        let publishers = self.members.iter().filter(|m| m.is_publisher).count();
        F::Msg(vec![
            ("sid", F::Str(self.sid.clone())),
            ("name", F::Str(self.name.clone())),
            ("empty_timeout", F::U32(self.empty_timeout)),
            ("departure_timeout", F::U32(self.departure_timeout)),
            ("max_participants", F::U32(self.max_participants)),
            ("creation_time", F::I64(secs(self.created_at))),
            ("creation_time_ms", F::I64(millis(self.created_at))),
            ("turn_password", F::Str(String::new())),
            ("enabled_codecs", F::List(Vec::new())),
            ("metadata", F::Str(self.metadata.clone())),
            (
                "num_participants",
                F::U32(u32::try_from(self.members.len()).unwrap_or(u32::MAX)),
            ),
            (
                "num_publishers",
                F::U32(u32::try_from(publishers).unwrap_or(u32::MAX)),
            ),
            ("active_recording", F::Bool(false)),
            ("version", F::Unset),
        ])
    }
}

/// A webhook event to send: its kind, and the room and participant as
/// the webhook body spells them.
#[derive(Debug, Clone)]
pub struct Emit {
    pub event: &'static str,
    pub room: Value,
    pub participant: Option<Value>,
}

impl Emit {
    fn room(event: &'static str, room: &Room) -> Emit {
        Emit {
            event,
            room: room.proto().render(Style::Webhook),
            participant: None,
        }
    }

    fn member(event: &'static str, room: &Room, member: &Member) -> Emit {
        Emit {
            event,
            room: room.proto().render(Style::Webhook),
            participant: Some(member.proto().render(Style::Webhook)),
        }
    }
}

/// The room settings of a CreateRoom (0: the server's default).
#[derive(Debug, Clone, Default)]
pub struct Create {
    pub name: String,
    pub empty_timeout: u32,
    pub departure_timeout: u32,
    pub max_participants: u32,
    pub metadata: String,
}

/// Why a participant could not join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinRefusal {
    Full(u32),
}

/// Why a participant could not publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishRefusal {
    NotInRoom,
    NotAllowed,
}

pub struct Rooms {
    rooms: BTreeMap<String, Room>,
    empty_timeout: u32,
    departure_timeout: u32,
}

impl Rooms {
    pub fn new(empty_timeout: u32, departure_timeout: u32) -> Rooms {
        Rooms {
            rooms: BTreeMap::new(),
            empty_timeout,
            departure_timeout,
        }
    }

    fn open(&mut self, create: &Create, now: SystemTime, emits: &mut Vec<Emit>) -> &mut Room {
        let defaults = (self.empty_timeout, self.departure_timeout);
        self.rooms.entry(create.name.clone()).or_insert_with(|| {
            let room = Room {
                sid: sid("RM_"),
                name: create.name.clone(),
                created_at: now,
                empty_timeout: Some(create.empty_timeout)
                    .filter(|t| *t > 0)
                    .unwrap_or(defaults.0),
                departure_timeout: Some(create.departure_timeout)
                    .filter(|t| *t > 0)
                    .unwrap_or(defaults.1),
                max_participants: create.max_participants,
                metadata: create.metadata.clone(),
                members: Vec::new(),
                ever_joined: false,
                last_left: None,
            };
            emits.push(Emit::room("room_started", &room));
            room
        })
    }

    /// CreateRoom: the room (Twirp's spelling), new or as it was.
    pub fn create(&mut self, create: &Create, now: SystemTime) -> (Value, Vec<Emit>) {
        let mut emits = Vec::new();
        let room = self.open(create, now, &mut emits);
        (room.proto().render(Style::Twirp), emits)
    }

    /// A participant connects with a checked grant for `room`: the
    /// participant (Twirp's spelling).
    pub fn join(
        &mut self,
        room: &str,
        identity: &str,
        name: &str,
        grant: &VideoGrant,
        now: SystemTime,
    ) -> Result<(Value, Vec<Emit>), JoinRefusal> {
        if let Some(existing) = self.rooms.get(room) {
            let max = existing.max_participants;
            let present = existing.members.iter().any(|m| m.identity == identity);
            if max > 0 && !present && existing.members.len() >= max as usize {
                return Err(JoinRefusal::Full(max));
            }
        }
        let mut emits = Vec::new();
        let create = Create {
            name: room.to_string(),
            ..Create::default()
        };
        let room = self.open(&create, now, &mut emits);
        if let Some(at) = room.members.iter().position(|m| m.identity == identity) {
            let mut old = room.members.remove(at);
            old.state = DISCONNECTED;
            old.reason = DUPLICATE_IDENTITY;
            old.version += 1;
            emits.push(Emit::member("participant_left", room, &old));
        }
        room.members.push(Member {
            sid: sid("PA_"),
            identity: identity.to_string(),
            name: name.to_string(),
            joined_at: now,
            grant: grant.clone(),
            is_publisher: false,
            version: 1,
            state: ACTIVE,
            reason: 0,
        });
        room.ever_joined = true;
        let member = room.members.last().map(Member::proto).unwrap_or(F::Unset);
        if let Some(joined) = room.members.last() {
            emits.push(Emit::member("participant_joined", room, joined));
        }
        Ok((member.render(Style::Twirp), emits))
    }

    /// `identity` leaves `room` for `reason`; `None` when not there.
    pub fn leave(
        &mut self,
        room: &str,
        identity: &str,
        reason: usize,
        now: SystemTime,
    ) -> Option<Vec<Emit>> {
        let room = self.rooms.get_mut(room)?;
        let at = room.members.iter().position(|m| m.identity == identity)?;
        let mut gone = room.members.remove(at);
        gone.state = DISCONNECTED;
        gone.reason = reason;
        gone.version += 1;
        room.last_left = Some(now);
        Some(vec![Emit::member("participant_left", room, &gone)])
    }

    /// `identity` starts publishing a track, if its grant allows it.
    pub fn publish(&mut self, room: &str, identity: &str) -> Result<Value, PublishRefusal> {
        let member = self
            .rooms
            .get_mut(room)
            .and_then(|r| r.members.iter_mut().find(|m| m.identity == identity))
            .ok_or(PublishRefusal::NotInRoom)?;
        if !member.grant.may_publish() {
            return Err(PublishRefusal::NotAllowed);
        }
        member.is_publisher = true;
        member.version += 1;
        Ok(member.proto().render(Style::Twirp))
    }

    /// The room closes: everyone in it leaves for `reason`, then the room
    /// finishes. `None` when there is no such room.
    pub fn close(&mut self, room: &str, reason: usize, now: SystemTime) -> Option<Vec<Emit>> {
        let mut room = self.rooms.remove(room)?;
        let mut emits = Vec::new();
        while !room.members.is_empty() {
            let mut gone = room.members.remove(0);
            gone.state = DISCONNECTED;
            gone.reason = reason;
            gone.version += 1;
            emits.push(Emit::member("participant_left", &room, &gone));
        }
        room.last_left = Some(now);
        emits.push(Emit::room("room_finished", &room));
        Some(emits)
    }

    /// Closes every room that has been empty past its timeout at `now`.
    pub fn close_idle(&mut self, now: SystemTime) -> Vec<Emit> {
        let idle: Vec<String> = self
            .rooms
            .values()
            .filter(|r| r.members.is_empty())
            .filter(|r| {
                let (since, timeout) = match (r.ever_joined, r.last_left) {
                    (true, Some(left)) => (left, r.departure_timeout),
                    _ => (r.created_at, r.empty_timeout),
                };
                now.duration_since(since).unwrap_or(Duration::ZERO)
                    >= Duration::from_secs(u64::from(timeout))
            })
            .map(|r| r.name.clone())
            .collect();
        idle.iter()
            .filter_map(|name| self.close(name, ROOM_CLOSED, now))
            .flatten()
            .collect()
    }

    /// ListParticipants (Twirp's spelling): none for an unknown room.
    pub fn participants(&self, room: &str) -> Vec<Value> {
        self.rooms
            .get(room)
            .map(|r| {
                r.members
                    .iter()
                    .map(|m| m.proto().render(Style::Twirp))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[cfg(test)]
    pub fn exists(&self, room: &str) -> bool {
        self.rooms.contains_key(room)
    }

    /// Every open room with its participants, for tests.
    pub fn snapshot(&self) -> Value {
        Value::Array(
            self.rooms
                .values()
                .map(|r| {
                    let mut room = r.proto().render(Style::Twirp);
                    room["participants"] = json!(self.participants(&r.name));
                    room
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_717_200_000 + secs)
    }

    fn kinds(emits: &[Emit]) -> Vec<&'static str> {
        emits.iter().map(|e| e.event).collect()
    }

    fn reason(e: &Emit) -> Option<&str> {
        e.participant.as_ref()?.get("disconnectReason")?.as_str()
    }

    #[test]
    fn joining_starts_the_room_and_a_second_connection_replaces_the_first() {
        let mut rooms = Rooms::new(300, 20);
        let grant = VideoGrant::default();
        let (p, emits) = rooms
            .join("call-1", "u1", "Ann", &grant, at(0))
            .expect("joined");
        assert_eq!(kinds(&emits), ["room_started", "participant_joined"]);
        assert_eq!(p["state"], "ACTIVE");
        assert_eq!(p["joined_at"], "1717200000");
        let joined = emits[1].participant.as_ref().expect("a participant");
        assert_eq!(joined["joinedAt"], "1717200000");
        assert_eq!(joined.get("disconnectReason"), None, "zero is left out");
        assert_eq!(emits[1].room["numParticipants"], 1);
        let (_, again) = rooms
            .join("call-1", "u1", "Ann", &grant, at(5))
            .expect("joined");
        assert_eq!(kinds(&again), ["participant_left", "participant_joined"]);
        assert_eq!(reason(&again[0]), Some("DUPLICATE_IDENTITY"));
        assert_eq!(rooms.participants("call-1").len(), 1);
    }

    #[test]
    fn an_empty_room_closes_after_its_timeouts() {
        let mut rooms = Rooms::new(300, 20);
        rooms.create(
            &Create {
                name: "never".into(),
                ..Create::default()
            },
            at(0),
        );
        rooms
            .join("call-1", "u1", "", &VideoGrant::default(), at(0))
            .expect("joined");
        let left = rooms
            .leave("call-1", "u1", CLIENT_INITIATED, at(10))
            .expect("was there");
        assert_eq!(reason(&left[0]), Some("CLIENT_INITIATED"));
        assert!(rooms.close_idle(at(29)).is_empty());
        let closed = rooms.close_idle(at(30));
        assert_eq!(kinds(&closed), ["room_finished"]);
        assert_eq!(closed[0].room["name"], "call-1");
        assert!(rooms.exists("never"));
        assert_eq!(kinds(&rooms.close_idle(at(300))), ["room_finished"]);
        assert!(!rooms.exists("never"));
    }

    #[test]
    fn closing_a_room_disconnects_everyone_first() {
        let mut rooms = Rooms::new(300, 20);
        let grant = VideoGrant::default();
        for who in ["u1", "u2"] {
            rooms
                .join("call-1", who, "", &grant, at(0))
                .expect("joined");
        }
        let emits = rooms.close("call-1", ROOM_DELETED, at(9)).expect("a room");
        assert_eq!(
            kinds(&emits),
            ["participant_left", "participant_left", "room_finished"]
        );
        assert!(emits[..2].iter().all(|e| reason(e) == Some("ROOM_DELETED")));
        assert!(rooms.close("call-1", ROOM_DELETED, at(9)).is_none());
    }

    #[test]
    fn a_full_room_refuses_newcomers_but_not_a_reconnection() {
        let mut rooms = Rooms::new(300, 20);
        let create = Create {
            name: "call-1".into(),
            max_participants: 1,
            ..Create::default()
        };
        rooms.create(&create, at(0));
        let grant = VideoGrant::default();
        rooms
            .join("call-1", "u1", "", &grant, at(1))
            .expect("joined");
        assert_eq!(
            rooms.join("call-1", "u2", "", &grant, at(2)).map(|_| ()),
            Err(JoinRefusal::Full(1))
        );
        assert!(rooms.join("call-1", "u1", "", &grant, at(3)).is_ok());
    }
}
