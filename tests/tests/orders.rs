//! The order workflow, through requests made exactly as PostgREST makes them.
//! The transition test is generated from `samia_core::order_flow::TRANSITIONS`.

use samia_core::order_flow::{self, Delivery, Refusal, Standing, Status};
use samia_core::roles::{Actor, AppRole};
use samia_tests::fixture::{self, ADMIN, MONITOR, OTHER, OWNER, READER, READER2, SUPERADMIN};
use samia_tests::media;
use samia_tests::postgrest::{refused, request, try_request, Api, Caller};
use samia_tests::{connect, one_text, sqlstate, Session, TestDb};
use tokio_postgres::Client;

/// SQL that makes the following statements act as `who` (no claims: system).
fn as_user(who: Option<&str>) -> String {
    match who {
        Some(id) => format!(
            "select set_config('request.jwt.claims', '{{\"sub\": \"{id}\", \"role\": \"authenticated\"}}', false);"
        ),
        None => "select set_config('request.jwt.claims', '', false);".into(),
    }
}

/// Creates an order of `service` for the owner and walks it to `status` as
/// the people entitled to each step; returns its id.
async fn order_in(c: &Client, service: &str, status: Status) -> anyhow::Result<i64> {
    let id: i64 = c
        .query_one(
            "insert into public.orders (user_id, service_id, scheduled_at)
             select $1::text::uuid, id,
                    -- The day after tomorrow from 12:00 in the readers' zone
                    -- (UTC), an hour apart: bookings of one reader never
                    -- overlap, and none crosses midnight whatever the hour.
                    case when delivery = 'call' then
                      (date_trunc('day', now() at time zone 'UTC') + interval '2 days 12 hours'
                       + (select count(*) from public.orders where scheduled_at is not null)
                         * interval '1 hour') at time zone 'UTC' end
               from public.services where code = $2 returning id",
            &[&OWNER, &service],
        )
        .await?
        .get(0);
    use Status::*;
    let path: &[Status] = match status {
        New => &[],
        Assigned => &[Assigned],
        InProgress => &[Assigned, InProgress],
        AwaitingApproval => &[Assigned, InProgress, AwaitingApproval],
        Rejected => &[Assigned, InProgress, AwaitingApproval, Rejected],
        Delivered if service == "tarot" => &[Assigned, InProgress, AwaitingApproval, Approved],
        Delivered => &[Assigned, InProgress, Delivered],
        Cancelled => &[Cancelled],
        Approved => anyhow::bail!("approved never persists: approval delivers"),
    };
    for step in path {
        let sql = match step {
            Assigned => format!("{} update public.orders set status = 'assigned', assigned_reader = '{READER}' where id = {id};", as_user(Some(ADMIN))),
            InProgress => format!("{} update public.orders set status = 'in_progress' where id = {id};", as_user(Some(READER))),
            AwaitingApproval => format!("{} update public.orders set output_media_id = 2, status = 'awaiting_approval' where id = {id};", as_user(Some(READER))),
            Rejected => format!("{} update public.orders set status = 'rejected', status_reason = 'redo' where id = {id};", as_user(Some(MONITOR))),
            Approved => format!("{} update public.orders set status = 'approved' where id = {id};", as_user(Some(MONITOR))),
            Delivered => format!("{} update public.orders set status = 'delivered' where id = {id};", as_user(None)),
            Cancelled => format!("{} update public.orders set status = 'cancelled' where id = {id};", as_user(Some(OWNER))),
            New => String::new(),
        };
        c.batch_execute(&format!("{sql} {}", as_user(None))).await?;
    }
    let now = one_text(
        c,
        &format!("select status::text from public.orders where id = {id}"),
    )
    .await?;
    anyhow::ensure!(
        now.as_deref() == Some(status.name()),
        "order {id} is {now:?}, wanted {status}"
    );
    Ok(id)
}

async fn fixture_db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

