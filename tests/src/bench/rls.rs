//! "My orders" for a client under row-level security, against the same
//! query run as a superuser (no RLS) with an explicit WHERE, on 1,000,000
//! orders over 10,000 clients. Each request goes as PostgREST sends it: BEGIN,
//! the role and the JWT claims, the query, COMMIT, each its own message, the
//! statements prepared once per connection. The client side logs in as a
//! non-superuser member of `authenticated`, as PostgREST's `authenticator`
//! does; the superuser side sends the same messages without the role switch.
//! The time is per whole request, as the app waits for it. Each side has its
//! own connection; they alternate request by request (the one going first
//! taking turns), so a slow spell of the machine falls on both, and the
//! ratio reported is the median over blocks of 100 clients of the client
//! side's time to the superuser's.

use bytes::BytesMut;
use std::time::{Duration, Instant};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

const CLIENTS: i64 = 10_000;
const ORDERS: i64 = 1_000_000;
const REQUESTS: usize = 2_000;
const ROUNDS: usize = 5;
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

/// The statements of a request, prepared once per connection as PostgREST
/// prepares its statements (`db-prepared-statements`, on by default): the
/// transaction settings and the two forms of "my orders". As in PostgREST,
/// the filter value is a parameter whose type the server takes from the
/// column (uuid).
struct Queries {
    /// The role and the claims (the client side) or the claims alone (the
    /// superuser side), in one statement as PostgREST sends them
    /// (`set_config('role', ..., true)` is `SET LOCAL ROLE`).
    setup: Statement,
    filtered: Statement,
    /// No WHERE: RLS alone picks the rows.
    unfiltered: Statement,
}

impl Queries {
    async fn prepare(client: &Client, rls: bool) -> anyhow::Result<Queries> {
        let setup = if rls {
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)"
        } else {
            "select set_config('request.jwt.claims', $1, true)"
        };
        Ok(Queries {
            setup: client.prepare(setup).await?,
            filtered: client
                .prepare("select * from public.orders where user_id = $1 order by created_at desc")
                .await?,
            unfiltered: client
                .prepare("select * from public.orders order by created_at desc")
                .await?,
        })
    }
}

/// Requests for clients `first..first + count` (in a scattered order), each
/// its own transaction; returns the time taken and the rows read.
async fn run(
    client: &mut Client,
    queries: &Queries,
    filter: bool,
    hook: bool,
    first: usize,
    count: usize,
) -> anyhow::Result<(Duration, usize)> {
    let mut rows = 0;
    let started = Instant::now();
    for i in first..first + count {
        let id = client_id(1 + (i as i64 * 7919) % CLIENTS);
        // As GoTrue issues them; with the access token hook (V7) they carry
        // the profile's role too.
        let claims = if hook {
            format!("{{\"sub\":\"{id}\",\"role\":\"authenticated\",\"user_role\":\"client\"}}")
        } else {
            format!("{{\"sub\":\"{id}\",\"role\":\"authenticated\"}}")
        };
        let tx = client.transaction().await?;
        tx.execute(&queries.setup, &[&claims]).await?;
        rows += if filter {
            tx.query(&queries.filtered, &[&Uuid::parse(&id)?]).await?
        } else {
            tx.query(&queries.unfiltered, &[]).await?
        }
        .len();
        tx.commit().await?;
    }
    Ok((started.elapsed(), rows))
}

/// The login role the client side connects as: like Supabase's
/// `authenticator`, a member of `authenticated` that is not a superuser and
/// does not inherit its privileges, so every request switches role as
/// PostgREST's do. It gets a fresh random password on each run, so the
/// benchmark also works where the server asks for one.
const AUTHENTICATOR: &str = "samia_bench_authenticator";

pub(crate) async fn authenticator_config(
    admin: &Client,
    url: &str,
) -> anyhow::Result<tokio_postgres::Config> {
    let password: String = admin
        .query_one("select gen_random_uuid()::text", &[])
        .await?
        .get(0);
    admin
        .batch_execute(&format!(
            "do $$ begin
               if not exists (select from pg_roles where rolname = '{AUTHENTICATOR}') then
                 create role {AUTHENTICATOR} login noinherit;
               end if;
             end $$;
             alter role {AUTHENTICATOR} password '{password}';
             grant authenticated to {AUTHENTICATOR};"
        ))
        .await?;
    let mut config: tokio_postgres::Config = url.parse()?;
    config.user(AUTHENTICATOR).password(password);
    Ok(config)
}

