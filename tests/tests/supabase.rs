//! The product on a database shaped as a self-hosted Supabase one
//! (`scripts/supabase.sh`, `SAMIA_TEST_FLAVOUR=supabase`): GoTrue's sign-up
//! and sign-in written as GoTrue writes them, uploads recorded as Storage
//! records them, and the privileges of the API roles, which must be the same
//! as on plain PostgreSQL (where the tests of the privileges also run).

use samia_tests::postgrest::{failure, request, Caller};
use samia_tests::{connect, flavour, one_text, sign_up, Flavour, TestDb};
use serde_json::json;
use tokio_postgres::Client;

/// Tests that need GoTrue's and Storage's own roles and tables.
fn supabase_only(test: &str) -> bool {
    if flavour() == Flavour::Supabase {
        return true;
    }
    eprintln!("{test}: runs on the Supabase-shaped database only (SAMIA_TEST_FLAVOUR=supabase)");
    false
}

const NOUR: &str = "c0000000-0000-4000-8000-000000000001";
const OMAR: &str = "c0000000-0000-4000-8000-000000000002";

/// GoTrue's columns of a new user (its `models.User`), as its sign-up
/// inserts them, with an identity for the email provider.
async fn gotrue_sign_up(
    gotrue: &Client,
    id: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> anyhow::Result<()> {
    let provider = if email.is_some() { "email" } else { "phone" };
    let app_meta = json!({ "provider": provider, "providers": [provider] }).to_string();
    let user_meta = json!({ "first_name": "Nour", "sub": id }).to_string();
    gotrue
        .execute(
            "insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
                 email_confirmed_at, invited_at, confirmation_token, confirmation_sent_at,
                 recovery_token, recovery_sent_at, email_change_token_new, email_change,
                 email_change_sent_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data,
                 is_super_admin, created_at, updated_at, phone, phone_confirmed_at, phone_change,
                 phone_change_token, phone_change_sent_at, email_change_token_current,
                 email_change_confirm_status, banned_until, reauthentication_token,
                 reauthentication_sent_at, is_sso_user, deleted_at, is_anonymous)
             values ('00000000-0000-0000-0000-000000000000', $1::text::uuid, 'authenticated',
                 'authenticated', $2, '$2a$10$abcdefghijklmnopqrstuu5Ihh0M9jYlhbbfCJrsVOL8dSPfC2Xla',
                 null, null, 'f9a0c1d2e3', now(), '', null, '', '', null, null,
                 $3::text::jsonb, $4::text::jsonb, null, now(), now(), $5, null, '', '', null, '',
                 0, null, '', null, false, null, false)",
            &[&id, &email, &app_meta, &user_meta, &phone],
        )
        .await?;
    let identity =
        json!({ "sub": id, "email": email, "email_verified": false, "phone_verified": false });
    gotrue
        .execute(
            "insert into auth.identities (provider_id, user_id, identity_data, provider,
                 last_sign_in_at, created_at, updated_at)
             values ($1, $1::text::uuid, $2::text::jsonb, $3, now(), now(), now())",
            &[&id, &identity.to_string(), &provider],
        )
        .await?;
    Ok(())
}

/// GoTrue saves a user by writing every column of the row (pop's Update),
/// whatever changed: here a sign-in, which changes last_sign_in_at only.
async fn gotrue_sign_in(gotrue: &Client, id: &str) -> anyhow::Result<()> {
    let n = gotrue
        .execute(
            "update auth.users u set (instance_id, aud, role, email, encrypted_password,
                 email_confirmed_at, invited_at, confirmation_token, confirmation_sent_at,
                 recovery_token, recovery_sent_at, email_change_token_new, email_change,
                 email_change_sent_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data,
                 is_super_admin, created_at, updated_at, phone, phone_confirmed_at, phone_change,
                 phone_change_token, phone_change_sent_at, email_change_token_current,
                 email_change_confirm_status, banned_until, reauthentication_token,
                 reauthentication_sent_at, is_sso_user, deleted_at, is_anonymous)
               = (s.instance_id, s.aud, s.role, s.email, s.encrypted_password,
                 s.email_confirmed_at, s.invited_at, s.confirmation_token, s.confirmation_sent_at,
                 s.recovery_token, s.recovery_sent_at, s.email_change_token_new, s.email_change,
                 s.email_change_sent_at, now(), s.raw_app_meta_data, s.raw_user_meta_data,
                 s.is_super_admin, s.created_at, now(), s.phone, s.phone_confirmed_at, s.phone_change,
                 s.phone_change_token, s.phone_change_sent_at, s.email_change_token_current,
                 s.email_change_confirm_status, s.banned_until, s.reauthentication_token,
                 s.reauthentication_sent_at, s.is_sso_user, s.deleted_at, s.is_anonymous)
             from auth.users s where s.id = u.id and u.id = $1::text::uuid",
            &[&id],
        )
        .await?;
    assert_eq!(n, 1, "signed in {id}");
    Ok(())
}

