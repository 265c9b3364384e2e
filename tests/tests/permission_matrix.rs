//! Every table x every kind of caller x {select, insert, update, delete},
//! each made exactly as PostgREST makes it (and rolled back, so every case
//! sees the same fixture). CONTRACT.md section 4 is the authority for the
//! expected outcomes written below.

use samia_tests::fixture::{self, ACTORS};
use samia_tests::postgrest::{try_request, Caller};
use samia_tests::{sqlstate, TestDb};

/// What one request must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Succeeds with this many rows (select: this `count(*)`).
    N(i64),
    /// A select that sees every row the table has.
    All,
    /// Fails with SQLSTATE 42501.
    Denied,
}
use Expect::{All, Denied as D, N};

const NONE: [Expect; 9] = [D, D, D, D, D, D, D, D, D];

/// One table's row of the matrix: the table, the expected selects, an insert
/// and its expectations, an update and its expectations.
type MatrixRow = (
    &'static str,
    [Expect; 9],
    &'static str,
    [Expect; 9],
    &'static str,
    [Expect; 9],
);

#[rustfmt::skip]
/// (table, select, insert, update), columns in the order of `fixture::ACTORS`:
/// anon, client owner, other client, blocked client, assigned reader,
/// other reader, monitor, admin, superadmin. Every delete is denied.
const MATRIX: &[MatrixRow] = &[
    ("roles",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.roles (id, code, label) values (6, 'client', 'x')", NONE,
        "update public.roles set label = label", NONE),
    ("countries",
        [All, All, All, All, All, All, All, All, All],
        "insert into public.countries values ('QQ', 'Q', '+1')", NONE,
        "update public.countries set name = name", NONE),
    ("services",
        [N(5), N(5), N(5), N(5), N(5), N(5), All, All, All],
        "insert into public.services (code, name, delivery) values ('new_svc', 'New', 'audio')",
        [D, D, D, D, D, D, D, N(1), N(1)],
        "update public.services set base_price = base_price where code = 'tarot'",
        [D, N(0), N(0), N(0), N(0), N(0), N(0), N(1), N(1)]),
    ("profiles",
        [D, N(1), N(1), N(1), N(1), N(1), All, All, All],
        "insert into public.profiles (id) values (gen_random_uuid())", NONE,
        "update public.profiles set first_name = 'X' where id = '10000000-0000-4000-8000-000000000001'",
        [D, N(1), N(0), N(0), N(0), N(0), D, D, D]),
    ("orders",
        [D, N(3), N(1), N(1), N(3), N(0), All, All, All],
        "insert into public.orders (user_id, service_id) select '{uid}', id from public.services where code = 'tarot'",
        [D, N(1), N(1), D, D, D, D, D, D],
        "update public.orders set status_reason = status_reason where id = 1",
        [D, N(1), N(0), N(0), N(1), N(0), N(1), N(1), N(1)]),
    ("media_assets",
        [N(1), N(3), N(1), N(1), N(3), N(2), All, All, All],
        "insert into public.media_assets (kind, bucket, path) values ('image', 'order-inputs', '{uid}/new.jpg')",
        [D, N(1), N(1), D, D, D, D, D, D],
        "update public.media_assets set meta = meta where id = 1",
        [D, N(1), N(0), N(0), N(0), N(0), N(0), N(0), N(0)]),
    ("horoscopes",
        [N(1), N(1), N(1), N(1), N(1), N(1), All, All, All],
        "insert into public.horoscopes (scope, zodiac, ref_date) values ('daily', 'Leo', current_date)",
        [D, D, D, D, D, D, D, N(1), N(1)],
        "update public.horoscopes set text_content = 'x' where id = 2",
        [D, N(0), N(0), N(0), N(0), N(0), N(1), N(1), N(1)]),
    ("calls",
        [D, N(1), N(0), N(0), N(1), N(0), All, All, All],
        "insert into public.calls (order_id) values (2)", NONE,
        "update public.calls set end_reason = 'dropped_by_monitor', reason = 'a test drop'",
        [D, N(0), N(0), N(0), N(0), N(0), N(1), N(1), N(1)]),
    ("reader_availability",
        [D, N(14), N(14), N(14), N(14), N(14), All, All, All],
        "insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone)
           values ('{uid}', 1, '08:00', '09:00', 'UTC')",
        [D, D, D, D, N(1), N(1), D, N(1), N(1)],
        "update public.reader_availability set starts_at = '01:00'",
        [D, N(0), N(0), N(0), N(7), N(7), N(0), N(14), N(14)]),
    ("reader_time_off",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.reader_time_off (reader_id, starts_at, ends_at)
           values ('{uid}', now() + interval '2 days', now() + interval '3 days')",
        [D, D, D, D, N(1), N(1), D, N(1), N(1)],
        "update public.reader_time_off set ends_at = ends_at",
        [D, N(0), N(0), N(0), N(0), N(0), N(0), N(0), N(0)]),
    ("reader_presence",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.reader_presence (reader_id, status) values ('{uid}', 'online')",
        [D, D, D, D, N(1), N(1), D, N(1), N(1)],
        "update public.reader_presence set status = 'offline'",
        [D, N(0), N(0), N(0), N(0), N(0), N(0), N(0), N(0)]),
    ("moderation_actions",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.moderation_actions (actor_id, target_kind, target_id, action)
           values ('10000000-0000-4000-8000-000000000007', 'profile', '1', 'block')", NONE,
        "update public.moderation_actions set reason = 'x'", NONE),
    ("phone_verifications",
        [D, N(1), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.phone_verifications (profile_id, phone, status) values ('{uid}', '+201000000000', 'verified')", NONE,
        "update public.phone_verifications set status = 'verified'", NONE),
    ("audit_log",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.audit_log (event) values ('forged')", NONE,
        "update public.audit_log set event = 'x'", NONE),
    // The owner has a welcome note and the delivery of order 1.
    ("notifications",
        [D, N(3), N(0), N(1), N(1), N(0), All, All, All],
        "insert into public.notifications (user_id, kind) values ('{uid}', 'x')", NONE,
        "update public.notifications set read_at = now()",
        [D, N(3), N(0), N(1), N(1), N(0), N(0), N(0), N(0)]),
    ("astro_charts",
        [D, N(1), N(0), N(0), N(1), N(0), All, All, All],
        "insert into public.astro_charts (order_id) values (2)", NONE,
        "update public.astro_charts set summary = 'x'", NONE),
    ("tiktok_posts",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.tiktok_posts (post_id) values ('x')", NONE,
        "update public.tiktok_posts set caption = 'x'", NONE),
    ("blocklist",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.blocklist (kind, value, reason) values ('domain', 'spam.example', 'x')",
        [D, D, D, D, D, D, N(1), N(1), N(1)],
        "update public.blocklist set lifted_at = now()",
        [D, N(0), N(0), N(0), N(0), N(0), N(0), N(0), N(0)]),
    // Device tokens are credentials: each user reads their own devices
    // (without the token), staff none; only the RPCs write them.
    ("push_devices",
        [D, N(1), N(0), N(0), N(1), N(0), N(0), N(0), N(0)],
        "insert into public.push_devices (user_id, token, platform) values ('{uid}', 'x', 'web')", NONE,
        "update public.push_devices set last_seen_at = now()", NONE),
    ("app_config",
        [D, N(0), N(0), N(0), N(0), N(0), All, All, All],
        "insert into public.app_config (key, value) values ('x.y', '1')",
        [D, D, D, D, D, D, D, N(1), N(1)],
        "update public.app_config set value = value where key = 'orders.enabled'",
        [D, N(0), N(0), N(0), N(0), N(0), N(0), N(1), N(1)]),
];

#[tokio::test]
async fn every_table_every_caller_every_operation() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    // (Not in the fixture: the upgrade test loads it into releases without
    // this table.)
    client
        .batch_execute(
            "insert into public.push_devices (user_id, token, platform) values
               ('10000000-0000-4000-8000-000000000001', 'owner-phone', 'android'),
               ('10000000-0000-4000-8000-000000000004', 'reader-phone', 'ios')",
        )
        .await?;

    // Every table of `public` is in the matrix.
    let tables: Vec<String> = client
        .query(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relkind = 'r' order by 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut listed: Vec<String> = MATRIX.iter().map(|m| m.0.to_string()).collect();
    listed.sort();
    assert_eq!(tables, listed, "the matrix must list every public table");

    let mut failures = Vec::new();
    let mut cases = 0;
    for (table, select, insert, insert_expect, update, update_expect) in MATRIX {
        let total: i64 = client
            .query_one(&format!("select count(*) from public.{table}"), &[])
            .await?
            .get(0);
        let delete = format!("delete from public.{table}");
        let ops: [(&str, String, &[Expect; 9]); 4] = [
            (
                "select",
                format!("select count(*) from public.{table}"),
                select,
            ),
            ("insert", format!("{insert} returning 1"), insert_expect),
            ("update", format!("{update} returning 1"), update_expect),
            ("delete", format!("{delete} returning 1"), &NONE),
        ];
        for (op, sql, expected) in ops {
            for ((who, caller), expect) in ACTORS.iter().zip(expected.iter()) {
                cases += 1;
                let sql = sql.replace("{uid}", fixture::uid_of(*caller));
                let got = match try_request(&mut client, *caller, &sql).await {
                    Ok(rows) if op == "select" => Ok(rows[0].get::<_, i64>(0)),
                    Ok(rows) => Ok(rows.len() as i64),
                    Err(e) => Err((
                        sqlstate(&e).unwrap_or("client error").to_string(),
                        e.to_string(),
                    )),
                };
                let ok = match (expect, &got) {
                    (N(n), Ok(m)) => n == m,
                    (All, Ok(m)) => *m == total,
                    (D, Err((state, _))) => state == "42501",
                    _ => false,
                };
                if !ok {
                    failures.push(format!(
                        "{table} {op} as {who}: expected {expect:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cases, MATRIX.len() * 4 * 9);
    Ok(())
}

/// A caller that is neither anon nor a user of the fixture sees nothing either.
#[tokio::test]
async fn a_user_without_a_profile_reads_nothing() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    let ghost = Caller::User("20000000-0000-4000-8000-000000000000");
    for table in ["profiles", "orders", "media_assets", "audit_log"] {
        let rows = try_request(
            &mut client,
            ghost,
            &format!("select count(*) from public.{table}"),
        )
        .await?;
        let published = if table == "media_assets" { 1 } else { 0 };
        assert_eq!(rows[0].get::<_, i64>(0), published, "{table}");
    }
    Ok(())
}
