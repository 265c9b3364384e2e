//! The blocklist: staff add phones, emails and domains with a reason;
//! admins lift them; every change is recorded. A listed phone cannot be
//! verified (without saying why), a sign-up with a listed email or on a
//! listed domain is blocked from the start, and blocking a profile can list
//! its phone and email in the same step.

use samia_tests::fixture::{self, ADMIN, MONITOR, OTHER, OWNER, READER};
use samia_tests::postgrest::{failure, refused, request, try_request, Caller};
use samia_tests::{sign_up, Session, TestDb};
use tokio_postgres::Client;

async fn db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    Ok((db, c))
}

async fn records(c: &Client, event: &str, action: &str) -> anyhow::Result<(i64, i64)> {
    let r = c
        .query_one(
            "select (select count(*) from public.audit_log where event = $1),
                    (select count(*) from public.moderation_actions where target_kind = 'blocklist' and action = $2)",
            &[&event, &action],
        )
        .await?;
    Ok((r.get(0), r.get(1)))
}

#[tokio::test]
async fn staff_add_admins_lift_and_everything_is_recorded() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    let add = |v: &str| {
        format!(
            "insert into public.blocklist (kind, value, reason) values ({v}) returning id, value"
        )
    };
    // Clients and readers cannot add, nor read the list.
    for who in [OWNER, READER] {
        let (state, _) = refused(&mut c, who, &add("'email', 'x@spam.example', 'spam'")).await;
        assert_eq!(state, "42501", "{who}");
        let seen = request(
            &mut c,
            Caller::User(who),
            "select count(*) from public.blocklist",
        )
        .await?;
        assert_eq!(seen[0].get::<_, i64>(0), 0);
    }
    for (values, why) in [
        ("'phone', '12', 'spam'", "not a phone"),
        ("'email', 'nobody', 'spam'", "not an email"),
        ("'domain', 'spam', 'spam'", "not a domain"),
        ("'phone', '+201001234567', '  '", "no reason"),
        ("'ip', '10.0.0.1', 'spam'", "unknown kind"),
    ] {
        let (state, _) = refused(&mut c, MONITOR, &add(values)).await;
        assert!(state == "22023" || state == "23514", "{why}: {state}");
    }
    let rows = request(
        &mut c,
        Caller::User(MONITOR),
        &add("'phone', '+20 100 123 4567', 'SMS pumping'"),
    )
    .await?;
    let (id, value): (i64, String) = (rows[0].get(0), rows[0].get(1));
    assert_eq!(value, "+201001234567", "stored in E.164");
    let by: Option<String> = c
        .query_one(
            "select created_by::text from public.blocklist where id = $1",
            &[&id],
        )
        .await?
        .get(0);
    assert_eq!(by.as_deref(), Some(MONITOR));
    assert_eq!(records(&c, "blocklist.added", "block").await?, (1, 1));
    // The same value twice is a duplicate.
    let (state, _) = refused(&mut c, ADMIN, &add("'phone', '+201001234567', 'again'")).await;
    assert_eq!(state, "23505");

    // A monitor cannot lift (no row is theirs to change); an entry's value never changes.
    let lifted = request(
        &mut c,
        Caller::User(MONITOR),
        &format!("update public.blocklist set lifted_at = now() where id = {id} returning id"),
    )
    .await?;
    assert!(lifted.is_empty());
    let (state, _) = refused(
        &mut c,
        ADMIN,
        &format!("update public.blocklist set value = '+201001234568' where id = {id}"),
    )
    .await;
    assert_eq!(state, "42501", "value is not an updatable column");
    request(
        &mut c,
        Caller::User(ADMIN),
        &format!("update public.blocklist set lifted_at = now() where id = {id}"),
    )
    .await?;
    let lifted_by: Option<String> = c
        .query_one(
            "select lifted_by::text from public.blocklist where id = $1",
            &[&id],
        )
        .await?
        .get(0);
    assert_eq!(lifted_by.as_deref(), Some(ADMIN));
    assert_eq!(records(&c, "blocklist.lifted", "unblock").await?, (1, 1));
    let (state, _) = refused(
        &mut c,
        ADMIN,
        &format!("update public.blocklist set lifted_at = null where id = {id}"),
    )
    .await;
    assert_eq!(state, "23514", "lifted stays lifted");
    // Lifted, the value may be listed again.
    request(
        &mut c,
        Caller::User(MONITOR),
        &add("'phone', '+201001234567', 'back'"),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_listed_phone_cannot_be_verified_and_nothing_says_why() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    request(
        &mut c,
        Caller::User(MONITOR),
        "insert into public.blocklist (kind, value, reason) values ('phone', '+201001234599', 'pumping')",
    )
    .await?;
    let (state, message) = failure(
        try_request(
            &mut c,
            Caller::User(OTHER),
            "select * from public.request_phone_verification('+20 100 123 4599')",
        )
        .await,
        "a listed phone",
    );
    assert_eq!(state, "22023");
    assert!(message.contains("cannot be verified"), "{message}");
    assert!(
        !message.contains("block"),
        "the list stays secret: {message}"
    );
    // An entry that has expired no longer counts (written with triggers off:
    // an expiry in the past is refused otherwise).
    c.batch_execute(
        "set session_replication_role = replica;
         insert into public.blocklist (kind, value, reason, expires_at)
           values ('phone', '+201001234597', 'over', now() - interval '1 minute');
         set session_replication_role = origin;",
    )
    .await?;
    request(
        &mut c,
        Caller::User(OTHER),
        "select * from public.request_phone_verification('+201001234597')",
    )
    .await?;
    request(
        &mut c,
        Caller::User(MONITOR),
        "insert into public.blocklist (kind, value, reason, expires_at)
         values ('phone', '+201001234598', 'a day off', now() + interval '1 day')",
    )
    .await?;
    let (state, _) = failure(
        try_request(
            &mut c,
            Caller::User(OTHER),
            "select * from public.request_phone_verification('+201001234598')",
        )
        .await,
        "a listed phone with an expiry ahead",
    );
    assert_eq!(state, "22023");
    Ok(())
}

