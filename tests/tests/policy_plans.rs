//! Requests without a filter, as the apps send them, are planned as index
//! scans: the row-level policies leave the planner a small estimate.

use samia_tests::fixture::{self, ADMIN, MONITOR, OWNER, READER};
use samia_tests::postgrest::{request, Caller};

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
    let (_db, mut c) = fixture::db().await?;
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
