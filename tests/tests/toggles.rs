//! Feature toggles and cost guards in app_config: orders per service,
//! calls, phone verification on or off; the day's code budgets, all
//! countries and per country; the storage quota; `samia costs` and the
//! warnings of `samia health`.

use samia_tests::fixture::{self, ADMIN, OTHER, OWNER, READER};
use samia_tests::media::{register, stored};
use samia_tests::postgrest::{refused, request, Caller};
use samia_tests::{sign_up, Session, TestDb};
use tokio_postgres::Client;

async fn db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    Ok((db, c))
}

/// An admin changes a setting, as the apps' admin screen does.
async fn set(c: &mut Client, key: &str, value: &str) -> anyhow::Result<()> {
    request(
        c,
        Caller::User(ADMIN),
        &format!("update public.app_config set value = '{value}' where key = '{key}'"),
    )
    .await?;
    Ok(())
}

fn order(code: &str) -> String {
    format!(
        "insert into public.orders (user_id, service_id, scheduled_at)
         select '{OWNER}', id, case when delivery = 'call' then now() + interval '2 days' end
           from public.services where code = '{code}'"
    )
}

#[tokio::test]
async fn switches_refuse_what_they_switch_off() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    set(&mut c, "orders.enabled", r#"{"coffee": false, "*": true}"#).await?;
    let (state, message) = refused(&mut c, OWNER, &order("coffee")).await;
    assert_eq!(state, "23514", "{message}");
    assert!(message.contains("switched off"), "{message}");
    request(&mut c, Caller::User(OWNER), &order("tarot")).await?;
    set(&mut c, "calls.enabled", "false").await?;
    let (state, _) = refused(&mut c, OWNER, &order("direct_call")).await;
    assert_eq!(state, "23514");
    set(&mut c, "orders.enabled", "false").await?;
    let (state, _) = refused(&mut c, OWNER, &order("tarot")).await;
    assert_eq!(state, "23514");

    set(&mut c, "otp.enabled", "false").await?;
    let (state, message) = refused(
        &mut c,
        OTHER,
        "select * from public.request_phone_verification('+201001239999')",
    )
    .await;
    assert_eq!(state, "23514", "{message}");
    // Only admins switch.
    let changed = request(
        &mut c,
        Caller::User(READER),
        "update public.app_config set value = 'true' where key = 'otp.enabled' returning key",
    )
    .await?;
    assert!(changed.is_empty());
    Ok(())
}

