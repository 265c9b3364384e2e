use super::*;

const CLIENT: &str = "00000000-0000-0000-0000-0000000000c1";
const READER: &str = "00000000-0000-0000-0000-0000000000a1";
const OTHER_READER: &str = "00000000-0000-0000-0000-0000000000a2";
const AT: &str = "2027-03-01T12:00:00Z";

fn topics(out: &[Broadcast]) -> Vec<(String, &'static str)> {
    out.iter().map(|b| (b.topic.clone(), b.event)).collect()
}

fn order(status: &'static str, reader: Option<&'static str>) -> OrderRow<'static> {
    OrderRow {
        id: 7,
        client: CLIENT,
        reader,
        status,
    }
}

#[test]
fn an_audio_order_tells_each_party_of_its_whole_life() {
    let life = [
        (None, order("new", None)),
        (Some(order("new", None)), order("assigned", Some(READER))),
        (
            Some(order("assigned", Some(READER))),
            order("in_progress", Some(READER)),
        ),
        (
            Some(order("in_progress", Some(READER))),
            order("awaiting_approval", Some(READER)),
        ),
        (
            Some(order("awaiting_approval", Some(READER))),
            order("rejected", Some(READER)),
        ),
        (
            Some(order("rejected", Some(READER))),
            order("in_progress", Some(READER)),
        ),
    ];
    let client = format!("user:{CLIENT}");
    let reader = format!("user:{READER}");
    let staff = STAFF_ORDERS.to_string();
    let expected = [
        vec![(client.clone(), "order"), (staff.clone(), "order")],
        vec![
            (client.clone(), "order"),
            (reader.clone(), "order"),
            (staff.clone(), "order"),
        ],
        vec![
            (client.clone(), "order"),
            (reader.clone(), "order"),
            (staff.clone(), "order"),
        ],
        vec![
            (client.clone(), "order"),
            (reader.clone(), "order"),
            (staff.clone(), "order"),
        ],
        vec![
            (client.clone(), "order"),
            (reader.clone(), "order"),
            (staff.clone(), "order"),
        ],
        vec![
            (client.clone(), "order"),
            (reader.clone(), "order"),
            (staff.clone(), "order"),
        ],
    ];
    for ((old, new), want) in life.iter().zip(expected) {
        let out = order_changed(old.as_ref(), new, AT);
        assert_eq!(
            topics(&out),
            want,
            "{:?} -> {}",
            old.map(|o| o.status),
            new.status
        );
        for b in &out {
            assert_eq!(b.payload["order_id"], 7);
            assert_eq!(b.payload["status"], new.status);
            assert_eq!(b.payload["at"], AT);
            assert_eq!(
                b.payload.as_object().map(|o| o.len()),
                Some(4),
                "ids, states and times only: {}",
                b.payload
            );
        }
    }
}

#[test]
fn a_reassigned_order_leaves_the_first_reader_with_its_id_only() {
    let out = order_changed(
        Some(&order("assigned", Some(READER))),
        &order("assigned", Some(OTHER_READER)),
        AT,
    );
    assert_eq!(
        topics(&out),
        vec![
            (format!("user:{OTHER_READER}"), "order"),
            (format!("user:{READER}"), "order_unassigned"),
            (STAFF_ORDERS.to_string(), "order"),
        ],
        "the client's order did not change status"
    );
    assert_eq!(out[1].payload, json!({ "order_id": 7, "at": AT }));
}

#[test]
fn an_order_change_that_moves_nothing_tells_nobody() {
    let same = order("in_progress", Some(READER));
    assert!(order_changed(Some(&same), &same, AT).is_empty());
}

fn call<'a>(reader: Option<&'a str>, start: Option<&'a str>) -> CallRow<'a> {
    CallRow {
        order_id: 9,
        client: Some(CLIENT),
        reader,
        planned_start: start,
        planned_end: None,
        ..CallRow::default()
    }
}

