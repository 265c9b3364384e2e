//! Phone verification RPCs as the apps call them (through PostgREST), without
//! a sidecar: normalization, refusals, cost guards and who may call what.

use samia_tests::postgrest::{request, Caller};
use samia_tests::{sign_up, Session, TestDb};

const AMAL: &str = "b0000000-0000-4000-8000-000000000001";
const BADR: &str = "b0000000-0000-4000-8000-000000000002";

async fn setup() -> anyhow::Result<(TestDb, Session, Session)> {
    let db = TestDb::migrated().await?;
    let system = db.system().await?;
    sign_up(&system, AMAL, "amal@example.com").await?;
    sign_up(&system, BADR, "badr@example.com").await?;
    system
        .batch_execute(&format!(
            "update public.profiles set country = 'EG' where id = '{AMAL}'"
        ))
        .await?;
    let api = db.system().await?;
    Ok((db, system, api))
}

fn err_of(r: Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>) -> (String, String) {
    samia_tests::postgrest::failure(r, "the request")
}

#[tokio::test]
async fn a_request_normalizes_the_number_and_queues_a_send() -> anyhow::Result<()> {
    let (_db, system, mut api) = setup().await?;
    let rows = request(
        &mut api,
        Caller::User(AMAL),
        "select id, phone, status, profile_id::text from public.request_phone_verification('٠١٠٠ ١٢٣ ٤٥٦٧')",
    )
    .await?;
    let (id, phone, status): (i64, String, String) =
        (rows[0].get(0), rows[0].get(1), rows[0].get(2));
    assert_eq!(
        (phone.as_str(), status.as_str()),
        ("+201001234567", "queued")
    );
    assert_eq!(rows[0].get::<_, String>(3), AMAL);
    let job = system
        .query_one(
            "select kind, status, payload ->> 'phone', (payload ->> 'verification_id')::bigint from ops.jobs",
            &[],
        )
        .await?;
    assert_eq!(job.get::<_, String>(0), "phone.send_code");
    assert_eq!(job.get::<_, String>(1), "queued");
    assert_eq!(job.get::<_, String>(2), "+201001234567");
    assert_eq!(job.get::<_, i64>(3), id);
    let audited: i64 = system
        .query_one(
            "select count(*) from public.audit_log where event = 'phone.verification_requested'
                and entity_id = $1 and actor::text = $2",
            &[&id.to_string(), &AMAL],
        )
        .await?
        .get(0);
    assert_eq!(audited, 1);

    // A second request supersedes the first, and its send is dropped.
    request(
        &mut api,
        Caller::User(AMAL),
        "select * from public.request_phone_verification('+20 100 123 4568')",
    )
    .await?;
    let first: String = system
        .query_one(
            "select status from public.phone_verifications where id = $1",
            &[&id],
        )
        .await?
        .get(0);
    assert_eq!(first, "canceled");
    let dropped: String = system
        .query_one(
            "select last_error from ops.jobs where (payload ->> 'verification_id')::bigint = $1",
            &[&id],
        )
        .await?
        .get(0);
    assert!(dropped.contains("superseded"), "{dropped}");
    Ok(())
}

#[tokio::test]
async fn bad_numbers_are_22023_naming_the_value() -> anyhow::Result<()> {
    let (_db, _system, mut api) = setup().await?;
    let cases = [
        ("call me", "call me"),
        ("+44 909 876 5432", "premium-rate"),
        ("+20 2 2345 6789", "landline"),
        ("", "empty"),
    ];
    for (input, expected) in cases {
        let (state, message) = err_of(
            request(
                &mut api,
                Caller::User(AMAL),
                &format!("select * from public.request_phone_verification('{input}')"),
            )
            .await,
        );
        assert_eq!(state, "22023", "{input:?}: {message}");
        assert!(message.contains(expected), "{input:?}: {message}");
    }
    // Badr has no country: a national number cannot be read.
    let (state, message) = err_of(
        request(
            &mut api,
            Caller::User(BADR),
            "select * from public.request_phone_verification('0100 123 4567')",
        )
        .await,
    );
    assert_eq!(state, "22023", "{message}");
    assert!(message.contains("country"), "{message}");
    Ok(())
}

