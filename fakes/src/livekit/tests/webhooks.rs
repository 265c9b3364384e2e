//! LiveKit's webhooks from the fake: signed, in order, sent again to a
//! failing receiver, and spoiled ones refused for the right reason.

use super::token;
use crate::livekit::testing::{secret, settings, Receiver, Served, KEY};
use samia_sidecar::livekit::webhook::{self, EventKind, WebhookError};
use samia_sidecar::livekit::{Grants, RoomOptions};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

#[tokio::test]
async fn webhooks_arrive_signed_in_order_and_verify() {
    let receiver = Receiver::start(0).await;
    let served = Served::start(settings(Some(receiver.url.clone()))).await;
    let client = served.client();
    let (status, _) = served
        .join(
            "call-3",
            &token(&client, "client-3", "call-3", Grants::participant()),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = served
        .control(
            "/_fake/rooms/call-3/participants/client-3/leave",
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = served
        .control("/_fake/rooms/call-3/finish", Value::Null)
        .await;
    assert_eq!(status, 200);
    let got = receiver.wait_for(4).await;
    let mut kinds = Vec::new();
    let mut ids = Vec::new();
    for hook in &got {
        assert_eq!(
            hook.content_type.as_deref(),
            Some("application/webhook+json")
        );
        assert_eq!(hook.user_agent.as_deref(), Some("LiveKit"));
        let authorization = hook.authorization.as_deref().expect("signed");
        assert!(!authorization.starts_with("Bearer "), "a bare JWT");
        let event = webhook::verify(
            Some(authorization),
            &hook.body,
            KEY,
            &secret(),
            SystemTime::now(),
        )
        .expect("verifies");
        assert!(event.id.starts_with("EV_") && event.created_at.is_some());
        assert_eq!(event.room.as_ref().map(|r| r.name.as_str()), Some("call-3"));
        kinds.push(event.event.clone());
        ids.push(event.id.clone());
        if event.event == EventKind::ParticipantLeft {
            assert_eq!(event.disconnect_reason(), Some("CLIENT_INITIATED"));
            let p = event.participant.as_ref().expect("a participant");
            assert_eq!(
                (p.identity.as_str(), p.state.as_str()),
                ("client-3", "DISCONNECTED")
            );
        }
        let body = String::from_utf8_lossy(&hook.body);
        assert!(
            body.contains("\"createdAt\"") && !body.contains("created_at"),
            "{body}"
        );
    }
    assert_eq!(
        kinds,
        [
            EventKind::RoomStarted,
            EventKind::ParticipantJoined,
            EventKind::ParticipantLeft,
            EventKind::RoomFinished
        ]
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "every event has its own id");
    let mut changed = got[1].body.clone();
    changed[10] ^= 1;
    assert_eq!(
        webhook::verify(
            got[1].authorization.as_deref(),
            &changed,
            KEY,
            &secret(),
            SystemTime::now()
        ),
        Err(WebhookError::BodyMismatch("differs"))
    );
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_event_again() {
    let receiver = Receiver::start(2).await;
    let served = Served::start(settings(Some(receiver.url.clone()))).await;
    let client = served.client();
    client
        .create_room("call-4", &RoomOptions::default())
        .await
        .expect("created");
    let got = receiver.wait_for(3).await;
    assert!(got.iter().all(|h| h.body == got[0].body));
    for _ in 0..100 {
        if !served.events().await[0]["delivery"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        served.events().await[0]["delivery"],
        json!({"status": 200, "attempts": 3})
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 3, "not sent again once taken");
}

#[tokio::test]
async fn spoiled_webhooks_fail_verification_for_the_right_reason() {
    let served = Served::start(settings(None)).await;
    served
        .faults(json!([
            {"method": "webhook", "tamper": "body"},
            {"method": "webhook", "tamper": "signature"},
            {"method": "webhook", "tamper": "unsigned"},
            {"method": "webhook", "tamper": "expired"},
        ]))
        .await;
    let client = served.client();
    let (status, _) = served
        .join(
            "call-6",
            &token(&client, "client-6", "call-6", Grants::participant()),
        )
        .await;
    assert_eq!(status, 200);
    served
        .control("/_fake/rooms/call-6/finish", Value::Null)
        .await;
    client
        .create_room("call-7", &RoomOptions::default())
        .await
        .expect("created");
    let events = served.events().await;
    let now = SystemTime::now();
    let verdicts: Vec<_> = events
        .iter()
        .map(|e| {
            let body = e["body"].as_str().expect("a body");
            webhook::verify(
                e["authorization"].as_str(),
                body.as_bytes(),
                KEY,
                &secret(),
                now,
            )
            .map(|ev| ev.event.as_str().to_string())
            .map_err(|err| err.code())
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            Err("body_mismatch"),
            Err("bad_signature"),
            Err("missing_authorization"),
            Err("token_expired"),
            Ok("room_started".to_string()),
        ]
    );
}