#[test]
fn a_call_goes_booked_moved_starting_live_ended() {
    let booked = call(Some(READER), Some("2027-03-03T12:00:00Z"));
    let moved = call(Some(READER), Some("2027-03-03T13:00:00Z"));
    let starting = CallRow {
        joined: true,
        ..moved
    };
    let live = CallRow {
        started: true,
        ..starting
    };
    let ended = CallRow {
        ended: true,
        end_reason: Some("completed"),
        ..live
    };
    let dropped = CallRow {
        ended: true,
        end_reason: Some("dropped_by_monitor"),
        ..live
    };
    assert_eq!(call_state(None, &booked), Some("booked"));
    assert_eq!(call_state(Some(&booked), &moved), Some("moved"));
    assert_eq!(call_state(Some(&moved), &starting), Some("starting"));
    assert_eq!(call_state(Some(&starting), &live), Some("live"));
    assert_eq!(call_state(Some(&live), &ended), Some("ended"));
    assert_eq!(call_state(Some(&live), &dropped), Some("dropped"));
    assert_eq!(
        call_state(Some(&ended), &ended),
        None,
        "an ended call stays quiet"
    );
    assert_eq!(call_state(Some(&live), &live), None);
    let out = call_changed(Some(&live), &dropped, AT);
    assert_eq!(
        topics(&out),
        vec![
            (format!("user:{CLIENT}"), "call"),
            (format!("user:{READER}"), "call"),
            (STAFF_CALLS.to_string(), "call"),
        ]
    );
    assert_eq!(out[0].payload["state"], "dropped");
}

#[test]
fn a_call_moved_to_another_reader_tells_the_first_one() {
    let before = call(Some(READER), Some("2027-03-03T12:00:00Z"));
    let after = call(Some(OTHER_READER), Some("2027-03-03T12:00:00Z"));
    let out = call_changed(Some(&before), &after, AT);
    assert_eq!(
        topics(&out),
        vec![
            (format!("user:{CLIENT}"), "call"),
            (format!("user:{OTHER_READER}"), "call"),
            (format!("user:{READER}"), "call"),
            (STAFF_CALLS.to_string(), "call"),
        ]
    );
    assert_eq!(
        out[2].payload,
        json!({ "order_id": 9, "state": "moved", "at": AT })
    );
}

#[test]
fn notifications_and_phone_outcomes_go_to_their_owner_only() {
    let out = notification_created(3, CLIENT, "order.delivered", Some(7), AT);
    assert_eq!(
        topics(&out),
        vec![(format!("user:{CLIENT}"), "notification")]
    );
    let out = phone_verification_changed(4, Some(CLIENT), "sent", "verified", AT);
    assert_eq!(
        out[0].payload,
        json!({ "verification_id": 4, "status": "verified", "at": AT })
    );
    assert!(phone_verification_changed(4, Some(CLIENT), "sent", "sent", AT).is_empty());
    assert!(phone_verification_changed(4, None, "sent", "verified", AT).is_empty());
}

#[test]
fn a_horoscope_reaches_everyone_once_published() {
    let draft = HoroscopeRow {
        id: 5,
        scope: "daily",
        zodiac: "Aries",
        ref_date: "2027-03-01",
        approved: false,
        rejected: false,
    };
    let published = HoroscopeRow {
        approved: true,
        ..draft
    };
    assert_eq!(
        topics(&horoscope_changed(None, &draft, AT)),
        vec![(STAFF_HOROSCOPES.to_string(), "horoscope")]
    );
    let out = horoscope_changed(Some(&draft), &published, AT);
    assert_eq!(
        topics(&out),
        vec![
            (STAFF_HOROSCOPES.to_string(), "horoscope"),
            (HOROSCOPES.to_string(), "horoscope_published"),
        ]
    );
    assert_eq!(out[0].payload["state"], "published");
    let rejected = HoroscopeRow {
        rejected: true,
        ..draft
    };
    assert_eq!(
        topics(&horoscope_changed(Some(&draft), &rejected, AT)),
        vec![(STAFF_HOROSCOPES.to_string(), "horoscope")]
    );
}
