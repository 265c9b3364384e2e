//! Live updates through Supabase Realtime (CONTRACT.md section 14), as the
//! Realtime server sees them (`samia_tests::realtime` runs its queries):
//! each party's topic receives exactly the broadcasts of an order's life and
//! a call's, the topic policies admit and refuse every role x topic pair,
//! and Postgres Changes reach each subscriber with exactly the rows its RLS
//! shows. On plain PostgreSQL (no schema `realtime`) the same lives run and
//! nothing is sent; a failed send never fails the change.

use anyhow::Result;
use samia_tests::calls::{
    audio_order_rejected_once, people, reader_time, ADMIN, CLIENT, MONITOR, OTHER, READER,
};
use samia_tests::postgrest::{request, Caller};
use samia_tests::realtime::{self, Broadcast, Marker};
use samia_tests::{connect, count, flavour, one_text, Flavour, Session, TestDb};
use serde_json::Value;
use tokio_postgres::Client;

/// The broadcasts of `topic` since `marker`, as (event, state or status).
fn on(all: &[Broadcast], topic: &str) -> Vec<(String, String)> {
    all.iter()
        .filter(|b| b.topic == topic)
        .map(|b| {
            let state = ["status", "state"]
                .iter()
                .find_map(|k| b.payload[*k].as_str())
                .unwrap_or_default();
            (b.event.clone().unwrap_or_default(), state.to_string())
        })
        .collect()
}

fn user(uid: &str) -> String {
    format!("user:{uid}")
}

fn events(event: &str, states: &[&str]) -> Vec<(String, String)> {
    states
        .iter()
        .map(|s| (event.to_string(), s.to_string()))
        .collect()
}

/// Realtime's side of the database: present on the Supabase-shaped one.
struct Watch {
    admin: Option<Client>,
    marker: Marker,
}

impl Watch {
    async fn start(db: &TestDb) -> Result<Watch> {
        let supabase = flavour() == Flavour::Supabase;
        let admin = if supabase {
            Some(connect(&db.url).await?)
        } else {
            None
        };
        let marker = match &admin {
            Some(a) => realtime::mark(a).await?,
            None => Marker::default(),
        };
        Ok(Watch { admin, marker })
    }

    /// What was sent since the start: on plain PostgreSQL nothing can be,
    /// and that is checked (no schema `realtime`, the product says absent).
    async fn sent(&self, system: &Client) -> Result<Option<Vec<Broadcast>>> {
        let status = one_text(system, "select samia.realtime_status()::text").await?;
        let status: Value = serde_json::from_str(status.as_deref().unwrap_or("{}"))?;
        match &self.admin {
            Some(admin) => {
                assert_eq!(status["send"], true, "Realtime is there: {status}");
                Ok(Some(realtime::broadcasts(admin, &self.marker).await?))
            }
            None => {
                assert_eq!(status["send"], false, "{status}");
                assert_eq!(
                    count(
                        system,
                        "select count(*) from pg_namespace where nspname = 'realtime'"
                    )
                    .await?,
                    0
                );
                Ok(None)
            }
        }
    }
}

async fn as_user(api: &mut Session, who: &str, sql: &str) -> Result<Vec<tokio_postgres::Row>> {
    Ok(request(api.api(), Caller::User(who), sql).await?)
}

/// An audio order from placement to delivery, rejected once on the way.
#[tokio::test]
async fn an_orders_life_reaches_each_party_and_nobody_else() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let watch = Watch::start(&db).await?;
    let id = audio_order_rejected_once(&mut api).await?;
    assert_eq!(
        one_text(
            &system,
            &format!("select status::text from public.orders where id = {id}")
        )
        .await?
        .as_deref(),
        Some("delivered")
    );
    let Some(sent) = watch.sent(&system).await? else {
        return Ok(());
    };
    // An approval delivers in the same statement: the row goes from
    // awaiting_approval to delivered, and the client's notice comes first.
    let life = [
        "new",
        "assigned",
        "in_progress",
        "awaiting_approval",
        "rejected",
        "in_progress",
        "awaiting_approval",
        "delivered",
    ];
    let mut client = events("order", &life[..7]);
    client.push(("notification".into(), String::new()));
    client.push(("order".into(), "delivered".into()));
    assert_eq!(on(&sent, &user(CLIENT)), client, "the client's topic");
    // The reader hears the rejection as a notice too (its reason is in it).
    let mut reader = events("order", &life[1..4]);
    reader.push(("notification".into(), String::new()));
    reader.extend(events("order", &life[4..]));
    assert_eq!(on(&sent, &user(READER)), reader, "the reader's topic");
    assert_eq!(
        on(&sent, "staff:orders"),
        events("order", &life),
        "staff:orders"
    );
    for nobody in [user(OTHER), user(MONITOR), user(ADMIN), "horoscopes".into()] {
        assert_eq!(on(&sent, &nobody), vec![], "{nobody} hears nothing of it");
    }
    // Ids, states and times only; private, every one.
    for b in &sent {
        assert!(b.private, "{b:?}");
        let keys: Vec<&str> = b
            .payload
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for key in keys {
            assert!(
                [
                    "id",
                    "order_id",
                    "status",
                    "previous_status",
                    "at",
                    "notification_id",
                    "kind"
                ]
                .contains(&key),
                "{key} in {}",
                b.payload
            );
        }
        assert_eq!(b.payload["order_id"], id, "{b:?}");
    }
    let delivered = sent
        .iter()
        .find(|b| b.event.as_deref() == Some("notification") && b.topic == user(CLIENT))
        .map(|b| &b.payload);
    assert_eq!(
        delivered.map(|p| p["kind"].clone()),
        Some("order.delivered".into())
    );
    Ok(())
}

