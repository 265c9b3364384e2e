//! Calls on LiveKit end to end: bookings through PostgREST, the sidecar's
//! join route with Supabase access tokens, the fake LiveKit's signed
//! webhooks moving the order, monitors' drops, blocks mid-call, deadlines.
//! What the join route and the webhook refuse is in `call_access.rs`; the
//! people and the stack both use are in `samia_tests::calls`.

use anyhow::Result;
use samia_tests::calls::{
    book, live_call, order_status, people, reader_time, refused, until_room_empty, until_status,
    Stack, ADMIN, CLIENT, MONITOR, OTHER, READER, WAIT,
};
use samia_tests::cluster::eventually;
use samia_tests::postgrest::{failure, request, Caller};
use samia_tests::sign_up;
use std::time::Duration;

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
    // On the client's clock (they booked from London), in their language
    // (Arabic: no country yet), so with Arabic-Indic digits.
    let london: String = system
        .query_one(
            "select to_char(planned_start at time zone 'Europe/London', 'FMHH12:MI')
               from public.calls where order_id = $1",
            &[&order],
        )
        .await?
        .get(0);
    let arabic: String = london
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
            None => c,
        })
        .collect();
    assert!(notice.contains(&arabic), "{notice} should show {arabic}");
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