async fn profile(c: &Client, id: &str) -> anyhow::Result<Option<String>> {
    one_text(
        c,
        &format!(
            "select concat_ws('|', role_id, coalesce(email, '-'), email_verified, coalesce(phone, '-'),
                    phone_verified, coalesce(first_name, '-'))
               from public.profiles where id = '{id}'"
        ),
    )
    .await
}

#[tokio::test]
async fn a_sign_up_written_as_gotrue_writes_it_makes_the_profile() -> anyhow::Result<()> {
    if !supabase_only("a_sign_up_written_as_gotrue_writes_it_makes_the_profile") {
        return Ok(());
    }
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    // GoTrue's own login role, which owns auth.users (row-level security on).
    let gotrue = connect(&db.url_as("supabase_auth_admin")).await?;
    assert_eq!(
        one_text(&gotrue, "select current_user::text")
            .await?
            .as_deref(),
        Some("supabase_auth_admin")
    );

    // An email sign-up: a client profile, not verified yet.
    gotrue_sign_up(&gotrue, NOUR, Some("nour@example.com"), None).await?;
    assert_eq!(
        profile(&c, NOUR).await?.as_deref(),
        Some("5|nour@example.com|f|-|f|Nour")
    );
    // The confirmation link: GoTrue saves the whole row, email confirmed.
    gotrue
        .execute(
            "update auth.users set email_confirmed_at = now(), confirmation_token = '', updated_at = now()
              where id = $1::text::uuid",
            &[&NOUR],
        )
        .await?;
    assert_eq!(
        profile(&c, NOUR).await?.as_deref(),
        Some("5|nour@example.com|t|-|f|Nour")
    );

    // The user, through PostgREST, sets a phone and verifies it through the
    // product's own flow (here as the sidecar would report it: system).
    request(
        &mut c,
        Caller::User(NOUR),
        "update public.profiles set phone = '+201001234567', country = 'EG' where id = auth.uid()",
    )
    .await?;
    c.batch_execute(&format!(
        "update public.profiles set phone_verified = true where id = '{NOUR}'"
    ))
    .await?;
    // Each sign-in rewrites the whole auth.users row: nothing of the
    // profile changes, the product's verified phone included.
    gotrue_sign_in(&gotrue, NOUR).await?;
    gotrue_sign_in(&gotrue, NOUR).await?;
    assert_eq!(
        profile(&c, NOUR).await?.as_deref(),
        Some("5|nour@example.com|t|+201001234567|t|Nour")
    );
    let own = request(
        &mut c,
        Caller::User(NOUR),
        "select email, role_id from public.profiles",
    )
    .await?;
    assert_eq!(own.len(), 1, "a client reads their own profile only");

    // A phone sign-up, confirmed by GoTrue's SMS code.
    gotrue_sign_up(&gotrue, OMAR, None, Some("201009876543")).await?;
    assert_eq!(
        profile(&c, OMAR).await?.as_deref(),
        Some("5|-|f|201009876543|f|Nour")
    );
    gotrue
        .execute(
            "update auth.users set phone_confirmed_at = now(), updated_at = now() where id = $1::text::uuid",
            &[&OMAR],
        )
        .await?;
    assert_eq!(
        profile(&c, OMAR).await?.as_deref(),
        Some("5|-|f|201009876543|t|Nour")
    );

    // GoTrue's role gained nothing from it: it is not system, and it writes
    // no profile itself.
    let denied = gotrue
        .query_one("select samia.caller_role()", &[])
        .await
        .expect_err("GoTrue's role calls nothing of the extension's");
    assert_eq!(samia_tests::sqlstate(&denied), Some("42501"));
    let denied = gotrue
        .batch_execute(&format!(
            "update public.profiles set role_id = 1 where id = '{NOUR}'"
        ))
        .await
        .expect_err("GoTrue's role writes no profile");
    assert_eq!(samia_tests::sqlstate(&denied), Some("42501"));
    Ok(())
}