/// A booked call moved; a call now joined, live and dropped by a monitor.
#[tokio::test]
async fn a_calls_life_reaches_both_parties_and_staff() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let watch = Watch::start(&db).await?;
    let book = |at: String| {
        format!("select id from public.book_call('direct_call', '{READER}', {at}, 'Europe/London')")
    };
    let later: i64 = as_user(&mut api, CLIENT, &book(reader_time(2, "12:00"))).await?[0].get(0);
    as_user(
        &mut api,
        CLIENT,
        &format!(
            "update public.orders set scheduled_at = {} where id = {later}",
            reader_time(2, "15:00")
        ),
    )
    .await?;
    let now: i64 = as_user(&mut api, CLIENT, &book("null".into())).await?[0].get(0);
    for (n, who) in [(1, CLIENT), (2, READER)] {
        system
            .execute(
                "select samia.livekit_event($1, 'participant_joined', $2, $3, null, null)",
                &[&format!("rt-{now}-{n}"), &format!("call-{now}"), &who],
            )
            .await?;
    }
    as_user(
        &mut api,
        MONITOR,
        &format!("update public.calls set end_reason = 'dropped_by_monitor', reason = 'abuse' where order_id = {now}"),
    )
    .await?;
    assert_eq!(
        one_text(
            &system,
            &format!("select status::text from public.orders where id = {now}")
        )
        .await?
        .as_deref(),
        Some("cancelled")
    );
    let Some(sent) = watch.sent(&system).await? else {
        return Ok(());
    };
    let calls = |topic: &str, order: i64| -> Vec<String> {
        sent.iter()
            .filter(|b| {
                b.topic == topic
                    && b.event.as_deref() == Some("call")
                    && b.payload["order_id"] == order
            })
            .map(|b| b.payload["state"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    for topic in [user(CLIENT), user(READER), "staff:calls".into()] {
        assert_eq!(
            calls(&topic, later),
            ["booked", "moved"],
            "{topic}, the booking"
        );
        assert_eq!(
            calls(&topic, now),
            ["booked", "starting", "live", "dropped"],
            "{topic}, the call now"
        );
    }
    for nobody in [user(OTHER), user(MONITOR)] {
        assert_eq!(on(&sent, &nobody), vec![], "{nobody} hears nothing of it");
    }
    // The drop's cancellation reaches the client as an order change.
    assert!(on(&sent, &user(CLIENT)).contains(&("order".into(), "cancelled".into())));
    Ok(())
}

/// Without Realtime's `send` nothing is sent, and a send that fails (no
/// partition for the day) leaves the change committed; a Realtime that
/// comes back is picked up by the same session, without a migration.
#[tokio::test]
async fn a_missing_or_failing_realtime_never_fails_the_change() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    let place = "select id from public.place_order('tarot')";
    if flavour() != Flavour::Supabase {
        as_user(&mut api, CLIENT, place).await?;
        return Ok(());
    }
    let admin = connect(&db.url).await?;
    // No partition for the messages: a warning, and the order is placed.
    admin
        .batch_execute("alter table realtime.messages detach partition realtime.messages_tests")
        .await?;
    let id: i64 = as_user(&mut api, CLIENT, place).await?[0].get(0);
    assert_eq!(
        count(
            &system,
            &format!("select count(*) from public.orders where id = {id}")
        )
        .await?,
        1
    );
    admin.batch_execute(
        "alter table realtime.messages attach partition realtime.messages_tests for values from (minvalue) to (maxvalue)",
    )
    .await?;
    // Realtime's send gone: nothing sent; back again: the same session sends.
    let marker = realtime::mark(&admin).await?;
    admin
        .batch_execute(
            "alter function realtime.send(jsonb, text, text, boolean) rename to send_away",
        )
        .await?;
    as_user(&mut api, CLIENT, place).await?;
    assert_eq!(realtime::broadcasts(&admin, &marker).await?.len(), 0);
    admin
        .batch_execute(
            "alter function realtime.send_away(jsonb, text, text, boolean) rename to send",
        )
        .await?;
    as_user(&mut api, CLIENT, place).await?;
    assert_eq!(
        realtime::broadcasts(&admin, &marker).await?.len(),
        2,
        "the client's and staff's"
    );
    // The rows are those realtime.send writes: private broadcasts whose
    // payload carries the message's id.
    assert_eq!(
        count(
            &admin,
            "select count(*) from realtime.messages
              where not (private and extension = 'broadcast' and payload ->> 'id' = id::text)"
        )
        .await?,
        0
    );
    Ok(())
}
