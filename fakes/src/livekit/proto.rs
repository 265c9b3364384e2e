//! The two JSON spellings of LiveKit's protobuf messages, written from one
//! description: Twirp answers (proto names, every field, unset messages as
//! `null`; twirp's defaults, which LiveKit keeps) and webhook bodies
//! (protobuf JSON's camelCase, fields at their zero value left out:
//! livekit/protocol `utils/protojson`). 64-bit integers are strings in both.

use samia_sidecar::livekit::models::camel;
use serde_json::{Map, Value};

/// One field's value.
pub enum F {
    Str(String),
    U32(u32),
    I64(i64),
    Bool(bool),
    /// An enum value's name and number.
    Enum(&'static str, usize),
    Msg(Vec<(&'static str, F)>),
    /// A message field that is not set.
    Unset,
    List(Vec<F>),
    /// An empty `map<string, string>`.
    EmptyMap,
}

#[derive(Clone, Copy)]
pub enum Style {
    Twirp,
    Webhook,
}

impl F {
    fn is_zero(&self) -> bool {
        match self {
            F::Str(s) => s.is_empty(),
            F::U32(n) => *n == 0,
            F::I64(n) => *n == 0,
            F::Bool(b) => !*b,
            F::Enum(_, n) => *n == 0,
            F::Msg(_) => false,
            F::Unset | F::EmptyMap => true,
            F::List(items) => items.is_empty(),
        }
    }

    pub fn render(&self, style: Style) -> Value {
        match self {
            F::Str(s) => Value::String(s.clone()),
            F::U32(n) => Value::from(*n),
            F::I64(n) => Value::String(n.to_string()),
            F::Bool(b) => Value::Bool(*b),
            F::Enum(name, _) => Value::String((*name).to_string()),
            F::Unset => Value::Null,
            F::EmptyMap => Value::Object(Map::new()),
            F::List(items) => Value::Array(items.iter().map(|i| i.render(style)).collect()),
            F::Msg(fields) => {
                let mut out = Map::new();
                for (name, value) in fields {
                    match style {
                        Style::Twirp => {
                            out.insert((*name).to_string(), value.render(style));
                        }
                        Style::Webhook if !value.is_zero() => {
                            out.insert(camel(name), value.render(style));
                        }
                        Style::Webhook => {}
                    }
                }
                Value::Object(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_message_two_spellings() {
        let msg = F::Msg(vec![
            ("sid", F::Str("PA_1".into())),
            ("name", F::Str(String::new())),
            ("joined_at", F::I64(1717200000)),
            ("state", F::Enum("ACTIVE", 2)),
            ("kind", F::Enum("STANDARD", 0)),
            ("is_publisher", F::Bool(false)),
            ("version", F::Unset),
            ("attributes", F::EmptyMap),
        ]);
        assert_eq!(
            msg.render(Style::Twirp),
            json!({"sid": "PA_1", "name": "", "joined_at": "1717200000", "state": "ACTIVE",
                   "kind": "STANDARD", "is_publisher": false, "version": null, "attributes": {}})
        );
        assert_eq!(
            msg.render(Style::Webhook),
            json!({"sid": "PA_1", "joinedAt": "1717200000", "state": "ACTIVE"})
        );
    }
}