/// Every (from, to) pair x every caller, on an audio and a call service:
/// exactly the transitions of the table succeed, for exactly their callers,
/// and every refusal carries the table's SQLSTATE.
#[tokio::test]
async fn every_transition_for_every_caller_follows_the_table() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let callers: [(&str, &str, AppRole, bool, bool); 7] = [
        ("client owner", OWNER, AppRole::Client, true, false),
        ("other client", OTHER, AppRole::Client, false, false),
        ("assigned reader", READER, AppRole::Reader, false, true),
        ("other reader", READER2, AppRole::Reader, false, false),
        ("monitor", MONITOR, AppRole::Monitor, false, false),
        ("admin", ADMIN, AppRole::Admin, false, false),
        ("superadmin", SUPERADMIN, AppRole::Superadmin, false, false),
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for (service, delivery) in [("tarot", Delivery::Audio), ("direct_call", Delivery::Call)] {
        for from in Status::ALL {
            // Approval delivers at once, and calls are never submitted or rejected.
            let unreachable = matches!(
                (from, delivery),
                (Status::Approved, _)
                    | (Status::AwaitingApproval | Status::Rejected, Delivery::Call)
            );
            if unreachable {
                continue;
            }
            let id = order_in(&c, service, from).await?;
            for to in Status::ALL {
                let mut sets = vec![
                    format!("status = '{to}'"),
                    "status_reason = 'because'".to_string(),
                ];
                if to == Status::Assigned {
                    // A reassignment goes to another reader.
                    let reader = if from == Status::Assigned {
                        READER2
                    } else {
                        READER
                    };
                    sets.push(format!("assigned_reader = '{reader}'"));
                }
                if to == Status::AwaitingApproval {
                    sets.push("output_media_id = 2".into());
                }
                let sql = format!(
                    "update public.orders set {} where id = {id} returning status::text",
                    sets.join(", ")
                );
                for (who, uid, role, is_owner, reader) in callers {
                    cases += 1;
                    // New orders, and orders cancelled while new, have no reader yet.
                    let is_reader = reader && !matches!(from, Status::New | Status::Cancelled);
                    let standing = Standing {
                        actor: Actor::User {
                            role,
                            blocked: false,
                        },
                        is_owner,
                        is_assigned_reader: is_reader,
                    };
                    let sees = is_owner || is_reader || role.is_staff();
                    let expected: Result<usize, &str> = if !sees {
                        Ok(0)
                    } else if from == to
                        && !order_flow::from_state(from, delivery).any(|t| t.to == to)
                    {
                        // Not a transition: a reason without a status change is refused.
                        Err("23514")
                    } else {
                        match order_flow::check(from, to, delivery, &standing) {
                            Ok(_) => Ok(1),
                            Err(Refusal::NotAllowed) => Err("23514"),
                            Err(Refusal::NotYours(_)) => Err("42501"),
                        }
                    };
                    let got = match try_request(&mut c, Caller::User(uid), &sql).await {
                        Ok(rows) => Ok(rows.len()),
                        Err(e) => Err(sqlstate(&e).unwrap_or("none").to_string()),
                    };
                    let ok = match (&expected, &got) {
                        (Ok(n), Ok(m)) => n == m,
                        (Err(a), Err(b)) => a == b,
                        _ => false,
                    };
                    if !ok {
                        failures.push(format!(
                            "{service} {from} -> {to} as {who}: expected {expected:?}, got {got:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cases, (7 + 5) * 8 * 7);
    Ok(())
}

async fn rpc(c: &mut impl Api, who: &str, sql: &str) -> anyhow::Result<Vec<tokio_postgres::Row>> {
    request(c, Caller::User(who), sql)
        .await
        .map_err(|e| anyhow::anyhow!("{sql} as {who}: {e:?}"))
}

fn status_of(rows: &[tokio_postgres::Row]) -> String {
    rows[0].get::<_, String>("status_text")
}

/// place -> assign -> start -> submit -> reject -> rework -> approve, for
/// each audio service, through the RPC helpers.
#[tokio::test]
async fn audio_orders_from_placement_to_delivery() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    for service in ["tarot", "coffee", "astro"] {
        let input = if service == "coffee" {
            let path = format!("{OWNER}/cup.jpg");
            media::stored(&mut c, OWNER, "order-inputs", &path, "image/jpeg", 90_000).await?;
            media::register(&mut c, OWNER, "image", "order-inputs", &path)
                .await?
                .to_string()
        } else {
            "null".into()
        };
        let rows = rpc(&mut c, OWNER, &format!("select id, status::text as status_text from public.place_order('{service}', 'my question', {input})")).await?;
        let id: i64 = rows[0].get(0);
        assert_eq!(status_of(&rows), "new");
        let step = |who: &'static str, sql: String| (who, sql);
        for (who, sql) in [
            step(
                ADMIN,
                format!(
                    "select status::text as status_text from public.assign_order({id}, '{READER}')"
                ),
            ),
            step(
                READER,
                format!("select status::text as status_text from public.start_order({id})"),
            ),
        ] {
            rpc(&mut c, who, &sql).await?;
        }
        let media: i64 =
            media::ready_answer(&mut c, READER, &format!("answer-{service}.m4a"), "aaaa").await?;
        let rows = rpc(
            &mut c,
            READER,
            &format!("select status::text as status_text from public.submit_order({id}, {media})"),
        )
        .await?;
        assert_eq!(status_of(&rows), "awaiting_approval");
        let rows = rpc(&mut c, MONITOR, &format!("select status::text as status_text, status_reason from public.reject_order({id}, 'too quiet')")).await?;
        assert_eq!(
            (status_of(&rows), rows[0].get::<_, String>(1)),
            ("rejected".into(), "too quiet".into())
        );
        // Rework: a better recording, submitted again.
        rpc(&mut c, READER, &format!("select public.start_order({id})")).await?;
        let better: i64 =
            media::ready_answer(&mut c, READER, &format!("answer-{service}-2.m4a"), "bbbb").await?;
        rpc(
            &mut c,
            READER,
            &format!("select public.submit_order({id}, {better})"),
        )
        .await?;
        // The client does not hear it before approval.
        let heard = rpc(
            &mut c,
            OWNER,
            &format!("select count(*) from public.media_assets where id = {better}"),
        )
        .await?;
        assert_eq!(heard[0].get::<_, i64>(0), 0);
        let rows = rpc(&mut c, MONITOR, &format!("select status::text as status_text, delivered_at is not null from public.approve_order({id})")).await?;
        assert_eq!(
            (status_of(&rows), rows[0].get::<_, bool>(1)),
            ("delivered".into(), true)
        );

        // Delivered: the client hears the approved audio and is notified.
        let heard = rpc(
            &mut c,
            OWNER,
            &format!("select count(*) from public.media_assets where id = {better}"),
        )
        .await?;
        assert_eq!(heard[0].get::<_, i64>(0), 1);
        let note = rpc(
            &mut c,
            OWNER,
            &format!("select kind, title from public.notifications where order_id = {id}"),
        )
        .await?;
        assert_eq!(
            (note.len(), note[0].get::<_, String>(0)),
            (1, "order.delivered".to_string())
        );
        // The order's creation, audited with the client as actor and the row as placed.
        let created = one_text(&c, &format!(
            "select concat_ws('|', a.actor = o.user_id, a.actor_role,
                              a.meta = jsonb_build_object('user_id', o.user_id, 'service_id', o.service_id,
                                                          'is_gold', o.is_gold, 'status', 'new'),
                              a.created_at = o.created_at)
               from public.audit_log a join public.orders o on a.entity_id = o.id::text
              where a.entity = 'orders' and a.event = 'order.created' and o.id = {id}"
        )).await?;
        assert_eq!(created.as_deref(), Some("t|client|t|t"));
        // The records: every transition audited; reject and approve moderated, the approval with the audio's hash.
        let trail = one_text(&c, &format!(
            "select string_agg(meta ->> 'from' || '>' || (meta ->> 'to'), ' ' order by id) from public.audit_log
              where entity = 'orders' and entity_id = '{id}' and event = 'order.transition'"
        )).await?;
        assert_eq!(trail.as_deref(), Some("new>assigned assigned>in_progress in_progress>awaiting_approval awaiting_approval>rejected rejected>in_progress in_progress>awaiting_approval awaiting_approval>approved approved>delivered"));
        let moderation = one_text(&c, &format!(
            "select string_agg(action || ':' || coalesce(reason, ''), ' | ' order by id) from public.moderation_actions
              where target_kind = 'order' and target_id = '{id}'"
        )).await?;
        assert_eq!(
            moderation,
            Some(format!(
                "reject:too quiet | approve:audio {better} sha256 bbbb"
            ))
        );

        // The approved audio is pinned: its file cannot be replaced in
        // storage, nor its row pointed elsewhere.
        let replaced = media::stored(
            &mut c,
            READER,
            "readings",
            &format!("{READER}/answer-{service}-2.m4a"),
            "audio/mp4",
            1,
        )
        .await;
        assert_eq!(
            replaced.as_ref().err().and_then(sqlstate),
            Some("23514"),
            "{replaced:?}"
        );
        let (state, _) = refused(
            &mut c,
            READER,
            &format!("update public.media_assets set url = 'other.mp3' where id = {better}"),
        )
        .await;
        assert_eq!(state, "42501");
        let e = c
            .batch_execute(&format!(
                "update public.media_assets set url = 'other.mp3' where id = {better}"
            ))
            .await
            .expect_err("a pinned row changed");
        assert_eq!(sqlstate(&e), Some("23514"));
        let (state, _) = refused(
            &mut c,
            ADMIN,
            &format!("update public.orders set output_media_id = {media} where id = {id}"),
        )
        .await;
        assert_eq!(state, "23514");
        // Archived by an admin only.
        assert_eq!(
            refused(
                &mut c,
                OWNER,
                &format!("update public.orders set archived_at = now() where id = {id}")
            )
            .await
            .0,
            "42501"
        );
        rpc(&mut c, ADMIN, &format!("select public.archive_order({id})")).await?;
    }
    Ok(())
}

#[tokio::test]
async fn calls_and_cancellations() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    for (service, days) in [("healing", 2), ("direct_call", 3)] {
        // At 12:00 in the reader's zone (UTC), whatever the hour now.
        let when = format!("(date_trunc('day', now() at time zone 'UTC') + interval '{days} days 12 hours') at time zone 'UTC'");
        let id: i64 = rpc(
            &mut c,
            OWNER,
            &format!("select id from public.place_order('{service}', null, null, true, {when})"),
        )
        .await?[0]
            .get(0);
        rpc(
            &mut c,
            ADMIN,
            &format!("select public.assign_order({id}, '{READER}')"),
        )
        .await?;
        rpc(&mut c, READER, &format!("select public.start_order({id})")).await?;
        // Only the system ends a call as delivered (the call provider's report).
        assert_eq!(
            refused(
                &mut c,
                ADMIN,
                &format!("update public.orders set status = 'delivered' where id = {id}")
            )
            .await
            .0,
            "42501"
        );
        c.batch_execute(&format!(
            "update public.orders set status = 'delivered' where id = {id}"
        ))
        .await?;
        assert_eq!(
            one_text(
                &c,
                &format!("select status::text from public.orders where id = {id}")
            )
            .await?
            .as_deref(),
            Some("delivered")
        );
        rpc(&mut c, ADMIN, &format!("select public.archive_order({id})")).await?;
    }

    // The client cancels their own new order, not one already assigned.
    let id: i64 = rpc(&mut c, OWNER, "select id from public.place_order('tarot')").await?[0].get(0);
    rpc(&mut c, OWNER, &format!("select public.cancel_order({id})")).await?;
    let id: i64 = rpc(&mut c, OWNER, "select id from public.place_order('tarot')").await?[0].get(0);
    rpc(
        &mut c,
        ADMIN,
        &format!("select public.assign_order({id}, '{READER}')"),
    )
    .await?;
    let (state, message) =
        refused(&mut c, OWNER, &format!("select public.cancel_order({id})")).await;
    assert_eq!(state, "42501", "{message}");
    // An admin cancels with a reason only; the cancellation is moderated.
    assert_eq!(
        refused(&mut c, ADMIN, &format!("select public.cancel_order({id})"))
            .await
            .0,
        "22023"
    );
    rpc(
        &mut c,
        ADMIN,
        &format!("select public.cancel_order({id}, 'client asked by phone')"),
    )
    .await?;
    assert_eq!(
        one_text(&c, &format!("select action || ':' || reason from public.moderation_actions where target_id = '{id}' and target_kind = 'order'")).await?.as_deref(),
        Some("cancel:client asked by phone")
    );
    // Terminal stays terminal; the message names from and to and the hint what is possible.
    let (state, message) = refused(&mut c, ADMIN, &format!("update public.orders set status = 'assigned', assigned_reader = '{READER}' where id = {id}")).await;
    assert_eq!(state, "23514");
    assert!(
        message.contains(&format!("order {id} cannot go from cancelled to assigned")),
        "{message}"
    );
    let (state, message) = refused(
        &mut c,
        READER,
        "update public.orders set status = 'delivered' where id = 3",
    )
    .await;
    assert_eq!(state, "42501", "only the system ends a call: {message}");
    let (state, message) = refused(
        &mut c,
        READER,
        "update public.orders set status = 'awaiting_approval' where id = 4",
    )
    .await;
    assert_eq!(state, "23514");
    assert!(
        message.contains("cannot go from assigned to awaiting_approval")
            && message.contains("you may move it to: in_progress"),
        "{message}"
    );
    // A new order starts at new, for an active service, without a reader.
    // Clients cannot even name the status (column grants); the system, which
    // can, is held to the state machine all the same.
    assert_eq!(refused(&mut c, OWNER, "insert into public.orders (user_id, service_id, status) select auth.uid(), id, 'delivered' from public.services where code = 'tarot'").await.0, "42501");
    let err = c
        .batch_execute(&format!("insert into public.orders (user_id, service_id, status) select '{OWNER}', id, 'delivered' from public.services where code = 'tarot'"))
        .await
        .expect_err("system inserts start at new too");
    assert_eq!(sqlstate(&err), Some("23514"));
    assert_eq!(
        refused(&mut c, OWNER, "select public.place_order('retired')")
            .await
            .0,
        "22023"
    );
    assert_eq!(
        refused(&mut c, OWNER, "select public.place_order('tarot', null, 5)")
            .await
            .0,
        "22023",
    );
    Ok(())
}

#[tokio::test]
async fn queues_put_gold_first_then_the_oldest() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    c.batch_execute(&format!(
        "insert into public.orders (user_id, service_id, is_gold, created_at)
           select '{OWNER}', s.id, v.gold, now() - v.age * interval '1 minute'
             from (values (false, 50), (true, 10), (false, 90), (true, 30)) as v(gold, age)
             cross join public.services s where s.code = 'tarot'"
    ))
    .await?;
    let rows = rpc(&mut c, ADMIN, "select is_gold, round(extract(epoch from now() - created_at) / 60)::int from public.admin_order_queue").await?;
    let order: Vec<(bool, i32)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .filter(|(_, age)| *age > 0)
        .collect();
    assert_eq!(
        order,
        vec![(true, 30), (true, 10), (false, 90), (false, 50)]
    );
    let mine = rpc(&mut c, READER, "select id from public.reader_order_queue").await?;
    let ids: Vec<i64> = mine.iter().map(|r| r.get(0)).collect();
    assert_eq!(ids, vec![3, 4], "the reader's open orders");
    assert!(
        rpc(&mut c, READER2, "select id from public.reader_order_queue")
            .await?
            .is_empty()
    );
    Ok(())
}

/// Two monitors approve the same order at the same moment: one approval,
/// one delivery, one notification.
#[tokio::test]
async fn two_monitors_approving_at_once_deliver_once() -> anyhow::Result<()> {
    let (db, c) = fixture_db().await?;
    c.batch_execute(&format!(
        "update public.profiles set role_id = 4 where id = '{SUPERADMIN}'"
    ))
    .await?;
    let id = order_in(&c, "tarot", Status::AwaitingApproval).await?;
    let a = connect(&db.api_url()).await?;
    let b = connect(&db.api_url()).await?;
    let approve = format!("update public.orders set status = 'approved' where id = {id}");
    let begin = |who: &str| {
        format!(
            "begin; set local role authenticated;
             select set_config('request.jwt.claims', '{{\"sub\": \"{who}\", \"role\": \"authenticated\"}}', true);"
        )
    };
    a.batch_execute(&begin(MONITOR)).await?;
    b.batch_execute(&begin(SUPERADMIN)).await?;
    a.batch_execute(&approve).await?;
    // b waits on a's row lock; a commits while b is waiting.
    let pending = tokio::spawn(async move {
        let result = b.batch_execute(&approve).await;
        let _ = b
            .batch_execute(if result.is_ok() { "commit" } else { "rollback" })
            .await;
        result.map_err(|e| sqlstate(&e).map(str::to_string))
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    a.batch_execute("commit").await?;
    let second = pending.await?;
    assert_eq!(
        second,
        Err(Some("23514".to_string())),
        "the second approval finds the order delivered"
    );
    for (what, sql) in [
        ("approvals", format!("select count(*) from public.moderation_actions where target_kind = 'order' and target_id = '{id}' and action = 'approve'")),
        ("deliveries", format!("select count(*) from public.audit_log where entity_id = '{id}' and meta ->> 'to' = 'delivered'")),
        ("notifications", format!("select count(*) from public.notifications where order_id = {id}")),
    ] {
        let n: i64 = c.query_one(&sql, &[]).await?.get(0);
        assert_eq!(n, 1, "{what}");
    }
    Ok(())
}

/// A service deactivated in one session is refused at once in another that
/// has just used it.
#[tokio::test]
async fn a_deactivated_service_is_refused_in_every_session() -> anyhow::Result<()> {
    let (db, c) = fixture_db().await?;
    let mut session = connect(&db.api_url()).await?;
    // This session has just placed a tarot order.
    rpc(&mut session, OWNER, "select public.place_order('tarot')").await?;
    c.batch_execute("update public.services set is_active = false where code = 'tarot'")
        .await?;
    assert_eq!(
        refused(&mut session, OWNER, "select public.place_order('tarot')")
            .await
            .0,
        "22023"
    );
    c.batch_execute("update public.services set is_active = true where code = 'tarot'")
        .await?;
    rpc(&mut session, OWNER, "select public.place_order('tarot')").await?;
    Ok(())
}
