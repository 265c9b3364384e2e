//! Role rules, blocking, moderation records, the audit chain and the classic
//! attacks, each request made exactly as PostgREST makes it.

use samia_tests::fixture::{self, ADMIN, BLOCKED, MONITOR, OTHER, OWNER, READER, SUPERADMIN};
use samia_tests::postgrest::{refused, request, Api, Caller};
use samia_tests::{one_text, sqlstate, Session, TestDb};
use tokio_postgres::Client;

async fn fixture_db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

/// The SQLSTATE and message of a request that must fail.
async fn affected(client: &mut impl Api, who: &str, sql: &str) -> usize {
    match request(client, Caller::User(who), &format!("{sql} returning 1")).await {
        Ok(rows) => rows.len(),
        Err(e) => panic!("{sql} as {who} failed: {e:?}"),
    }
}

async fn count(client: &Client, sql: &str) -> anyhow::Result<i64> {
    Ok(client.query_one(sql, &[]).await?.get(0))
}

#[tokio::test]
async fn nobody_promotes_themselves_and_admins_stay_below_superadmin() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    for who in [OWNER, READER, MONITOR, ADMIN, SUPERADMIN] {
        // A superadmin cannot demote themselves either.
        let role = if who == SUPERADMIN { 2 } else { 1 };
        let (state, message) = refused(
            &mut c,
            who,
            &format!("update public.profiles set role_id = {role} where id = '{who}'"),
        )
        .await;
        assert_eq!(state, "42501", "{who}: {message}");
        assert!(message.contains("own role"), "{message}");
    }
    let (state, message) = refused(
        &mut c,
        ADMIN,
        &format!("update public.profiles set role_id = 2 where id = '{OWNER}'"),
    )
    .await;
    assert_eq!(
        (state.as_str(), message.as_str()),
        (
            "42501",
            "only a superadmin may change a role from client to admin"
        )
    );
    let (state, _) = refused(
        &mut c,
        MONITOR,
        &format!("update public.profiles set role_id = 3 where id = '{OWNER}'"),
    )
    .await;
    assert_eq!(state, "42501");

    assert_eq!(
        affected(
            &mut c,
            ADMIN,
            &format!("update public.profiles set role_id = 3 where id = '{OTHER}'")
        )
        .await,
        1
    );
    assert_eq!(
        affected(
            &mut c,
            SUPERADMIN,
            &format!("update public.profiles set role_id = 2 where id = '{OWNER}'")
        )
        .await,
        1
    );
    // Each change is recorded with the real caller.
    let recorded = one_text(
        &c,
        "select string_agg(m.actor_id || ' ' || m.reason || ' ' || a.actor_role, '; ' order by m.id)
           from public.moderation_actions m
           join public.audit_log a on a.entity_id = m.target_id and a.event = 'profile.role_changed'
            and a.actor = m.actor_id
          where m.action = 'role_change'",
    )
    .await?;
    assert_eq!(
        recorded.as_deref(),
        Some(
            format!("{ADMIN} client -> reader admin; {SUPERADMIN} client -> admin superadmin")
                .as_str()
        )
    );
    Ok(())
}

