//! `samia-upgrade`: upgrades a live database from the previous release of
//! the extension to this one, with the apps' traffic running, and checks the
//! result (CONTRACT.md section 13). `make test` runs it (scripts/upgrade.sh)
//! on a database that the previous release created and migrated, on plain
//! PostgreSQL and on the Supabase-shaped database.
//!
//! 1. Loads the permission-matrix fixture and queues a phone verification
//!    (a `phone.send_code` job written by the previous release).
//! 2. Starts requests made as PostgREST makes them on four connections:
//!    clients reading and placing and cancelling orders (the order trigger,
//!    the audit), anon classifying captions, a monitor reading the records.
//! 3. While they run: installs this release's files (`--install`, a shell
//!    command), runs `ALTER EXTENSION samia UPDATE` (as `--updater`), then
//!    `samia migrate up` (as `--operator`). No request may fail, and each of
//!    the four stretches must see requests.
//! 4. Compares every object of the extension with a fresh install of this
//!    release (database `samia_fresh`, migrated the same way): object by object, its
//!    description, and for a function its whole definition (volatility,
//!    strictness, security, search_path, library and symbol) and its grants.
//! 5. Starts this release's sidecar against a fake Twilio: the job the
//!    previous release queued is done.
//!
//! Arguments are key=value connection strings of the database: `--db` (a
//! superuser), `--api` (where PostgREST's requests go), `--updater`,
//! `--operator`; `SAMIA_BIN` is the `samia` binary, `SAMIA_FAKE_BIN` the
//! `samia-fake` binary.

use anyhow::{bail, ensure, Context, Result};
use samia_tests::cluster::{eventually, FakeTwilio, Sidecar};
use samia_tests::fixture::{self, MONITOR, OTHER, OWNER};
use samia_tests::postgrest::{request, Caller};
use samia_tests::{connect, run_samia};
use std::collections::BTreeMap;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONNECTIONS: usize = 4;

struct Args {
    db: String,
    api: String,
    updater: String,
    operator: String,
    install: String,
}

fn args() -> Result<Args> {
    let mut map = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        map.insert(flag.trim_start_matches("--").to_string(), value);
    }
    let mut take = |k: &str| map.remove(k).with_context(|| format!("--{k} is required"));
    Ok(Args {
        db: take("db")?,
        api: take("api")?,
        updater: take("updater")?,
        operator: take("operator")?,
        install: take("install")?,
    })
}

/// What the traffic saw.
#[derive(Default)]
struct Traffic {
    stop: AtomicBool,
    /// Requests made in each stretch of the upgrade.
    stretch: AtomicUsize,
    done: Mutex<[usize; 4]>,
    failed: Mutex<Vec<String>>,
}

async fn one_round(api: &mut tokio_postgres::Client, n: usize) -> Result<()> {
    let who = if n.is_multiple_of(2) { OWNER } else { OTHER };
    request(api, Caller::User(who), "select count(*) from public.orders").await?;
    let rows = request(
        api,
        Caller::User(who),
        "select id from public.place_order('tarot', 'Will it rain?')",
    )
    .await?;
    let id: i64 = rows[0].get(0);
    request(
        api,
        Caller::User(who),
        &format!("update public.orders set status = 'cancelled' where id = {id}"),
    )
    .await?;
    request(
        api,
        Caller::Anon,
        "select samia.classify_caption('حظك اليوم برج الحمل', now(), 'Africa/Cairo')",
    )
    .await?;
    request(
        api,
        Caller::User(MONITOR),
        "select count(*) from public.moderation_actions",
    )
    .await?;
    Ok(())
}

async fn traffic(url: String, traffic: Arc<Traffic>, n: usize) {
    let mut api = match connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            if let Ok(mut f) = traffic.failed.lock() {
                f.push(format!("connection {n}: {e:#}"));
            }
            return;
        }
    };
    let mut round = n;
    while !traffic.stop.load(Ordering::SeqCst) {
        let stretch = traffic.stretch.load(Ordering::SeqCst).min(3);
        match one_round(&mut api, round).await {
            Ok(()) => {
                if let Ok(mut d) = traffic.done.lock() {
                    d[stretch] += 1;
                }
            }
            Err(e) => {
                let detail = e
                    .downcast_ref::<tokio_postgres::Error>()
                    .and_then(|e| e.as_db_error())
                    .map(|d| format!("{} {}", d.code().code(), d.message()))
                    .unwrap_or_else(|| format!("{e:#}"));
                if let Ok(mut f) = traffic.failed.lock() {
                    f.push(format!("connection {n}, stretch {stretch}: {detail}"));
                }
            }
        }
        round += CONNECTIONS;
    }
}

