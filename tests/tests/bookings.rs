//! Bookings (CONTRACT.md sections 4, 5, 6 and 11), through requests made as
//! PostgREST makes them: the reader's hours as stretches of time, who may
//! place a call order, call rows no API role writes, what a move and a
//! cancellation leave behind, the booking limits, the record of a drop, and
//! the settings every caller reads alike. Every time is chosen explicitly
//! (a weekday and an hour in the reader's zone), never "now plus a bit",
//! unless the rule is about now.

use anyhow::{ensure, Result};
use samia_tests::postgrest::{failure, request, try_request, Caller};
use samia_tests::{sign_up, Session, TestDb};

const CLIENT: &str = "b1000000-0000-4000-8000-000000000001";
const OTHER: &str = "b1000000-0000-4000-8000-000000000002";
const READER: &str = "b1000000-0000-4000-8000-000000000003";
const MONITOR: &str = "b1000000-0000-4000-8000-000000000004";
const ADMIN: &str = "b1000000-0000-4000-8000-000000000005";
const NIGHT_READER: &str = "b1000000-0000-4000-8000-000000000006";

/// Next week's Monday at `hh:mm` in Cairo (1 to 8 days ahead, whatever the
/// day and hour of the run), as an SQL timestamptz expression.
fn next_monday(hh_mm: &str) -> String {
    format!(
        "((date_trunc('week', now() at time zone 'Africa/Cairo') + interval '7 days' + time '{hh_mm}')
          at time zone 'Africa/Cairo')"
    )
}

/// The day after tomorrow at `hh:mm` in Cairo.
fn after_tomorrow(hh_mm: &str) -> String {
    format!(
        "((date_trunc('day', now() at time zone 'Africa/Cairo') + interval '2 days' + time '{hh_mm}')
          at time zone 'Africa/Cairo')"
    )
}

/// Two clients, a reader who takes calls at any hour (and is online), a
/// reader of late nights only (Monday 20:00-24:00 and Tuesday 00:00-02:00,
/// Cairo), a monitor and an admin.
async fn people() -> Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let system = db.system().await?;
    for (id, email, role) in [
        (CLIENT, "client@example.com", 5i16),
        (OTHER, "other@example.com", 5),
        (READER, "reader@example.com", 3),
        (MONITOR, "monitor@example.com", 4),
        (ADMIN, "admin@example.com", 2),
        (NIGHT_READER, "night@example.com", 3),
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
             insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone) values
               ('{NIGHT_READER}', 1, '20:00', '24:00', 'Africa/Cairo'),
               ('{NIGHT_READER}', 2, '00:00', '02:00', 'Africa/Cairo');
             insert into public.reader_presence (reader_id, status) values ('{READER}', 'online');"
        ))
        .await?;
    Ok((db, system))
}

/// Books `service` with `reader` at the SQL time `at` (or `null`: now) as
/// `who`; the order's id.
async fn book_as(
    api: &mut Session,
    who: &str,
    reader: &str,
    at: &str,
) -> Result<i64, tokio_postgres::Error> {
    let rows = request(
        api,
        Caller::User(who),
        &format!(
            "select id from public.book_call('direct_call', '{reader}', {at}, 'Africa/Cairo')"
        ),
    )
    .await?;
    Ok(rows[0].get(0))
}

async fn refused_as(api: &mut Session, who: Caller<'_>, sql: &str) -> (String, String) {
    failure(request(api, who, sql).await, sql)
}

async fn count(system: &Session, sql: &str) -> Result<i64> {
    Ok(system.query_one(sql, &[]).await?.get(0))
}

#[tokio::test]
async fn a_call_may_run_past_midnight_when_the_readers_windows_meet() -> Result<()> {
    let (db, _system) = people().await?;
    let mut api = db.system().await?;
    // Monday 23:45 Cairo for 30 minutes (and 5 of buffer): into Tuesday.
    book_as(&mut api, CLIENT, NIGHT_READER, &next_monday("23:45")).await?;
    // Tuesday 01:45 runs past the Tuesday window's end at 02:00.
    let (code, message) = failure(
        try_request(
            &mut api,
            Caller::User(OTHER),
            &format!(
                "select public.book_call('direct_call', '{NIGHT_READER}', {} + interval '2 hours', 'Africa/Cairo')",
                next_monday("23:45")
            ),
        )
        .await,
        "a call from 01:45 to 02:15",
    );
    assert_eq!(code, "23514", "{message}");
    assert!(message.contains("does not take calls"), "{message}");
    // And 19:45, before the Monday window opens.
    let (code, _) = failure(
        try_request(
            &mut api,
            Caller::User(OTHER),
            &format!(
                "select public.book_call('direct_call', '{NIGHT_READER}', {}, 'Africa/Cairo')",
                next_monday("19:45")
            ),
        )
        .await,
        "a call at 19:45",
    );
    assert_eq!(code, "23514");
    Ok(())
}

