//! Tokens and the RoomService against the fake LiveKit: minted tokens
//! admit (or not) as LiveKit would, deleting rooms and removing
//! participants end calls and treat what is already gone as done, and
//! LiveKit's errors map to what the caller should do.

use super::{reasons, token, HOUR};
use crate::livekit::testing::{secret, settings, Served, KEY, SECRET};
use samia_sidecar::http::outbound::ProviderError;
use samia_sidecar::livekit::token::{self, Mint, VideoGrant};
use samia_sidecar::livekit::{
    Grants, LiveKitClient, LiveKitConfig, LiveKitError, Removal, RoomOptions,
};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

fn config_for(url: &str) -> LiveKitConfig {
    LiveKitConfig {
        url: url.into(),
        api_key: KEY.into(),
        api_secret: secret(),
        timeout: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn a_party_and_a_silent_monitor_join_with_what_their_tokens_allow() {
    let served = Served::start(settings(None)).await;
    let client = served.client();
    let (status, party) = served
        .join(
            "call-1",
            &token(&client, "client-1", "call-1", Grants::participant()),
        )
        .await;
    assert_eq!(status, 200, "{party}");
    let p = &party["participant"];
    assert_eq!(
        (p["identity"].as_str(), p["name"].as_str()),
        (Some("client-1"), Some("Someone"))
    );
    assert_eq!(
        p["permission"],
        json!({
            "can_subscribe": true, "can_publish": true, "can_publish_data": true,
            "can_publish_sources": [], "hidden": false, "recorder": false,
            "can_update_metadata": false, "agent": false, "can_subscribe_metrics": false,
            "can_manage_agent_session": false,
        })
    );
    let (status, _) = served
        .control(
            "/_fake/rooms/call-1/participants/client-1/publish",
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);

    let (status, monitor) = served
        .join(
            "call-1",
            &token(&client, "monitor-1", "call-1", Grants::silent_monitor()),
        )
        .await;
    assert_eq!(status, 200, "{monitor}");
    let permission = &monitor["participant"]["permission"];
    assert_eq!(permission["hidden"], true);
    assert_eq!(permission["can_subscribe"], true);
    assert_eq!(permission["can_publish"], false);
    assert_eq!(permission["can_publish_data"], false);
    let (status, refused) = served
        .control(
            "/_fake/rooms/call-1/participants/monitor-1/publish",
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("not_allowed"))
    );

    let listed = client.list_participants("call-1").await.expect("listed");
    let seen: Vec<_> = listed
        .iter()
        .map(|p| {
            (
                p.identity.as_str(),
                p.hidden,
                p.can_publish,
                p.state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("client-1", false, true, "ACTIVE"),
            ("monitor-1", true, false, "ACTIVE")
        ]
    );
    assert!(listed[0].joined_at.is_some() && listed[0].sid.starts_with("PA_"));
}

#[tokio::test]
async fn the_fake_refuses_tokens_livekit_would_refuse() {
    let served = Served::start(settings(None)).await;
    let client = served.client();
    let code = |answer: &(u16, Value)| (answer.0, answer.1["code"].as_str().map(str::to_string));

    let wrong_room = served
        .join(
            "call-2",
            &token(&client, "client-1", "call-1", Grants::participant()),
        )
        .await;
    assert_eq!(code(&wrong_room), (403, Some("wrong_room".into())));

    let forged = LiveKitClient::new(served.config(KEY, "some-other-secret-hunter8-32-chars"))
        .expect("a client");
    let signed_wrong = served
        .join(
            "call-1",
            &token(&forged, "client-1", "call-1", Grants::participant()),
        )
        .await;
    assert_eq!(code(&signed_wrong), (401, Some("bad_signature".into())));

    let other_key = LiveKitClient::new(served.config("APIother", SECRET)).expect("a client");
    let unknown = served
        .join(
            "call-1",
            &token(&other_key, "client-1", "call-1", Grants::participant()),
        )
        .await;
    assert_eq!(code(&unknown), (401, Some("invalid_api_key".into())));

    let (short, _) = client
        .access_token(
            "client-1",
            None,
            "call-1",
            Grants::participant(),
            Duration::from_secs(60),
        )
        .expect("a token");
    // Past exp, within LiveKit's minute of leeway: still admitted.
    served.advance(110).await;
    assert_eq!(served.join("call-1", &short).await.0, 200);
    served.advance(20).await;
    let expired = served.join("call-1", &short).await;
    assert_eq!(code(&expired), (401, Some("token_expired".into())));

    let (admin_only, _) = token::mint(
        KEY,
        &secret(),
        &Mint {
            identity: Some("ops"),
            video: Some(&VideoGrant {
                room_admin: true,
                room: "call-1".into(),
                ..VideoGrant::default()
            }),
            ..Mint::default()
        },
        SystemTime::now() + Duration::from_secs(130),
        HOUR,
    )
    .expect("minted");
    let no_join = served.join("call-1", &admin_only).await;
    assert_eq!(code(&no_join), (401, Some("permission_denied".into())));
    let garbage = served.join("call-1", "not.a.token").await;
    assert_eq!(code(&garbage), (401, Some("invalid_token".into())));
}

#[tokio::test]
async fn an_unset_permission_lets_a_monitor_speak_so_ours_are_explicit() {
    // What LiveKit does with a grant that only says "subscribe".
    let served = Served::start(settings(None)).await;
    let (careless, _) = token::mint(
        KEY,
        &secret(),
        &Mint {
            identity: Some("monitor-2"),
            video: Some(&VideoGrant {
                room_join: true,
                room: "call-1".into(),
                can_subscribe: Some(true),
                hidden: true,
                ..VideoGrant::default()
            }),
            ..Mint::default()
        },
        SystemTime::now(),
        HOUR,
    )
    .expect("minted");
    let (status, joined) = served.join("call-1", &careless).await;
    assert_eq!(status, 200);
    assert_eq!(joined["participant"]["permission"]["can_publish"], true);
    let (status, _) = served
        .control(
            "/_fake/rooms/call-1/participants/monitor-2/publish",
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "LiveKit lets it publish");
}

#[tokio::test]
async fn deleting_rooms_and_removing_participants_end_calls_and_gone_is_done() {
    let served = Served::start(settings(None)).await;
    let client = served.client();
    for who in ["client-1", "reader-1"] {
        let (status, _) = served
            .join(
                "call-9",
                &token(&client, who, "call-9", Grants::participant()),
            )
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(
        client.remove_participant("call-9", "client-1").await,
        Ok(Removal::Removed)
    );
    assert_eq!(
        client.remove_participant("call-9", "client-1").await,
        Ok(Removal::AlreadyGone)
    );
    assert_eq!(
        client.remove_participant("no-such-call", "client-1").await,
        Ok(Removal::AlreadyGone)
    );
    let left: Vec<_> = client
        .list_participants("call-9")
        .await
        .expect("listed")
        .into_iter()
        .map(|p| p.identity)
        .collect();
    assert_eq!(left, ["reader-1"]);
    assert_eq!(client.delete_room("call-9").await, Ok(Removal::Removed));
    assert_eq!(client.delete_room("call-9").await, Ok(Removal::AlreadyGone));
    assert!(client
        .list_participants("call-9")
        .await
        .expect("listed")
        .is_empty());
    let events = served.events().await;
    let r = |kind: &str, reason: Option<&str>| (kind.to_string(), reason.map(str::to_string));
    assert_eq!(
        reasons(&events),
        [
            r("room_started", None),
            r("participant_joined", None),
            r("participant_joined", None),
            r("participant_left", Some("PARTICIPANT_REMOVED")),
            r("participant_left", Some("ROOM_DELETED")),
            r("room_finished", None),
        ]
    );
    let statuses: Vec<_> = served
        .get("/_fake/requests")
        .await
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| (r["method"].clone(), r["status"].clone(), r["code"].clone()))
        .collect();
    assert_eq!(
        statuses[0],
        (json!("RemoveParticipant"), json!(200), Value::Null)
    );
    assert_eq!(
        statuses[1],
        (json!("RemoveParticipant"), json!(404), json!("not_found"))
    );
}

#[tokio::test]
async fn create_room_returns_the_room_and_keeps_an_existing_one() {
    let served = Served::start(settings(None)).await;
    let client = served.client();
    let options = RoomOptions {
        max_participants: 3,
        ..RoomOptions::default()
    };
    let room = client
        .create_room("call-5", &options)
        .await
        .expect("created");
    assert_eq!(room.name, "call-5");
    assert!(room.sid.starts_with("RM_"));
    assert_eq!(
        (
            room.empty_timeout,
            room.departure_timeout,
            room.max_participants
        ),
        (300, 20, 3)
    );
    let again = client
        .create_room("call-5", &RoomOptions::default())
        .await
        .expect("the same");
    assert_eq!(again, room);
    let started = served.events().await;
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["event"], "room_started");
}

#[tokio::test]
async fn wrong_credentials_and_grants_are_refused_and_never_shown() {
    let served = Served::start(settings(None)).await;
    let forged = LiveKitClient::new(served.config(KEY, "wrong-secret-hunter9-of-32-chars-x"))
        .expect("a client");
    let refused = forged.delete_room("call-1").await.expect_err("refused");
    assert!(
        matches!(refused, LiveKitError::Denied { status: 401, .. }),
        "{refused}"
    );
    assert!(!refused.is_retryable());
    let shown = format!("{refused} {refused:?} {forged:?}");
    assert!(
        !shown.contains("hunter9") && !shown.contains("eyJ"),
        "{shown}"
    );
    let other = LiveKitClient::new(served.config("APIother", SECRET)).expect("a client");
    let refused = other
        .remove_participant("call-1", "u1")
        .await
        .expect_err("refused");
    assert!(refused.to_string().contains("invalid API key"), "{refused}");

    let path = "/twirp/livekit.RoomService/DeleteRoom";
    let body = json!({ "room": "call-1" });
    let (status, text) = served
        .call(reqwest::Method::POST, path, None, body.clone())
        .await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&text).ok()),
        (
            401,
            Some(json!({"code": "unauthenticated", "msg": "permissions denied"}))
        )
    );
    // A join token is no admin's.
    let join = token(&served.client(), "u1", "call-1", Grants::participant());
    let (status, text) = served
        .call(reqwest::Method::POST, path, Some(&join), body.clone())
        .await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("permissions denied"));
    let (status, text) = served
        .call(reqwest::Method::GET, path, None, Value::Null)
        .await;
    assert_eq!(status, 404);
    assert!(text.contains("bad_route"), "{text}");
    let (status, text) = served
        .call(
            reqwest::Method::POST,
            "/twirp/livekit.RoomService/ListRooms",
            None,
            body,
        )
        .await;
    assert_eq!(status, 501, "{text}");
    let logged = served.get("/_fake/requests").await.to_string();
    assert!(
        !logged.contains("eyJ") && !logged.contains("hunter"),
        "{logged}"
    );
}