/// Every object of the extension, with what must match a fresh install.
const OBJECTS: &str = "
select pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid),
       coalesce(case when d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                     then pg_catalog.pg_get_functiondef(d.objid)
                          || ' grants ' || coalesce(p.proacl::text, 'default') end, '')
  from pg_catalog.pg_depend d
  left join pg_catalog.pg_proc p
    on d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and p.oid = d.objid
 where d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
   and d.refobjid = (select oid from pg_catalog.pg_extension where extname = 'samia')
   and d.deptype = 'e'
 union all
select 'extension samia ' || extversion || ' in schema ' || extnamespace::regnamespace::text, ''
  from pg_catalog.pg_extension where extname = 'samia'
 order by 1";

async fn objects(url: &str) -> Result<BTreeMap<String, String>> {
    let c = connect(url).await?;
    Ok(c.query(OBJECTS, &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Runs `ALTER EXTENSION samia UPDATE` while a client's request is half
/// done: its order is placed by the previous release's code, whose audit
/// record waits on a lock until the update has committed, and is then
/// checked by this release's `audit_log` guard. The request must succeed
/// (the two libraries share what "the extension is writing" means).
async fn straddle(
    a: &Args,
    system: &tokio_postgres::Client,
    updater: &tokio_postgres::Client,
) -> Result<()> {
    const MARK: &str = "Across the update?";
    let holder = connect(&a.db).await?;
    holder
        .batch_execute("begin; lock table public.audit_log in share row exclusive mode")
        .await?;
    let api = a.api.clone();
    let placing = tokio::spawn(async move {
        let mut c = connect(&api).await?;
        request(
            &mut c,
            Caller::User(OWNER),
            &format!("select id from public.place_order('tarot', '{MARK}')"),
        )
        .await
        .map_err(anyhow::Error::from)
    });
    eventually(
        Duration::from_secs(30),
        "the request to wait on the audit log",
        || async {
            let waiting: i64 = system
                .query_one(
                    "select count(*) from pg_catalog.pg_stat_activity
                  where wait_event_type = 'Lock' and query like '%' || $1 || '%'
                    and query not like '%pg_stat_activity%'",
                    &[&MARK],
                )
                .await?
                .get(0);
            Ok((waiting > 0).then_some(()))
        },
    )
    .await?;
    tokio::time::timeout(
        Duration::from_secs(60),
        updater.batch_execute("alter extension samia update"),
    )
    .await
    .context("the update waited for the half-done request")??;
    holder.batch_execute("commit").await?;
    let placed = placing
        .await?
        .context("the request begun before the update")?;
    ensure!(placed.len() == 1, "the request placed no order");
    println!("samia-upgrade: a request begun under the old release and finished under the new one succeeded");
    Ok(())
}

fn samia(args: &[&str], url: &str) -> Result<String> {
    let out = run_samia(args, Some(url));
    let text = format!("{}{}", out.stdout, out.stderr);
    ensure!(out.code == 0, "samia {}: {text}", args.join(" "));
    Ok(text)
}

async fn run() -> Result<()> {
    let a = args()?;
    let system = connect(&a.db).await?;
    let from: String = system
        .query_one(
            "select extversion from pg_extension where extname = 'samia'",
            &[],
        )
        .await?
        .get(0);
    system
        .batch_execute(fixture::SQL)
        .await
        .context("the fixture")?;
    let mut api = connect(&a.api).await?;
    let queued: i64 = request(
        &mut api,
        Caller::User(OTHER),
        "select id from public.request_phone_verification('+201001234598')",
    )
    .await?[0]
        .get(0);
    let job: i64 = system
        .query_one(
            "select id from ops.jobs where kind = 'phone.send_code'
               and (payload ->> 'verification_id')::bigint = $1",
            &[&queued],
        )
        .await?
        .get(0);

    let t = Arc::new(Traffic::default());
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|n| tokio::spawn(traffic(a.api.clone(), t.clone(), n)))
        .collect();
    let pause = || tokio::time::sleep(Duration::from_millis(1500));
    pause().await;
    println!("samia-upgrade: installing the new files ({})", a.install);
    let status = Command::new("sh").arg("-c").arg(&a.install).status()?;
    ensure!(status.success(), "the install command failed: {status}");
    t.stretch.store(1, Ordering::SeqCst);
    pause().await;
    let updater = connect(&a.updater).await?;
    straddle(&a, &system, &updater).await?;
    let to: String = updater
        .query_one(
            "select extversion from pg_extension where extname = 'samia'",
            &[],
        )
        .await?
        .get(0);
    println!("samia-upgrade: extension samia {from} -> {to}");
    t.stretch.store(2, Ordering::SeqCst);
    pause().await;
    let migrated = samia(&["migrate", "up"], &a.operator)?;
    println!(
        "samia-upgrade: {}",
        migrated.lines().last().unwrap_or_default()
    );
    t.stretch.store(3, Ordering::SeqCst);
    pause().await;
    t.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await?;
    }
    let done = *t.done.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let failed = t
        .failed
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    println!(
        "samia-upgrade: traffic on {CONNECTIONS} connections: {} rounds of 5 requests \
         (before the files {}, with the new files {}, after the update {}, after migrate up {}), {} failed",
        done.iter().sum::<usize>(),
        done[0],
        done[1],
        done[2],
        done[3],
        failed.len()
    );
    if !failed.is_empty() {
        bail!("requests failed during the upgrade:\n{}", failed.join("\n"));
    }
    ensure!(
        done.iter().all(|n| *n > 0),
        "a stretch of the upgrade saw no request: {done:?}"
    );
    ensure!(from != to, "the extension stayed at {from}");

    // A fresh install of this release, migrated the same way.
    system
        .batch_execute("drop database if exists samia_fresh")
        .await?;
    system
        .batch_execute("create database samia_fresh template postgres owner postgres")
        .await?;
    let fresh_url = format!("{} dbname=samia_fresh", a.db);
    connect(&fresh_url)
        .await?
        .batch_execute("create extension samia")
        .await?;
    samia(
        &["migrate", "up"],
        &format!("{} dbname=samia_fresh", a.operator),
    )?;
    let upgraded = objects(&a.db).await?;
    let fresh = objects(&fresh_url).await?;
    let mut differences = Vec::new();
    for (object, detail) in &upgraded {
        match fresh.get(object) {
            None => differences.push(format!("only after the upgrade: {object}")),
            Some(d) if d != detail => differences.push(format!(
                "differs: {object}\n--- upgraded\n{detail}\n--- fresh\n{d}"
            )),
            _ => {}
        }
    }
    for object in fresh.keys().filter(|o| !upgraded.contains_key(*o)) {
        differences.push(format!("only in a fresh install: {object}"));
    }
    println!(
        "samia-upgrade: {} extension objects compared with a fresh install, {} differences",
        upgraded.len(),
        differences.len()
    );
    if !differences.is_empty() {
        bail!("{}", differences.join("\n"));
    }

    let twilio = FakeTwilio::start()?;
    let db_url = a.db.clone();
    let _sidecar = Sidecar::start(&db_url, &twilio, &[])?;
    eventually(
        Duration::from_secs(30),
        "the old release's job done",
        || {
            let system = &system;
            async move {
                let status: String = system
                    .query_one("select status from ops.jobs where id = $1", &[&job])
                    .await?
                    .get(0);
                Ok((status == "done").then_some(()))
            }
        },
    )
    .await?;
    println!(
        "samia-upgrade: the phone.send_code job {job} queued by {from} was done by {to}'s sidecar"
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("usage: samia-upgrade --db URL --api URL --updater URL --operator URL --install CMD\n(see the header of tests/src/bin/samia-upgrade.rs)");
        return ExitCode::SUCCESS;
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samia-upgrade: {e:#}");
            ExitCode::FAILURE
        }
    }
}
