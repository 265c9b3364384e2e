//! Feature toggles and cost guards kept in `app_config` (admin-editable,
//! audited): the keys, their defaults, and how a value is read. The
//! migrations insert the defaults; the extension and the sidecar read the
//! same keys through these names.

use serde_json::Value;

/// Phone verification on or off (`true`/`false`).
pub const OTP_ENABLED: &str = "otp.enabled";
/// Verification codes sent per UTC day, all countries together.
pub const OTP_DAILY_BUDGET: &str = "otp.daily_budget";
pub const DEFAULT_OTP_DAILY_BUDGET: i64 = 2_000;
/// Codes per UTC day per country of the number: `{"EG": 800, "*": 300}`
/// (`*` for any country not named).
pub const OTP_DAILY_BUDGET_PER_COUNTRY: &str = "otp.daily_budget_per_country";
pub const DEFAULT_OTP_DAILY_BUDGET_PER_COUNTRY: i64 = 500;
/// New orders on or off: `true`/`false`, or per service code
/// `{"tarot": true, "coffee": false, "*": true}`.
pub const ORDERS_ENABLED: &str = "orders.enabled";
/// Call bookings (orders of call services) on or off.
pub const CALLS_ENABLED: &str = "calls.enabled";
/// Scheduled TikTok syncs on or off.
pub const INGEST_ENABLED: &str = "ingest.enabled";
/// Bytes of registered files one user may hold.
pub const STORAGE_QUOTA: &str = "storage.quota_bytes_per_user";
pub const DEFAULT_STORAGE_QUOTA: i64 = 1024 * 1024 * 1024;
/// TikTok API requests per UTC day.
pub const TIKTOK_DAILY_REQUESTS: &str = "tiktok.daily_request_budget";
pub const DEFAULT_TIKTOK_DAILY_REQUESTS: i64 = 20_000;

/// A budget is nearly spent (a warning in `samia health`) from this share.
pub const WARN_AT: f64 = 0.8;

/// Is a toggle on (for `code`, when the value is per code)? A missing,
/// unreadable or unnamed value is on: a toggle is an off switch.
pub fn enabled(value: Option<&Value>, code: Option<&str>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !matches!(s.trim(), "false" | "off" | "0"),
        Some(Value::Object(map)) => code
            .and_then(|c| map.get(c))
            .or_else(|| map.get("*"))
            .and_then(Value::as_bool)
            .unwrap_or(true),
        _ => true,
    }
}

/// A whole number (or a numeric string), else `default`.
pub fn number(value: Option<&Value>, default: i64) -> i64 {
    match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(default),
        _ => default,
    }
}

/// The per-country budget for `country` from a `{"EG": n, "*": m}` value.
pub fn per_country(value: Option<&Value>, country: Option<&str>, default: i64) -> i64 {
    match value {
        Some(Value::Object(map)) => {
            let named = country.and_then(|c| map.get(c)).or_else(|| map.get("*"));
            number(named, default)
        }
        other => number(other, default),
    }
}

/// Why `used` more (one more send, `adding` more bytes) is over `budget`.
pub fn over(used: i64, adding: i64, budget: i64) -> bool {
    used.saturating_add(adding) > budget
}

/// Is `used` of `budget` at or past [`WARN_AT`]?
pub fn nearly_spent(used: i64, budget: i64) -> bool {
    budget <= 0 || used as f64 >= WARN_AT * budget as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toggles_are_off_switches() {
        assert!(enabled(None, None));
        assert!(!enabled(Some(&json!(false)), Some("tarot")));
        assert!(enabled(Some(&json!(true)), None));
        let per = json!({"coffee": false, "*": true});
        assert!(!enabled(Some(&per), Some("coffee")));
        assert!(enabled(Some(&per), Some("tarot")));
        assert!(!enabled(Some(&json!({"*": false})), Some("tarot")));
        assert!(enabled(Some(&json!("yes")), None));
        assert!(!enabled(Some(&json!("off")), None));
    }

    #[test]
    fn budgets() {
        let per = json!({"EG": 800, "*": 300});
        assert_eq!(per_country(Some(&per), Some("EG"), 1), 800);
        assert_eq!(per_country(Some(&per), Some("SA"), 1), 300);
        assert_eq!(per_country(Some(&json!(50)), Some("SA"), 1), 50);
        assert_eq!(per_country(None, None, 7), 7);
        assert!(over(10, 1, 10));
        assert!(!over(9, 1, 10));
        assert!(nearly_spent(8, 10));
        assert!(!nearly_spent(7, 10));
        assert!(nearly_spent(0, 0));
    }
}
