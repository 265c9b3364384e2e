//! The call routes under load, side by side in one run:
//!
//! - **join**: 50 clients at once, each asking the sidecar's
//!   `POST /v1/calls/{order}/join` for its own booked call (token check, the
//!   database's decision as the caller, a LiveKit token), against the same
//!   clients asking `/healthz` of the same server (HTTP alone).
//! - **webhook**: 50 senders at once posting signed LiveKit events to
//!   `POST /v1/webhooks/livekit` (signature and body hash checked, the
//!   event recorded once and mapped onto the call), against the same events
//!   recorded by `samia.livekit_event` over a direct database connection.
//!
//! Latencies are from sending a request to reading its whole answer, after
//! one unmeasured storm of each kind (every pooled connection open and warm);
//! the goal is a p99 of at most 20 ms for both routes.

use crate::cluster::{FakeTwilio, Sidecar};
use crate::livekit::{api_secret, free_port, FakeLiveKit, API_KEY};
use crate::storage::{user_token, JWT_SECRET};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_postgres::Client;

const CLIENTS: usize = 50;
const ROUNDS: usize = 20;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn summary(label: &str, mut all: Vec<Duration>) -> (Duration, Duration) {
    all.sort();
    let (p50, p99) = (pct(&all, 0.50), pct(&all, 0.99));
    println!(
        "  {label:<34} n={:<5} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        all.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    (p50, p99)
}

/// `CLIENTS` tasks at once, each sending `ROUNDS` requests made by `make`.
async fn storm<F>(make: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn(usize, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = std::sync::Arc::new(make);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let make = make.clone();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(ROUNDS);
                for r in 0..ROUNDS {
                    let started = Instant::now();
                    let answer = make(c, r).send().await?;
                    let status = answer.status();
                    let _ = answer.bytes().await?;
                    anyhow::ensure!(status.is_success(), "HTTP {status}");
                    times.push(started.elapsed());
                }
                Ok::<_, anyhow::Error>(times)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

/// The `Authorization` LiveKit sends with `body`.
fn sign(body: &[u8]) -> anyhow::Result<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "iss": API_KEY, "nbf": now - 1, "exp": now + 300, "sha256": hash }),
        &jsonwebtoken::EncodingKey::from_secret(api_secret().as_bytes()),
    )?)
}

