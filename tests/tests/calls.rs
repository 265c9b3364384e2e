//! Calls on LiveKit end to end: bookings through PostgREST, the sidecar's
//! join route with Supabase access tokens, the fake LiveKit's signed
//! webhooks moving the order, monitors' drops, blocks mid-call, deadlines.

use anyhow::{ensure, Result};
use samia_tests::cluster::{eventually, FakeTwilio, Sidecar};
use samia_tests::livekit::{free_port, join_route, FakeLiveKit};
use samia_tests::postgrest::{failure, request, Caller};
use samia_tests::storage::{sign, user_token, JWT_SECRET};
use samia_tests::{sign_up, TestDb};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_postgres::Client;

const CLIENT: &str = "c1000000-0000-4000-8000-000000000001";
const OTHER: &str = "c1000000-0000-4000-8000-000000000002";
const READER: &str = "c1000000-0000-4000-8000-000000000003";
const MONITOR: &str = "c1000000-0000-4000-8000-000000000004";
const ADMIN: &str = "c1000000-0000-4000-8000-000000000005";
const WAIT: Duration = Duration::from_secs(15);

/// A database with a client, another client, a reader who takes calls at
/// any hour and is online, a monitor and an admin.
async fn people() -> Result<(TestDb, samia_tests::Session)> {
    let db = TestDb::migrated().await?;
    let system = db.system().await?;
    for (id, email, role) in [
        (CLIENT, "client@example.com", 5i16),
        (OTHER, "other@example.com", 5),
        (READER, "reader@example.com", 3),
        (MONITOR, "monitor@example.com", 4),
        (ADMIN, "admin@example.com", 2),
    ] {
        sign_up(&system, id, email).await?;
        system
            .execute(
                "update public.profiles set role_id = $2 where id = $1::text::uuid",
                &[&id, &role],
            )
            .await?;
    }
    system
        .batch_execute(&format!(
            "insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone)
               select '{READER}', d, '00:00', '24:00', 'Africa/Cairo' from generate_series(1, 7) d;
             insert into public.reader_presence (reader_id, status) values ('{READER}', 'online');"
        ))
        .await?;
    Ok((db, system))
}

/// The stack: fake LiveKit posting to a sidecar that uses it.
struct Stack {
    livekit: FakeLiveKit,
    sidecar: Sidecar,
    _twilio: FakeTwilio,
    listen: String,
    db_url: String,
}

impl Stack {
    fn start(db: &TestDb) -> Result<Stack> {
        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let livekit = FakeLiveKit::start(&format!("http://{listen}/v1/webhooks/livekit"))?;
        let twilio = FakeTwilio::start()?;
        let sidecar = Stack::sidecar(&listen, &db.url, &twilio, &livekit)?;
        Ok(Stack {
            livekit,
            sidecar,
            _twilio: twilio,
            listen,
            db_url: db.url.clone(),
        })
    }