#[tokio::test]
async fn blocking_rules_and_their_records() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let block = |who: &str, reason: &str| {
        format!("update public.profiles set is_blocked = true, blocked_reason = {reason} where id = '{who}'")
    };
    // Monitors block readers and clients, never staff, and always with a reason.
    assert_eq!(
        refused(&mut c, MONITOR, &block(ADMIN, "'x'")).await.0,
        "42501"
    );
    assert_eq!(
        refused(&mut c, MONITOR, &block(OWNER, "null")).await.0,
        "22023"
    );
    assert_eq!(
        refused(&mut c, MONITOR, &block(OWNER, "'  '")).await.0,
        "22023"
    );
    // Readers and clients are not staff: the row is not theirs to update.
    assert_eq!(affected(&mut c, READER, &block(OWNER, "'x'")).await, 0);
    assert_eq!(affected(&mut c, OTHER, &block(OWNER, "'x'")).await, 0);
    assert_eq!(
        affected(&mut c, MONITOR, &block(OWNER, "'abusive messages'")).await,
        1
    );

    let row = one_text(
        &c,
        &format!("select concat_ws('|', is_blocked, blocked_by, blocked_reason, blocked_at is not null) from public.profiles where id = '{OWNER}'"),
    )
    .await?;
    assert_eq!(
        row.as_deref(),
        Some(format!("t|{MONITOR}|abusive messages|t").as_str())
    );
    let records = one_text(
        &c,
        &format!(
            "select (select m.actor_id || ' ' || m.action || ' ' || m.reason from public.moderation_actions m
                      where m.target_kind = 'profile' and m.target_id = '{OWNER}' and m.action = 'block')
                 || ' / ' ||
                    (select a.actor || ' ' || a.actor_role || ' ' || a.event from public.audit_log a
                      where a.entity = 'profiles' and a.entity_id = '{OWNER}' and a.event = 'profile.blocked')"
        ),
    )
    .await?;
    assert_eq!(
        records.as_deref(),
        Some(
            format!("{MONITOR} block abusive messages / {MONITOR} monitor profile.blocked")
                .as_str()
        )
    );

    // The block takes effect on the very next request.
    let place = "insert into public.orders (user_id, service_id) select auth.uid(), id from public.services where code = 'tarot'";
    let (state, message) = refused(&mut c, OWNER, place).await;
    assert_eq!(state, "42501");
    assert!(message.contains("blocked"), "{message}");
    let (state, _) = refused(
        &mut c,
        OWNER,
        "update public.orders set status = 'cancelled' where id = 1",
    )
    .await;
    assert_eq!(state, "42501");

    // Self-unblock and monitor unblock are refused; an admin unblocks.
    let unblock = format!("update public.profiles set is_blocked = false where id = '{OWNER}'");
    assert_eq!(refused(&mut c, OWNER, &unblock).await.0, "42501");
    assert_eq!(refused(&mut c, MONITOR, &unblock).await.0, "42501");
    assert_eq!(affected(&mut c, ADMIN, &unblock).await, 1);
    assert_eq!(
        count(&c, &format!("select count(*) from public.moderation_actions where action = 'unblock' and actor_id = '{ADMIN}'")).await?,
        1
    );
    // And the client can order again.
    assert_eq!(
        request(&mut c, Caller::User(OWNER), place)
            .await
            .map(|_| ())
            .err()
            .map(|e| e.to_string()),
        None
    );

    // A blocked reader cannot be assigned.
    c.batch_execute(&format!(
        "update public.profiles set is_blocked = true, blocked_reason = 'x' where id = '{READER}'"
    ))
    .await?;
    let (state, message) = refused(
        &mut c,
        ADMIN,
        &format!("update public.orders set status = 'assigned', assigned_reader = '{READER}' where id = 2"),
    )
    .await;
    assert_eq!(state, "22023", "{message}");
    Ok(())
}

#[tokio::test]
async fn clients_cannot_verify_themselves_or_write_derived_columns() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    for set in [
        "email_verified = true",
        "phone_verified = true",
        "zodiac = 'Leo'",
        "country_code = '+1'",
        "email = 'me@evil.example'",
        "blocked_at = now()",
        "blocked_by = auth.uid()",
        "created_at = now()",
    ] {
        let (state, _) = refused(
            &mut c,
            OWNER,
            &format!("update public.profiles set {set} where id = '{OWNER}'"),
        )
        .await;
        assert_eq!(state, "42501", "{set}");
    }
    // Writing blocked_reason alone is not a way to annotate yourself.
    let (state, _) = refused(
        &mut c,
        OWNER,
        &format!("update public.profiles set blocked_reason = 'x' where id = '{OWNER}'"),
    )
    .await;
    assert_eq!(state, "42501");
    // Staff cannot edit someone else's personal details.
    let (state, _) = refused(
        &mut c,
        ADMIN,
        &format!("update public.profiles set dob = '1990-01-01' where id = '{OWNER}'"),
    )
    .await;
    assert_eq!(state, "42501");
    // A user's own edit of the allowed columns works, and changing the phone
    // drops its verification.
    c.batch_execute(&format!("update public.profiles set phone = '+201001234567', phone_verified = true where id = '{OWNER}'"))
        .await?;
    assert_eq!(
        affected(&mut c, OWNER, &format!("update public.profiles set phone = '+201009999999', country = 'eg', dob = '1990-04-20' where id = '{OWNER}'")).await,
        1
    );
    assert_eq!(
        one_text(&c, &format!("select concat_ws('|', phone_verified, country_code, zodiac) from public.profiles where id = '{OWNER}'")).await?.as_deref(),
        Some("f|+20|Taurus")
    );
    Ok(())
}

