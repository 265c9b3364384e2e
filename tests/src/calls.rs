//! The call tests' world (`tests/calls.rs`, `tests/call_access.rs`): a
//! client, another client, a reader, a monitor and an admin; the fake
//! LiveKit and a sidecar that uses it; bookings and the waits on them.

use crate::cluster::{eventually, FakeTwilio, Sidecar};
use crate::livekit::{free_port, join_route, FakeLiveKit};
use crate::postgrest::{failure, request, Caller};
use crate::storage::{user_token, JWT_SECRET};
use crate::{sign_up, Session, TestDb};
use anyhow::{ensure, Result};
use serde_json::Value;
use std::time::Duration;
use tokio_postgres::Client;

pub const CLIENT: &str = "c1000000-0000-4000-8000-000000000001";
pub const OTHER: &str = "c1000000-0000-4000-8000-000000000002";
pub const READER: &str = "c1000000-0000-4000-8000-000000000003";
pub const MONITOR: &str = "c1000000-0000-4000-8000-000000000004";
pub const ADMIN: &str = "c1000000-0000-4000-8000-000000000005";
pub const WAIT: Duration = Duration::from_secs(15);

/// A database with a client, another client, a reader who takes calls at
/// any hour and is online, a monitor and an admin.
pub async fn people() -> Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let system = db.system().await?;
    for (id, email, role) in [
        (CLIENT, "client@example.com", 5i16),
        (OTHER, "other@example.com", 5),
        (READER, "reader@example.com", 3),
        (MONITOR, "monitor@example.com", 4),
        (ADMIN, "admin@example.com", 2),
    ] {
        sign_up(&system, id, email).await?;
        system
            .execute(
                "update public.profiles set role_id = $2 where id = $1::text::uuid",
                &[&id, &role],
            )
            .await?;
    }
    system
        .batch_execute(&format!(
            "insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone)
               select '{READER}', d, '00:00', '24:00', 'Africa/Cairo' from generate_series(1, 7) d;
             insert into public.reader_presence (reader_id, status) values ('{READER}', 'online');"
        ))
        .await?;
    Ok((db, system))
}

/// The stack: fake LiveKit posting to a sidecar that uses it.
pub struct Stack {
    pub livekit: FakeLiveKit,
    pub sidecar: Sidecar,
    _twilio: FakeTwilio,
    listen: String,
    db_url: String,
}

impl Stack {
    pub fn start(db: &TestDb) -> Result<Stack> {
        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let livekit = FakeLiveKit::start(&format!("http://{listen}/v1/webhooks/livekit"))?;
        let twilio = FakeTwilio::start()?;
        let sidecar = Stack::sidecar(&listen, &db.url, &twilio, &livekit)?;
        Ok(Stack {
            livekit,
            sidecar,
            _twilio: twilio,
            listen,
            db_url: db.url.clone(),
        })
    }

    fn sidecar(
        listen: &str,
        db_url: &str,
        twilio: &FakeTwilio,
        livekit: &FakeLiveKit,
    ) -> Result<Sidecar> {
        let mut env: Vec<(String, String)> = livekit.env();
        env.push(("SUPABASE_JWT_SECRET".into(), JWT_SECRET.into()));
        // Tokens as long-lived as the sidecar allows: the call's window is
        // what must bound them.
        env.push(("SAMIA_CALL_TOKEN_TTL_SECS".into(), "86400".into()));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Sidecar::start_on(listen, db_url, twilio, &env)
    }

    pub fn restart(&mut self) -> Result<()> {
        self.sidecar = Stack::sidecar(&self.listen, &self.db_url, &self._twilio, &self.livekit)?;
        Ok(())
    }

    pub async fn join(&self, order: i64, user: &str) -> Result<(u16, Value)> {
        join_route(
            &self.sidecar.addr,
            &order.to_string(),
            Some(&user_token(user)?),
        )
        .await
    }

