//! The shape of a `messages:send` body, checked as FCM checks it: unknown
//! fields refused by Google's JSON parser, one recipient, string data
//! without FCM's reserved keys, Android priorities and TTLs, APNs headers,
//! and the 4096-byte payload limit (the rules of
//! `samia_sidecar::fcm::message`).

use super::answers::FcmRefusal;
use samia_sidecar::fcm::message::{
    is_token_shaped, reserved_data_key, MAX_COLLAPSE_KEY_BYTES, MAX_PAYLOAD_BYTES,
};
use serde_json::{Map, Value};

/// The fields of each object FCM's parser knows (both the proto and the
/// JSON spelling, as Google's parser takes either).
const MESSAGE_FIELDS: &[&str] = &[
    "name",
    "data",
    "notification",
    "android",
    "webpush",
    "apns",
    "fcm_options",
    "fcmOptions",
    "token",
    "topic",
    "condition",
];
const NOTIFICATION_FIELDS: &[&str] = &["title", "body", "image"];
const ANDROID_FIELDS: &[&str] = &[
    "collapse_key",
    "collapseKey",
    "priority",
    "ttl",
    "restricted_package_name",
    "restrictedPackageName",
    "data",
    "notification",
    "fcm_options",
    "fcmOptions",
    "direct_boot_ok",
    "directBootOk",
];
const APNS_FIELDS: &[&str] = &["headers", "payload", "fcm_options", "fcmOptions"];
const APNS_PRIORITIES: &[&str] = &["1", "5", "10"];

/// A message FCM would take: where it goes and whether only to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub message: Value,
    /// The registration token, when the message names one (not a topic).
    pub token: Option<String>,
    pub validate_only: bool,
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, FcmRefusal> {
    value.as_object().ok_or_else(|| {
        FcmRefusal::unparsable(format!(
            "Invalid value at '{at}': expected an object, got {value}"
        ))
    })
}

fn known(fields: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), FcmRefusal> {
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(name) => Err(FcmRefusal::unparsable(format!(
            "Unknown name \"{name}\" at '{at}': Cannot find field."
        ))),
        None => Ok(()),
    }
}

fn string<'a>(
    fields: &'a Map<String, Value>,
    names: &[&str],
    at: &str,
) -> Result<Option<&'a str>, FcmRefusal> {
    for name in names {
        match fields.get(*name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => return Ok(Some(s)),
            Some(other) => {
                return Err(FcmRefusal::unparsable(format!(
                    "Invalid value at '{at}.{name}' (TYPE_STRING), {other}"
                )))
            }
        }
    }
    Ok(None)
}

/// Checks `body` as FCM does.
pub fn check(body: &[u8]) -> Result<Accepted, FcmRefusal> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| FcmRefusal::unparsable(format!("Syntax error: {e}")))?;
    let top = object(&json, "")?;
    known(top, &["message", "validate_only", "validateOnly"], "")?;
    let validate_only = matches!(
        top.get("validate_only").or(top.get("validateOnly")),
        Some(Value::Bool(true))
    );
    let message_value = top
        .get("message")
        .ok_or_else(|| FcmRefusal::invalid("message", "Message must be set."))?;
    let message = object(message_value, "message")?;
    known(message, MESSAGE_FIELDS, "message")?;

    let targets: Vec<&str> = ["token", "topic", "condition"]
        .into_iter()
        .filter(|t| message.get(*t).is_some_and(|v| !v.is_null()))
        .collect();
    match targets.len() {
        0 => {
            return Err(FcmRefusal::invalid(
                "message",
                "Recipient of the message is not set.",
            ))
        }
        1 => {}
        _ => {
            return Err(FcmRefusal::unparsable(format!(
                "Oneof field 'target' is already set. Cannot set '{}'",
                targets[1]
            )))
        }
    }
    let token = string(message, &["token"], "message")?.map(str::to_string);
    if let Some(token) = &token {
        if !is_token_shaped(token) {
            return Err(FcmRefusal::invalid(
                "message.token",
                "The registration token is not a valid FCM registration token",
            ));
        }
    }
    string(message, &["topic"], "message")?;
    string(message, &["condition"], "message")?;

    let mut size = 0;
    if let Some(data) = message.get("data").filter(|d| !d.is_null()) {
        size += check_data(object(data, "message.data")?, "message.data")?;
    }
    if let Some(notification) = message.get("notification").filter(|n| !n.is_null()) {
        let fields = object(notification, "message.notification")?;
        known(fields, NOTIFICATION_FIELDS, "message.notification")?;
        for name in NOTIFICATION_FIELDS {
            size += string(fields, &[name], "message.notification")?.map_or(0, str::len);
        }
    }
    if size > MAX_PAYLOAD_BYTES {
        return Err(FcmRefusal::invalid(
            "message",
            format!("Message is too big: {size} bytes of payload, at most {MAX_PAYLOAD_BYTES}"),
        ));
    }
    if let Some(android) = message.get("android").filter(|a| !a.is_null()) {
        check_android(object(android, "message.android")?)?;
    }
    if let Some(apns) = message.get("apns").filter(|a| !a.is_null()) {
        check_apns(object(apns, "message.apns")?)?;
    }
    Ok(Accepted {
        message: message_value.clone(),
        token,
        validate_only,
    })
}