#[tokio::test]
async fn moderation_and_audit_rows_cannot_be_forged_or_changed() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    // Forging a moderation row in an admin's name: refused for everyone.
    for who in [OWNER, MONITOR, ADMIN, SUPERADMIN] {
        let (state, _) = refused(
            &mut c,
            who,
            &format!(
                "insert into public.moderation_actions (actor_id, target_kind, target_id, action, reason)
                 values ('{ADMIN}', 'profile', '{OTHER}', 'block', 'forged')"
            ),
        )
        .await;
        assert_eq!(state, "42501", "{who}");
    }
    // Append-only even for the owner (a superuser session here).
    for sql in [
        "update public.audit_log set event = 'x'",
        "delete from public.audit_log",
        "truncate public.audit_log",
        "update public.moderation_actions set reason = 'x'",
        "delete from public.moderation_actions",
        "truncate public.moderation_actions",
    ] {
        let err = c.batch_execute(sql).await.expect_err(sql);
        assert_eq!(sqlstate(&err), Some("42501"), "{sql}: {err:?}");
    }
    Ok(())
}

#[tokio::test]
async fn horoscope_approval_records_the_real_approver() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let approve = format!(
        "update public.horoscopes set approved_at = now(), approved_by = '{ADMIN}' where id = 2"
    );
    // Clients do not see unpublished horoscopes, so there is nothing to update.
    assert_eq!(affected(&mut c, OWNER, &approve).await, 0);
    assert_eq!(affected(&mut c, MONITOR, &approve).await, 1);
    assert_eq!(
        one_text(
            &c,
            "select approved_by::text from public.horoscopes where id = 2"
        )
        .await?
        .as_deref(),
        Some(MONITOR)
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.moderation_actions where target_kind = 'horoscope' and target_id = '2' and action = 'approve' and actor_id = '{MONITOR}'")).await?,
        1
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.audit_log where event = 'horoscope.approved' and entity_id = '2' and actor = '{MONITOR}'")).await?,
        1
    );
    // Published: anon now reads it and its audio.
    let rows = request(
        &mut c,
        Caller::Anon,
        "select count(*) from public.media_assets where id = 4",
    )
    .await?;
    assert_eq!(rows[0].get::<_, i64>(0), 1);
    // Unpublishing is a staff action too, recorded as a rejection.
    assert_eq!(
        affected(
            &mut c,
            ADMIN,
            "update public.horoscopes set approved_at = null where id = 2"
        )
        .await,
        1
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.moderation_actions where target_id = '2' and action = 'reject' and actor_id = '{ADMIN}'")).await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn app_config_changes_are_admin_only_and_recorded() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let change = "update public.app_config set value = 'false' where key = 'orders.enabled'";
    assert_eq!(affected(&mut c, MONITOR, change).await, 0);
    let (state, _) = refused(
        &mut c,
        MONITOR,
        "insert into public.app_config (key, value) values ('x', '1')",
    )
    .await;
    assert_eq!(state, "42501");
    assert_eq!(affected(&mut c, ADMIN, change).await, 1);
    assert_eq!(
        one_text(
            &c,
            "select updated_by::text from public.app_config where key = 'orders.enabled'"
        )
        .await?
        .as_deref(),
        Some(ADMIN)
    );
    assert_eq!(
        one_text(&c, "select meta::text from public.audit_log where event = 'config.changed' and entity_id = 'orders.enabled' and actor_role = 'admin'").await?.as_deref(),
        Some(r#"{"to": false, "from": true}"#)
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.moderation_actions where target_kind = 'config' and action = 'config_change' and actor_id = '{ADMIN}'")).await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn helpers_hooks_and_functions_leak_nothing() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    // The helpers answer about the caller only.
    let rows = request(&mut c, Caller::Anon, "select samia.caller_role(), samia.is_staff(), samia.is_admin(), samia.caller_is_blocked(), samia.is_assigned_reader(1)").await?;
    let r = &rows[0];
    assert_eq!(
        (
            r.get::<_, String>(0),
            r.get::<_, bool>(1),
            r.get::<_, bool>(2),
            r.get::<_, bool>(3),
            r.get::<_, bool>(4)
        ),
        ("anon".to_string(), false, false, false, false)
    );
    let rows = request(
        &mut c,
        Caller::User(BLOCKED),
        "select samia.caller_role(), samia.caller_is_blocked(), samia.is_assigned_reader(1)",
    )
    .await?;
    assert_eq!(
        (
            rows[0].get::<_, String>(0),
            rows[0].get::<_, bool>(1),
            rows[0].get::<_, bool>(2)
        ),
        ("client".to_string(), true, false)
    );
    let rows = request(
        &mut c,
        Caller::User(READER),
        "select samia.is_assigned_reader(1), samia.is_assigned_reader(2)",
    )
    .await?;
    assert_eq!(
        (rows[0].get::<_, bool>(0), rows[0].get::<_, bool>(1)),
        (true, false)
    );

    // Everything else in samia, and the token hook, is not callable from the API.
    for sql in [
        "select samia.audit_seal()",
        "select samia.profiles_authority()",
        "select samia.sync_profile_from_auth()",
        "select public.custom_access_token_hook('{\"user_id\": \"10000000-0000-4000-8000-000000000001\", \"claims\": {}}')",
    ] {
        for caller in [Caller::Anon, Caller::User(OWNER), Caller::User(SUPERADMIN)] {
            let err = request(&mut c, caller, sql).await.expect_err(sql);
            assert_eq!(sqlstate(&err), Some("42501"), "{sql} as {caller:?}: {err:?}");
        }
    }

    // The hook, as GoTrue calls it, adds the role claim.
    let claims = one_text(
        &c,
        &format!("select public.custom_access_token_hook('{{\"user_id\": \"{MONITOR}\", \"claims\": {{\"role\": \"authenticated\"}}}}') -> 'claims' ->> 'user_role'"),
    )
    .await?;
    assert_eq!(claims.as_deref(), Some("monitor"));

    // No view in public runs with its owner's rights, and no function in
    // public that the API roles can call is security definer.
    let unsafe_views = count(
        &c,
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind = 'v'
            and not coalesce(c.reloptions @> array['security_invoker=true'], false)",
    )
    .await?;
    assert_eq!(unsafe_views, 0);
    let definers = one_text(
        &c,
        "select string_agg(p.oid::regprocedure::text, ', ') from pg_proc p
          where p.pronamespace = 'public'::regnamespace and p.prosecdef
            and (has_function_privilege('anon', p.oid, 'execute')
                 or has_function_privilege('authenticated', p.oid, 'execute'))",
    )
    .await?;
    assert_eq!(definers, None);
    Ok(())
}

/// `samia audit seal` then `verify`; then one superuser tampering at a time,
/// with triggers disabled, each found at the right row.
#[tokio::test]
async fn the_audit_chain_names_the_first_edited_deleted_or_reordered_row() -> anyhow::Result<()> {
    let (db, c) = fixture_db().await?;
    // Some more history.
    c.batch_execute(&format!(
        "update public.profiles set is_blocked = true, blocked_reason = 'r1' where id = '{OTHER}';
         update public.profiles set is_blocked = false where id = '{OTHER}';
         update public.profiles set role_id = 3 where id = '{OTHER}';"
    ))
    .await?;
    let total = count(&c, "select count(*) from public.audit_log").await?;
    assert!(total >= 8, "{total}");

    let sealed = db.samia(&["audit", "seal"]);
    assert_eq!(sealed.code, 0, "{sealed:?}");
    assert!(
        sealed
            .stdout
            .contains(&format!("sealed {total} audit rows")),
        "{}",
        sealed.stdout
    );
    let ok = db.samia(&["audit", "verify"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(
        ok.stdout
            .contains(&format!("audit chain intact: {total} sealed rows")),
        "{}",
        ok.stdout
    );
    // Sealing again finds nothing new; new rows extend the chain.
    assert!(db
        .samia(&["audit", "seal"])
        .stdout
        .contains("sealed 0 audit rows"));
    c.batch_execute(&format!(
        "update public.profiles set role_id = 5 where id = '{OTHER}'"
    ))
    .await?;
    assert!(db
        .samia(&["audit", "seal"])
        .stdout
        .contains("sealed 1 audit rows"));
    assert_eq!(db.samia(&["audit", "verify"]).code, 0);

    let ids: Vec<i64> = c
        .query("select id from public.audit_log order by id", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (third, fifth) = (ids[2], ids[4]);
    let tamper = |sql: String| {
        format!(
            "set session_replication_role = replica; {sql}; set session_replication_role = origin;"
        )
    };

    // An edit.
    let snapshot = "create temp table saved as select * from public.audit_log";
    c.batch_execute(snapshot).await?;
    c.batch_execute(&tamper(format!(
        "update public.audit_log set meta = '{{}}' where id = {fifth}"
    )))
    .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains(&format!("audit_log row {fifth} ")),
        "{}",
        broken.stderr
    );
    assert!(broken.stderr.contains("was changed"), "{}", broken.stderr);
    let restore = "delete from public.audit_log; insert into public.audit_log select * from saved"
        .to_string();
    c.batch_execute(&tamper(restore.clone())).await?;
    assert_eq!(db.samia(&["audit", "verify"]).code, 0, "restored");

    // A deletion.
    c.batch_execute(&tamper(format!(
        "delete from public.audit_log where id = {third}"
    )))
    .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains(&format!("audit_log row {third} "))
            && broken.stderr.contains("was deleted"),
        "{}",
        broken.stderr
    );
    c.batch_execute(&tamper(restore.clone())).await?;

    // A reorder: rows three and five swap places (their ids).
    c.batch_execute(&tamper(format!(
        "update public.audit_log set id = -1 where id = {third};
         update public.audit_log set id = {third} where id = {fifth};
         update public.audit_log set id = {fifth} where id = -1"
    )))
    .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains(&format!("audit_log row {third} ")),
        "{}",
        broken.stderr
    );
    c.batch_execute(&tamper(restore)).await?;

    // A seal removed.
    c.batch_execute(&tamper("delete from ops.audit_seals where seq = 4".into()))
        .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains("seal 4 is missing"),
        "{}",
        broken.stderr
    );
    Ok(())
}

/// A `json` value as its text (EXPLAIN's FORMAT JSON output).
struct Json(String);

impl<'a> tokio_postgres::types::FromSql<'a> for Json {
    fn from_sql(
        _: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Json, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Json(std::str::from_utf8(raw)?.to_owned()))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        *ty == tokio_postgres::types::Type::JSON
    }
}

