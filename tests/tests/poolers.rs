//! The operator commands and the job daemon through PgBouncer, in session
//! and in transaction mode, as through Supavisor's session and transaction
//! poolers: `migrate up` (twice), `health`, `qa`, `jobs stats`, and `samia
//! run` sending queued codes to the fake Twilio.
//!
//! The PgBouncer of these tests keeps several server connections and hands
//! them out in turn, so in transaction mode a client's consecutive
//! transactions run in different server sessions: a named prepared
//! statement, a session advisory lock or a LISTEN does not survive from one
//! to the next.

use samia_tests::cluster::{eventually, FakeTwilio, Sidecar};
use samia_tests::pooler::{Mode, PgBouncer};
use samia_tests::postgrest::{request, Caller};
use samia_tests::{admin_url, connect, run_samia_with, sign_up, Output, TestDb};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn samia(url: &str, mode: Mode, args: &[&str]) -> Output {
    run_samia_with(
        args,
        Some(url),
        &[("SAMIA_DB_POOL_MODE".to_string(), mode.name().to_string())],
    )
}

fn ok(what: &str, out: &Output, bouncer: &PgBouncer) {
    assert_eq!(
        out.code,
        0,
        "{what} through PgBouncer ({} mode) failed: {out:?}\npgbouncer log:\n{}",
        bouncer.mode.name(),
        bouncer.log()
    );
}

/// The operator commands through the pooler, on a database migrated from
/// nothing through the pooler.
async fn operator_commands(mode: Mode) -> anyhow::Result<()> {
    let db = TestDb::empty().await?;
    let bouncer = PgBouncer::start(&admin_url(), mode, &["postgres"])?;
    bouncer.warm(&db.name, "postgres", 4).await?;
    let url = bouncer.url(&db.name, "postgres");

    let first = samia(&url, mode, &["migrate", "up"]);
    ok("the first migrate up", &first, &bouncer);
    assert!(
        first.stdout.contains(" 0 skipped"),
        "everything is applied on an empty database: {}",
        first.stdout
    );
    // No migration lock is left behind in any server session (one would
    // block the next run for good).
    let direct = connect(&db.url).await?;
    let locks: i64 = direct
        .query_one(
            "select count(*) from pg_locks l join pg_database d on d.oid = l.database
              where l.locktype = 'advisory' and d.datname = current_database()",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(locks, 0, "an advisory lock outlived migrate up");
    let second = samia(&url, mode, &["migrate", "up"]);
    ok("the second migrate up", &second, &bouncer);
    assert!(
        second.stdout.contains(": 0 applied"),
        "a second run applies nothing: {}",
        second.stdout
    );
    // The history holds each migration once.
    let (rows, versions): (i64, i64) = {
        let r = direct
            .query_one(
                "select count(*), count(distinct version) from ops.schema_migrations",
                &[],
            )
            .await?;
        (r.get(0), r.get(1))
    };
    assert_eq!(rows, versions);
    assert_eq!(rows as usize, samia_core::migrations::MIGRATIONS.len());

    ok("health", &samia(&url, mode, &["health"]), &bouncer);
    let status = samia(&url, mode, &["migrate", "status"]);
    ok("migrate status", &status, &bouncer);
    ok("qa", &samia(&url, mode, &["qa"]), &bouncer);
    let stats = samia(&url, mode, &["jobs", "stats", "--json"]);
    ok("jobs stats", &stats, &bouncer);
    serde_json::from_str::<serde_json::Value>(&stats.stdout)?;
    ok("jobs list", &samia(&url, mode, &["jobs", "list"]), &bouncer);
    if mode == Mode::Transaction {
        // pg_dump needs one server session for its snapshot: refused.
        let out = std::env::temp_dir().join(format!("samia-pooled-{}.dump", db.name));
        let backup = samia(&url, mode, &["backup", "--out", &out.to_string_lossy()]);
        assert_eq!(backup.code, 2, "{backup:?}");
        assert!(
            backup.stderr.contains("session pooler"),
            "{}",
            backup.stderr
        );
        assert!(!out.exists());
    }
    Ok(())
}

#[tokio::test]
async fn operator_commands_work_through_a_session_pooler() -> anyhow::Result<()> {
    operator_commands(Mode::Session).await
}

#[tokio::test]
async fn operator_commands_work_through_a_transaction_pooler() -> anyhow::Result<()> {
    operator_commands(Mode::Transaction).await
}

/// Two `migrate up` at once through a transaction pooler, whose statements
/// interleave on the server sessions: each migration is applied once, by
/// one of them, and the other skips it.
#[tokio::test]
async fn two_runners_through_a_transaction_pooler_apply_each_migration_once() -> anyhow::Result<()>
{
    let db = TestDb::empty().await?;
    let bouncer = PgBouncer::start(&admin_url(), Mode::Transaction, &["postgres"])?;
    bouncer.warm(&db.name, "postgres", 4).await?;
    let url = bouncer.url(&db.name, "postgres");
    let runners: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || samia(&url, Mode::Transaction, &["migrate", "up"]))
        })
        .collect();
    let mut applied = 0;
    for runner in runners {
        let out = runner
            .join()
            .map_err(|_| anyhow::anyhow!("a runner panicked"))?;
        ok("a concurrent migrate up", &out, &bouncer);
        applied += out
            .stdout
            .lines()
            .filter(|l| l.starts_with("applied  "))
            .count();
    }
    let n = samia_core::migrations::MIGRATIONS.len();
    assert_eq!(applied, n, "each migration applied by exactly one runner");
    let direct = connect(&db.url).await?;
    let row = direct
        .query_one(
            "select count(*), count(distinct version) from ops.schema_migrations",
            &[],
        )
        .await?;
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (n as i64, n as i64)
    );
    Ok(())
}

