//! The holes an outside review found: forged records, who counts as
//! `system`, and rules of CONTRACT.md section 5 the trigger did not enforce.
//! Requests are made as PostgREST makes them; other database roles log in
//! as themselves.

use samia_tests::fixture::{self, MONITOR, OTHER, OWNER, READER};
use samia_tests::postgrest::{failure, refused, request, Api, Caller};
use samia_tests::{connect, flavour, one_text, Flavour, Session, TestDb};
use tokio_postgres::Client;

async fn fixture_db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

/// A login role of this test's own (roles are shared by the whole cluster),
/// made by the superuser with `extra` (e.g. `in role service_role`), and a
/// session logged in as it.
async fn login_as(db: &TestDb, c: &Client, name: &str, extra: &str) -> anyhow::Result<Client> {
    let role = format!("{}_{name}", db.name);
    c.batch_execute(&format!(
        "create role {role} login {extra};
         grant usage on schema samia to {role};
         grant execute on function samia.caller_role() to {role};"
    ))
    .await?;
    connect(&format!("{} user={role}", db.url)).await
}

async fn count(c: &Client, sql: &str) -> anyhow::Result<i64> {
    Ok(c.query_one(sql, &[]).await?.get(0))
}

const FORGERIES: [&str; 2] = [
    "insert into public.moderation_actions (actor_id, target_kind, target_id, action, reason)
       values ('10000000-0000-4000-8000-000000000006', 'profile', '10000000-0000-4000-8000-000000000001', 'block', 'forged')",
    "insert into public.audit_log (actor, actor_role, event, entity, entity_id)
       values ('10000000-0000-4000-8000-000000000006', 'monitor', 'profile.blocked', 'profiles', '10000000-0000-4000-8000-000000000001')",
];

#[tokio::test]
async fn no_role_forges_a_record() -> anyhow::Result<()> {
    let (db, mut c) = fixture_db().await?;
    let records = "select (select count(*) from public.moderation_actions) + (select count(*) from public.audit_log)";
    let before = count(&c, records).await?;
    let reporting = login_as(&db, &c, "reporting", "").await?;
    c.batch_execute(&format!(
        "grant insert on public.moderation_actions, public.audit_log to {r};
         grant usage on all sequences in schema public to {r}",
        r = format!("{}_reporting", db.name)
    ))
    .await?;
    for sql in FORGERIES {
        // The service key, a signed-in user and anon, as PostgREST sends them.
        for caller in [Caller::Service, Caller::User(MONITOR), Caller::Anon] {
            let (state, message) = failure(request(&mut c, caller, sql).await, sql);
            assert_eq!(state, "42501", "{caller:?}: {message}");
        }
        // Any other login role, even one granted INSERT, and the superuser.
        for (who, session) in [("reporting role", &reporting), ("superuser", &c)] {
            let e = session
                .batch_execute(sql)
                .await
                .expect_err("a forged record went in");
            assert_eq!(e.code().map(|s| s.code()), Some("42501"), "{who}: {e:?}");
            let message = e.as_db_error().map(|d| d.message().to_string());
            assert!(
                message
                    .as_deref()
                    .is_some_and(|m| m.contains("written by the database itself")),
                "{message:?}"
            );
        }
    }
    assert_eq!(count(&c, records).await?, before);

    // The extension's own records still go in, with the real caller.
    let blocked = request(
        &mut c,
        Caller::User(MONITOR),
        &format!("update public.profiles set is_blocked = true, blocked_reason = 'spam' where id = '{OTHER}' returning 1"),
    )
    .await?;
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        one_text(
            &c,
            &format!("select m.actor_id || ' ' || a.actor_role from public.moderation_actions m
                        join public.audit_log a on a.entity_id = m.target_id and a.event = 'profile.blocked'
                       where m.target_id = '{OTHER}' and m.action = 'block'")
        )
        .await?
        .as_deref(),
        Some(format!("{MONITOR} monitor").as_str())
    );
    Ok(())
}

