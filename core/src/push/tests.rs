use super::*;
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .expect("a time")
}

fn night() -> Option<QuietHours> {
    QuietHours::parse(&json!({"from": "22:00", "to": "08:00"})).expect("valid")
}

const CAIRO: Tz = chrono_tz::Africa::Cairo;
const LONDON: Tz = chrono_tz::Europe::London;

#[test]
fn quiet_hours_are_read_strictly() {
    assert_eq!(QuietHours::parse(&Value::Null), Ok(None));
    assert!(night().is_some());
    for bad in [
        json!({"from": "22:00"}),
        json!({"from": "25:00", "to": "08:00"}),
        json!({"from": "22:00", "to": "22:00"}),
        json!({"from": "22:00", "to": "08:00", "tz": "UTC"}),
        json!("22:00-08:00"),
    ] {
        assert!(QuietHours::parse(&bad).is_err(), "{bad}");
    }
}

#[test]
fn a_reminder_at_night_waits_for_the_morning_and_a_call_starting_does_not() {
    // 23:30 in Cairo (UTC+2 in winter) on 2027-01-10.
    let now = at("2027-01-10T21:30:00Z");
    assert_eq!(
        send_at(now, "call.reminder", night(), CAIRO),
        at("2027-01-11T06:00:00Z")
    );
    assert_eq!(send_at(now, "call.starting", night(), CAIRO), now);
    // 03:00 local: the same morning.
    let early = at("2027-01-11T01:00:00Z");
    assert_eq!(
        send_at(early, "order.delivered", night(), CAIRO),
        at("2027-01-11T06:00:00Z")
    );
    // Noon: at once; no quiet hours: at once.
    let noon = at("2027-01-11T10:00:00Z");
    assert_eq!(send_at(noon, "order.delivered", night(), CAIRO), noon);
    assert_eq!(send_at(now, "order.delivered", None, CAIRO), now);
}

#[test]
fn the_morning_is_local_across_a_daylight_saving_change() {
    // London goes to summer time on 2027-03-28 at 01:00 UTC: quiet until
    // 08:00 local is 08:00 UTC the night before the change, 07:00 UTC after.
    let before = at("2027-03-27T23:30:00Z"); // 23:30 GMT
    assert_eq!(
        send_at(before, "call.reminder", night(), LONDON),
        at("2027-03-28T07:00:00Z")
    );
    // Autumn: 2027-10-31 back to GMT at 01:00 UTC.
    let autumn = at("2027-10-30T22:30:00Z"); // 23:30 BST
    assert_eq!(
        send_at(autumn, "call.reminder", night(), LONDON),
        at("2027-10-31T08:00:00Z")
    );
}

#[test]
fn a_quiet_morning_stretch_that_does_not_cross_midnight() {
    let quiet = QuietHours::parse(&json!({"from": "01:00", "to": "06:30"})).expect("valid");
    let now = at("2027-06-01T00:00:00Z"); // 03:00 Cairo (UTC+3 in summer 2027)
    assert_eq!(
        send_at(now, "call.moved", quiet, CAIRO),
        at("2027-06-01T03:30:00Z")
    );
    assert_eq!(
        send_at(at("2027-06-01T04:00:00Z"), "call.moved", quiet, CAIRO),
        at("2027-06-01T04:00:00Z")
    );
}
