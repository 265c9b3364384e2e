//! Supabase Realtime, on a Supabase-shaped database with Realtime's schema
//! (`scripts/supabase.sh`; `make bench BENCH=realtime` builds one).
//!
//! **Broadcasts.** The order lifecycle of [`super::lifecycle`] (same
//! requests, clients, connections and blocks) on `public.orders` with every
//! trigger, with broadcasts (`realtime.send` present: each change of an
//! order or notification inserts its messages into `realtime.messages`)
//! against without (the same database with `realtime.send` renamed away,
//! which the extension notices through its syscache callback and then sends
//! nothing). One database toggled rather than two: the same table, rows,
//! indexes, connections and prepared statements on both sides, and the
//! sides take turns every block, so a slow spell or a checkpoint falls on
//! both. The rename happens between blocks, untimed; each block's messages
//! are counted to check the side did what it says. (The extension writes
//! a statement's messages with one insert into `realtime.messages`, the
//! rows `realtime.send` would write; it looks for `realtime.send` to know
//! whether Realtime is there.)
//!
//! **Postgres Changes.** `realtime.list_changes` (what the Realtime server
//! polls) draining a wal2json slot of 1,000 order changes, each its own
//! transaction, spread over the orders of 50 clients who each subscribe to
//! `public.orders` with their own claims (role `authenticated`): for every
//! change, Realtime checks each of the 50 subscribers under the table's row
//! level security, so 50,000 checks, one of which passes per change. The
//! product's read policy on orders (`orders_read`: own orders, assigned
//! orders, or staff) against a baseline where that policy is only
//! `user_id = (select auth.uid())`. The baseline swaps the policy's
//! expression in place (`alter policy`, between rounds, untimed) rather
//! than using a copy of the table: the same heap, indexes, statistics,
//! grants, publication and subscriptions, so only the expression differs;
//! a copy would differ in its physical state (the product's table carries
//! the lifecycles' updates and dead rows). Each side gets its own 1,000
//! changes, made with triggers off (`session_replication_role = replica`)
//! so the slot holds the orders' changes alone, the same on both sides: the
//! product's own trigger writes (audit rows, broadcasts), which the slot
//! would decode and filter out at the same cost on both sides, would only
//! dilute the ratio. The slot is read as the server reads it: 100 changes
//! per call (its default `poll_max_changes`; it calls again at once while a
//! call returns rows), until a call takes nothing. The subscribers' claims
//! are whole access tokens as GoTrue issues them, with the `user_role`
//! claim of the product's access token hook (enabled in the deployment),
//! and, as two more sides, without it (both policies again). Every side
//! checks that each change reached exactly one subscriber; the sides take
//! turns going first, after an untimed round of each.
//!
//! Both parts print each side's best round, as the other benchmarks do,
//! and the median of the side-by-side comparisons (block by block, round by
//! round): on this shared machine a slow spell can spoil a whole round,
//! while neighbouring blocks share it.

use super::lifecycle::{self, Requests, BLOCK, CONNECTIONS, DELIVERED, LIFECYCLES, REQUESTS};
use crate::realtime;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

const ROUNDS: usize = 3;
/// `realtime.send`'s signature, and the name the bench parks Realtime's
/// own function under.
const SIGNATURE: &str = "(jsonb, text, text, boolean)";
const PARKED: &str = "samia_bench_send";
const MESSAGES: &str = "select count(*) from realtime.messages";

const SUBSCRIBERS: usize = 50;
const CHANGES: usize = 1_000;
/// The Realtime server's default `poll_max_changes`.
const POLL_MAX_CHANGES: i32 = 100;
const CHANGE_ROUNDS: usize = 4;
const SLOT: &str = "samia_bench_realtime";
const BASELINE: &str = "user_id = (select auth.uid())";

pub async fn run(client: &Client, url: &str) -> anyhow::Result<()> {
    super::rls::ensure_loaded(client).await?;
    anyhow::ensure!(
        client
            .query_one(
                &format!(
                    "select to_regclass('realtime.messages') is not null
                        and (to_regprocedure('realtime.send{SIGNATURE}') is not null
                             or to_regprocedure('realtime.{PARKED}{SIGNATURE}') is not null)"
                ),
                &[],
            )
            .await?
            .get::<_, bool>(0),
        "no Realtime in this database: run on a Supabase-shaped database (scripts/supabase.sh)"
    );
    // Realtime's own function back in place if an earlier run left it
    // parked.
    broadcasting(client, Send::Realtime).await?;
    let outcome = broadcasts(client, url).await;
    // Whatever happened, leave Realtime as it was.
    broadcasting(client, Send::Realtime).await?;
    outcome?;
    let product = policy(client).await?;
    let outcome = changes(client, url, &product).await;
    set_policy(client, &product).await?;
    outcome
}

