//! Who gets into a call: every refusal of the sidecar's join route, forged
//! and replayed LiveKit webhooks, and join tokens bounded by the call's
//! window and its drop.

use anyhow::{ensure, Result};
use samia_tests::calls::{
    book, order_status, people, reader_time, until_room_empty, Stack, CLIENT, MONITOR, OTHER,
    READER, WAIT,
};
use samia_tests::cluster::eventually;
use samia_tests::livekit::join_route;
use samia_tests::postgrest::{request, Caller};
use samia_tests::storage::{sign, user_token, JWT_SECRET};
use serde_json::{json, Value};

fn forged(sub: &str, aud: &str, exp_offset: i64, secret: &str) -> Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": sub, "aud": aud, "role": "authenticated", "exp": now + exp_offset }),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

#[tokio::test]
async fn every_refusal_of_the_join_route() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let soon = book(&mut api, "now() + interval '5 minutes'").await?;
    let later = book(&mut api, &reader_time(3, "12:00")).await?;
    let addr = &stack.sidecar.addr;
    let id = soon.to_string();
    let cases: Vec<(&str, Option<String>, &str, u16, &str)> = vec![
        ("no token", None, &id, 401, "missing_token"),
        (
            "expired",
            Some(forged(CLIENT, "authenticated", -120, JWT_SECRET)?),
            &id,
            401,
            "token_expired",
        ),
        (
            "wrong audience",
            Some(forged(CLIENT, "anon", 600, JWT_SECRET)?),
            &id,
            401,
            "wrong_audience",
        ),
        (
            "forged signature",
            Some(forged(
                CLIENT,
                "authenticated",
                600,
                "not-the-projects-secret-at-all-really",
            )?),
            &id,
            401,
            "bad_signature",
        ),
        (
            "another client's order",
            Some(user_token(OTHER)?),
            &id,
            404,
            "not_found",
        ),
        (
            "no such order",
            Some(user_token(CLIENT)?),
            "999999",
            404,
            "not_found",
        ),
        (
            "not a number",
            Some(user_token(CLIENT)?),
            "abc",
            404,
            "not_found",
        ),
    ];
    for (what, token, order, want, code) in cases {
        let (status, body) = join_route(addr, order, token.as_deref()).await?;
        assert_eq!(
            (status, body["code"].as_str()),
            (want, Some(code)),
            "{what}: {body}"
        );
        assert!(
            !body.to_string().contains(CLIENT) || what == "no such order",
            "{what} names the owner: {body}"
        );
    }
    // Another client's order and one that does not exist look the same.
    let (_, a) = join_route(addr, &id, Some(&user_token(OTHER)?)).await?;
    let (_, b) = join_route(addr, "999999", Some(&user_token(OTHER)?)).await?;
    assert_eq!(
        a["message"].as_str().map(|m| m.replace(&id, "N")),
        b["message"].as_str().map(|m| m.replace("999999", "N"))
    );
    // Outside the window: 409.
    let (status, body) = stack.join(later, CLIENT).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("not_now")),
        "{body}"
    );
    // Blocked: 403.
    system
        .execute(
            "update public.profiles set is_blocked = true, blocked_reason = 'x' where id = $1::text::uuid",
            &[&CLIENT],
        )
        .await?;
    let (status, body) = stack.join(soon, CLIENT).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn forged_and_replayed_webhooks_are_refused() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = book(&mut api, "now() + interval '5 minutes'").await?;
    stack
        .livekit
        .faults(json!([
            {"method": "webhook", "tamper": "body"},
            {"method": "webhook", "tamper": "signature"},
            {"method": "webhook", "tamper": "unsigned"},
            {"method": "webhook", "tamper": "expired"}
        ]))
        .await?;
    // Four events, each spoiled: room_started and the client's join, the
    // reader's join, the monitor's join.
    stack.connect(order, CLIENT).await?;
    stack.connect(order, READER).await?;
    stack.connect(order, MONITOR).await?;
    let events = eventually(WAIT, "the events delivered", || async {
        let events = stack.livekit.events().await?;
        Ok(
            (events.len() >= 4 && events.iter().all(|e| !e["delivery"].is_null()))
                .then_some(events),
        )
    })
    .await?;
    for e in &events {
        assert!(e["tampered"].is_string(), "{e}");
        assert_eq!(e["delivery"]["status"].as_u64(), Some(401), "{e}");
    }
    // They changed nothing: nobody's join was recorded, the call did not start.
    let row = system
        .query_one(
            "select client_joined_at is null and reader_joined_at is null and started_at is null
               from public.calls where order_id = $1",
            &[&order],
        )
        .await?;
    assert!(row.get::<_, bool>(0));
    assert_eq!(order_status(&system, order).await?, "assigned");
    // A good event, sent again, is recorded once.
    stack
        .livekit
        .leave(&format!("call-{order}"), MONITOR, "CLIENT_INITIATED")
        .await?;
    let good = eventually(WAIT, "a delivered event", || async {
        let events = stack.livekit.events().await?;
        Ok(events
            .into_iter()
            .find(|e| e["event"] == "participant_left" && e["delivery"]["status"] == 200))
    })
    .await?;
    let http = reqwest::Client::new();
    let again = http
        .post(format!("http://{}/v1/webhooks/livekit", stack.sidecar.addr))
        .header("content-type", "application/webhook+json")
        .header(
            "authorization",
            good["authorization"].as_str().unwrap_or_default(),
        )
        .body(good["body"].as_str().unwrap_or_default().to_string())
        .send()
        .await?;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.json::<Value>().await?["outcome"], "duplicate");
    let recorded: i64 = system
        .query_one(
            "select count(*) from ops.livekit_events where id = $1",
            &[&good["id"].as_str()],
        )
        .await?
        .get(0);
    assert_eq!(recorded, 1);
    Ok(())
}

