//! "My orders" for a client under row-level security, against the same
//! query run as a superuser (no RLS) with an explicit WHERE, on 1,000,000
//! orders over 10,000 clients. Each request goes as PostgREST sends it: BEGIN,
//! the role and the JWT claims, the query as a prepared statement, COMMIT,
//! each its own message. The superuser side sends the same messages without
//! the role switch; the time is per whole request, as the app waits for it.

use std::time::{Duration, Instant};
use tokio_postgres::Client;

const CLIENTS: i64 = 10_000;
const ORDERS: i64 = 1_000_000;
const REQUESTS: usize = 2_000;
const ROUNDS: usize = 3;

pub fn client_id(n: i64) -> String {
    format!("30000000-0000-4000-8000-{n:012}")
}

/// Loads the clients and orders unless an earlier benchmark of this run did.
pub async fn ensure_loaded(client: &Client) -> anyhow::Result<()> {
    let users: i64 = client
        .query_one(
            "select count(*) from auth.users where email like 'c%@bench.test'",
            &[],
        )
        .await?
        .get(0);
    if users < CLIENTS {
        load(client).await?;
    }
    Ok(())
}

/// 10,000 clients with 100 orders each, loaded with triggers off (a fixture,
/// not a measurement), then analyzed.
pub async fn load(client: &Client) -> anyhow::Result<()> {
    let started = Instant::now();
    eprintln!("loading {ORDERS} orders over {CLIENTS} clients ...");
    client
        .batch_execute(&format!(
            "set session_replication_role = replica;
             insert into auth.users (id, email)
               select ('30000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'c' || n || '@bench.test'
                 from generate_series(1, {CLIENTS}) n;
             insert into public.profiles (id, email) select id, email from auth.users where email like '%@bench.test';
             insert into public.orders (user_id, service_id, is_gold, status, created_at)
               select ('30000000-0000-4000-8000-' || lpad((1 + g % {CLIENTS})::text, 12, '0'))::uuid,
                      (select min(id) from public.services) + g % 3, g % 10 = 0, 'new',
                      now() - (g || ' seconds')::interval
                 from generate_series(1, {ORDERS}) g;
             set session_replication_role = origin;"
        ))
        .await?;
    // VACUUM cannot share a transaction with anything else.
    client.batch_execute("vacuum analyze public.orders").await?;
    client.batch_execute("analyze public.profiles").await?;
    eprintln!("loaded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn run(client: &mut Client, rls: bool, filter: bool) -> anyhow::Result<(Duration, usize)> {
    let query = if filter || !rls {
        "select * from public.orders where user_id = $1::text::uuid order by created_at desc"
    } else {
        // The parameter is unused: RLS alone picks the rows.
        "select * from public.orders where $1::text is not null order by created_at desc"
    };
    let statement = client.prepare(query).await?;
    let mut rows = 0;
    let started = Instant::now();
    for i in 0..REQUESTS {
        let id = client_id(1 + (i as i64 * 7919) % CLIENTS);
        let claims = format!("{{\"sub\":\"{id}\",\"role\":\"authenticated\"}}");
        let tx = client.transaction().await?;
        // PostgREST sets the role and the claims in one statement
        // (set_config('role', ..., true) is SET LOCAL ROLE).
        let setup = if rls {
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)"
        } else {
            "select set_config('request.jwt.claims', $1, true)"
        };
        tx.execute(setup, &[&claims]).await?;
        rows += tx.query(&statement, &[&id]).await?.len();
        tx.commit().await?;
    }
    Ok((started.elapsed(), rows))
}

pub async fn run_all(client: &mut Client) -> anyhow::Result<()> {
    ensure_loaded(client).await?;
    println!("rls: 'my orders' for {REQUESTS} clients, {ORDERS} orders over {CLIENTS} clients, best of {ROUNDS}");
    for (label, filter) in [
        ("with the app's user_id filter", true),
        ("relying on RLS alone", false),
    ] {
        let (mut best_rls, mut best_su) = (Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            let (su, su_rows) = run(client, false, true).await?;
            let (rls, rls_rows) = run(client, true, filter).await?;
            anyhow::ensure!(
                su_rows == rls_rows,
                "superuser saw {su_rows} rows, the client {rls_rows}"
            );
            best_su = best_su.min(su);
            best_rls = best_rls.min(rls);
        }
        let ratio = best_rls.as_secs_f64() / best_su.as_secs_f64();
        println!(
            "  client under RLS, {label:<30} {:>9.1} us/request",
            per_request(best_rls)
        );
        println!(
            "  superuser, explicit WHERE                      {:>9.1} us/request",
            per_request(best_su)
        );
        println!(
            "  ratio                                          {ratio:>9.2}x  (goal: within 1.2x; {})",
            if ratio <= 1.2 { "met" } else { "NOT met" }
        );
    }
    Ok(())
}

fn per_request(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6 / REQUESTS as f64
}
