//! The Realtime harness (`samia_tests::realtime`) on Realtime's own schema
//! of the Supabase-shaped database (`SAMIA_TEST_FLAVOUR=supabase`), with a
//! table and policies of the tests' own (none of the product's), so that the
//! suites of the product's Realtime rules can trust what it reports:
//! Postgres Changes reach only the subscribers whose row-level security
//! admits the row, without the columns their role may not select; the
//! private-channel checks follow the policies of `realtime.messages`; the
//! broadcasts are read in order, from a mark.

use anyhow::Result;
use samia_tests::realtime::{self, Access, Change};
use samia_tests::{connect, count, flavour, one_text, Flavour, TestDb};
use serde_json::{json, Value};
use uuid::Uuid;

/// Realtime's schema exists on the Supabase-shaped database only.
fn supabase_only(test: &str) -> bool {
    if flavour() == Flavour::Supabase {
        return true;
    }
    eprintln!("{test}: runs on the Supabase-shaped database only (SAMIA_TEST_FLAVOUR=supabase)");
    false
}

const ANNA: &str = "d0000000-0000-4000-8000-00000000000a";
const BADR: &str = "d0000000-0000-4000-8000-00000000000b";
const CARL: &str = "d0000000-0000-4000-8000-00000000000c";

fn user(sub: &str) -> Value {
    json!({ "sub": sub, "role": "authenticated" })
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

/// The changes of `table` among `changes`.
fn of<'a>(changes: &'a [Change], table: &str) -> Vec<&'a Change> {
    changes.iter().filter(|c| c.table == table).collect()
}