async fn side(config: &tokio_postgres::Config, rls: bool) -> anyhow::Result<(Client, Queries)> {
    let client = crate::connect_config(config).await?;
    let queries = Queries::prepare(&client, rls).await?;
    Ok((client, queries))
}

/// A uuid parameter, sent in PostgreSQL's binary form (16 bytes).
#[derive(Debug)]
struct Uuid([u8; 16]);

impl Uuid {
    fn parse(text: &str) -> anyhow::Result<Uuid> {
        uuid::Uuid::parse_str(text)
            .map(|u| Uuid(*u.as_bytes()))
            .map_err(|e| anyhow::anyhow!("not a uuid: {text}: {e}"))
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

/// Both sides over the same clients, request by request: each client's
/// request goes to one side and at once to the other, the side going first
/// taking turns, so that a slow spell of the machine falls on both. Returns
/// each side's total time and, for every block of BLOCK clients, the ratio
/// of the client side's time to the superuser's.
async fn round(
    sides: &mut [(Client, Queries); 2],
    filter: bool,
    hook: bool,
) -> anyhow::Result<(Duration, Duration, Vec<f64>)> {
    let (mut su, mut rls) = (Duration::ZERO, Duration::ZERO);
    let mut ratios = Vec::with_capacity(REQUESTS / BLOCK);
    let (mut block_su, mut block_rls) = (Duration::ZERO, Duration::ZERO);
    let [(su_client, su_queries), (rls_client, rls_queries)] = sides;
    for i in 0..REQUESTS {
        let (s, r) = if i % 2 == 0 {
            let s = run(su_client, su_queries, true, hook, i, 1).await?;
            (s, run(rls_client, rls_queries, filter, hook, i, 1).await?)
        } else {
            let r = run(rls_client, rls_queries, filter, hook, i, 1).await?;
            (run(su_client, su_queries, true, hook, i, 1).await?, r)
        };
        anyhow::ensure!(s.1 == r.1, "superuser saw {} rows, the client {}", s.1, r.1);
        block_su += s.0;
        block_rls += r.0;
        if (i + 1) % BLOCK == 0 {
            ratios.push(block_rls.as_secs_f64() / block_su.as_secs_f64());
            su += block_su;
            rls += block_rls;
            (block_su, block_rls) = (Duration::ZERO, Duration::ZERO);
        }
    }
    Ok((su + block_su, rls + block_rls, ratios))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub async fn run_all(client: &Client, url: &str) -> anyhow::Result<()> {
    ensure_loaded(client).await?;
    // Each side has its own connection, so each keeps its own cached plans
    // (a plan made for one role is remade when the other role runs it).
    let superuser: tokio_postgres::Config = url.parse()?;
    let authenticator = authenticator_config(client, url).await?;
    let mut sides = [
        side(&superuser, false).await?,
        side(&authenticator, true).await?,
    ];
    println!(
        "rls: 'my orders' for {REQUESTS} clients, {ORDERS} orders over {CLIENTS} clients, \
         the sides alternating request by request, {ROUNDS} rounds after a warm-up"
    );
    for (label, filter, hook) in [
        ("with the app's user_id filter", true, true),
        ("relying on RLS alone", false, true),
        ("filter, token without user_role", true, false),
    ] {
        // A warm-up round: plans made, pages cached.
        round(&mut sides, filter, hook).await?;
        let (mut best_rls, mut best_su) = (Duration::MAX, Duration::MAX);
        let (mut all, mut rounds) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let (su, rls, ratios) = round(&mut sides, filter, hook).await?;
            best_su = best_su.min(su);
            best_rls = best_rls.min(rls);
            rounds.push(rls.as_secs_f64() / su.as_secs_f64());
            all.extend(ratios);
        }
        let blocks = all.len();
        let ratio = median(all);
        println!(
            "  client under RLS, {label:<31} {:>9.1} us/request (best round)",
            per_request(best_rls)
        );
        println!(
            "  superuser, explicit WHERE                      {:>9.1} us/request (best round)",
            per_request(best_su)
        );
        println!(
            "  rounds: {}",
            rounds
                .iter()
                .map(|r| format!("{r:.2}x"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  ratio, median of {blocks} blocks of {BLOCK}      {ratio:>9.2}x  (goal: within 1.2x; {})",
            if ratio <= 1.2 { "met" } else { "NOT met" }
        );
    }
    Ok(())
}

fn per_request(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6 / REQUESTS as f64
}