#[tokio::test]
async fn only_trusted_sessions_act_as_system() -> anyhow::Result<()> {
    let (db, mut c) = fixture_db().await?;
    // Every role here bypasses row-level security, so that only the
    // triggers stand between it and system's powers.
    let sidecar = login_as(&db, &c, "sidecar", "bypassrls in role samia_sidecar").await?;
    let owner = login_as(&db, &c, "owner", "bypassrls").await?;
    c.batch_execute(&format!(
        "alter database {} owner to {}_owner",
        db.name, db.name
    ))
    .await?;
    let reporting = login_as(&db, &c, "reporting", "bypassrls").await?;
    // Like Supabase's supabase_storage_admin: a member of the API roles.
    let storage = login_as(
        &db,
        &c,
        "storage",
        "bypassrls in role service_role, authenticated",
    )
    .await?;
    async fn role_of(client: &Client) -> anyhow::Result<String> {
        Ok(client
            .query_one("select samia.caller_role()", &[])
            .await?
            .get(0))
    }
    assert_eq!(role_of(&c).await?, "system", "the superuser");
    assert_eq!(
        role_of(&sidecar).await?,
        "system",
        "a member of samia_sidecar"
    );
    assert_eq!(role_of(&owner).await?, "system", "the database owner");
    assert_eq!(role_of(&reporting).await?, "untrusted", "a reporting role");
    assert_eq!(role_of(&storage).await?, "untrusted", "a storage-like role");
    let service = request(&mut c, Caller::Service, "select samia.caller_role()").await?;
    assert_eq!(service[0].get::<_, String>(0), "untrusted", "service_role");
    // A superuser that SETs ROLE to an untrusted role is that role.
    c.batch_execute(&format!("set role {}_reporting", db.name))
        .await?;
    assert_eq!(role_of(&c).await?, "untrusted", "set role");
    c.batch_execute("reset role").await?;

    // Untrusted sessions use no system power: blocking, roles, orders,
    // publishing, configuration, profiles made as staff.
    for name in ["reporting", "storage", "owner", "sidecar"] {
        c.batch_execute(&format!(
            "grant select, insert, update on all tables in schema public to {}_{name};
             grant usage on all sequences in schema public to {}_{name}",
            db.name, db.name
        ))
        .await?;
    }
    let attempts = [
        format!("update public.profiles set is_blocked = true, blocked_reason = 'x' where id = '{OWNER}'"),
        format!("update public.profiles set role_id = 1 where id = '{OWNER}'"),
        format!("update public.profiles set first_name = 'Mallory' where id = '{OWNER}'"),
        "insert into public.profiles (id, email, role_id) values ('20000000-0000-4000-8000-000000000002', 'y@example.com', 1)".into(),
        format!("insert into public.orders (user_id, service_id) select '{OWNER}', id from public.services where code = 'tarot'"),
        "update public.orders set status = 'cancelled', status_reason = 'x' where id = 2".into(),
        "update public.horoscopes set approved_at = now() where id = 2".into(),
        "insert into public.app_config (key, value) values ('otp.enabled', 'false')".into(),
    ];
    for sql in &attempts {
        for (who, session) in [
            ("reporting role", &reporting),
            ("storage-like role", &storage),
        ] {
            let Err(e) = session.batch_execute(sql).await else {
                panic!("{who} could: {sql}");
            };
            let state = e.code().map(|s| s.code().to_string());
            assert_eq!(state.as_deref(), Some("42501"), "{who}: {sql}: {e:?}");
        }
        let (state, message) = failure(request(&mut c, Caller::Service, sql).await, sql);
        assert_eq!(state, "42501", "service_role: {sql}: {message}");
    }
    let e = reporting
        .batch_execute(&attempts[0])
        .await
        .expect_err("refused");
    let message = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(message.contains("not trusted as system"), "{message}");
    assert!(message.contains("samia_sidecar"), "{message}");

    // The database owner and the sidecar keep system's powers.
    owner
        .batch_execute(&format!(
            "update public.profiles set is_blocked = true, blocked_reason = 'fraud' where id = '{OTHER}'"
        ))
        .await?;
    sidecar
        .batch_execute(&format!(
            "update public.profiles set is_blocked = false where id = '{OTHER}'"
        ))
        .await?;
    assert_eq!(
        one_text(
            &c,
            &format!("select string_agg(actor_role || ' ' || event, ', ' order by id) from public.audit_log
                       where entity_id = '{OTHER}' and event like 'profile.%'")
        )
        .await?
        .as_deref(),
        Some("system profile.blocked, system profile.unblocked")
    );
    Ok(())
}

#[tokio::test]
async fn a_sign_up_by_gotrue_s_own_role_still_makes_the_profile() -> anyhow::Result<()> {
    let (db, c) = fixture_db().await?;
    // GoTrue writes auth.users as its own role, which is not system: on
    // Supabase the real one (auth.users' owner), elsewhere a stand-in.
    let gotrue = match flavour() {
        Flavour::Supabase => connect(&db.url_as("supabase_auth_admin")).await?,
        Flavour::Postgres => {
            let gotrue = login_as(&db, &c, "auth_admin", "").await?;
            c.batch_execute(&format!(
                "grant usage on schema auth to {r}; grant insert, update, select on auth.users to {r}",
                r = format!("{}_auth_admin", db.name)
            ))
            .await?;
            gotrue
        }
    };
    let id = "20000000-0000-4000-8000-000000000009";
    gotrue
        .batch_execute(&format!(
            "insert into auth.users (id, email, phone) values ('{id}', 'new@example.com', '+201001112223')"
        ))
        .await?;
    gotrue
        .batch_execute(&format!(
            "update auth.users set phone = '+201001112224', phone_confirmed_at = now() where id = '{id}'"
        ))
        .await?;
    assert_eq!(
        one_text(
            &c,
            &format!("select concat_ws('|', role_id, is_blocked, phone, phone_verified) from public.profiles where id = '{id}'")
        )
        .await?
        .as_deref(),
        Some("5|f|+201001112224|t")
    );
    Ok(())
}

#[tokio::test]
async fn call_orders_need_a_time_and_orders_keep_their_client() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    for service in ["healing", "direct_call"] {
        for (when, what) in [
            ("null", "needs scheduled_at"),
            ("now() - interval '1 hour'", "which is past"),
        ] {
            let (state, message) = refused(
                &mut c,
                OWNER,
                &format!("select public.place_order('{service}', null, null, false, {when})"),
            )
            .await;
            assert_eq!(state, "22023", "{service} at {when}: {message}");
            assert!(message.contains(what), "{message}");
        }
    }
    // A call now (an immediate call) and a booked one are fine.
    let now: i64 = request(
        &mut c,
        Caller::User(OWNER),
        "select id from public.place_order('direct_call', null, null, false, now())",
    )
    .await?[0]
        .get(0);
    let booked: i64 = request(
        &mut c,
        Caller::User(OWNER),
        "select id from public.place_order('healing', null, null, false, now() + interval '2 days')",
    )
    .await?[0]
        .get(0);
    assert!(now < booked);
    // Rescheduling keeps a time, not a past one.
    for when in ["null", "now() - interval '1 day'"] {
        let (state, _) = refused(
            &mut c,
            OWNER,
            &format!("update public.orders set scheduled_at = {when} where id = {booked}"),
        )
        .await;
        assert_eq!(state, "22023", "rescheduled to {when}");
    }
    // Audio orders need no time.
    request(
        &mut c,
        Caller::User(OWNER),
        "select public.place_order('tarot')",
    )
    .await?;

    // Nobody, system included, moves an order to another client or service,
    // or sets delivered_at without delivering it.
    for sql in [
        format!("update public.orders set user_id = '{OTHER}' where id = {booked}"),
        format!("update public.orders set service_id = (select id from public.services where code = 'tarot') where id = {booked}"),
        format!("update public.orders set delivered_at = now() where id = {booked}"),
    ] {
        let e = c.batch_execute(&sql).await.expect_err(&sql);
        assert_eq!(e.code().map(|s| s.code()), Some("23514"), "{sql}: {e:?}");
    }
    // A client places orders for themselves only; system names the client.
    let (state, _) = refused(
        &mut c,
        READER,
        &format!("insert into public.orders (user_id, service_id) select '{OWNER}', id from public.services where code = 'tarot'"),
    )
    .await;
    assert_eq!(state, "42501");
    let e = c
        .batch_execute("insert into public.orders (service_id) select id from public.services where code = 'tarot'")
        .await
        .expect_err("an order without a client");
    assert_eq!(e.code().map(|s| s.code()), Some("22023"));
    Ok(())
}