/// Every node of a JSON plan that reads `table`: (node type, estimated rows).
fn scans_of(table: &str, plan: &serde_json::Value, found: &mut Vec<(String, f64)>) {
    if plan["Relation Name"] == table {
        found.push((
            plan["Node Type"].as_str().unwrap_or("?").to_owned(),
            plan["Plan Rows"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        scans_of(table, child, found);
    }
}

/// "My orders", "my notifications", "my profile", "my phone verifications"
/// without a WHERE, as the apps send them, leave the choice of rows to the
/// policies, whose helpers the planner cannot evaluate when it plans. Each
/// policy must still be estimated as a small part of its table, or the
/// planner reads every row on every caller's request.
#[tokio::test]
async fn requests_without_a_filter_are_planned_as_index_scans() -> anyhow::Result<()> {
    const ROWS: i64 = 20_000;
    let (_db, mut c) = fixture_db().await?;
    // 20,000 users; the first 200 have 100 orders, notifications and phone
    // verifications each. Loaded as a fixture (triggers off).
    c.batch_execute(&format!(
        "set session_replication_role = replica;
         insert into auth.users (id, email)
           select ('30000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'p' || n || '@plan.test'
             from generate_series(1, {ROWS}) n;
         insert into public.profiles (id, email)
           select id, email from auth.users where email like '%@plan.test';
         insert into public.orders (user_id, service_id, status, created_at)
           select ('30000000-0000-4000-8000-' || lpad((1 + g % 200)::text, 12, '0'))::uuid,
                  (select min(id) from public.services), 'new', now() - g * interval '1 second'
             from generate_series(1, {ROWS}) g;
         insert into public.notifications (user_id, kind, title)
           select ('30000000-0000-4000-8000-' || lpad((1 + g % 200)::text, 12, '0'))::uuid,
                  'order', 'plan test'
             from generate_series(1, {ROWS}) g;
         insert into public.phone_verifications (profile_id, phone, status)
           select ('30000000-0000-4000-8000-' || lpad((1 + g % 200)::text, 12, '0'))::uuid,
                  '+2010' || lpad(g::text, 8, '0'), 'sent'
             from generate_series(1, {ROWS}) g;
         insert into public.phone_verifications (profile_id, phone, status)
           values (null, '+201099999999', 'failed');
         set session_replication_role = origin;
         analyze public.orders, public.notifications, public.profiles, public.phone_verifications;"
    ))
    .await?;
    // One of the first 200: exactly 100 rows of each table, and their profile.
    let client = "30000000-0000-4000-8000-000000000042";
    let requests = [
        (
            "orders",
            "select * from public.orders order by created_at desc",
        ),
        (
            "notifications",
            "select * from public.notifications order by created_at desc",
        ),
        ("profiles", "select * from public.profiles"),
        (
            "phone_verifications",
            "select * from public.phone_verifications order by created_at desc",
        ),
    ];
    for (table, select) in requests {
        let own = if table == "profiles" { 1 } else { 100 };
        for who in [client, OWNER, READER, MONITOR] {
            if who == READER && matches!(table, "notifications" | "phone_verifications") {
                continue; // the fixture's reader has none
            }
            let seen = request(&mut c, Caller::User(who), select).await?.len() as i64;
            match who {
                MONITOR => assert!(seen > ROWS, "the monitor sees {seen} {table}"),
                w if w == client => assert_eq!(seen, own, "the client sees {seen} {table}"),
                _ => assert!((1..10).contains(&seen), "{who} sees {seen} {table}"),
            }
            let explain = format!("explain (format json) {select}");
            let plan = request(&mut c, Caller::User(who), &explain).await?;
            let plan: serde_json::Value = serde_json::from_str(&plan[0].get::<_, Json>(0).0)?;
            let mut scans = Vec::new();
            scans_of(table, &plan[0]["Plan"], &mut scans);
            assert!(!scans.is_empty(), "no scan of {table} in {plan}");
            for (node, estimate) in scans {
                assert_ne!(node, "Seq Scan", "{who}: {plan}");
                assert!(
                    estimate < ROWS as f64 * 0.05,
                    "{who}: {node} on {table} estimated at {estimate} of {ROWS} rows: {plan}"
                );
            }
        }
    }
    // A verification without a profile: staff see it, nobody else does.
    let orphan = "select * from public.phone_verifications where profile_id is null";
    for (who, expected) in [
        (MONITOR, 1),
        (ADMIN, 1),
        (client, 0),
        (OWNER, 0),
        (READER, 0),
    ] {
        let seen = request(&mut c, Caller::User(who), orphan).await?.len();
        assert_eq!(
            seen, expected,
            "{who} sees {seen} verifications without a profile"
        );
    }
    Ok(())
}
