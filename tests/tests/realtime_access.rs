//! Who hears what through Supabase Realtime (CONTRACT.md section 14), on
//! the Supabase-shaped database with Realtime's own schema: the topic
//! policies admit and refuse every role x topic pair exactly as the server
//! checks a private channel, and Postgres Changes reach each subscriber with
//! exactly the rows the table's RLS shows them and only the columns their
//! role may select.

use anyhow::Result;
use samia_tests::fixture::{self, ACTORS, ADMIN, MONITOR, OWNER, SUPERADMIN};
use samia_tests::postgrest::{request, Caller};
use samia_tests::realtime::{self, Access};
use samia_tests::{connect, flavour, Flavour, TestDb};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

fn supabase_only(test: &str) -> bool {
    if flavour() == Flavour::Supabase {
        return true;
    }
    eprintln!("{test}: runs on the Supabase-shaped database only (SAMIA_TEST_FLAVOUR=supabase)");
    false
}

fn claims(caller: Caller<'_>) -> Value {
    match caller {
        Caller::User(uid) => json!({ "sub": uid, "role": "authenticated" }),
        _ => json!({ "role": "anon" }),
    }
}

fn role(caller: Caller<'_>) -> &'static str {
    match caller {
        Caller::User(_) => "authenticated",
        _ => "anon",
    }
}

const STAFF_TOPICS: [&str; 3] = ["staff:orders", "staff:calls", "staff:horoscopes"];

#[tokio::test]
async fn topics_admit_and_refuse_every_role() -> Result<()> {
    if !supabase_only("topics_admit_and_refuse_every_role") {
        return Ok(());
    }
    let (db, _system) = fixture::db().await?;
    let mut admin = connect(&db.url).await?;
    let mut topics: Vec<String> = ACTORS
        .iter()
        .filter_map(|(_, c)| match c {
            Caller::User(uid) => Some(format!("user:{uid}")),
            _ => None,
        })
        .collect();
    topics.extend(STAFF_TOPICS.iter().map(|t| t.to_string()));
    topics.extend(["horoscopes", "staff:secret", "user:", "horoscopes:extra"].map(String::from));
    let staff = [MONITOR, ADMIN, SUPERADMIN];
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (name, caller) in ACTORS {
        for topic in &topics {
            let got = realtime::authorize(&mut admin, role(caller), &claims(caller), topic).await?;
            let own = matches!(caller, Caller::User(uid) if *topic == format!("user:{uid}"));
            let is_staff = matches!(caller, Caller::User(uid) if staff.contains(&uid));
            let read = own
                || topic == "horoscopes"
                || (is_staff && STAFF_TOPICS.contains(&topic.as_str()));
            let want = Access {
                read_broadcast: read,
                ..Access::default()
            };
            checked += 1;
            if got != want {
                wrong.push(format!("{name} on {topic}: {got:?}, expected {want:?}"));
            }
        }
    }
    // A claim cannot promote: a client whose token says admin stays a client.
    let forged = json!({ "sub": OWNER, "role": "authenticated", "user_role": "admin" });
    for topic in STAFF_TOPICS {
        let got = realtime::authorize(&mut admin, "authenticated", &forged, topic).await?;
        checked += 1;
        if got != Access::default() {
            wrong.push(format!("a client claiming admin on {topic}: {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}

const TABLES: [&str; 5] = [
    "orders",
    "notifications",
    "calls",
    "phone_verifications",
    "horoscopes",
];

#[tokio::test]
async fn postgres_changes_follow_each_tables_rls_and_column_privileges() -> Result<()> {
    if !supabase_only("postgres_changes_follow_each_tables_rls_and_column_privileges") {
        return Ok(());
    }
    let db = TestDb::migrated().await?;
    let mut system = db.system().await?;
    let admin = connect(&db.url).await?;
    let slot = format!("{}_changes", db.name);
    realtime::create_slot(&admin, &slot).await?;
    // Every actor subscribes to every table, before anything happens.
    let mut subscriber: BTreeMap<Uuid, (&str, Caller<'static>, &str)> = BTreeMap::new();
    for (name, caller) in ACTORS {
        for table in TABLES {
            let id =
                realtime::subscribe(&admin, &format!("public.{table}"), &claims(caller)).await?;
            subscriber.insert(id, (name, caller, table));
        }
    }
    // The matrix's world: orders through their states, a call, horoscopes
    // published and not, a phone verification, notifications.
    system.batch_execute(fixture::SQL).await?;
    system
        .batch_execute(
            "update public.phone_verifications set status = 'verified'
              where profile_id = '10000000-0000-4000-8000-000000000001';
             update public.horoscopes set approved_at = now() where id = 2;",
        )
        .await?;
    let changes = realtime::list_changes(&admin, &slot).await?;
    realtime::drop_slot(&admin, &slot).await?;

    // What each actor's select shows now, and the columns its role may read.
    let mut visible: BTreeMap<(&str, &str), BTreeSet<i64>> = BTreeMap::new();
    let mut columns: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    for (name, caller) in ACTORS {
        for table in TABLES {
            let rows = request(
                system.api(),
                caller,
                &format!("select id from public.{table}"),
            )
            .await
            .map(|rows| rows.iter().map(|r| r.get::<_, i64>(0)).collect())
            .unwrap_or_default();
            visible.insert((name, table), rows);
            let cols = system
                .query(
                    "select attname::text from pg_attribute
                      where attrelid = $1::text::regclass and attnum > 0 and not attisdropped
                        and has_column_privilege($2, attrelid, attname, 'SELECT')",
                    &[&format!("public.{table}"), &role(caller)],
                )
                .await?;
            columns.insert((name, table), cols.iter().map(|r| r.get(0)).collect());
        }
    }

    let mut wrong = Vec::new();
    let mut heard: BTreeMap<(&str, &str), BTreeSet<i64>> = BTreeMap::new();
    for change in &changes {
        let table = change.table.as_str();
        let to: Vec<&str> = change
            .subscription_ids
            .iter()
            .filter_map(|id| subscriber.get(id).map(|s| s.0))
            .collect();
        if !change.errors.is_empty() {
            // Only a role that may not read the table at all gets an error,
            // and with it no row.
            for who in &to {
                if !columns[&(*who, table)].is_empty()
                    || !change.record.as_object().is_none_or(|o| o.is_empty())
                {
                    wrong.push(format!(
                        "{who}: {:?} on {table} with {}",
                        change.errors, change.record
                    ));
                }
            }
            continue;
        }
        let Some(id) = change.record["id"].as_i64() else {
            wrong.push(format!(
                "a {} change of {table} without an id: {}",
                change.kind, change.wal
            ));
            continue;
        };
        for who in &to {
            heard.entry((who, table)).or_default().insert(id);
            if !visible[&(*who, table)].contains(&id) {
                wrong.push(format!(
                    "{who} heard {table} {id}, which they cannot select"
                ));
            }
            let got: BTreeSet<String> = change.columns.iter().cloned().collect();
            if got != columns[&(*who, table)] {
                wrong.push(format!(
                    "{who} got columns {got:?} of {table}, may read {:?}",
                    columns[&(*who, table)]
                ));
            }
            let keys: BTreeSet<String> = change
                .record
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            if !keys.is_subset(&columns[&(*who, table)]) {
                wrong.push(format!("{who} got {keys:?} of {table}"));
            }
        }
    }
    // And nothing is missing: every row a subscriber may select that
    // changed reached them.
    let changed: BTreeMap<&str, BTreeSet<i64>> = TABLES
        .iter()
        .map(|t| {
            let ids = changes
                .iter()
                .filter(|c| c.table == *t)
                .filter_map(|c| c.record["id"].as_i64())
                .collect();
            (*t, ids)
        })
        .collect();
    for ((who, table), rows) in &visible {
        let due: BTreeSet<i64> = rows.intersection(&changed[table]).copied().collect();
        let got = heard.get(&(*who, *table)).cloned().unwrap_or_default();
        if due != got {
            wrong.push(format!(
                "{who} on {table}: heard {got:?}, may select {due:?} of the changed rows"
            ));
        }
    }
    assert!(!changes.is_empty());
    for table in TABLES {
        assert!(
            !changed[table].is_empty(),
            "no change of {table} was seen at all"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} problems:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}
