//! Role rules, blocking, who writes what of a profile, app_config, and the
//! classic attacks on helpers and hooks, each request made exactly as
//! PostgREST makes it. Moderation records and the audit chain are in
//! `audit_records.rs`; how the policies are planned in `policy_plans.rs`.

use samia_tests::fixture::{self, ADMIN, BLOCKED, MONITOR, OTHER, OWNER, READER, SUPERADMIN};
use samia_tests::postgrest::{affected, refused, request, Caller};
use samia_tests::{count, one_text, sqlstate};

#[tokio::test]
async fn nobody_promotes_themselves_and_admins_stay_below_superadmin() -> anyhow::Result<()> {
    let (_db, mut c) = fixture::db().await?;
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
    let (_db, mut c) = fixture::db().await?;
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
    let (_db, mut c) = fixture::db().await?;
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
async fn app_config_changes_are_admin_only_and_recorded() -> anyhow::Result<()> {
    let (_db, mut c) = fixture::db().await?;
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
    let (_db, mut c) = fixture::db().await?;
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