    fn sidecar(
        listen: &str,
        db_url: &str,
        twilio: &FakeTwilio,
        livekit: &FakeLiveKit,
    ) -> Result<Sidecar> {
        let mut env: Vec<(String, String)> = livekit.env();
        env.push(("SUPABASE_JWT_SECRET".into(), JWT_SECRET.into()));
        // Tokens as long-lived as the sidecar allows: the call's window is
        // what must bound them.
        env.push(("SAMIA_CALL_TOKEN_TTL_SECS".into(), "86400".into()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Sidecar::start_on(listen, db_url, twilio, &env)
    }

    fn restart(&mut self) -> Result<()> {
        self.sidecar = Stack::sidecar(&self.listen, &self.db_url, &self._twilio, &self.livekit)?;
        Ok(())
    }

    async fn join(&self, order: i64, user: &str) -> Result<(u16, Value)> {
        join_route(
            &self.sidecar.addr,
            &order.to_string(),
            Some(&user_token(user)?),
        )
        .await
    }

    /// Joins through the route and connects at the fake with the token.
    async fn connect(&self, order: i64, user: &str) -> Result<Value> {
        let (status, grant) = self.join(order, user).await?;
        ensure!(status == 200, "join as {user}: {status} {grant}");
        let room = grant["room"].as_str().unwrap_or_default().to_string();
        let token = grant["token"].as_str().unwrap_or_default().to_string();
        let (status, body) = self.livekit.join(&room, &token).await?;
        ensure!(
            status == 200,
            "the fake refused {user}'s token: {status} {body}"
        );
        Ok(grant)
    }
}

/// `days` days from today at `time` (HH:MM) in the reader's zone: the same
/// time of day whenever the test runs, so a booking that is not about
/// "soon" never crosses the reader's midnight.
fn reader_time(days: u32, time: &str) -> String {
    format!(
        "(date_trunc('day', now() at time zone 'Africa/Cairo') + interval '{days} days {time}') \
         at time zone 'Africa/Cairo'"
    )
}

async fn book(api: &mut Client, sql_time: &str) -> Result<i64> {
    let rows = request(
        api,
        Caller::User(CLIENT),
        &format!("select id from public.book_call('direct_call', '{READER}', {sql_time}, 'Europe/London')"),
    )
    .await?;
    Ok(rows[0].get(0))
}

async fn order_status(system: &Client, order: i64) -> Result<String> {
    Ok(system
        .query_one(
            "select status::text from public.orders where id = $1",
            &[&order],
        )
        .await?
        .get(0))
}

async fn until_status(system: &Client, order: i64, want: &str) -> Result<()> {
    eventually(WAIT, &format!("order {order} {want}"), || async {
        Ok((order_status(system, order).await? == want).then_some(()))
    })
    .await
}

/// A call now, with both parties in the room: in progress.
async fn live_call(stack: &Stack, api: &mut Client, system: &Client) -> Result<i64> {
    let order = book(api, "null").await?;
    stack.connect(order, CLIENT).await?;
    stack.connect(order, READER).await?;
    until_status(system, order, "in_progress").await?;
    Ok(order)
}

/// A request as `who` that must fail: its SQLSTATE and message.
async fn refused(api: &mut Client, who: &str, sql: &str, what: &str) -> (String, String) {
    failure(request(api, Caller::User(who), sql).await, what)
}

/// Waits until the fake LiveKit has nobody left in the order's room.
async fn until_room_empty(stack: &Stack, order: i64) -> Result<()> {
    eventually(WAIT, "the room emptied", || async {
        Ok(stack
            .livekit
            .in_room(&format!("call-{order}"))
            .await?
            .is_empty()
            .then_some(()))
    })
    .await
}

#[tokio::test]
async fn a_booked_call_is_joined_started_and_delivered() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = book(&mut api, "now() + interval '5 minutes'").await?;
    assert_eq!(order_status(&system, order).await?, "assigned");

    // The client's booking notice is in their time zone; reminders and the
    // missed-call check are queued for later.
    let notice: String = system
        .query_one(
            "select body from public.notifications where user_id = $1::text::uuid and kind = 'call.booked'",
            &[&CLIENT],
        )
        .await?
        .get(0);
    assert!(notice.contains("(Europe/London)"), "{notice}");
    let queued: Vec<String> = system
        .query(
            "select kind || ':' || coalesce(payload ->> 'minutes', payload ->> 'check')
               from ops.jobs where payload ->> 'order_id' = $1 order by 1",
            &[&order.to_string()],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Both reminders are already past for a call in five minutes.
    assert_eq!(queued, ["call.deadline:missed"]);

    let client = stack.connect(order, CLIENT).await?;
    assert_eq!(client["room"], format!("call-{order}"));
    assert_eq!(client["identity"], CLIENT);
    assert_eq!(client["role"], "client");
    assert!(client["url"]
        .as_str()
        .unwrap_or_default()
        .starts_with("ws://"));
    let monitor = stack.connect(order, MONITOR).await?;
    assert_eq!(monitor["role"], "monitor");
    // The monitor is hidden and listens only: the fake refuses a publish.
    let (status, _) = stack
        .livekit
        .post_publish(&format!("call-{order}"), MONITOR)
        .await?;
    assert_eq!(status, 403, "a hidden monitor cannot publish");
    // Only the client and a monitor: not started yet.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(order_status(&system, order).await?, "assigned");

    stack.connect(order, READER).await?;
    until_status(&system, order, "in_progress").await?;
    let presence: String = system
        .query_one(
            "select status from public.reader_presence where reader_id = $1::text::uuid",
            &[&READER],
        )
        .await?
        .get(0);
    assert_eq!(presence, "busy");

    stack.livekit.finish(&format!("call-{order}")).await?;
    until_status(&system, order, "delivered").await?;
    let row = system
        .query_one(
            "select end_reason, started_at is not null, ended_at is not null from public.calls where order_id = $1",
            &[&order],
        )
        .await?;
    assert_eq!(row.get::<_, String>(0), "completed");
    assert!(row.get::<_, bool>(1) && row.get::<_, bool>(2));
    let events: Vec<String> = system
        .query(
            "select event from public.audit_log where entity = 'calls' order by id",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for want in ["call.monitor_joined", "call.started", "call.ended"] {
        assert!(events.iter().any(|e| e == want), "{want} not in {events:?}");
    }
    let transitions: i64 = system
        .query_one(
            "select count(*) from public.audit_log where event = 'order.transition' and entity_id = $1
               and meta ->> 'to' in ('in_progress', 'delivered')",
            &[&order.to_string()],
        )
        .await?
        .get(0);
    assert_eq!(transitions, 2);

    // A reminder of a call that has ended sends nothing.
    let sent: bool = system
        .query_one(
            "select samia.call_remind($1, planned_start, 15) from public.calls where order_id = $1",
            &[&order],
        )
        .await?
        .get(0);
    assert!(!sent);
    let reminders: i64 = system
        .query_one(
            "select count(*) from public.notifications where kind = 'call.reminder'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(reminders, 0);
    Ok(())
}

#[tokio::test]
async fn reminders_reach_both_parties_of_a_booked_call() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let _stack = Stack::start(&db)?;
    let order = book(&mut api, &reader_time(2, "12:00")).await?;
    system
        .execute(
            "update ops.jobs set run_at = now() where kind = 'call.remind' and payload ->> 'order_id' = $1",
            &[&order.to_string()],
        )
        .await?;
    let sent = eventually(WAIT, "reminders", || async {
        let n: i64 = system
            .query_one(
                "select count(*) from public.notifications where kind = 'call.reminder' and order_id = $1",
                &[&order],
            )
            .await?
            .get(0);
        Ok((n == 4).then_some(n))
    })
    .await?;
    assert_eq!(sent, 4, "two reminders, each to the client and the reader");
    Ok(())
}

#[tokio::test]
async fn a_monitor_drops_a_call_while_the_sidecar_is_down() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let mut stack = Stack::start(&db)?;
    let order = live_call(&stack, &mut api, &system).await?;

    stack.sidecar.kill();
    // Neither a client nor the reader may drop it; the monitor needs a reason.
    for who in [CLIENT, READER] {
        let rows = request(
            &mut api,
            Caller::User(who),
            &format!("update public.calls set end_reason = 'dropped_by_monitor', reason = 'x' where order_id = {order} returning 1"),
        )
        .await?;
        assert!(rows.is_empty(), "{who} dropped the call");
    }
    let (state, message) = refused(
        &mut api,
        MONITOR,
        &format!("select * from public.drop_call({order}, ' ')"),
        "a drop without a reason",
    )
    .await;
    assert_eq!(state, "22023", "{message}");
    request(
        &mut api,
        Caller::User(MONITOR),
        &format!("select * from public.drop_call({order}, 'abusive language')"),
    )
    .await?;
    assert_eq!(order_status(&system, order).await?, "cancelled");
    let row = system
        .query_one(
            "select c.end_reason, c.ended_by::text, o.status_reason,
                    (select count(*) from public.moderation_actions m
                      where m.action = 'drop_call' and m.target_kind = 'call' and m.target_id = c.id::text
                        and m.actor_id = $2::text::uuid and m.reason = 'abusive language'),
                    (select count(*) from public.audit_log a where a.event = 'call.dropped' and a.entity_id = c.id::text)
               from public.calls c join public.orders o on o.id = c.order_id where c.order_id = $1",
            &[&order, &MONITOR],
        )
        .await?;
    assert_eq!(row.get::<_, String>(0), "dropped_by_monitor");
    assert_eq!(row.get::<_, String>(1), MONITOR);
    assert!(row.get::<_, String>(2).contains("abusive language"));
    assert_eq!((row.get::<_, i64>(3), row.get::<_, i64>(4)), (1, 1));
    // The room is still open at LiveKit while the sidecar is down...
    assert_eq!(
        stack.livekit.in_room(&format!("call-{order}")).await?.len(),
        2
    );
    // ...and closed once it is back.
    stack.restart()?;
    eventually(WAIT, "the room deleted", || async {
        let deleted = stack
            .livekit
            .requests()
            .await?
            .iter()
            .any(|r| r["method"] == "DeleteRoom" && r["room"] == format!("call-{order}"));
        Ok(deleted.then_some(()))
    })
    .await?;
    assert!(stack
        .livekit
        .in_room(&format!("call-{order}"))
        .await?
        .is_empty());
    // A dropped call is not joinable.
    let (status, _) = stack.join(order, CLIENT).await?;
    assert_eq!(status, 409);
    Ok(())
}

#[tokio::test]
async fn a_party_blocked_mid_call_is_removed_and_refused_new_tokens() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = live_call(&stack, &mut api, &system).await?;
    request(
        &mut api,
        Caller::User(MONITOR),
        &format!("update public.profiles set is_blocked = true, blocked_reason = 'threats' where id = '{CLIENT}'"),
    )
    .await?;
    eventually(WAIT, "the client removed from the room", || async {
        let left = stack.livekit.in_room(&format!("call-{order}")).await?;
        Ok((!left.iter().any(|p| p == CLIENT)).then_some(()))
    })
    .await?;
    assert!(stack
        .livekit
        .requests()
        .await?
        .iter()
        .any(|r| r["method"] == "RemoveParticipant" && r["identity"] == CLIENT));
    let (status, body) = stack.join(order, CLIENT).await?;
    assert_eq!(status, 403, "{body}");
    // The reader is still in the call.
    let (status, _) = stack.join(order, READER).await?;
    assert_eq!(status, 200);
    Ok(())
}

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
async fn a_reader_who_does_not_join_misses_the_call() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = book(&mut api, "null").await?;
    stack.connect(order, CLIENT).await?;
    // Ten minutes pass (calls.missed_after_minutes) without the reader.
    system
        .execute(
            "update ops.jobs set run_at = now() where kind = 'call.deadline' and payload ->> 'order_id' = $1",
            &[&order.to_string()],
        )
        .await?;
    until_status(&system, order, "cancelled").await?;
    let row = system
        .query_one(
            "select end_reason, reason from public.calls where order_id = $1",
            &[&order],
        )
        .await?;
    assert_eq!(row.get::<_, String>(0), "failed");
    assert!(row.get::<_, String>(1).contains("did not join"));
    let told: i64 = system
        .query_one(
            "select count(*) from public.notifications where kind = 'call.missed' and user_id = $1::text::uuid",
            &[&ADMIN],
        )
        .await?
        .get(0);
    assert_eq!(told, 1);
    // The room the client waited in is closed.
    until_room_empty(&stack, order).await?;
    Ok(())
}