/// How many orders a request with these claims reads.
async fn orders_seen(c: &mut impl Api, claims: serde_json::Value) -> anyhow::Result<i64> {
    let tx = c.connection().transaction().await?;
    tx.batch_execute("set local role authenticated").await?;
    tx.execute(
        "select set_config('request.jwt.claims', $1, true)",
        &[&claims.to_string()],
    )
    .await?;
    let n: i64 = tx
        .query_one("select count(*) from public.orders", &[])
        .await?
        .get(0);
    tx.rollback().await?;
    Ok(n)
}

#[tokio::test]
async fn the_tokens_role_claim_only_ever_takes_reads_away() -> anyhow::Result<()> {
    let (_db, mut c) = fixture_db().await?;
    let all: i64 = c
        .query_one("select count(*) from public.orders", &[])
        .await?
        .get(0);
    let own: i64 = c
        .query_one(
            "select count(*) from public.orders where user_id = $1::text::uuid",
            &[&OWNER],
        )
        .await?
        .get(0);
    assert!(own > 0 && own < all);
    let token = |sub: &str, role: Option<&str>| {
        let mut t = serde_json::json!({ "sub": sub, "role": "authenticated" });
        if let Some(r) = role {
            t["user_role"] = r.into();
        }
        t
    };
    // A client whose token claims more (an old token from before a
    // demotion, or a forged claim): the database says client.
    assert_eq!(
        orders_seen(&mut c, token(OWNER, Some("monitor"))).await?,
        own
    );
    assert_eq!(
        orders_seen(&mut c, token(OWNER, Some("superadmin"))).await?,
        own
    );
    assert_eq!(
        orders_seen(&mut c, token(OWNER, Some("client"))).await?,
        own
    );
    assert_eq!(orders_seen(&mut c, token(OWNER, None)).await?, own);
    // A monitor: every order, unless the token still says client (it was
    // issued before the promotion); the next token has the new role.
    assert_eq!(
        orders_seen(&mut c, token(MONITOR, Some("monitor"))).await?,
        all
    );
    assert_eq!(orders_seen(&mut c, token(MONITOR, None)).await?, all);
    assert_eq!(
        orders_seen(&mut c, token(MONITOR, Some("client"))).await?,
        0
    );
    // An unknown claim value leaves the decision to the database.
    assert_eq!(
        orders_seen(&mut c, token(MONITOR, Some("owner"))).await?,
        all
    );
    Ok(())
}