#[tokio::test]
async fn cost_guards_come_from_app_config() -> anyhow::Result<()> {
    let (_db, system, mut api) = setup().await?;
    for _ in 0..3 {
        request(
            &mut api,
            Caller::User(AMAL),
            "select * from public.request_phone_verification('+201001234567')",
        )
        .await?;
    }
    let (state, message) = err_of(
        request(
            &mut api,
            Caller::User(AMAL),
            "select * from public.request_phone_verification('+201001234567')",
        )
        .await,
    );
    assert_eq!(state, "42501", "{message}");
    assert!(
        message.contains("10 minutes") && message.contains("+201001234567"),
        "{message}"
    );
    // The same phone for another user is also capped (pumping one number).
    let (state, _) = err_of(
        request(
            &mut api,
            Caller::User(BADR),
            "select * from public.request_phone_verification('+201001234567')",
        )
        .await,
    );
    assert_eq!(state, "42501");

    // The per-user daily limit, lowered by configuration.
    system
        .batch_execute(
            "update public.app_config set value = '4' where key = 'otp.max_sends_per_user_day'",
        )
        .await?;
    request(
        &mut api,
        Caller::User(AMAL),
        "select * from public.request_phone_verification('+201001234599')",
    )
    .await?;
    let (state, message) = err_of(
        request(
            &mut api,
            Caller::User(AMAL),
            "select * from public.request_phone_verification('+201001234598')",
        )
        .await,
    );
    assert_eq!(state, "42501", "{message}");
    assert!(message.contains("today"), "{message}");
    Ok(())
}

#[tokio::test]
async fn only_signed_in_unblocked_users_may_ask_and_only_the_sidecar_reports() -> anyhow::Result<()>
{
    let (_db, system, mut api) = setup().await?;
    let (state, _) = err_of(
        request(
            &mut api,
            Caller::Anon,
            "select * from public.request_phone_verification('+201001234567')",
        )
        .await,
    );
    assert_eq!(state, "42501");
    system
        .batch_execute(&format!(
            "update public.profiles set is_blocked = true, blocked_reason = 'spam' where id = '{BADR}'"
        ))
        .await?;
    let (state, message) = err_of(
        request(
            &mut api,
            Caller::User(BADR),
            "select * from public.request_phone_verification('+201001234567')",
        )
        .await,
    );
    assert_eq!(state, "42501");
    assert!(message.contains("blocked"), "{message}");

    let rows = request(
        &mut api,
        Caller::User(AMAL),
        "select id from public.request_phone_verification('+201001234567')",
    )
    .await?;
    let id: i64 = rows[0].get(0);
    for sql in [
        format!("select samia.phone_verification_outcome({id}, 'approved')"),
        "select * from ops.jobs".to_string(),
        format!("update public.phone_verifications set status = 'verified' where id = {id}"),
    ] {
        let r = request(&mut api, Caller::User(AMAL), &sql).await;
        assert_eq!(err_of(r).0, "42501", "{sql}");
    }
    // None of those changed the verification.
    let status: String = system
        .query_one(
            "select status from public.phone_verifications where id = $1",
            &[&id],
        )
        .await?
        .get(0);
    assert_eq!(status, "queued");
    Ok(())
}

#[tokio::test]
async fn confirming_needs_a_sent_fresh_code_of_digits() -> anyhow::Result<()> {
    let (_db, system, mut api) = setup().await?;
    let confirm = |code: &str| format!("select * from public.confirm_phone_verification('{code}')");
    let (state, message) = err_of(request(&mut api, Caller::User(AMAL), &confirm("123456")).await);
    assert_eq!(state, "22023");
    assert!(message.contains("no phone verification"), "{message}");

    let rows = request(
        &mut api,
        Caller::User(AMAL),
        "select id from public.request_phone_verification('+201001234567')",
    )
    .await?;
    let id: i64 = rows[0].get(0);
    let (state, message) = err_of(request(&mut api, Caller::User(AMAL), &confirm("123456")).await);
    assert_eq!(state, "22023");
    assert!(message.contains("not been sent"), "{message}");

    system
        .query_one(
            "select samia.phone_verification_outcome($1, 'sent', 'VE1')",
            &[&id],
        )
        .await?;
    let (state, message) = err_of(request(&mut api, Caller::User(AMAL), &confirm("12ab")).await);
    assert_eq!(state, "22023");
    assert!(message.contains("12ab"), "{message}");

    let rows = request(&mut api, Caller::User(AMAL), &confirm("١٢٣٤٥٦")).await?;
    assert_eq!(rows[0].get::<_, i64>("id"), id);
    let code: String = system
        .query_one(
            "select payload ->> 'code' from ops.jobs where kind = 'phone.check_code'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(code, "123456");

    // Older than otp.code_ttl_minutes: expired.
    system
        .execute(
            "update public.phone_verifications set created_at = now() - interval '11 minutes' where id = $1",
            &[&id],
        )
        .await?;
    let (state, message) = err_of(request(&mut api, Caller::User(AMAL), &confirm("123456")).await);
    assert_eq!(state, "22023");
    assert!(message.contains("expired"), "{message}");
    Ok(())
}
