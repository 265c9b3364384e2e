//! The foundation: migrations, the migration runner, health, QA, the zodiac
//! function and the profile triggers, seen from outside the database.

use samia_core::migrations::MIGRATIONS;
use samia_tests::postgrest::{request, Caller};
use samia_tests::{one_text, run_samia, sign_up, sqlstate, TestDb};

const AMAL: &str = "a0000000-0000-4000-8000-000000000001";

#[tokio::test]
async fn migrate_up_twice_applies_everything_once() -> anyhow::Result<()> {
    let db = TestDb::empty().await?;
    let first = db.samia(&["migrate", "up"]);
    assert_eq!(first.code, 0, "{first:?}");
    for (stem, _) in MIGRATIONS {
        assert!(
            first.stdout.contains(&format!("applied  {stem}")),
            "{stem} not applied: {}",
            first.stdout
        );
    }
    let second = db.samia(&["migrate", "up"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        !second.stdout.contains("applied  V"),
        "second run applied something: {}",
        second.stdout
    );
    assert_eq!(
        second.stdout.matches("skipped  V").count(),
        MIGRATIONS.len(),
        "{}",
        second.stdout
    );
    assert!(second
        .stdout
        .contains(&format!("0 applied, {} skipped", MIGRATIONS.len())));

    let client = db.system().await?;
    let without_rls: Vec<String> = client
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        without_rls.is_empty(),
        "tables without RLS: {without_rls:?}"
    );
    let tables: i64 = client
        .query_one(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relkind = 'r'",
            &[],
        )
        .await?
        .get(0);
    assert!(tables >= 15, "only {tables} public tables");
    Ok(())
}