#[tokio::test]
async fn sign_ups_with_listed_emails_start_blocked() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    for values in [
        "'email', 'Fraud@Example.net', 'chargebacks'",
        "'domain', 'spam.example', 'throwaway domain'",
    ] {
        request(
            &mut c,
            Caller::User(MONITOR),
            &format!("insert into public.blocklist (kind, value, reason) values ({values})"),
        )
        .await?;
    }
    let cases = [
        (
            "20000000-0000-4000-8000-000000000001",
            "fraud@example.net",
            true,
        ),
        (
            "20000000-0000-4000-8000-000000000002",
            "x@mail.spam.example",
            true,
        ),
        (
            "20000000-0000-4000-8000-000000000003",
            "x@notspam.example",
            false,
        ),
        (
            "20000000-0000-4000-8000-000000000004",
            "fraud2@example.net",
            false,
        ),
    ];
    for (id, email, blocked) in cases {
        sign_up(&c, id, email).await?;
        let r = c
            .query_one(
                "select is_blocked, blocked_reason from public.profiles where id = $1::text::uuid",
                &[&id],
            )
            .await?;
        assert_eq!(r.get::<_, bool>(0), blocked, "{email}");
        if blocked {
            assert!(r.get::<_, Option<String>>(1).is_some());
        }
    }
    let (audited, moderated): (i64, i64) = {
        let r = c
            .query_one(
                "select (select count(*) from public.audit_log where event = 'profile.blocked' and actor_role = 'system' and meta ->> 'by' = 'blocklist'),
                        (select count(*) from public.moderation_actions where target_kind = 'profile' and action = 'block'
                           and reason like '%blocklisted%')",
                &[],
            )
            .await?;
        (r.get(0), r.get(1))
    };
    assert_eq!((audited, moderated), (2, 2));
    Ok(())
}

#[tokio::test]
async fn blocking_a_profile_can_list_its_phone_and_email() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    c.batch_execute(&format!(
        "update public.profiles set phone = '+201001230000', phone_verified = true where id = '{OTHER}'"
    ))
    .await?;
    let call = format!("select id from public.block_profile('{OTHER}', 'pumping SMS', true)");
    let (state, _) = refused(&mut c, OWNER, &call).await;
    assert_eq!(state, "P0002", "a client cannot block anyone");
    request(&mut c, Caller::User(MONITOR), &call).await?;
    let listed: Vec<(String, String)> = c
        .query(
            "select kind, value from public.blocklist where lifted_at is null order by kind",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("email".to_string(), "user2@example.com".to_string()),
            ("phone".to_string(), "+201001230000".to_string())
        ]
    );
    let blocked: bool = c
        .query_one(
            "select is_blocked from public.profiles where id = $1::text::uuid",
            &[&OTHER],
        )
        .await?
        .get(0);
    assert!(blocked);
    // Blocking again with the list keeps one entry per value.
    request(
        &mut c,
        Caller::User(ADMIN),
        &format!("select id from public.block_profile('{OTHER}', 'still pumping', true)"),
    )
    .await?;
    let n: i64 = c
        .query_one("select count(*) from public.blocklist", &[])
        .await?
        .get(0);
    assert_eq!(n, 2);
    Ok(())
}