    /// Joins through the route and connects at the fake with the token.
    pub async fn connect(&self, order: i64, user: &str) -> Result<Value> {
        let (status, grant) = self.join(order, user).await?;
        ensure!(status == 200, "join as {user}: {status} {grant}");
        let room = grant["room"].as_str().unwrap_or_default().to_string();
        let token = grant["token"].as_str().unwrap_or_default().to_string();
        let (status, body) = self.livekit.join(&room, &token).await?;
        ensure!(
            status == 200,
            "the fake refused {user}'s token: {status} {body}"
        );
        Ok(grant)
    }
}

/// `days` days from today at `time` (HH:MM) in the reader's zone: the same
/// time of day whenever the test runs, so a booking that is not about
/// "soon" never crosses the reader's midnight.
pub fn reader_time(days: u32, time: &str) -> String {
    format!(
        "(date_trunc('day', now() at time zone 'Africa/Cairo') + interval '{days} days {time}') \
         at time zone 'Africa/Cairo'"
    )
}

pub async fn book(api: &mut Client, sql_time: &str) -> Result<i64> {
    let rows = request(
        api,
        Caller::User(CLIENT),
        &format!("select id from public.book_call('direct_call', '{READER}', {sql_time}, 'Europe/London')"),
    )
    .await?;
    Ok(rows[0].get(0))
}

pub async fn order_status(system: &Client, order: i64) -> Result<String> {
    Ok(system
        .query_one(
            "select status::text from public.orders where id = $1",
            &[&order],
        )
        .await?
        .get(0))
}

pub async fn until_status(system: &Client, order: i64, want: &str) -> Result<()> {
    eventually(WAIT, &format!("order {order} {want}"), || async {
        Ok((order_status(system, order).await? == want).then_some(()))
    })
    .await
}

/// A call now, with both parties in the room: in progress.
pub async fn live_call(stack: &Stack, api: &mut Client, system: &Client) -> Result<i64> {
    let order = book(api, "null").await?;
    stack.connect(order, CLIENT).await?;
    stack.connect(order, READER).await?;
    until_status(system, order, "in_progress").await?;
    Ok(order)
}

/// A request as `who` that must fail: its SQLSTATE and message.
pub async fn refused(api: &mut Client, who: &str, sql: &str, what: &str) -> (String, String) {
    failure(request(api, Caller::User(who), sql).await, what)
}

/// Waits until the fake LiveKit has nobody left in the order's room.
pub async fn until_room_empty(stack: &Stack, order: i64) -> Result<()> {
    eventually(WAIT, "the room emptied", || async {
        Ok(stack
            .livekit
            .in_room(&format!("call-{order}"))
            .await?
            .is_empty()
            .then_some(()))
    })
    .await
}

/// An audio order of the client's through its whole life, as each party
/// moves it: placed, assigned, started, submitted, rejected once ("too
/// quiet"), reworked, approved and so delivered. Returns its id.
pub async fn audio_order_rejected_once(api: &mut Session) -> Result<i64> {
    let id: i64 = request(
        api.api(),
        Caller::User(CLIENT),
        "select id from public.place_order('tarot', 'Will it rain?')",
    )
    .await?[0]
        .get(0);
    let step = async |api: &mut Session, who: &str, sql: String| -> Result<()> {
        request(api.api(), Caller::User(who), &sql).await?;
        Ok(())
    };
    step(
        api,
        ADMIN,
        format!("select public.assign_order({id}, '{READER}')"),
    )
    .await?;
    for (round, sha) in [(1, "aaaa"), (2, "bbbb")] {
        step(api, READER, format!("select public.start_order({id})")).await?;
        let name = format!("answer-{id}-{round}.m4a");
        let media = crate::media::ready_answer(api, READER, &name, sha).await?;
        step(
            api,
            READER,
            format!("select public.submit_order({id}, {media})"),
        )
        .await?;
        if round == 1 {
            step(
                api,
                MONITOR,
                format!("select public.reject_order({id}, 'too quiet')"),
            )
            .await?;
        }
    }
    step(api, MONITOR, format!("select public.approve_order({id})")).await?;
    Ok(id)
}