#[tokio::test]
async fn postgres_changes_reach_only_the_rows_owner_without_the_revoked_column() -> Result<()> {
    if !supabase_only("postgres_changes_reach_only_the_rows_owner_without_the_revoked_column") {
        return Ok(());
    }
    let db = TestDb::migrated().await?;
    let admin = connect(&db.url).await?;
    // The table is made as a migration would make it: by postgres.
    let owner = connect(&db.url_as("postgres")).await?;
    owner
        .batch_execute(
            "create table public.rt_probe (
                 id bigint generated always as identity primary key,
                 owner uuid not null,
                 secret text);
             alter table public.rt_probe enable row level security;
             create policy rt_probe_own on public.rt_probe for select to authenticated
               using (owner = auth.uid());
             revoke all on public.rt_probe from anon, authenticated;
             grant select (id, owner) on public.rt_probe to authenticated;
             alter publication supabase_realtime add table public.rt_probe;",
        )
        .await?;
    let slot = format!("{}_probe", db.name);
    realtime::create_slot(&admin, &slot).await?;
    let anna = realtime::subscribe(&admin, "public.rt_probe", &user(ANNA)).await?;
    let badr = realtime::subscribe(&admin, "rt_probe", &user(BADR)).await?;
    let anon = realtime::subscribe(&admin, "public.rt_probe", &json!({ "role": "anon" })).await?;
    // The role changes are checked as comes from the claims.
    assert_eq!(
        one_text(
            &admin,
            &format!(
                "select string_agg(claims_role::text, ',' order by id) from realtime.subscription
                  where subscription_id in ('{anna}', '{badr}', '{anon}')"
            )
        )
        .await?
        .as_deref(),
        Some("authenticated,authenticated,anon")
    );
    assert!(
        realtime::subscribe(&admin, "public.rt_nothing", &user(ANNA))
            .await
            .is_err(),
        "a table outside the publication cannot be subscribed to"
    );

    for (who, secret) in [(ANNA, "anna's"), (BADR, "badr's"), (CARL, "carl's")] {
        owner
            .execute(
                "insert into public.rt_probe (owner, secret) values ($1::text::uuid, $2)",
                &[&who, &secret],
            )
            .await?;
    }
    let changes = realtime::list_changes(&admin, &slot).await?;
    let probe = of(&changes, "rt_probe");
    for c in &probe {
        assert_eq!((c.kind.as_str(), c.schema.as_str()), ("INSERT", "public"));
        assert!(c.record.get("secret").is_none(), "{c:?}");
        let wal = c.wal.to_string();
        assert!(!wal.contains("secret") && !wal.contains("'s"), "{c:?}");
    }
    let for_users: Vec<_> = probe.iter().filter(|c| c.errors.is_empty()).collect();
    assert_eq!(for_users.len(), 2, "{for_users:#?}");
    assert_eq!(for_users[0].subscription_ids, vec![anna]);
    assert_eq!(for_users[0].record, json!({ "id": 1, "owner": ANNA }));
    assert_eq!(for_users[0].columns, ["id", "owner"]);
    assert_eq!(for_users[1].subscription_ids, vec![badr]);
    assert_eq!(for_users[1].record, json!({ "id": 2, "owner": BADR }));
    // anon may not select the primary key: an error for each change, and
    // no record.
    let for_anon: Vec<_> = probe.iter().filter(|c| !c.errors.is_empty()).collect();
    assert_eq!(for_anon.len(), 3, "{for_anon:#?}");
    for c in for_anon {
        assert_eq!(c.subscription_ids, vec![anon]);
        assert_eq!(c.errors, ["Error 401: Unauthorized"]);
        assert_eq!(c.record, json!({}));
        assert!(c.columns.is_empty());
    }
    // The slot was drained.
    assert!(of(&realtime::list_changes(&admin, &slot).await?, "rt_probe").is_empty());

    // An update goes to the row's owner only, with the old primary key.
    owner
        .batch_execute("update public.rt_probe set secret = 'anna''s new' where id = 1")
        .await?;
    let changes = realtime::list_changes(&admin, &slot).await?;
    let updates: Vec<_> = of(&changes, "rt_probe")
        .into_iter()
        .filter(|c| c.errors.is_empty())
        .collect();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert_eq!(updates[0].kind, "UPDATE");
    assert_eq!(updates[0].subscription_ids, vec![anna]);
    assert_eq!(updates[0].record, json!({ "id": 1, "owner": ANNA }));
    assert_eq!(updates[0].old_record, json!({ "id": 1 }));

    // Row-level security cannot be checked on a deleted row: a delete goes
    // to every subscriber of the table, with the primary key only (and
    // without it to a role that may not select it).
    owner
        .batch_execute("delete from public.rt_probe where id = 2")
        .await?;
    let changes = realtime::list_changes(&admin, &slot).await?;
    let deletes = of(&changes, "rt_probe");
    assert_eq!(deletes.len(), 2, "{deletes:#?}");
    for c in &deletes {
        assert_eq!(c.kind, "DELETE");
        assert!(c.errors.is_empty(), "{c:?}");
        assert_eq!(c.record, json!({}));
    }
    assert_eq!(sorted(deletes[0].subscription_ids.clone()), vec![anon]);
    assert_eq!(deletes[0].old_record, Value::Null);
    assert_eq!(
        sorted(deletes[1].subscription_ids.clone()),
        sorted(vec![anna, badr])
    );
    assert_eq!(deletes[1].old_record, json!({ "id": 2 }));

    for id in [anna, badr, anon] {
        realtime::unsubscribe(&admin, id).await?;
    }
    realtime::drop_slot(&admin, &slot).await?;
    owner
        .batch_execute(
            "alter publication supabase_realtime drop table public.rt_probe;
             drop table public.rt_probe;",
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn authorize_follows_the_policies_of_realtime_messages() -> Result<()> {
    if !supabase_only("authorize_follows_the_policies_of_realtime_messages") {
        return Ok(());
    }
    let db = TestDb::migrated().await?;
    let mut admin = connect(&db.url).await?;
    // As a migration would: postgres, a member of the table's owner role
    // as Realtime's own migrations leave it.
    let owner = connect(&db.url_as("postgres")).await?;
    owner
        .batch_execute(
            "create policy rt_probe_read on realtime.messages for select to authenticated
               using (realtime.topic() = 'probe:' || auth.uid()::text);
             create policy rt_probe_write on realtime.messages for insert to authenticated
               with check (realtime.topic() = 'probe:' || auth.uid()::text
                           and extension = 'broadcast');
             create policy rt_probe_boom on realtime.messages for insert to authenticated
               with check (case when realtime.topic() = 'probe:boom'
                                then 1 / (length(realtime.topic()) - 10) = 1
                                else false end);",
        )
        .await?;
    let rows = "select count(*) from realtime.messages";
    let before = count(&admin, rows).await?;

    let own = format!("probe:{ANNA}");
    let other = format!("probe:{BADR}");
    assert_eq!(
        realtime::authorize(&mut admin, "authenticated", &user(ANNA), &own).await?,
        Access {
            read_broadcast: true,
            read_presence: true,
            write_broadcast: true,
            write_presence: false,
        }
    );
    assert_eq!(
        realtime::authorize(&mut admin, "authenticated", &user(ANNA), &other).await?,
        Access::default()
    );
    assert_eq!(
        realtime::authorize(&mut admin, "anon", &json!({ "role": "anon" }), &own).await?,
        Access::default()
    );
    // service_role bypasses row-level security.
    assert_eq!(
        realtime::authorize(
            &mut admin,
            "service_role",
            &json!({ "role": "service_role" }),
            &own
        )
        .await?,
        Access {
            read_broadcast: true,
            read_presence: true,
            write_broadcast: true,
            write_presence: true,
        }
    );
    // A policy that fails is an error, not a refusal.
    let boom = realtime::authorize(&mut admin, "authenticated", &user(ANNA), "probe:boom")
        .await
        .expect_err("a failing policy is reported");
    assert!(format!("{boom:#}").contains("division by zero"), "{boom:#}");
    // The checks left nothing behind, and the connection is still usable.
    assert_eq!(count(&admin, rows).await?, before);
    // Without a partition for the checks' rows (the server makes one a day)
    // the read check fails: an error too. This database is the test's own.
    admin
        .batch_execute("alter table realtime.messages detach partition realtime.messages_tests")
        .await?;
    let none = realtime::authorize(&mut admin, "authenticated", &user(ANNA), &own)
        .await
        .expect_err("no partition is reported");
    assert!(format!("{none:#}").contains("no partition"), "{none:#}");
    admin
        .batch_execute(
            "alter table realtime.messages attach partition realtime.messages_tests
               for values from (minvalue) to (maxvalue)",
        )
        .await?;

    owner
        .batch_execute(
            "drop policy rt_probe_read on realtime.messages;
             drop policy rt_probe_write on realtime.messages;
             drop policy rt_probe_boom on realtime.messages;",
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn broadcasts_are_read_from_a_mark_in_order() -> Result<()> {
    if !supabase_only("broadcasts_are_read_from_a_mark_in_order") {
        return Ok(());
    }
    let db = TestDb::migrated().await?;
    let mut admin = connect(&db.url).await?;
    let send = "select realtime.send($1::text::jsonb, $2, $3, $4)";
    admin
        .execute(send, &[&r#"{"n":0}"#, &"before", &"probe:a", &true])
        .await?;
    let marker = realtime::mark(&admin).await?;

    admin
        .execute(send, &[&r#"{"n":1}"#, &"first", &"probe:a", &true])
        .await?;
    // Three in one transaction, in statement order; then one rolled back.
    let tx = admin.transaction().await?;
    for (n, topic) in [(2, "probe:b"), (3, "probe:a"), (4, "probe:b")] {
        tx.execute(
            send,
            &[&format!(r#"{{"n":{n}}}"#), &"many", &topic, &(n != 3)],
        )
        .await?;
    }
    tx.commit().await?;
    let tx = admin.transaction().await?;
    tx.execute(send, &[&r#"{"n":9}"#, &"undone", &"probe:a", &true])
        .await?;
    tx.rollback().await?;
    admin
        .execute(
            "select realtime.send($1::text::jsonb, $2, $3)",
            &[&r#"{"n":5,"id":"mine"}"#, &"last", &"probe:c"],
        )
        .await?;

    let got = realtime::broadcasts(&admin, &marker).await?;
    let summary: Vec<_> = got
        .iter()
        .map(|b| {
            (
                b.payload["n"].as_i64().unwrap_or(-1),
                b.event.as_deref().unwrap_or("-"),
                b.topic.as_str(),
                b.private,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "first", "probe:a", true),
            (2, "many", "probe:b", true),
            (3, "many", "probe:a", false),
            (4, "many", "probe:b", true),
            (5, "last", "probe:c", true),
        ]
    );
    // realtime.send adds the message's id to the payload unless it has one.
    assert!(got[0].payload["id"].is_string(), "{:?}", got[0]);
    assert_eq!(got[4].payload["id"], json!("mine"));
    // A new mark sees none of them.
    let marker = realtime::mark(&admin).await?;
    assert!(realtime::broadcasts(&admin, &marker).await?.is_empty());

    admin
        .batch_execute("delete from realtime.messages where topic like 'probe:%'")
        .await?;
    Ok(())
}