#[tokio::test]
async fn status_and_up_refuse_a_migration_changed_after_it_was_applied() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    // As if V3's file had been edited after it was applied, and V6 were new.
    client
        .batch_execute(
            "update ops.schema_migrations set checksum = '12345' where version = 3;
             delete from ops.schema_migrations where version = 6;",
        )
        .await?;

    let status = db.samia(&["migrate", "status"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(
        status.stdout.contains("CHANGED  V3__core_tables"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("pending  V6__profile_triggers"),
        "{}",
        status.stdout
    );
    assert!(
        status.stderr.contains("V3__core_tables"),
        "{}",
        status.stderr
    );

    let up = db.samia(&["migrate", "up"]);
    assert_eq!(up.code, 1, "{up:?}");
    assert!(
        up.stderr
            .contains("V3__core_tables changed after it was applied"),
        "{}",
        up.stderr
    );
    let v6: i64 = client
        .query_one(
            "select count(*) from ops.schema_migrations where version = 6",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(v6, 0, "up ran past the changed migration");
    Ok(())
}

#[tokio::test]
async fn a_failing_migration_is_rolled_back_and_reported() -> anyhow::Result<()> {
    let db = TestDb::empty().await?;
    let client = db.system().await?;
    // Make V3 fail halfway: a clashing object of another kind.
    client
        .batch_execute("create view public.countries as select 1 as code")
        .await?;
    let up = db.samia(&["migrate", "up"]);
    assert_eq!(up.code, 1, "{up:?}");
    assert!(
        up.stdout.contains("FAILED   V3__core_tables"),
        "{}",
        up.stdout
    );
    assert!(
        up.stderr
            .contains("V3__core_tables failed and was rolled back"),
        "{}",
        up.stderr
    );
    // Nothing of V3 remains: its first table was rolled back with it.
    assert_eq!(
        one_text(&client, "select to_regclass('public.roles')::text").await?,
        None
    );
    let applied: i64 = client
        .query_one("select count(*) from ops.schema_migrations", &[])
        .await?
        .get(0);
    assert_eq!(applied, 2);
    Ok(())
}

#[tokio::test]
async fn missing_or_unreachable_database_is_a_one_line_error_exit_2() {
    let missing = run_samia(&["migrate", "up"], None);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains("DATABASE_URL is not set"),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.stderr.trim_end().lines().count(), 1);
    assert!(!missing.stderr.contains("panicked"));

    // Port 1 on loopback: nothing listens there.
    let url = "postgres://samia:secret@127.0.0.1:1/samia";
    for args in [
        &["migrate", "up"][..],
        &["migrate", "status"],
        &["health"],
        &["qa"],
    ] {
        let out = run_samia(args, Some(url));
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr
                .contains("cannot connect to the database at 127.0.0.1:1"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("secret"),
            "password leaked: {}",
            out.stderr
        );
        assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    }

    let bad = run_samia(
        &["health"],
        Some("postgres://samia:secret@127.0.0.1:notaport/x"),
    );
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr
            .contains("DATABASE_URL is not a valid connection string"),
        "{}",
        bad.stderr
    );
    assert!(!bad.stderr.contains("secret"));
}

#[tokio::test]
async fn health_is_green_only_when_fully_migrated() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let ok = db.samia(&["health"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("PostgreSQL 15"), "{}", ok.stdout);
    assert!(
        ok.stdout.contains("rows        public.countries"),
        "{}",
        ok.stdout
    );
    let json = db.samia(&["health", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout)?;
    assert_eq!(report["healthy"], true);
    assert_eq!(report["row_counts"]["public.roles"], 5);

    let empty = TestDb::empty().await?;
    let bad = empty.samia(&["health"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stdout.contains("pending migration"), "{}", bad.stdout);
    assert!(bad.stdout.contains("UNHEALTHY"));
    Ok(())
}

#[tokio::test]
async fn qa_passes_on_good_data_and_names_each_broken_row() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    sign_up(&client, AMAL, "amal@example.com").await?;
    client
        .batch_execute(&format!(
            "update public.profiles set dob = '1991-03-21', country = 'SA' where id = '{AMAL}';
             -- Input media of an order and a horoscope's audio are in use, not orphans.
             insert into public.media_assets (id, owner_id, kind, url, created_at) values
               (101, '{AMAL}', 'image', 'cups/1.jpg', now() - interval '3 days'),
               (102, null, 'audio', 'horoscopes/aries.mp3', now() - interval '3 days'),
               (103, '{AMAL}', 'audio', 'fresh-upload.mp3', now());
             insert into public.orders (user_id, service_id, input_media_id)
               select '{AMAL}', id, 101 from public.services where code = 'coffee';
             insert into public.horoscopes (scope, zodiac, ref_date, audio_media_id)
               values ('daily', 'Aries', current_date, 102);"
        ))
        .await?;
    let ok = db.samia(&["qa"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("ok    media_orphans"), "{}", ok.stdout);

    // Break data the way only a superuser with triggers off could.
    client
        .batch_execute(&format!(
            "set session_replication_role = replica;
             update public.profiles set zodiac = 'Leo', country_code = '+1' where id = '{AMAL}';
             insert into public.media_assets (id, kind, url, created_at)
               values (104, 'audio', 'lost.mp3', now() - interval '2 days');
             insert into storage.objects (bucket_id, name, owner_id, metadata, version) values
               ('readings', '{AMAL}/changed.m4a', '{AMAL}', '{{}}', 'v2'),
               ('readings', '{AMAL}/stuck.m4a', '{AMAL}', '{{}}', 'v1');
             insert into public.media_assets (id, kind, url, bucket, path, status, meta, created_at) values
               (105, 'audio', 'x', 'readings', '{AMAL}/gone.m4a', 'ready', '{{}}', now()),
               (106, 'audio', 'x', 'readings', '{AMAL}/changed.m4a', 'ready',
                '{{\"probe\": {{\"object_version\": \"v1\"}}}}', now()),
               (107, 'audio', 'x', 'readings', '{AMAL}/stuck.m4a', 'pending', '{{}}', now() - interval '2 hours');
             insert into public.horoscopes (id, scope, zodiac, ref_date, audio_media_id, approved_at)
               values (901, 'daily', 'Leo', current_date, 107, now());
             update public.profiles set phone = '+966501234567', phone_verified = true where id = '{AMAL}';
             insert into public.blocklist (kind, value, reason) values ('phone', '+966501234567', 'fraud');
             insert into public.orders (id, user_id, service_id, status)
               select 902, '{AMAL}', id, 'delivered' from public.services where code = 'direct_call';
             insert into public.calls (order_id) values (902);
             update public.app_config set value = '0' where key = 'otp.daily_budget';
             insert into public.phone_verifications (profile_id, phone, status)
               values ('{AMAL}', '+966501234568', 'sent');
             set session_replication_role = origin;"
        ))
        .await?;
    let bad = db.samia(&["qa", "--json"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    let report: serde_json::Value = serde_json::from_str(&bad.stdout)?;
    let count = |name: &str| {
        report["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["name"] == name))
            .map(|c| (c["count"].as_i64().unwrap_or(-1), c["sample"].clone()))
            .unwrap_or((-1, serde_json::Value::Null))
    };
    assert_eq!(
        count("profiles_zodiac_mismatch"),
        (1, serde_json::json!([AMAL]))
    );
    assert_eq!(
        count("profiles_country_code_mismatch"),
        (1, serde_json::json!([AMAL]))
    );
    assert_eq!(count("media_orphans"), (1, serde_json::json!(["104"])));
    assert_eq!(
        count("media_without_object"),
        (1, serde_json::json!(["105"]))
    );
    assert_eq!(
        count("media_ready_but_changed"),
        (1, serde_json::json!(["106"]))
    );
    assert_eq!(
        count("media_pending_over_an_hour"),
        (1, serde_json::json!(["107"]))
    );
    assert_eq!(
        count("published_horoscopes_without_ready_audio"),
        (1, serde_json::json!(["901"]))
    );
    assert_eq!(
        count("verified_phones_on_the_blocklist"),
        (1, serde_json::json!([AMAL]))
    );
    assert_eq!(
        count("calls_without_a_matching_order_state"),
        (1, serde_json::json!(["902"]))
    );
    assert_eq!(
        count("budgets_exceeded_today"),
        (1, serde_json::json!(["otp codes, all countries"]))
    );
    assert_eq!(count("profiles_without_role").0, 0);
    Ok(())
}

/// `samia.zodiac_of` against the original spec's SQL `calc_zodiac`, on every
/// day from 1900 to 2100.
#[tokio::test]
async fn zodiac_of_agrees_with_the_spec_on_every_day_1900_to_2100() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client
        .batch_execute(include_str!("../sql/spec_calc_zodiac.sql"))
        .await?;
    let row = client
        .query_one(
            "select count(*), count(*) filter (where samia.zodiac_of(d) is distinct from spec.calc_zodiac(d)),
                    min(d) filter (where samia.zodiac_of(d) is distinct from spec.calc_zodiac(d))::text
               from generate_series(date '1900-01-01', date '2100-12-31', interval '1 day') g(t),
                    lateral (select t::date as d) x",
            &[],
        )
        .await?;
    let (days, differ, first): (i64, i64, Option<String>) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(days, 73_414);
    assert_eq!(differ, 0, "first disagreement on {first:?}");
    Ok(())
}

#[tokio::test]
async fn sign_up_and_auth_updates_keep_the_profile_in_sync() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client
        .execute(
            "insert into auth.users (id, email, phone, raw_user_meta_data)
             values ($1::text::uuid, 'amal@example.com', '', '{\"first_name\": \" Amal \", \"last_name\": 7}')",
            &[&AMAL],
        )
        .await?;
    let profile = format!(
        "select concat_ws('|', email, coalesce(phone, '-'), email_verified, phone_verified, first_name,
                          coalesce(last_name, '-'), role_id, is_blocked)
           from public.profiles where id = '{AMAL}'"
    );
    assert_eq!(
        one_text(&client, &profile).await?.as_deref(),
        Some("amal@example.com|-|f|f|Amal|-|5|f")
    );

    client
        .batch_execute(&format!(
            "update auth.users set email_confirmed_at = now() where id = '{AMAL}';
             update auth.users set phone = '+201001234567', phone_confirmed_at = now() where id = '{AMAL}';"
        ))
        .await?;
    assert_eq!(
        one_text(&client, &profile).await?.as_deref(),
        Some("amal@example.com|+201001234567|t|t|Amal|-|5|f")
    );

    // Unconfirming in auth (a new email awaiting confirmation) clears the flag.
    client
        .batch_execute(&format!(
            "update auth.users set email = 'amal@example.org', email_confirmed_at = null where id = '{AMAL}'"
        ))
        .await?;
    assert_eq!(
        one_text(&client, &profile).await?.as_deref(),
        Some("amal@example.org|+201001234567|f|t|Amal|-|5|f")
    );

    // A user created before the trigger existed gets a profile on the next auth update.
    client
        .batch_execute(
            "alter table auth.users disable trigger samia_sync_profile;
             insert into auth.users (id, email) values ('b0000000-0000-4000-8000-000000000002', 'old@example.com');
             alter table auth.users enable trigger samia_sync_profile;
             update auth.users set email_confirmed_at = now() where email = 'old@example.com';",
        )
        .await?;
    assert_eq!(
        one_text(
            &client,
            "select email_verified::text from public.profiles where id = 'b0000000-0000-4000-8000-000000000002'"
        )
        .await?
        .as_deref(),
        Some("true")
    );
    Ok(())
}

#[tokio::test]
async fn derived_profile_columns_and_their_errors() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    sign_up(&client, AMAL, "amal@example.com").await?;
    let update = |set: &str| format!("update public.profiles set {set} where id = '{AMAL}'");

    // Writes to the derived columns are replaced by the derived values.
    client
        .batch_execute(&update(
            "dob = '2000-02-29', country = 'ae', zodiac = 'Leo', country_code = '+0'",
        ))
        .await?;
    let derived = format!("select concat_ws('|', zodiac, country, country_code) from public.profiles where id = '{AMAL}'");
    assert_eq!(
        one_text(&client, &derived).await?.as_deref(),
        Some("Pisces|AE|+971")
    );
    client.batch_execute(&update("zodiac = 'Leo'")).await?;
    assert_eq!(
        one_text(&client, &derived).await?.as_deref(),
        Some("Pisces|AE|+971")
    );

    for (set, needle) in [
        ("country = 'ZZ'", "unknown country \"ZZ\""),
        ("country = 'Egypt'", "unknown country \"EGYPT\""),
        ("dob = current_date + 1", "is in the future"),
        ("dob = '1899-12-31'", "is before 1900-01-01"),
    ] {
        let err = client.batch_execute(&update(set)).await.expect_err(set);
        assert_eq!(sqlstate(&err), Some("22023"), "{set}: {err:?}");
        let message = err
            .as_db_error()
            .map(|e| e.message().to_string())
            .unwrap_or_default();
        assert!(message.contains(needle), "{set}: {message}");
    }
    // Nothing was lost: the row is as it was before the failed updates.
    assert_eq!(
        one_text(&client, &derived).await?.as_deref(),
        Some("Pisces|AE|+971")
    );

    // An empty country clears both columns.
    client.batch_execute(&update("country = '  '")).await?;
    assert_eq!(
        one_text(&client, &derived).await?.as_deref(),
        Some("Pisces")
    );
    Ok(())
}

#[tokio::test]
async fn ops_is_never_reachable_from_the_api() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut client = db.system().await?;
    sign_up(&client, AMAL, "amal@example.com").await?;
    for caller in [Caller::Anon, Caller::User(AMAL)] {
        for sql in [
            "select * from ops.schema_migrations",
            "select * from ops.audit_seals",
        ] {
            let result = request(&mut client, caller, sql).await;
            assert_eq!(
                result.err().as_ref().and_then(sqlstate),
                Some("42501"),
                "{caller:?}: {sql}"
            );
        }
    }
    Ok(())
}