#[tokio::test]
async fn bookings_never_overlap_and_say_why() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let first = book(&mut api, &reader_time(2, "12:00")).await?;
    // 30 minutes, 5-minute buffers: 20 minutes later overlaps.
    let (state, message) = failure(
        request(
            &mut api,
            Caller::User(OTHER),
            &format!(
                "select id from public.book_call('direct_call', '{READER}', {})",
                reader_time(2, "12:20")
            ),
        )
        .await,
        "an overlapping booking",
    );
    assert_eq!(state, "23P01", "{message}");
    assert!(message.contains("already booked from"), "{message}");
    assert!(
        !message.contains(CLIENT),
        "the message names the other client: {message}"
    );
    // Right after, buffers included, is fine.
    request(
        &mut api,
        Caller::User(OTHER),
        &format!(
            "select id from public.book_call('direct_call', '{READER}', {})",
            reader_time(2, "12:40")
        ),
    )
    .await?;
    // Outside the reader's hours, and during time off (the whole day five
    // days from today in the reader's zone): 23514.
    system
        .batch_execute(&format!(
            "update public.reader_availability set ends_at = '12:00' where reader_id = '{READER}';
             insert into public.reader_time_off (reader_id, starts_at, ends_at)
               values ('{READER}', {}, {});",
            reader_time(5, "00:00"),
            reader_time(6, "00:00")
        ))
        .await?;
    for (when, want) in [
        (reader_time(2, "15:00"), "does not take calls"),
        (reader_time(5, "09:00"), "is off from"),
    ] {
        let (state, message) = refused(
            &mut api,
            OTHER,
            &format!("select id from public.book_call('healing', '{READER}', {when})"),
            "a booking outside the hours",
        )
        .await;
        assert_eq!(state, "23514", "{message}");
        assert!(message.contains(want), "{message}");
    }
    // A call now needs an online reader.
    system
        .execute("update public.reader_presence set status = 'offline'", &[])
        .await?;
    let (state, message) = refused(
        &mut api,
        OTHER,
        &format!("select id from public.book_call('direct_call', '{READER}')"),
        "a call now with an offline reader",
    )
    .await;
    assert_eq!(state, "23514", "{message}");
    // A cancelled booking frees its time (a booked call is assigned: an
    // admin cancels it, with a reason).
    request(
        &mut api,
        Caller::User(ADMIN),
        &format!("update public.orders set status = 'cancelled', status_reason = 'the client asked' where id = {first}"),
    )
    .await?;
    system
        .execute(
            "update public.reader_availability set ends_at = '24:00'",
            &[],
        )
        .await?;
    request(
        &mut api,
        Caller::User(OTHER),
        &format!(
            "select id from public.book_call('direct_call', '{READER}', {})",
            reader_time(2, "12:00")
        ),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_booking_storm_books_one_slot_once() -> Result<()> {
    let (db, system) = people().await?;
    let mut clients = Vec::new();
    for i in 0..50 {
        let id = format!("d1000000-0000-4000-8000-{i:012}");
        sign_up(&system, &id, &format!("storm{i}@example.com")).await?;
        clients.push(id);
    }
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let url = db.url.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let mut c = samia_tests::connect(&url).await?;
                let r = request(
                    &mut c,
                    Caller::User(&id),
                    &format!(
                        "select id from public.book_call('direct_call', '{READER}', {})",
                        reader_time(2, &format!("12:{:02}", i % 10))
                    ),
                )
                .await;
                Ok::<_, anyhow::Error>(r.map(|_| ()).map_err(|e| {
                    samia_tests::sqlstate(&e)
                        .unwrap_or("client error")
                        .to_string()
                }))
            })
        })
        .collect();
    let mut ok = 0;
    let mut states = Vec::new();
    for t in tasks {
        match t.await?? {
            Ok(()) => ok += 1,
            Err(state) => states.push(state),
        }
    }
    assert_eq!(ok, 1, "exactly one booking succeeds: {states:?}");
    assert!(states.iter().all(|s| s == "23P01"), "{states:?}");
    let held: i64 = system
        .query_one(
            "select count(*) from public.calls where ended_at is null",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(held, 1);
    Ok(())
}

#[tokio::test]
async fn a_call_past_the_services_longest_is_ended() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let stack = Stack::start(&db)?;
    let order = live_call(&stack, &mut api, &system).await?;
    // The overrun check is due at the service's meta.max_minutes after the
    // start (60 for a direct call); let that time pass.
    let due: bool = system
        .query_one(
            "select run_at > now() + interval '59 minutes' from ops.jobs
              where kind = 'call.deadline' and payload ->> 'check' = 'overrun'
                and payload ->> 'order_id' = $1",
            &[&order.to_string()],
        )
        .await?
        .get(0);
    assert!(
        due,
        "the overrun check is set for the service's longest call"
    );
    system
        .execute(
            "update ops.jobs set run_at = now() where kind = 'call.deadline'
                and payload ->> 'check' = 'overrun' and payload ->> 'order_id' = $1",
            &[&order.to_string()],
        )
        .await?;
    until_status(&system, order, "delivered").await?;
    let reason: String = system
        .query_one(
            "select reason from public.calls where order_id = $1",
            &[&order],
        )
        .await?
        .get(0);
    assert!(reason.contains("longest, 60 minutes"), "{reason}");
    until_room_empty(&stack, order).await?;
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