#[tokio::test]
async fn livekits_errors_become_what_the_caller_should_do() {
    let served = Served::start(settings(None)).await;
    let client = served.client();
    served
        .faults(json!([
            {"status": 503},
            {"method": "DeleteRoom", "status": 429, "retry_after": 1},
            {"status": 502, "plain": true},
            {"status": 404, "plain": true},
            {"status": 400, "code": "invalid_argument"},
        ]))
        .await;
    let outage = client.delete_room("call-1").await.expect_err("fault");
    assert!(
        matches!(outage, LiveKitError::Unavailable { status: 503, .. }),
        "{outage}"
    );
    assert!(outage.is_retryable());
    let limited = client.delete_room("call-1").await.expect_err("fault");
    assert!(limited.is_retryable());
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(1)));
    let gateway = client.list_participants("call-1").await.expect_err("fault");
    assert!(
        matches!(gateway, LiveKitError::Unavailable { status: 502, .. }),
        "{gateway}"
    );
    assert!(gateway.is_retryable());
    // A page that is not LiveKit's is not "already gone".
    let elsewhere = client.delete_room("call-1").await.expect_err("fault");
    assert!(
        matches!(elsewhere, LiveKitError::Protocol { status: 404, .. }),
        "{elsewhere}"
    );
    assert!(!elsewhere.is_retryable());
    let invalid = client
        .remove_participant("call-1", "u1")
        .await
        .expect_err("fault");
    assert!(matches!(invalid, LiveKitError::Invalid { .. }), "{invalid}");
    assert!(!invalid.is_retryable());
    assert_eq!(client.delete_room("call-1").await, Ok(Removal::AlreadyGone));
    // However a server says it has no such room, nobody is in it.
    served
        .faults(json!([{"method": "ListParticipants", "status": 404, "code": "not_found"}]))
        .await;
    assert_eq!(client.list_participants("call-1").await, Ok(Vec::new()));

    served
        .faults(json!([{"delay_ms": 2000, "pass": true}]))
        .await;
    let mut impatient = served.config(KEY, SECRET);
    impatient.timeout = Duration::from_millis(300);
    let impatient = LiveKitClient::new(impatient).expect("a client");
    let slow = impatient
        .delete_room("call-1")
        .await
        .expect_err("timed out");
    assert!(
        matches!(&slow, LiveKitError::Transport(m) if m.contains("timed out")),
        "{slow}"
    );
    assert!(slow.is_retryable());

    let nowhere = LiveKitClient::new(config_for("http://127.0.0.1:9")).expect("a client");
    let down = nowhere.delete_room("call-1").await.expect_err("no server");
    assert!(
        matches!(down, LiveKitError::Transport(_)) && down.is_retryable(),
        "{down}"
    );
}

#[tokio::test]
async fn an_empty_room_closes_after_the_departure_timeout() {
    let served = Served::start(settings(None)).await;
    let client = served.client();
    served
        .join(
            "call-8",
            &token(&client, "client-8", "call-8", Grants::participant()),
        )
        .await;
    served
        .control(
            "/_fake/rooms/call-8/participants/client-8/leave",
            Value::Null,
        )
        .await;
    served.advance(10).await;
    assert_eq!(
        served.get("/_fake/rooms").await.as_array().map(Vec::len),
        Some(1)
    );
    served.advance(15).await;
    assert_eq!(served.get("/_fake/rooms").await, json!([]));
    let last = served.events().await.pop().expect("events");
    assert_eq!(last["event"], "room_finished");
}