/// Storage's database work for one request (its `TenantConnection`): a
/// transaction on its own login role, `supabase_storage_admin`, scoped to
/// the JWT's role and claims, then the statement.
async fn as_storage(
    storage: &mut Client,
    sub: Option<&str>,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let (role, claims) = match sub {
        Some(sub) => (
            "authenticated",
            json!({ "sub": sub, "role": "authenticated", "aud": "authenticated" }),
        ),
        None => ("service_role", json!({ "role": "service_role" })),
    };
    let tx = storage.transaction().await?;
    tx.execute(
        "select set_config('role', $1, true),
                set_config('request.jwt.claim.role', $1, true),
                set_config('request.jwt.claim.sub', $2, true),
                set_config('request.jwt.claims', $3, true),
                set_config('request.method', 'POST', true),
                set_config('storage.operation', 'storage.object.upload', true),
                set_config('storage.allow_delete_query', 'true', true)",
        &[&role, &sub.unwrap_or(""), &claims.to_string()],
    )
    .await?;
    let rows = tx.query(sql, &[]).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Storage's insert of an upload; `owner` is the JWT's sub (none for the
/// service key).
fn upload(bucket: &str, name: &str, owner: Option<&str>, mime: &str, size: i64) -> String {
    let owner = owner.map_or("null".to_string(), |o| format!("'{o}'"));
    let metadata = json!({
        "eTag": "\"5d41402abc4b2a76b9719d911017c592\"",
        "size": size,
        "mimetype": mime,
        "cacheControl": "max-age=3600",
        "lastModified": "2026-12-01T00:00:00.000Z",
        "contentLength": size,
        "httpStatusCode": 200,
    });
    format!(
        "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, user_metadata, version)
         values ('{bucket}', '{name}', {owner}::uuid, {owner}, '{metadata}', '{{}}', gen_random_uuid()::text)
         on conflict (name, bucket_id) do update
            set metadata = excluded.metadata, version = excluded.version, owner = excluded.owner,
                owner_id = excluded.owner_id, user_metadata = excluded.user_metadata
         returning id"
    )
}

#[tokio::test]
async fn an_upload_recorded_as_storage_records_it_registers() -> anyhow::Result<()> {
    if !supabase_only("an_upload_recorded_as_storage_records_it_registers") {
        return Ok(());
    }
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    sign_up(&c, NOUR, "nour@example.com").await?;
    let mut storage = connect(&db.url_as("supabase_storage_admin")).await?;

    // A client's coffee-cup photo, into their own folder of order-inputs.
    let path = format!("{NOUR}/cup.jpg");
    as_storage(
        &mut storage,
        Some(NOUR),
        &upload("order-inputs", &path, Some(NOUR), "image/jpeg", 123_456),
    )
    .await?;
    // Into someone else's folder, or a bucket clients do not write: refused.
    for (bucket, name) in [
        ("order-inputs", format!("{OMAR}/cup.jpg")),
        ("readings", format!("{NOUR}/r.m4a")),
    ] {
        let e = as_storage(
            &mut storage,
            Some(NOUR),
            &upload(bucket, &name, Some(NOUR), "image/jpeg", 10),
        )
        .await
        .expect_err("refused");
        assert_eq!(
            samia_tests::sqlstate(&e),
            Some("42501"),
            "{bucket}/{name}: {e:?}"
        );
    }
    // Registered through PostgREST: size and type come from the object.
    let rows = request(
        &mut c,
        Caller::User(NOUR),
        &format!(
            "insert into public.media_assets (kind, bucket, path) values ('image', 'order-inputs', '{path}')
             returning id, bytes, mime_type, status, url"
        ),
    )
    .await?;
    let id: i64 = rows[0].get(0);
    assert_eq!(
        (
            rows[0].get::<_, i64>(1),
            rows[0].get::<_, String>(2),
            rows[0].get::<_, String>(3)
        ),
        (123_456, "image/jpeg".to_string(), "pending".to_string())
    );
    // Replaced through Storage: back to pending for the probe; deleted
    // through Storage: invalid.
    as_storage(
        &mut storage,
        Some(NOUR),
        &upload("order-inputs", &path, Some(NOUR), "image/jpeg", 99),
    )
    .await?;
    assert_eq!(
        one_text(
            &c,
            &format!(
                "select concat_ws('|', bytes, status) from public.media_assets where id = {id}"
            )
        )
        .await?
        .as_deref(),
        Some("99|pending")
    );
    as_storage(
        &mut storage,
        Some(NOUR),
        &format!("delete from storage.objects where bucket_id = 'order-inputs' and name = '{path}' returning id"),
    )
    .await?;
    assert_eq!(
        one_text(
            &c,
            &format!("select status from public.media_assets where id = {id}")
        )
        .await?
        .as_deref(),
        Some("invalid")
    );
    // Horoscope audio is uploaded with the service key (the sidecar's).
    let rows = as_storage(
        &mut storage,
        None,
        &upload(
            "horoscopes",
            "2026-12-01/leo.m4a",
            None,
            "audio/mp4",
            48_000,
        ),
    )
    .await?;
    assert_eq!(rows.len(), 1);
    Ok(())
}

/// The privileges the API roles hold, the same on both kinds of database:
/// nothing they may delete or truncate, no extension function executable
/// by PUBLIC, the staff RPCs closed to anon and the service key.
#[tokio::test]
async fn the_api_roles_hold_only_what_the_migrations_grant() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    // Nobody deletes through the API (CONTRACT.md section 4).
    let deletable = one_text(
        &c,
        "select string_agg(x, ', ' order by x) from (
           select format('%s %s', r.rolname, c.oid::regclass) as x
             from pg_class c cross join pg_roles r
            where c.relnamespace in ('public'::regnamespace, 'ops'::regnamespace, 'samia'::regnamespace)
              and c.relkind in ('r', 'v', 'p')
              and r.rolname in ('anon', 'authenticated', 'service_role')
              and (has_table_privilege(r.oid, c.oid, 'DELETE') or has_table_privilege(r.oid, c.oid, 'TRUNCATE'))) d",
    )
    .await?;
    assert_eq!(deletable, None, "API roles that may delete or truncate");
    let public_functions = one_text(
        &c,
        "select string_agg(p.oid::regprocedure::text, ', ')
           from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
          where p.pronamespace = 'samia'::regnamespace and a.grantee = 0",
    )
    .await?;
    assert_eq!(
        public_functions, None,
        "extension functions executable by PUBLIC"
    );
    for (caller, sql) in [
        (Caller::Anon, "select public.approve_order(1)"),
        (
            Caller::Anon,
            "select public.block_profile('c0000000-0000-4000-8000-000000000001', 'x', true)",
        ),
        (Caller::Service, "select public.approve_order(1)"),
        (Caller::Service, "delete from public.orders"),
        (Caller::Service, "truncate public.audit_log"),
        (Caller::Anon, "select nextval('public.blocklist_id_seq')"),
        (Caller::Service, "select * from public.admin_order_queue"),
        (
            Caller::Service,
            "select samia.phone_verification_outcome(1, 'sent', null, null)",
        ),
        (Caller::User(NOUR), "select samia.audit_seal(10)"),
    ] {
        let (state, message) = failure(request(&mut c, caller, sql).await, sql);
        assert_eq!(state, "42501", "{sql} as {caller:?}: {message}");
    }
    Ok(())
}

/// `samia migrate up` and `samia health` as the operator (on Supabase
/// `postgres`, which is not a superuser): nothing left to apply, healthy.
#[tokio::test]
async fn the_operator_finds_the_database_migrated_and_healthy() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    let up = db.samia(&["migrate", "up"]);
    assert_eq!(up.code, 0, "{up:?}");
    assert!(up.stdout.contains(" 0 applied"), "{}", up.stdout);
    let health = db.samia(&["health"]);
    assert_eq!(health.code, 0, "{health:?}");
    if flavour() == Flavour::Supabase {
        let operator = connect(&db.operator_url()).await?;
        assert_eq!(
            one_text(&operator, "select concat_ws('|', current_user, rolsuper) from pg_roles where rolname = current_user")
                .await?
                .as_deref(),
            Some("postgres|f")
        );
        assert_eq!(
            one_text(&c, "select concat_ws('|', e.extowner::regrole, n.nspowner::regrole)
                            from pg_extension e join pg_namespace n on n.nspname = 'samia' where e.extname = 'samia'")
                .await?
                .as_deref(),
            Some("supabase_admin|supabase_admin"),
            "the extension is the superuser's"
        );
    }
    Ok(())
}