/// String values, no reserved key; the bytes of keys and values.
fn check_data(data: &Map<String, Value>, at: &str) -> Result<usize, FcmRefusal> {
    let mut size = 0;
    for (i, (key, value)) in data.iter().enumerate() {
        let Some(value) = value.as_str() else {
            return Err(FcmRefusal::unparsable(format!(
                "Invalid value at '{at}[{i}].value' (TYPE_STRING), {value}"
            ))
            .field(&format!("{at}[{i}].value"), "expected a string"));
        };
        if let Some(why) = reserved_data_key(key) {
            return Err(FcmRefusal::invalid(
                at,
                format!("Invalid data payload key: {why}"),
            ));
        }
        size += key.len() + value.len();
    }
    Ok(size)
}

fn check_android(android: &Map<String, Value>) -> Result<(), FcmRefusal> {
    let at = "message.android";
    known(android, ANDROID_FIELDS, at)?;
    if let Some(priority) = string(android, &["priority"], at)? {
        if !["NORMAL", "HIGH"].contains(&priority.to_ascii_uppercase().as_str()) {
            return Err(FcmRefusal::unparsable(format!(
                "Invalid value at '{at}.priority' \
                 (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), \"{priority}\""
            )));
        }
    }
    string(android, &["collapse_key", "collapseKey"], at)?;
    if let Some(ttl) = string(android, &["ttl"], at)? {
        let seconds = ttl.strip_suffix('s').unwrap_or("x");
        let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, "0"));
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !(digits(whole) && digits(fraction) && fraction.len() <= 9) {
            return Err(FcmRefusal::unparsable(format!(
                "Invalid value at '{at}.ttl' (type.googleapis.com/google.protobuf.Duration), \"{ttl}\""
            )));
        }
    }
    if let Some(data) = android.get("data").filter(|d| !d.is_null()) {
        check_data(
            object(data, "message.android.data")?,
            "message.android.data",
        )?;
    }
    Ok(())
}

fn check_apns(apns: &Map<String, Value>) -> Result<(), FcmRefusal> {
    let at = "message.apns";
    known(apns, APNS_FIELDS, at)?;
    let Some(headers) = apns.get("headers").filter(|h| !h.is_null()) else {
        return Ok(());
    };
    let headers = object(headers, "message.apns.headers")?;
    for (i, (name, value)) in headers.iter().enumerate() {
        let Some(value) = value.as_str() else {
            return Err(FcmRefusal::unparsable(format!(
                "Invalid value at 'message.apns.headers[{i}].value' (TYPE_STRING), {value}"
            )));
        };
        match name.to_ascii_lowercase().as_str() {
            "apns-priority" if !APNS_PRIORITIES.contains(&value) => {
                return Err(FcmRefusal::invalid(
                    "message.apns.headers",
                    format!("Invalid APNs priority \"{value}\": one of 1, 5, 10"),
                ))
            }
            "apns-collapse-id" if value.len() > MAX_COLLAPSE_KEY_BYTES => {
                return Err(FcmRefusal::invalid(
                    "message.apns.headers",
                    format!("apns-collapse-id is over {MAX_COLLAPSE_KEY_BYTES} bytes"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(body: Value) -> FcmRefusal {
        check(body.to_string().as_bytes()).expect_err("refused")
    }

    #[test]
    fn fcms_shape_is_checked_field_by_field() {
        let ok = check(
            json!({ "message": {
                "token": "abc:DEF_1-2",
                "notification": { "title": "t", "body": "b" },
                "data": { "kind": "x" },
                "android": { "priority": "high", "collapse_key": "k", "ttl": "3.5s" },
                "apns": { "headers": { "apns-priority": "10", "apns-collapse-id": "k" } },
            }, "validate_only": true })
            .to_string()
            .as_bytes(),
        )
        .expect("accepted");
        assert!(ok.validate_only);
        assert_eq!(ok.token.as_deref(), Some("abc:DEF_1-2"));
        for (body, status, says) in [
            (json!({ "mesage": {} }), 400, "Unknown name \"mesage\""),
            (
                json!({ "message": { "notification": {} } }),
                400,
                "Recipient of the message is not set.",
            ),
            (
                json!({ "message": { "token": "a", "topic": "b" } }),
                400,
                "Oneof field",
            ),
            (
                json!({ "message": { "token": "a b" } }),
                400,
                "not a valid FCM registration token",
            ),
            (
                json!({ "message": { "token": "a", "priority": "high" } }),
                400,
                "Unknown name \"priority\" at 'message'",
            ),
            (
                json!({ "message": { "token": "a", "data": { "n": 12 } } }),
                400,
                "'message.data[0].value' (TYPE_STRING), 12",
            ),
            (
                json!({ "message": { "token": "a", "data": { "from": "x" } } }),
                400,
                "reserved",
            ),
            (
                json!({ "message": { "token": "a", "android": { "priority": "urgent" } } }),
                400,
                "AndroidMessagePriority",
            ),
            (
                json!({ "message": { "token": "a", "android": { "ttl": "60" } } }),
                400,
                "Duration",
            ),
            (
                json!({ "message": { "token": "a", "apns": { "headers": { "apns-priority": "7" } } } }),
                400,
                "APNs priority",
            ),
            (
                json!({ "message": { "token": "a", "notification": { "body": "x".repeat(4097) } } }),
                400,
                "too big",
            ),
        ] {
            let r = refused(body.clone());
            assert_eq!(r.status.as_u16(), status, "{body}");
            assert!(r.message.contains(says), "{body}: {}", r.message);
        }
        assert_eq!(
            refused(json!({ "message": { "token": "a b" } })).body()["error"]["details"][0],
            json!({ "@type": samia_sidecar::fcm::FCM_ERROR_TYPE, "errorCode": "INVALID_ARGUMENT" })
        );
        assert!(check(b"{not json").is_err());
    }
}