#[tokio::test]
async fn the_days_code_budgets_hold_and_health_warns_before() -> anyhow::Result<()> {
    let (db, mut c) = db().await?;
    set(&mut c, "otp.daily_budget", "5").await?;
    set(
        &mut c,
        "otp.daily_budget_per_country",
        r#"{"EG": 2, "*": 10}"#,
    )
    .await?;
    let users = [
        "20000000-0000-4000-8000-000000000011",
        "20000000-0000-4000-8000-000000000012",
        "20000000-0000-4000-8000-000000000013",
        "20000000-0000-4000-8000-000000000014",
        "20000000-0000-4000-8000-000000000015",
    ];
    for (i, u) in users.iter().enumerate() {
        sign_up(&c, u, &format!("budget{i}@example.com")).await?;
    }
    let ask = |phone: &str| format!("select id from public.request_phone_verification('{phone}')");
    request(&mut c, Caller::User(users[0]), &ask("+201001230001")).await?;
    request(&mut c, Caller::User(users[1]), &ask("+201001230002")).await?;
    // Egypt's share is spent; Saudi numbers still go.
    let (state, message) = refused(&mut c, users[2], &ask("+201001230003")).await;
    assert_eq!(state, "23514", "{message}");
    assert!(message.contains("today's limit"), "{message}");
    // 3 of 5 sent (the fixture sent one): no warning yet.
    let health = db.samia(&["health"]);
    assert_eq!(health.code, 0, "{health:?}");
    assert!(
        !health.stdout.contains("otp codes, all countries at"),
        "{}",
        health.stdout
    );
    request(&mut c, Caller::User(users[2]), &ask("+966501230004")).await?;
    // 4 of 5 is 80%: a warning.
    let health = db.samia(&["health"]);
    assert!(
        health
            .stdout
            .contains("warning     otp codes, all countries at 80% of today's budget (4 of 5)"),
        "{}",
        health.stdout
    );
    request(&mut c, Caller::User(users[3]), &ask("+966501230005")).await?;
    let health = db.samia(&["health"]);
    assert!(
        health.stdout.contains("otp codes, EG at 100%"),
        "{}",
        health.stdout
    );
    assert_eq!(health.code, 0, "a warning is not a failure");
    // All countries' budget is spent.
    let (state, _) = refused(&mut c, users[4], &ask("+966501230006")).await;
    assert_eq!(state, "23514");

    let costs = db.samia(&["costs", "--json"]);
    assert_eq!(costs.code, 0, "{costs:?}");
    let report: serde_json::Value = serde_json::from_str(&costs.stdout)?;
    let line = |name: &str| {
        report["usage"]
            .as_array()
            .and_then(|u| u.iter().find(|l| l["budget"] == name))
            .map(|l| (l["used"].as_i64(), l["limit"].as_i64()))
    };
    assert_eq!(line("otp codes, all countries"), Some((Some(5), Some(5))));
    assert_eq!(line("otp codes, SA"), Some((Some(2), Some(10))));
    let month = db.samia(&["costs", "--month", "2026-12"]);
    assert_eq!(month.code, 0, "{month:?}");
    assert!(
        month.stdout.contains("otp codes, all countries"),
        "{}",
        month.stdout
    );
    let bad = db.samia(&["costs", "--day", "yesterday-ish"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    Ok(())
}

#[tokio::test]
async fn the_storage_quota_refuses_a_file_past_it() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    set(&mut c, "storage.quota_bytes_per_user", "100000").await?;
    let first = format!("{READER}/one.m4a");
    stored(&mut c, READER, "readings", &first, "audio/mp4", 60_000).await?;
    // The fixture's reading (1,234 bytes) and this one fit.
    register(&mut c, READER, "audio", "readings", &first).await?;
    let second = format!("{READER}/two.m4a");
    stored(&mut c, READER, "readings", &second, "audio/mp4", 60_000).await?;
    let (state, message) = refused(
        &mut c,
        READER,
        &format!("insert into public.media_assets (kind, bucket, path) values ('audio', 'readings', '{second}')"),
    )
    .await;
    assert_eq!(state, "23514", "{message}");
    assert!(message.contains("the limit is 100000 bytes"), "{message}");
    Ok(())
}

/// The moderation and audit records of changes to setting `key`.
async fn records(c: &Client, key: &str) -> anyhow::Result<(i64, i64)> {
    let r = c
        .query_one(
            "select (select count(*) from public.moderation_actions
                      where target_kind = 'config' and target_id = $1),
                    (select count(*) from public.audit_log
                      where event = 'config.changed' and entity_id = $1)",
            &[&key],
        )
        .await?;
    Ok((r.get(0), r.get(1)))
}

#[tokio::test]
async fn an_admins_upsert_of_a_setting_is_recorded_once() -> anyhow::Result<()> {
    let (_db, mut c) = db().await?;
    let before = [
        records(&c, "calls.max_open_bookings").await?,
        records(&c, "calls.new_setting").await?,
    ];
    // PostgREST's `Prefer: resolution=merge-duplicates`, on an existing key
    // and on a new one.
    for (key, value) in [("calls.max_open_bookings", "5"), ("calls.new_setting", "1")] {
        request(
            &mut c,
            Caller::User(ADMIN),
            &format!(
                "insert into public.app_config (key, value) values ('{key}', '{value}')
                 on conflict (key) do update set value = excluded.value"
            ),
        )
        .await?;
    }
    let after = [
        records(&c, "calls.max_open_bookings").await?,
        records(&c, "calls.new_setting").await?,
    ];
    for (b, a) in before.iter().zip(after.iter()) {
        assert_eq!((a.0 - b.0, a.1 - b.1), (1, 1), "before {b:?}, after {a:?}");
    }
    Ok(())
}