#[tokio::test]
async fn only_clients_place_orders_whatever_the_path() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let at = after_tomorrow("12:00");
    for who in [READER, MONITOR, ADMIN] {
        let (code, message) = refused_as(
            &mut api,
            Caller::User(who),
            &format!("select public.book_call('direct_call', '{READER}', {at}, 'Africa/Cairo')"),
        )
        .await;
        assert_eq!(code, "42501", "{who}: {message}");
        assert!(message.contains("only clients place orders"), "{message}");
        let (code, _) = refused_as(
            &mut api,
            Caller::User(who),
            &format!(
                "insert into public.orders (user_id, service_id)
                 select '{who}', id from public.services where code = 'tarot'"
            ),
        )
        .await;
        assert_eq!(code, "42501", "{who} inserting an order");
    }
    assert_eq!(
        count(&system, "select count(*) from public.orders").await?,
        0
    );
    book_as(&mut api, CLIENT, READER, &at).await?;
    assert_eq!(
        count(&system, "select count(*) from public.orders").await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn no_api_role_inserts_or_deletes_call_rows() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let order = book_as(&mut api, CLIENT, READER, &after_tomorrow("12:00")).await?;
    let plant = format!(
        "insert into public.calls (order_id, reader_id, slot, planned_start, planned_end)
         values ({order}, '{READER}', tstzrange(now() + interval '3 days', now() + interval '3 days 1 hour'),
                 now() + interval '3 days', now() + interval '3 days 1 hour')"
    );
    for who in [
        Caller::Service,
        Caller::User(ADMIN),
        Caller::User(CLIENT),
        Caller::Anon,
    ] {
        let (code, message) = refused_as(&mut api, who, &plant).await;
        assert_eq!(code, "42501", "{who:?} inserting a call: {message}");
        let (code, message) = refused_as(
            &mut api,
            who,
            &format!("delete from public.calls where order_id = {order} returning order_id"),
        )
        .await;
        // A role without the privilege gets 42501; RLS could only hide rows.
        assert_eq!(code, "42501", "{who:?} deleting a call: {message}");
    }
    // Not even a role the API roles could become: the trigger refuses any
    // session that is not the extension's own work.
    system
        .batch_execute("create role samia_test_writer; grant insert, delete on public.calls to samia_test_writer;")
        .await?;
    let err = system
        .batch_execute(&format!(
            "begin; set local role samia_test_writer; delete from public.calls where order_id = {order}; commit;"
        ))
        .await;
    system.batch_execute("rollback").await.ok();
    ensure!(err.is_err(), "a plain role deleted a call row");
    assert_eq!(
        count(
            &system,
            &format!("select count(*) from public.calls where order_id = {order}")
        )
        .await?,
        1
    );
    system
        .batch_execute("drop owned by samia_test_writer; drop role samia_test_writer;")
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_moved_booking_retires_what_was_queued_for_its_old_time() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let first = after_tomorrow("12:00");
    let order = book_as(&mut api, CLIENT, READER, &first).await?;
    let queued = |status: &str| {
        format!(
            "select count(*) from ops.jobs where status = '{status}' and kind in ('call.remind', 'call.deadline')
               and payload ->> 'order_id' = '{order}'"
        )
    };
    // A reminder 24 hours ahead (the 15-minute one too) and the missed-call check.
    assert_eq!(count(&system, &queued("queued")).await?, 3);
    request(
        &mut api,
        Caller::User(CLIENT),
        &format!("update public.orders set scheduled_at = {first} + interval '3 hours' where id = {order}"),
    )
    .await?;
    assert_eq!(count(&system, &queued("cancelled")).await?, 3);
    let new_time: String = system
        .query_one(
            &format!("select to_char(planned_start at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI') from public.calls where order_id = {order}"),
            &[],
        )
        .await?
        .get(0);
    // What is queued now is for the new time only.
    let stale = count(
        &system,
        &format!(
            "select count(*) from ops.jobs where status = 'queued' and payload ->> 'order_id' = '{order}'
               and kind in ('call.remind', 'call.deadline')
               and not starts_with(payload ->> 'scheduled_at', '{new_time}')"
        ),
    )
    .await?;
    assert_eq!(stale, 0);
    assert_eq!(count(&system, &queued("queued")).await?, 3);

    // A call now, moved to a later time, frees its reader.
    let now_call = book_as(&mut api, OTHER, READER, "null").await?;
    let presence = "select status from public.reader_presence where reader_id = 'b1000000-0000-4000-8000-000000000003'";
    assert_eq!(
        system.query_one(presence, &[]).await?.get::<_, String>(0),
        "busy"
    );
    request(
        &mut api,
        Caller::User(OTHER),
        &format!(
            "update public.orders set scheduled_at = {} where id = {now_call}",
            after_tomorrow("18:00")
        ),
    )
    .await?;
    assert_eq!(
        system.query_one(presence, &[]).await?.get::<_, String>(0),
        "online"
    );
    assert_eq!(
        count(
            &system,
            &format!(
                "select count(*) from ops.jobs where status = 'queued' and kind = 'call.deadline'
                        and payload ->> 'order_id' = '{now_call}'"
            )
        )
        .await?,
        1,
        "one missed-call check, for the new time"
    );
    Ok(())
}

