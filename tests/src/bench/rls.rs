//! "My orders" for a client under row-level security, against the same
//! query run as a superuser (no RLS) with an explicit WHERE, on 1,000,000
//! orders over 10,000 clients. Each request goes as PostgREST sends it: BEGIN,
//! the role and the JWT claims, the query as a prepared statement, COMMIT,
//! each its own message. The superuser side sends the same messages without
//! the role switch; the time is per whole request, as the app waits for it.
//! Each side has its own connection; they take turns every 100 requests,
//! so a slow spell of the machine falls on both.

use bytes::BytesMut;
use std::time::{Duration, Instant};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

const CLIENTS: i64 = 10_000;
const ORDERS: i64 = 1_000_000;
const REQUESTS: usize = 2_000;
const ROUNDS: usize = 3;
const BLOCK: usize = 100;

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

/// The two queries, prepared once per connection as PostgREST prepares its
/// statements. As in PostgREST, the filter value is a parameter whose type
/// the server takes from the column (uuid).
struct Queries {
    filtered: Statement,
    /// The parameter is unused: RLS alone picks the rows.
    unfiltered: Statement,
}

impl Queries {
    async fn prepare(client: &Client) -> anyhow::Result<Queries> {
        Ok(Queries {
            filtered: client
                .prepare("select * from public.orders where user_id = $1 order by created_at desc")
                .await?,
            unfiltered: client
                .prepare("select * from public.orders where $1::uuid is not null order by created_at desc")
                .await?,
        })
    }
}

/// Requests for clients `first..first + count` (in a scattered order), each
/// its own transaction; returns the time taken and the rows read.
async fn run(
    client: &mut Client,
    queries: &Queries,
    rls: bool,
    filter: bool,
    first: usize,
    count: usize,
) -> anyhow::Result<(Duration, usize)> {
    let statement = if filter || !rls {
        &queries.filtered
    } else {
        &queries.unfiltered
    };
    let mut rows = 0;
    let started = Instant::now();
    for i in first..first + count {
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
        rows += tx.query(statement, &[&Uuid::parse(&id)?]).await?.len();
        tx.commit().await?;
    }
    Ok((started.elapsed(), rows))
}

async fn side(url: &str) -> anyhow::Result<(Client, Queries)> {
    let client = crate::connect(url).await?;
    let queries = Queries::prepare(&client).await?;
    Ok((client, queries))
}

/// A uuid parameter, sent in PostgreSQL's binary form (16 bytes).
#[derive(Debug)]
struct Uuid([u8; 16]);

impl Uuid {
    fn parse(text: &str) -> anyhow::Result<Uuid> {
        samia_core::uuid::parse(text)
            .map(Uuid)
            .ok_or_else(|| anyhow::anyhow!("not a uuid: {text}"))
    }
}

impl ToSql for Uuid {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::UUID
    }

    to_sql_checked!();
}

/// Both sides over the same clients, interleaved in blocks of BLOCK
/// requests (taking turns at going first), so that both see the same
/// machine; returns each side's total time.
async fn round(
    sides: &mut [(Client, Queries); 2],
    filter: bool,
) -> anyhow::Result<(Duration, Duration)> {
    let (mut su, mut rls) = (Duration::ZERO, Duration::ZERO);
    for (b, first) in (0..REQUESTS).step_by(BLOCK).enumerate() {
        let count = BLOCK.min(REQUESTS - first);
        let [(su_client, su_queries), (rls_client, rls_queries)] = sides;
        let (su_block, rls_block) = if b % 2 == 0 {
            let s = run(su_client, su_queries, false, true, first, count).await?;
            (
                s,
                run(rls_client, rls_queries, true, filter, first, count).await?,
            )
        } else {
            let r = run(rls_client, rls_queries, true, filter, first, count).await?;
            (
                run(su_client, su_queries, false, true, first, count).await?,
                r,
            )
        };
        anyhow::ensure!(
            su_block.1 == rls_block.1,
            "superuser saw {} rows, the clients {}",
            su_block.1,
            rls_block.1
        );
        su += su_block.0;
        rls += rls_block.0;
    }
    Ok((su, rls))
}

pub async fn run_all(client: &Client, url: &str) -> anyhow::Result<()> {
    ensure_loaded(client).await?;
    // Each side has its own connection, so each keeps its own cached plans
    // (a plan made for one role is remade when the other role runs it).
    let mut sides = [side(url).await?, side(url).await?];
    println!(
        "rls: 'my orders' for {REQUESTS} clients, {ORDERS} orders over {CLIENTS} clients, \
         sides interleaved every {BLOCK} requests, best of {ROUNDS}"
    );
    for (label, filter) in [
        ("with the app's user_id filter", true),
        ("relying on RLS alone", false),
    ] {
        let (mut best_rls, mut best_su) = (Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            let (su, rls) = round(&mut sides, filter).await?;
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