#[tokio::test]
async fn a_join_token_ends_with_the_calls_window() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    // A call now: direct_call lasts 30 minutes, joinable 10 more.
    let order = book(&mut api, "null").await?;
    let (status, grant) = stack.join(order, CLIENT).await?;
    ensure!(status == 200, "{status} {grant}");
    let within: bool = system
        .query_one(
            "select $1::text::timestamptz <= c.planned_end + interval '10 minutes'
                    and $1::text::timestamptz > now() + interval '30 minutes'
               from public.calls c where c.order_id = $2",
            &[&grant["expires_at"].as_str().unwrap_or_default(), &order],
        )
        .await?
        .get(0);
    assert!(within, "the token expires at {}", grant["expires_at"]);
    Ok(())
}

#[tokio::test]
async fn a_token_kept_after_a_drop_opens_no_room() -> Result<()> {
    let (db, _system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = book(&mut api, "null").await?;
    let (status, grant) = stack.join(order, CLIENT).await?;
    ensure!(status == 200, "{status} {grant}");
    request(
        &mut api,
        Caller::User(MONITOR),
        &format!("select * from public.drop_call({order}, 'abusive language')"),
    )
    .await?;
    // No new token after the drop...
    let (status, _) = stack.join(order, CLIENT).await?;
    assert_eq!(status, 409);
    // ...and the one kept from before starts a room that is closed at once.
    let room = grant["room"].as_str().unwrap_or_default();
    let token = grant["token"].as_str().unwrap_or_default();
    let (status, body) = stack.livekit.join(room, token).await?;
    ensure!(
        status == 200,
        "the fake refused the kept token: {status} {body}"
    );
    until_room_empty(&stack, order).await?;
    Ok(())
}

#[tokio::test]
async fn a_token_not_yet_valid_joins_nothing() -> Result<()> {
    let (db, _system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = book(&mut api, "null").await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let token = |nbf: u64| {
        sign(json!({
            "sub": CLIENT, "role": "authenticated", "aud": "authenticated",
            "iat": now, "nbf": nbf, "exp": now + 3600,
        }))
    };
    let (status, body) = join_route(
        &stack.sidecar.addr,
        &order.to_string(),
        Some(&token(now + 600)?),
    )
    .await?;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "token_not_yet_valid", "{body}");
    let (status, body) = join_route(
        &stack.sidecar.addr,
        &order.to_string(),
        Some(&token(now - 60)?),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    Ok(())
}

#[tokio::test]
async fn a_token_kept_after_a_block_is_taken_out_of_the_room() -> Result<()> {
    let (db, _system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = book(&mut api, "null").await?;
    // The reader is in the room; the client holds a token, then is blocked.
    stack.connect(order, READER).await?;
    let (status, grant) = stack.join(order, CLIENT).await?;
    ensure!(status == 200, "{status} {grant}");
    request(
        &mut api,
        Caller::User(MONITOR),
        &format!("update public.profiles set is_blocked = true, blocked_reason = 'threats' where id = '{CLIENT}'"),
    )
    .await?;
    let room = grant["room"].as_str().unwrap_or_default().to_string();
    let token = grant["token"].as_str().unwrap_or_default();
    let (status, body) = stack.livekit.join(&room, token).await?;
    ensure!(
        status == 200,
        "the fake refused the kept token: {status} {body}"
    );
    eventually(WAIT, "the blocked client removed from the room", || async {
        let present = stack.livekit.in_room(&room).await?;
        Ok((!present.iter().any(|p| p == CLIENT)).then_some(()))
    })
    .await?;
    // The reader stays.
    assert!(stack
        .livekit
        .in_room(&room)
        .await?
        .iter()
        .any(|p| p == READER));
    Ok(())
}