/// A missed-call check made for a booking's old time (running when the move
/// retired the queued ones, so not retired) ends nothing: the call is not
/// yet due at its new time, whose own check the move queued.
#[tokio::test]
async fn a_missed_call_check_for_a_moved_bookings_old_time_ends_nothing() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let order = book_as(&mut api, CLIENT, READER, "null").await?;
    request(
        &mut api,
        Caller::User(CLIENT),
        &format!(
            "update public.orders set scheduled_at = {} where id = {order}",
            after_tomorrow("18:00")
        ),
    )
    .await?;
    let sidecar =
        samia_tests::connect(&format!("{} options='-c role=samia_sidecar'", db.url)).await?;
    let ended: bool = sidecar
        .query_one("select samia.call_deadline($1, 'missed')", &[&order])
        .await?
        .get(0);
    ensure!(!ended, "the stale check ended the moved call");
    let row = system
        .query_one(
            "select c.ended_at is null, o.status::text from public.calls c
               join public.orders o on o.id = c.order_id where c.order_id = $1",
            &[&order],
        )
        .await?;
    ensure!(row.get::<_, bool>(0), "the moved call was ended");
    ensure!(
        row.get::<_, String>(1) != "cancelled",
        "the moved call's order was cancelled"
    );
    Ok(())
}