/// What `realtime.send` is during a block of lifecycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Send {
    /// Realtime's own function: each message inserted into realtime.messages.
    Realtime,
    /// None: the extension finds no `realtime.send` and sends nothing.
    Absent,
}

/// The sides of the broadcast comparison, in their order.
const SENDS: [Send; 2] = [Send::Realtime, Send::Absent];

/// Renames Realtime's function so that `realtime.send` is what `want` says.
async fn broadcasting(client: &Client, want: Send) -> anyhow::Result<()> {
    // Whether Realtime's function is `realtime.send` now (not parked).
    let present: bool = client
        .query_one(
            &format!("select to_regprocedure('realtime.{PARKED}{SIGNATURE}') is null"),
            &[],
        )
        .await?
        .get(0);
    let rename =
        |from: &str, to: &str| format!("alter function realtime.{from}{SIGNATURE} rename to {to}");
    let sql = match (present, want) {
        (true, Send::Absent) => rename("send", PARKED),
        (false, Send::Realtime) => rename(PARKED, "send"),
        _ => return Ok(()),
    };
    client.batch_execute(&sql).await?;
    Ok(())
}

async fn count(client: &Client, sql: &str) -> anyhow::Result<i64> {
    Ok(client.query_one(sql, &[]).await?.get(0))
}

/// Lifecycles with broadcasts against without.
async fn broadcasts(client: &Client, url: &str) -> anyhow::Result<()> {
    lifecycle::staff(client).await?;
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let worker = crate::connect(url).await?;
        worker.batch_execute("set synchronous_commit = on").await?;
        let requests = vec![Requests::prepare(&worker, "public.orders").await?];
        workers.push((worker, requests));
    }
    let delivered_before = count(client, DELIVERED).await?;
    client.batch_execute("checkpoint").await?;
    // Untimed first: a block of each side.
    for send in SENDS {
        broadcasting(client, send).await?;
        lifecycle::block(&workers, 0, 0).await?;
    }
    let mut best = [Duration::MAX; SENDS.len()];
    let mut sent = [0i64; SENDS.len()];
    // Every block's time, by side: block i of each side ran back to back.
    let mut blocks: [Vec<Duration>; SENDS.len()] = Default::default();
    for _ in 0..ROUNDS {
        let mut total = [Duration::ZERO; SENDS.len()];
        for b in 0..LIFECYCLES / BLOCK {
            for k in 0..SENDS.len() {
                let side = (b + k) % SENDS.len();
                broadcasting(client, SENDS[side]).await?;
                let before = count(client, MESSAGES).await?;
                let took = lifecycle::block(&workers, 0, b).await?;
                sent[side] += count(client, MESSAGES).await? - before;
                total[side] += took;
                blocks[side].push(took);
            }
        }
        for side in 0..SENDS.len() {
            best[side] = best[side].min(total[side]);
        }
    }
    let delivered = count(client, DELIVERED).await? - delivered_before;
    anyhow::ensure!(
        delivered == (SENDS.len() * (ROUNDS * LIFECYCLES + BLOCK)) as i64,
        "{delivered} lifecycles ended delivered"
    );
    anyhow::ensure!(
        sent[0] > 0 && sent[1] == 0,
        "{} messages inserted with Realtime, {} without",
        sent[0],
        sent[1]
    );
    let [with, without] = best;
    let rate = |d: Duration| LIFECYCLES as f64 / d.as_secs_f64();
    let slower = 1.0 - rate(with) / rate(without);
    // How much slower `side` is than without, block by block: the median
    // over the blocks, each compared with its neighbour without, so a slow
    // spell of the machine weighs on one comparison only.
    let paired = |side: usize| {
        let mut ratios: Vec<f64> = blocks[side]
            .iter()
            .zip(&blocks[1])
            .map(|(s, w)| 1.0 - w.as_secs_f64() / s.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2] * 100.0
    };
    println!(
        "realtime: the order lifecycle ({LIFECYCLES} audio orders, {REQUESTS} requests each, {CONNECTIONS} \
         connections, synchronous_commit on) on public.orders with broadcasts and without (realtime.send \
         renamed away), sides interleaved every {BLOCK}, best of {ROUNDS}"
    );
    println!(
        "  with broadcasts                {:>8.1} lifecycles/s ({:.1} messages each)",
        rate(with),
        sent[0] as f64 / (ROUNDS * LIFECYCLES) as f64
    );
    println!(
        "  without                        {:>8.1} lifecycles/s",
        rate(without)
    );
    println!(
        "  broadcasts cost                {:>8.1} %  ratio {:.2}x  (goal: at most 10% slower; {})",
        slower * 100.0,
        rate(with) / rate(without),
        if slower <= 0.10 { "met" } else { "NOT met" }
    );
    println!(
        "  median over the {} blocks, each against its neighbour without: {:.1} % slower",
        blocks[0].len(),
        paired(0)
    );
    Ok(())
}