fn user(n: usize) -> String {
    format!("d0000000-0000-4000-8000-{n:012}")
}

fn phone(n: usize) -> String {
    format!("+2011{n:08}")
}

/// Signs up users and has each ask for a code (as PostgREST would).
async fn queue_codes(
    system: &tokio_postgres::Client,
    api: &mut tokio_postgres::Client,
    range: std::ops::Range<usize>,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for i in range {
        let id = user(i);
        sign_up(system, &id, &format!("p{i}@example.com")).await?;
        let rows = request(
            api,
            Caller::User(&id),
            &format!(
                "select id from public.request_phone_verification('{}')",
                phone(i)
            ),
        )
        .await?;
        ids.push(rows[0].get::<_, i64>(0));
    }
    Ok(ids)
}

/// Waits until `n` code sends are done and none is open: (done, errors).
async fn all_sent(
    system: &tokio_postgres::Client,
    n: usize,
) -> anyhow::Result<(i64, Option<String>)> {
    eventually(WAIT, &format!("{n} codes to be sent"), || async {
        let row = system
            .query_one(
                "select count(*) filter (where status = 'done'),
                        count(*) filter (where status <> 'done'),
                        string_agg(last_error, '; ')
                   from ops.jobs where kind = 'phone.send_code'",
                &[],
            )
            .await?;
        let (done, open, errors): (i64, i64, Option<String>) = (row.get(0), row.get(1), row.get(2));
        Ok((open == 0 && done as usize == n).then_some((done, errors)))
    })
    .await
}

/// `samia run` through the pooler, as a login role with the privileges of
/// `samia_sidecar` (a pooler passes no `options`, so no `-c role=`), sends
/// every queued code: codes queued before it starts, then codes queued
/// once its workers are idle.
async fn daemon(mode: Mode) -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let login = format!("samia_pool_{}_{}", mode.name(), std::process::id());
    let admin = connect(&admin_url()).await?;
    admin
        .batch_execute(&format!(
            "drop role if exists {login}; create role {login} login in role samia_sidecar"
        ))
        .await?;
    let bouncer = PgBouncer::start(&admin_url(), mode, &["postgres", &login])?;
    bouncer.warm(&db.name, &login, 4).await?;
    let fake = FakeTwilio::start()?;

    let system = db.system().await?;
    let mut api = db.system().await?;
    let mut ids = Vec::new();
    ids.extend(queue_codes(&system, &mut api, 0..4).await?);

    // In session mode LISTEN carries through the pooler: with polling a
    // minute apart, only notifications get the codes queued below sent in
    // time. In transaction mode the workers poll.
    let poll = match mode {
        Mode::Session => "60000",
        Mode::Transaction => "200",
    };
    let mode_env = [("SAMIA_DB_POOL_MODE", mode.name()), ("SAMIA_POLL_MS", poll)];
    let mut sidecar = Sidecar::start_url(&bouncer.url(&db.name, &login), &fake, &mode_env)?;
    let (done, errors) = match all_sent(&system, ids.len()).await {
        // The workers are idle now: the next codes need a wake-up.
        Ok(_) => {
            ids.extend(queue_codes(&system, &mut api, 4..10).await?);
            all_sent(&system, ids.len()).await
        }
        Err(e) => Err(e),
    }
    .unwrap_or_else(|e| {
        let _ = sidecar.terminate(Duration::from_secs(10));
        panic!(
            "{e}; pgbouncer ({} mode) log:\n{}",
            mode.name(),
            bouncer.log()
        )
    });
    assert_eq!(done as usize, ids.len());
    assert_eq!(errors, None, "no attempt failed");
    for i in 0..ids.len() {
        fake.code_for(&phone(i))?;
    }
    let sent: i64 = system
        .query_one(
            "select count(*) from public.phone_verifications where status = 'sent' and id = any($1)",
            &[&ids],
        )
        .await?
        .get(0);
    assert_eq!(sent as usize, ids.len());
    // A LISTEN behind a transaction pooler would leave a server session
    // notified while no client holds it.
    assert!(
        !bouncer.log().contains("when not linked"),
        "a notification reached an idle server session: {}",
        bouncer.log()
    );
    let (status, body) = sidecar.get("/healthz")?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sidecar.terminate(Duration::from_secs(10))?, 0);
    drop(bouncer);
    admin.batch_execute(&format!("drop role {login}")).await?;
    Ok(())
}

#[tokio::test]
async fn the_daemon_works_jobs_through_a_session_pooler() -> anyhow::Result<()> {
    daemon(Mode::Session).await
}

#[tokio::test]
async fn the_daemon_works_jobs_through_a_transaction_pooler() -> anyhow::Result<()> {
    daemon(Mode::Transaction).await
}
