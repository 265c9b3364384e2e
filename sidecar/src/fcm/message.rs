//! A push notification and the `messages:send` body it becomes, with FCM's
//! limits checked before anything is sent (the fake FCM checks the same):
//!
//! - `data` keys may not be `from` or `message_type`, nor start with
//!   `google` or `gcm` (FCM's reserved words);
//! - the title, body and data keys and values together hold at most 4096
//!   bytes;
//! - a collapse key is at most 64 bytes (APNs' limit on `apns-collapse-id`).
//!
//! A time-critical push goes with Android priority `HIGH` and
//! `apns-priority` `10` (delivered at once, waking the device); the others
//! with `NORMAL` and `5` (delivered when convenient for the battery).

use super::errors::FcmError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `data` keys FCM keeps for itself.
pub const RESERVED_DATA_KEYS: &[&str] = &["from", "message_type"];

/// Prefixes of `data` keys FCM keeps for itself.
pub const RESERVED_DATA_PREFIXES: &[&str] = &["google", "gcm"];

/// The most bytes of title, body and data (keys and values) in one message.
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// The longest collapse key (APNs' limit on `apns-collapse-id`).
pub const MAX_COLLAPSE_KEY_BYTES: usize = 64;

/// One push notification to one device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushMessage {
    /// The device's FCM registration token.
    pub token: String,
    pub title: String,
    pub body: String,
    /// What the app reads (`kind`, `order_id`, ...); strings only, as FCM
    /// takes them.
    pub data: BTreeMap<String, String>,
    /// Pushes with the same key replace each other on the device while
    /// undelivered (Android `collapse_key`, APNs `apns-collapse-id`).
    pub collapse_key: Option<String>,
    /// Delivered at once (a call starting) rather than when convenient.
    pub time_critical: bool,
}

/// Why FCM would refuse `key` as a `data` key, if it would.
pub fn reserved_data_key(key: &str) -> Option<String> {
    if key.is_empty() {
        return Some("a data key is empty".into());
    }
    if RESERVED_DATA_KEYS.contains(&key) {
        return Some(format!("the data key {key:?} is reserved by FCM"));
    }
    RESERVED_DATA_PREFIXES
        .iter()
        .find(|p| key.starts_with(**p))
        .map(|p| format!("the data key {key:?} starts with {p:?}, reserved by FCM"))
}

/// Whether `token` looks like a registration token: URL-safe base64 and
/// `:` (what FCM issues), nothing else.
pub fn is_token_shaped(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
}

impl PushMessage {
    /// What FCM would refuse in this message, if anything.
    pub fn check(&self) -> Result<(), FcmError> {
        let refuse = |what: String| Err(FcmError::Request(format!("a push was not sent: {what}")));
        if !is_token_shaped(&self.token) {
            return refuse("the device token is empty or not an FCM registration token".into());
        }
        if self.title.trim().is_empty() && self.body.trim().is_empty() {
            return refuse("it has neither a title nor a body".into());
        }
        if let Some(why) = self.data.keys().find_map(|k| reserved_data_key(k)) {
            return refuse(why);
        }
        let size = self.title.len()
            + self.body.len()
            + self
                .data
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>();
        if size > MAX_PAYLOAD_BYTES {
            return refuse(format!(
                "its title, body and data hold {size} bytes, over FCM's {MAX_PAYLOAD_BYTES}"
            ));
        }
        if let Some(key) = &self.collapse_key {
            if key.is_empty() || key.len() > MAX_COLLAPSE_KEY_BYTES {
                return refuse(format!(
                    "its collapse key is empty or over {MAX_COLLAPSE_KEY_BYTES} bytes"
                ));
            }
        }
        Ok(())
    }

    /// The `messages:send` body, once [`check`](Self::check)ed.
    pub fn body(&self) -> Result<Value, FcmError> {
        self.check()?;
        let (android_priority, apns_priority) = if self.time_critical {
            ("HIGH", "10")
        } else {
            ("NORMAL", "5")
        };
        let mut android = Map::new();
        android.insert("priority".into(), json!(android_priority));
        let mut headers = Map::new();
        headers.insert("apns-priority".into(), json!(apns_priority));
        if let Some(key) = &self.collapse_key {
            android.insert("collapse_key".into(), json!(key));
            headers.insert("apns-collapse-id".into(), json!(key));
        }
        let mut message = Map::new();
        message.insert("token".into(), json!(self.token));
        message.insert(
            "notification".into(),
            json!({ "title": self.title, "body": self.body }),
        );
        if !self.data.is_empty() {
            message.insert("data".into(), json!(self.data));
        }
        message.insert("android".into(), Value::Object(android));
        message.insert("apns".into(), json!({ "headers": headers }));
        Ok(json!({ "message": message }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push() -> PushMessage {
        PushMessage {
            token: "dTok3n:APA91b-x_y".into(),
            title: "Your reading is ready".into(),
            body: "Open the app to read it".into(),
            data: BTreeMap::from([
                ("kind".to_string(), "order.delivered".to_string()),
                ("order_id".to_string(), "42".to_string()),
            ]),
            collapse_key: Some("order-42".into()),
            time_critical: false,
        }
    }

    #[test]
    fn the_body_is_fcms_message_shape() {
        assert_eq!(
            push().body().expect("valid"),
            json!({ "message": {
                "token": "dTok3n:APA91b-x_y",
                "notification": { "title": "Your reading is ready", "body": "Open the app to read it" },
                "data": { "kind": "order.delivered", "order_id": "42" },
                "android": { "priority": "NORMAL", "collapse_key": "order-42" },
                "apns": { "headers": { "apns-priority": "5", "apns-collapse-id": "order-42" } },
            }})
        );
        let urgent = PushMessage {
            time_critical: true,
            collapse_key: None,
            data: BTreeMap::new(),
            ..push()
        };
        assert_eq!(
            urgent.body().expect("valid"),
            json!({ "message": {
                "token": "dTok3n:APA91b-x_y",
                "notification": { "title": "Your reading is ready", "body": "Open the app to read it" },
                "android": { "priority": "HIGH" },
                "apns": { "headers": { "apns-priority": "10" } },
            }})
        );
    }

    #[test]
    fn what_fcm_would_refuse_is_refused_first() {
        let data = |k: &str| PushMessage {
            data: BTreeMap::from([(k.to_string(), "v".to_string())]),
            ..push()
        };
        for (message, says) in [
            (
                PushMessage {
                    token: String::new(),
                    ..push()
                },
                "device token",
            ),
            (
                PushMessage {
                    token: "a b".into(),
                    ..push()
                },
                "device token",
            ),
            (
                PushMessage {
                    title: " ".into(),
                    body: String::new(),
                    ..push()
                },
                "neither a title",
            ),
            (data("from"), "\"from\" is reserved"),
            (data("message_type"), "reserved"),
            (data("google.sent_time"), "starts with \"google\""),
            (data("gcm.n.e"), "starts with \"gcm\""),
            (data(""), "empty"),
            (
                PushMessage {
                    body: "x".repeat(4096),
                    ..push()
                },
                "over FCM's 4096",
            ),
            (
                PushMessage {
                    collapse_key: Some("k".repeat(65)),
                    ..push()
                },
                "collapse key",
            ),
        ] {
            let e = message.body().expect_err("refused");
            assert!(matches!(e, FcmError::Request(_)), "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
        assert!(PushMessage {
            collapse_key: Some("k".repeat(64)),
            ..push()
        }
        .check()
        .is_ok());
    }
}