#[tokio::test]
async fn a_client_cancels_a_booked_call_until_its_window_opens() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let at = after_tomorrow("12:00");
    let order = book_as(&mut api, CLIENT, READER, &at).await?;
    request(
        &mut api,
        Caller::User(CLIENT),
        &format!("update public.orders set status = 'cancelled' where id = {order}"),
    )
    .await?;
    // The slot is free: another client books the same time.
    book_as(&mut api, OTHER, READER, &at).await?;
    assert_eq!(
        count(
            &system,
            &format!("select count(*) from public.calls where order_id = {order} and ended_at is not null")
        )
        .await?,
        1
    );
    // A call now has its window open: too late to cancel alone.
    let now_call = book_as(&mut api, CLIENT, READER, "null").await?;
    let (code, message) = refused_as(
        &mut api,
        Caller::User(CLIENT),
        &format!("update public.orders set status = 'cancelled' where id = {now_call}"),
    )
    .await;
    assert_eq!(code, "23514", "{message}");
    assert!(message.contains("too late to cancel"), "{message}");
    // Not another client's booking, and not a reader's.
    let later = book_as(&mut api, CLIENT, READER, &after_tomorrow("15:00")).await?;
    for who in [OTHER, READER] {
        let rows = request(
            &mut api,
            Caller::User(who),
            &format!(
                "update public.orders set status = 'cancelled' where id = {later} returning id"
            ),
        )
        .await;
        match rows {
            Ok(rows) => assert!(rows.is_empty(), "{who} cancelled another's booking"),
            Err(e) => assert_eq!(samia_tests::sqlstate(&e), Some("42501"), "{e}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn booking_limits_come_from_app_config() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let (code, message) = refused_as(
        &mut api,
        Caller::User(CLIENT),
        &format!(
            "select public.book_call('direct_call', '{READER}', {} + interval '60 days', 'Africa/Cairo')",
            after_tomorrow("12:00")
        ),
    )
    .await;
    assert_eq!(code, "23514", "{message}");
    assert!(message.contains("calls.max_days_ahead"), "{message}");
    for hour in ["10:00", "12:00", "14:00"] {
        book_as(&mut api, CLIENT, READER, &after_tomorrow(hour)).await?;
    }
    let (code, message) = refused_as(
        &mut api,
        Caller::User(CLIENT),
        &format!(
            "select public.book_call('direct_call', '{READER}', {}, 'Africa/Cairo')",
            after_tomorrow("16:00")
        ),
    )
    .await;
    assert_eq!(code, "23514", "{message}");
    assert!(message.contains("calls.max_open_bookings"), "{message}");
    // An admin raises the limit; the fourth booking goes through.
    request(
        &mut api,
        Caller::User(ADMIN),
        "update public.app_config set value = '4' where key = 'calls.max_open_bookings'",
    )
    .await?;
    book_as(&mut api, CLIENT, READER, &after_tomorrow("16:00")).await?;
    // Moving a booking past the horizon is refused too.
    let (code, _) = refused_as(
        &mut api,
        Caller::User(CLIENT),
        "update public.orders set scheduled_at = scheduled_at + interval '90 days'
          where id = (select min(id) from public.orders)",
    )
    .await;
    assert_eq!(code, "23514");
    // A horizon of any size is a clear setting, never an internal error.
    request(
        &mut api,
        Caller::User(ADMIN),
        "update public.app_config set value = '1000000000000000' where key = 'calls.max_days_ahead'",
    )
    .await?;
    book_as(&mut api, OTHER, READER, &after_tomorrow("18:00")).await?;
    drop(system);
    Ok(())
}

#[tokio::test]
async fn a_drop_is_one_moderation_record_and_audited_as_the_monitor() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let order = book_as(&mut api, CLIENT, READER, "null").await?;
    request(
        &mut api,
        Caller::User(MONITOR),
        &format!("select public.drop_call({order}, 'abusive language')"),
    )
    .await?;
    let moderation: Vec<(String, Option<String>)> = system
        .query(
            "select action, actor_id::text from public.moderation_actions
              where target_kind in ('call', 'order') order by id",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        moderation,
        vec![("drop_call".to_string(), Some(MONITOR.to_string()))]
    );
    let audit: Vec<(String, Option<String>, String)> = system
        .query(
            "select event, actor::text, actor_role from public.audit_log
              where event in ('call.dropped', 'order.transition')
                and (entity = 'calls' or (entity = 'orders' and meta ->> 'to' = 'cancelled'))
              order by id",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        audit,
        vec![
            (
                "call.dropped".to_string(),
                Some(MONITOR.to_string()),
                "monitor".to_string()
            ),
            (
                "order.transition".to_string(),
                Some(MONITOR.to_string()),
                "monitor".to_string()
            ),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn every_caller_reads_the_join_window_from_app_config() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let order = book_as(&mut api, CLIENT, READER, "now() + interval '90 minutes'").await?;
    let join = format!("select samia.call_join({order}) ->> 'role'");
    // With the default of 10 minutes, nobody may join 90 minutes early.
    for who in [CLIENT, READER] {
        let (code, _) = failure(try_request(&mut api, Caller::User(who), &join).await, &join);
        assert_eq!(code, "55000", "{who}");
    }
    request(
        &mut api,
        Caller::User(ADMIN),
        "update public.app_config set value = '120' where key = 'calls.join_early_minutes'",
    )
    .await?;
    for (who, role) in [(CLIENT, "client"), (READER, "reader"), (MONITOR, "monitor")] {
        let rows = try_request(&mut api, Caller::User(who), &join).await?;
        assert_eq!(rows[0].get::<_, String>(0), role);
    }
    drop(system);
    Ok(())
}

#[tokio::test]
async fn whether_a_reader_is_bookable_is_told_to_signed_in_users_only() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let ask = format!("select samia.is_active_reader('{READER}')");
    let answer = |rows: Vec<tokio_postgres::Row>| rows[0].get::<_, bool>(0);
    assert!(!answer(request(&mut api, Caller::Anon, &ask).await?));
    assert!(answer(request(&mut api, Caller::User(CLIENT), &ask).await?));
    system
        .execute(
            "update public.profiles set is_blocked = true, blocked_reason = 'test' where id = $1::text::uuid",
            &[&READER],
        )
        .await?;
    assert!(!answer(
        request(&mut api, Caller::User(CLIENT), &ask).await?
    ));
    assert!(!answer(request(&mut api, Caller::Anon, &ask).await?));
    Ok(())
}