pub async fn run(admin: &Client, url: &str) -> anyhow::Result<()> {
    println!("calls: {CLIENTS} clients at once, {ROUNDS} requests each");
    // One reader per client, so that every booking is at the same time.
    let mut orders = Vec::with_capacity(CLIENTS);
    let mut users = Vec::with_capacity(CLIENTS);
    let tag = std::process::id() % 100_000;
    for i in 0..CLIENTS {
        let client = format!("e{tag:05}00-0000-4000-8000-{i:012}");
        let reader = format!("e{tag:05}01-0000-4000-8000-{i:012}");
        admin
            .batch_execute(&format!(
                "insert into auth.users (id, email) values ('{client}', 'c{i}-{tag}@bench.test'),
                                                            ('{reader}', 'r{i}-{tag}@bench.test');
                 update public.profiles set role_id = 3 where id = '{reader}';
                 insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone)
                   select '{reader}', d, '00:00', '24:00', 'UTC' from generate_series(1, 7) d;"
            ))
            .await?;
        let mut api = crate::connect(url).await?;
        let rows = crate::postgrest::request(
            &mut api,
            crate::postgrest::Caller::User(&client),
            &format!("select id from public.book_call('direct_call', '{reader}', now() + interval '5 minutes')"),
        )
        .await?;
        orders.push(rows[0].get::<_, i64>(0));
        users.push(client);
    }
    let listen = format!("127.0.0.1:{}", free_port()?);
    let livekit = FakeLiveKit::start(&format!("http://{listen}/v1/webhooks/livekit"))?;
    let twilio = FakeTwilio::start()?;
    let mut env: Vec<(String, String)> = livekit.env();
    env.push(("SUPABASE_JWT_SECRET".into(), JWT_SECRET.into()));
    env.push(("SAMIA_API_CONNECTIONS".into(), "16".into()));
    env.push(("RUST_LOG".into(), "warn".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sidecar = Sidecar::start_on(&listen, url, &twilio, &env)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let base = format!("http://{}", sidecar.addr);
    let tokens: Vec<String> = users
        .iter()
        .map(|u| user_token(u))
        .collect::<anyhow::Result<_>>()?;

    // Warm up both routes and every pooled connection: a storm like the
    // measured one, so that no request below opens a database connection
    // (a new backend loads the extension and plans its statements once).
    let (h, b, o, t) = (http.clone(), base.clone(), orders.clone(), tokens.clone());
    storm(move |c, _| {
        h.post(format!("{b}/v1/calls/{}/join", o[c]))
            .bearer_auth(&t[c])
    })
    .await?;
    let (h, b) = (http.clone(), base.clone());
    let healthz = storm(move |_, _| h.get(format!("{b}/healthz"))).await?;
    let (h, b, o, t) = (http.clone(), base.clone(), orders.clone(), tokens.clone());
    let joins = storm(move |c, _| {
        h.post(format!("{b}/v1/calls/{}/join", o[c]))
            .bearer_auth(&t[c])
    })
    .await?;
    println!("join route:");
    let (_, base_p99) = summary("GET /healthz (HTTP alone)", healthz);
    let (p50, p99) = summary("POST /v1/calls/{id}/join", joins);
    println!(
        "  join p50 {:.2} ms, p99 {:.2} ms ({:.1}x the p99 of HTTP alone); goal p99 <= 20 ms: {}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        p99.as_secs_f64() / base_p99.as_secs_f64().max(1e-6),
        if p99 <= Duration::from_millis(20) {
            "met"
        } else {
            "NOT met"
        }
    );

    // Webhooks: a hidden participant joins each call (an audit record and
    // the event's own row), once through the route and once directly.
    let event = |kind: &str, c: usize, r: usize, order: i64| {
        json!({
            "event": "participant_joined",
            "id": format!("EV_bench_{kind}_{tag}_{c}_{r}"),
            "createdAt": "0",
            "room": { "name": format!("call-{order}"), "sid": format!("RM_{order}") },
            "participant": { "identity": format!("watcher-{c}"), "sid": format!("PA_{c}_{r}") },
        })
        .to_string()
    };
    let mut signed = Vec::with_capacity(CLIENTS * ROUNDS);
    for (c, order) in orders.iter().enumerate() {
        for r in 0..ROUNDS {
            let body = event("http", c, r, *order);
            let auth = sign(body.as_bytes())?;
            signed.push((body, auth));
        }
    }
    let mut warm = Vec::with_capacity(CLIENTS * ROUNDS);
    for (c, order) in orders.iter().enumerate() {
        for r in 0..ROUNDS {
            let body = event("warm", c, r, *order);
            let auth = sign(body.as_bytes())?;
            warm.push((body, auth));
        }
    }
    let warm = std::sync::Arc::new(warm);
    let (h, b) = (http.clone(), base.clone());
    storm(move |c, r| {
        let (body, auth) = &warm[c * ROUNDS + r];
        h.post(format!("{b}/v1/webhooks/livekit"))
            .header("content-type", "application/webhook+json")
            .header("authorization", auth)
            .body(body.clone())
    })
    .await?;
    let signed = std::sync::Arc::new(signed);
    let (h, b) = (http.clone(), base.clone());
    let hooks = storm(move |c, r| {
        let (body, auth) = &signed[c * ROUNDS + r];
        h.post(format!("{b}/v1/webhooks/livekit"))
            .header("content-type", "application/webhook+json")
            .header("authorization", auth)
            .body(body.clone())
    })
    .await?;
    let recorded: i64 = admin
        .query_one(
            "select count(*) from ops.livekit_events where id like 'EV_bench_http_%'",
            &[],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        recorded as usize == CLIENTS * ROUNDS,
        "{recorded} webhooks recorded"
    );

    let direct_tasks: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(c, order)| {
            let url = format!("{url} options='-c role=samia_sidecar'");
            let bodies: Vec<(String, String)> = (0..ROUNDS)
                .map(|r| {
                    (
                        format!("EV_bench_sql_{tag}_{c}_{r}"),
                        format!("call-{order}"),
                    )
                })
                .collect();
            tokio::spawn(async move {
                let db = crate::connect(&url).await?;
                // The same warm-up as the route's connections had.
                for w in 0..ROUNDS {
                    db.query_one(
                        "select samia.livekit_event($1, 'participant_joined', $2, $3, null, null)",
                        &[
                            &format!("EV_bench_sqlwarm_{tag}_{c}_{w}"),
                            &bodies[0].1,
                            &format!("watcher-{c}"),
                        ],
                    )
                    .await?;
                }
                let mut times = Vec::with_capacity(ROUNDS);
                for (id, room) in bodies {
                    let identity = format!("watcher-{c}");
                    let started = Instant::now();
                    db.query_one(
                        "select samia.livekit_event($1, 'participant_joined', $2, $3, null, null)",
                        &[&id, &room, &identity],
                    )
                    .await?;
                    times.push(started.elapsed());
                }
                Ok::<_, anyhow::Error>(times)
            })
        })
        .collect();
    let mut direct = Vec::new();
    for t in direct_tasks {
        direct.extend(t.await??);
    }
    println!("webhook route (to the database):");
    let (_, sql_p99) = summary("samia.livekit_event over SQL", direct);
    let (p50, p99) = summary("POST /v1/webhooks/livekit", hooks);
    println!(
        "  webhook p50 {:.2} ms, p99 {:.2} ms ({:.1}x the p99 of the database alone); goal p99 <= 20 ms: {}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        p99.as_secs_f64() / sql_p99.as_secs_f64().max(1e-6),
        if p99 <= Duration::from_millis(20) { "met" } else { "NOT met" }
    );
    drop(livekit);
    Ok(())
}