/// The expression of `orders_read`, names qualified.
async fn policy(client: &Client) -> anyhow::Result<String> {
    let rows = client
        .simple_query(
            "begin; set local search_path = pg_catalog;
             select pg_get_expr(polqual, polrelid) from pg_policy
              where polrelid = 'public.orders'::regclass and polname = 'orders_read';
             commit;",
        )
        .await?;
    let qual = rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("public.orders has no policy orders_read"))?;
    anyhow::ensure!(
        qual.contains("staff_uuid_floor"),
        "orders_read is not the product's policy: {qual}"
    );
    Ok(qual)
}

async fn set_policy(client: &Client, qual: &str) -> anyhow::Result<()> {
    client
        .batch_execute(&format!(
            "begin; set local search_path = pg_catalog;
             alter policy orders_read on public.orders using ({qual});
             commit;"
        ))
        .await?;
    Ok(())
}

/// 1,000 updates of the subscribers' orders, each its own transaction, in
/// turn over the subscribers, triggers off.
fn change_sql() -> String {
    let each = CHANGES / SUBSCRIBERS;
    format!(
        "do $$
         declare
           ids bigint[];
         begin
           select array_agg(id order by n, user_id) into ids
             from (select id, user_id, row_number() over (partition by user_id order by id) n
                     from public.orders
                    where user_id in (select ('30000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid
                                        from generate_series(1, {SUBSCRIBERS}) c)) o
            where n <= {each};
           for i in 1 .. coalesce(array_length(ids, 1), 0) loop
             update public.orders set status_reason = 'realtime bench ' || i where id = ids[i];
             commit;
           end loop;
         end $$"
    )
}

/// Waits for the WAL written so far to reach the disk (the changes commit
/// without waiting for it), as the slot reads only flushed WAL.
async fn flushed(writer: &Client) -> anyhow::Result<()> {
    let written: String = writer
        .query_one("select pg_current_wal_insert_lsn()::text", &[])
        .await?
        .get(0);
    while !writer
        .query_one(
            "select pg_current_wal_flush_lsn() >= $1::text::pg_lsn",
            &[&written],
        )
        .await?
        .get::<_, bool>(0)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Drains the slot as the server polls it; returns the time, the changes
/// taken, the subscriptions they went to and the calls made.
async fn drain(admin: &Client) -> anyhow::Result<(Duration, i64, usize, usize)> {
    let (mut taken, mut sent, mut calls) = (0, 0, 0);
    let started = Instant::now();
    loop {
        let (changes, n) = realtime::poll(admin, SLOT, POLL_MAX_CHANGES).await?;
        calls += 1;
        taken += n;
        sent += changes
            .iter()
            .filter(|c| c.table == "orders")
            .map(|c| c.subscription_ids.len())
            .sum::<usize>();
        if n == 0 {
            break;
        }
    }
    Ok((started.elapsed(), taken, sent, calls))
}

/// The claims Realtime keeps for subscriber `c` (1..): the whole access
/// token as GoTrue issues it, with the product's access token hook's
/// `user_role` claim when `hook`.
fn claims(c: i64, hook: bool) -> serde_json::Value {
    let mut claims = json!({
        "aud": "authenticated",
        "exp": 1_900_000_000,
        "iat": 1_899_996_400,
        "iss": "http://localhost:9999/auth/v1",
        "sub": super::rls::client_id(c),
        "email": format!("c{c}@bench.test"),
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": 1_899_996_400}],
        "session_id": format!("40000000-0000-4000-8000-{c:012}"),
        "is_anonymous": false,
    });
    if hook {
        claims["user_role"] = json!("client");
    }
    claims
}

/// The sides of the Postgres Changes comparison: the read policy of
/// orders, and whether the subscribers' tokens carry `user_role`.
const SIDES: [(&str, bool); 4] = [
    ("product policies (orders_read)", true),
    ("user_id = (select auth.uid())", true),
    ("product policies, no user_role", false),
    ("user_id = auth.uid(), no user_role", false),
];

/// `realtime.list_changes` under the product's policy against the baseline.
async fn changes(client: &Client, url: &str, product: &str) -> anyhow::Result<()> {
    // The server's connection: it holds the slot.
    let admin = crate::connect(url).await?;
    let writer = crate::connect(url).await?;
    writer
        .batch_execute("set session_replication_role = replica; set synchronous_commit = off")
        .await?;
    let change = change_sql();
    admin
        .batch_execute(
            "delete from realtime.subscription
              where entity = 'public.orders'::regclass and claims ->> 'email' like 'c%@bench.test'",
        )
        .await?;
    let mut subscriptions = Vec::new();
    for c in 1..=SUBSCRIBERS as i64 {
        let id = realtime::subscribe(&admin, "public.orders", &claims(c, true)).await?;
        subscriptions.push((c, id));
    }
    realtime::create_slot(&admin, SLOT).await?;
    let mut best = [Duration::MAX; SIDES.len()];
    let mut all = SIDES.map(|_| Vec::new());
    let mut calls = 0;
    // Round 0 is untimed.
    for round in 0..=CHANGE_ROUNDS {
        for k in 0..SIDES.len() {
            let side = (round + k) % SIDES.len();
            let (_, hook) = SIDES[side];
            set_policy(
                client,
                if side.is_multiple_of(2) {
                    product
                } else {
                    BASELINE
                },
            )
            .await?;
            for (c, id) in &subscriptions {
                admin
                    .execute(
                        "update realtime.subscription set claims = $2::text::jsonb
                          where subscription_id = $1::text::uuid",
                        &[&id.to_string(), &claims(*c, hook).to_string()],
                    )
                    .await?;
            }
            writer.batch_execute(&change).await?;
            flushed(&writer).await?;
            let (took, taken, sent, n) = drain(&admin).await?;
            anyhow::ensure!(
                taken == CHANGES as i64 && sent == CHANGES,
                "{}: {taken} changes taken from the slot, {sent} sent (expected {CHANGES} each)",
                SIDES[side].0
            );
            calls = n;
            if round > 0 {
                best[side] = best[side].min(took);
                all[side].push(took);
            }
        }
    }
    realtime::drop_slot(&admin, SLOT).await?;
    for (_, id) in subscriptions {
        realtime::unsubscribe(&admin, id).await?;
    }
    let per_check = |d: Duration| d.as_secs_f64() * 1e6 / (CHANGES * SUBSCRIBERS) as f64;
    // A side against its baseline round by round (they ran in the same
    // round), the median over the rounds.
    let paired = |p: usize| {
        let mut ratios: Vec<f64> = all[p]
            .iter()
            .zip(&all[p + 1])
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    let paired = [paired(0), paired(2)];
    println!(
        "realtime: realtime.list_changes draining {CHANGES} order updates (each its own transaction) \
         with {SUBSCRIBERS} subscribers to public.orders, {POLL_MAX_CHANGES} changes per call as the \
         server polls ({calls} calls), best of {CHANGE_ROUNDS}"
    );
    for (side, (label, _)) in SIDES.iter().enumerate() {
        all[side].sort();
        println!(
            "  {label:<36} {:>8.1} ms, median {:>8.1} ms ({:.1} us per subscriber check)",
            best[side].as_secs_f64() * 1000.0,
            all[side][all[side].len() / 2].as_secs_f64() * 1000.0,
            per_check(best[side])
        );
    }
    let ratio = |p: usize| best[p].as_secs_f64() / best[p + 1].as_secs_f64();
    println!(
        "  ratio, tokens with user_role (the deployment's) {:>5.2}x  (goal: at most 1.5x; {}), \
         round by round {:.2}x",
        ratio(0),
        if ratio(0) <= 1.5 { "met" } else { "NOT met" },
        paired[0]
    );
    println!(
        "  ratio, tokens without user_role                {:>5.2}x, round by round {:.2}x",
        ratio(2),
        paired[1]
    );
    Ok(())
}
