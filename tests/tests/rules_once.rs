//! Where SQL must repeat a list that `samia-core` holds, the database's copy
//! is checked against it here, so the two cannot drift apart.

use samia_core::order_flow::Status;
use samia_core::phone::SendLimits;
use samia_core::roles::{PERSONAL_COLUMNS, STAFF_COLUMNS};
use samia_core::zodiac::Sign;
use samia_tests::TestDb;
use std::collections::BTreeSet;

/// The quoted literals of a constraint definition, in order.
fn literals(definition: &str) -> Vec<String> {
    definition
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn order_statuses_are_the_enum() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    let labels: Vec<String> = c
        .query(
            "select enumlabel::text from pg_enum where enumtypid = 'public.order_status'::regtype
              order by enumsortorder",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let core: Vec<String> = Status::ALL.iter().map(|s| s.name().to_string()).collect();
    assert_eq!(labels, core);
    Ok(())
}

#[tokio::test]
async fn every_sign_check_lists_the_core_signs() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    let checks = c
        .query(
            "select conrelid::regclass::text, pg_get_constraintdef(oid) from pg_constraint
              where contype = 'c' and connamespace = 'public'::regnamespace
                and pg_get_constraintdef(oid) like '%''Aries''%'",
            &[],
        )
        .await?;
    let core: BTreeSet<String> = Sign::ALL.iter().map(|s| s.name().to_string()).collect();
    let tables: BTreeSet<String> = checks.iter().map(|r| r.get::<_, String>(0)).collect();
    // profiles.zodiac, horoscopes.zodiac, tiktok_posts.detected_zodiac at least.
    for table in ["profiles", "horoscopes", "tiktok_posts"] {
        assert!(
            tables.contains(table),
            "no sign check on {table}: {tables:?}"
        );
    }
    for row in checks {
        let (table, definition): (String, String) = (row.get(0), row.get(1));
        let listed: BTreeSet<String> = literals(&definition).into_iter().collect();
        assert_eq!(listed, core, "{table}: {definition}");
    }
    Ok(())
}

#[tokio::test]
async fn otp_limits_seeded_are_the_core_defaults() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    let seeded = |key: &'static str| {
        let c = &c;
        async move {
            let row = c
                .query_one(
                    "select (value #>> '{}')::bigint from public.app_config where key = $1",
                    &[&key],
                )
                .await?;
            anyhow::Ok(row.get::<_, i64>(0))
        }
    };
    let defaults = SendLimits::default();
    assert_eq!(
        seeded("otp.max_sends_per_phone_10min").await?,
        defaults.per_phone_10min
    );
    assert_eq!(
        seeded("otp.max_sends_per_user_day").await?,
        defaults.per_user_day
    );
    assert_eq!(
        seeded("otp.code_ttl_minutes").await?,
        samia_core::phone::DEFAULT_CODE_TTL_MINUTES
    );
    Ok(())
}

#[tokio::test]
async fn profile_update_grants_are_the_core_columns() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    let granted: BTreeSet<String> = c
        .query(
            "select column_name::text from information_schema.column_privileges
              where table_schema = 'public' and table_name = 'profiles'
                and grantee = 'authenticated' and privilege_type = 'UPDATE'",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let core: BTreeSet<String> = PERSONAL_COLUMNS
        .iter()
        .chain(STAFF_COLUMNS.iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(granted, core);
    Ok(())
}

#[tokio::test]
async fn buckets_are_the_core_buckets() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    for bucket in samia_core::media::BUCKETS {
        let row = c
            .query_one(
                "select public, file_size_limit, allowed_mime_types from storage.buckets where id = $1",
                &[&bucket.name],
            )
            .await?;
        assert_eq!(
            row.get::<_, Option<bool>>(0),
            Some(false),
            "{} is private",
            bucket.name
        );
        assert_eq!(
            row.get::<_, Option<i64>>(1),
            Some(bucket.max_bytes),
            "{}",
            bucket.name
        );
        let types: Vec<String> = row.get(2);
        assert_eq!(types, bucket.mime_types(), "{}", bucket.name);
    }
    Ok(())
}
