//! Every kind of notice and the parameters its messages take, as data.
//!
//! [`KINDS`] is the one list: `render` reads it to check a notice's
//! parameters, the catalog tests read it to hold both catalogs to it, and
//! docs/notifications.md describes it. A parameter's type is the same in every
//! kind that takes it ([`PARAMS`]).

use crate::zodiac::Sign;

/// One kind of notice (`notifications.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: &'static str,
    /// Every parameter its messages may use, required unless in `optional`.
    pub params: &'static [&'static str],
    /// The parameters holding an instant (RFC 3339), shown in the receiver's
    /// time zone and formatted for their locale.
    pub times: &'static [&'static str],
    /// The parameters that may be left out (absent, `null` or blank). Each
    /// has an attribute of its own name in the kind's message, added to the
    /// body after a space when the parameter is given.
    pub optional: &'static [&'static str],
}

/// What a parameter holds, and so how `render` checks it and hands it to the
/// catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Free text (a service name, a reason): a JSON string, shown as given.
    Text,
    /// A JSON number or a string of one: formatted for the locale (Arabic-Indic
    /// digits in Arabic), and chosen on by plural category in the catalogs.
    Number,
    /// An instant as an RFC 3339 string: shown in the receiver's time zone.
    Time,
    /// A calendar day `YYYY-MM-DD`: the catalogs format it with `DAY()` or
    /// `MONTH()`; no time zone applies.
    Date,
    /// A sign's English name (`Aries`, as stored in the database); the
    /// catalogs name it in their language.
    Sign,
    /// One of a fixed list of words, chosen on in the catalogs.
    OneOf(&'static [&'static str]),
}

/// The type of every parameter name any kind uses.
pub const PARAMS: &[(&str, ParamType)] = &[
    ("order_id", ParamType::Number),
    ("reason", ParamType::Text),
    ("service", ParamType::Text),
    ("start", ParamType::Time),
    ("pre_ritual", ParamType::Text),
    ("minutes", ParamType::Number),
    ("role", ParamType::OneOf(ROLES)),
    ("zodiac", ParamType::Sign),
    ("scope", ParamType::OneOf(SCOPES)),
    ("ref_date", ParamType::Date),
];

/// Whom a call notice addresses (`role`): the client who booked the call, or
/// the reader who takes it. Only the kinds whose wording differs between the
/// two take it; the others read the same to both parties.
pub const ROLES: &[&str] = &["client", "reader"];

/// A horoscope's period (`horoscopes.scope`).
pub const SCOPES: &[&str] = &["daily", "monthly"];

const NONE: &[&str] = &[];

/// Every kind of notice.
pub const KINDS: &[KindSpec] = &[
    // To the client: an audio reading was approved and delivered.
    KindSpec {
        kind: "order.delivered",
        params: &["order_id"],
        times: NONE,
        optional: NONE,
    },
    // To the client: a call order was delivered (the call took place).
    KindSpec {
        kind: "order.call_completed",
        params: &["order_id"],
        times: NONE,
        optional: NONE,
    },
    // To the reader: a monitor rejected their recording, with the reason.
    KindSpec {
        kind: "order.rejected",
        params: &["order_id", "reason"],
        times: NONE,
        optional: NONE,
    },
    // To the client (with the healing pre-ritual, when the service has one)
    // and to the reader.
    KindSpec {
        kind: "call.booked",
        params: &["order_id", "role", "service", "start", "pre_ritual"],
        times: &["start"],
        optional: &["pre_ritual"],
    },
    // To both parties: the call has a new time.
    KindSpec {
        kind: "call.moved",
        params: &["order_id", "service", "start"],
        times: &["start"],
        optional: NONE,
    },
    // To both parties, `minutes` before the call (24 hours and 15 minutes).
    KindSpec {
        kind: "call.reminder",
        params: &[
            "order_id",
            "role",
            "service",
            "start",
            "minutes",
            "pre_ritual",
        ],
        times: &["start"],
        optional: &["pre_ritual"],
    },
    // To both parties: the call's room is open.
    KindSpec {
        kind: "call.starting",
        params: &["order_id", "service"],
        times: NONE,
        optional: NONE,
    },
    // To the admins: the reader did not join in time; the order was cancelled.
    KindSpec {
        kind: "call.missed",
        params: &["order_id"],
        times: NONE,
        optional: NONE,
    },
    // To both parties: a monitor ended the call; the order was cancelled.
    KindSpec {
        kind: "call.dropped",
        params: &["order_id"],
        times: NONE,
        optional: NONE,
    },
    // To the user: their phone number is verified.
    KindSpec {
        kind: "phone.verified",
        params: NONE,
        times: NONE,
        optional: NONE,
    },
    // To the users of a sign: its daily or monthly horoscope is out.
    KindSpec {
        kind: "horoscope.published",
        params: &["zodiac", "scope", "ref_date"],
        times: NONE,
        optional: NONE,
    },
];

/// The kind named `kind`, if there is one.
pub fn spec(kind: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The type of the parameter `name` ([`PARAMS`]).
pub fn param_type(name: &str) -> Option<ParamType> {
    PARAMS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The catalogs' message for a kind: its name with `.` written `-`, as Fluent
/// identifiers have no dots (`call.booked` is `call-booked`).
pub fn message_id(kind: &str) -> String {
    kind.replace('.', "-")
}

/// The signs' English names, in zodiac order.
pub const SIGN_NAMES: [&str; 12] = {
    let mut out = [""; 12];
    let mut i = 0;
    while i < 12 {
        out[i] = Sign::ALL[i].name();
        i += 1;
    }
    out
};
