//! The job queue and `samia run` against the fake Twilio, with faults: a
//! provider that fails, rate-limits or hangs, a sidecar killed mid-job,
//! a database restarted under a running sidecar, two sidecars on one queue.

use samia_tests::cluster::{eventually, Cluster, FakeTwilio, Sidecar};
use samia_tests::postgrest::{request, Caller};
use samia_tests::{connect, sign_up, TestDb};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

const WAIT: Duration = Duration::from_secs(20);

fn user(n: usize) -> String {
    format!("c0000000-0000-4000-8000-{n:012}")
}

fn phone(n: usize) -> String {
    format!("+2010{n:08}")
}

/// Signs up `n` users and has each ask for a code (as PostgREST would).
async fn request_codes(url: &str, first: usize, n: usize) -> anyhow::Result<Vec<i64>> {
    let system = connect(url).await?;
    let mut api = connect(url).await?;
    let mut ids = Vec::new();
    for i in first..first + n {
        let id = user(i);
        sign_up(&system, &id, &format!("u{i}@example.com")).await?;
        let rows = request(
            &mut api,
            Caller::User(&id),
            &format!(
                "select id from public.request_phone_verification('{}')",
                phone(i)
            ),
        )
        .await?;
        ids.push(rows[0].get(0));
    }
    Ok(ids)
}

async fn job_state(
    client: &Client,
    verification: i64,
) -> anyhow::Result<(String, i32, Option<String>)> {
    let row = client
        .query_one(
            "select status, attempts, last_error from ops.jobs
              where kind = 'phone.send_code' and (payload ->> 'verification_id')::bigint = $1",
            &[&verification],
        )
        .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

async fn verification(
    client: &Client,
    id: i64,
) -> anyhow::Result<(String, Option<String>, Option<String>)> {
    let row = client
        .query_one(
            "select status, provider_ref, error_code from public.phone_verifications where id = $1",
            &[&id],
        )
        .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

async fn until_job(
    client: &Client,
    id: i64,
    status: &str,
) -> anyhow::Result<(String, i32, Option<String>)> {
    eventually(
        WAIT,
        &format!("job of verification {id} to be {status}"),
        || async {
            let s = job_state(client, id).await?;
            Ok((s.0 == status).then_some(s))
        },
    )
    .await
}

#[tokio::test]
async fn a_code_is_sent_checked_and_the_phone_verified() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    let _sidecar = Sidecar::start(&db.url, &fake, &[])?;
    let system = db.system().await?;
    let ids = request_codes(&db.url, 1, 1).await?;
    let id = ids[0];
    until_job(&system, id, "done").await?;
    let (status, sid, _) = verification(&system, id).await?;
    assert_eq!(status, "sent");
    assert!(sid.is_some_and(|s| s.starts_with("VE")));
    let code = fake.code_for(&phone(1))?;

    // A wrong code first: still sent, marked incorrect.
    let mut api = db.system().await?;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let me = user(1);
    request(
        &mut api,
        Caller::User(&me),
        &format!("select * from public.confirm_phone_verification('{wrong}')"),
    )
    .await?;
    eventually(WAIT, "the wrong code to be checked", || async {
        let v = verification(&system, id).await?;
        Ok((v.2.as_deref() == Some("incorrect_code")).then_some(()))
    })
    .await?;
    assert_eq!(verification(&system, id).await?.0, "sent");

    request(
        &mut api,
        Caller::User(&me),
        &format!("select * from public.confirm_phone_verification('{code}')"),
    )
    .await?;
    eventually(WAIT, "the phone to be verified", || async {
        Ok((verification(&system, id).await?.0 == "verified").then_some(()))
    })
    .await?;
    let profile = system
        .query_one(
            "select phone, phone_verified from public.profiles where id = $1::text::uuid",
            &[&me],
        )
        .await?;
    assert_eq!(
        profile.get::<_, Option<String>>(0).as_deref(),
        Some(phone(1).as_str())
    );
    assert!(profile.get::<_, bool>(1));
    // The outcome is audited, and no code stays in the queue.
    let audited: i64 = system
        .query_one(
            "select count(*) from public.audit_log where event = 'phone.verification' and entity_id = $1",
            &[&id.to_string()],
        )
        .await?
        .get(0);
    assert_eq!(audited, 3, "sent, incorrect, approved");
    let codes: i64 = system
        .query_one("select count(*) from ops.jobs where payload ? 'code'", &[])
        .await?
        .get(0);
    assert_eq!(codes, 0);
    Ok(())
}

#[tokio::test]
async fn provider_errors_and_timeouts_are_retried_with_backoff() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    // A 500, a 429 asking for one second, a hang longer than the timeout (1 s).
    fake.inject(json!([{"status": 500}, {"status": 429, "retry_after": 1}, {"delay_ms": 1500, "status": 200}]))?;
    let _sidecar = Sidecar::start(&db.url, &fake, &[])?;
    let system = db.system().await?;
    let started = Instant::now();
    let id = request_codes(&db.url, 1, 1).await?[0];
    let (_, attempts, last_error) = until_job(&system, id, "done").await?;
    assert_eq!(attempts, 4, "{last_error:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert!(
        last_error.is_some_and(|e| e.contains("did not answer")),
        "the last failure was the timeout"
    );
    assert_eq!(verification(&system, id).await?.0, "sent");
    let statuses: Vec<u64> = fake
        .requests()?
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(&statuses[..2], &[500, 429]);
    assert_eq!(statuses.last(), Some(&201));
    Ok(())
}

#[tokio::test]
async fn the_last_failed_attempt_dead_letters_and_the_client_sees_failed() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    fake.inject(json!([{"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}]))?;
    let _sidecar = Sidecar::start(&db.url, &fake, &[])?;
    let system = db.system().await?;
    let id = request_codes(&db.url, 1, 1).await?[0];
    let (_, attempts, last_error) = until_job(&system, id, "dead").await?;
    assert_eq!(attempts, 5);
    assert!(last_error.is_some_and(|e| e.contains("503")));
    let (status, _, error_code) = verification(&system, id).await?;
    assert_eq!(
        (status.as_str(), error_code.as_deref()),
        ("failed", Some("provider_unavailable"))
    );

    let listed = db.samia(&["jobs", "list", "--status", "dead"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(
        listed.stdout.contains("phone.send_code") && listed.stdout.contains("503"),
        "{}",
        listed.stdout
    );
    let retried = db.samia(&["jobs", "retry", "--all-dead"]);
    assert_eq!(retried.code, 0, "{retried:?}");
    assert!(retried.stdout.contains("requeued 1"), "{}", retried.stdout);
    until_job(&system, id, "done").await?;
    let not_dead = db.samia(&["jobs", "retry", "999999"]);
    assert_eq!(not_dead.code, 1, "{not_dead:?}");
    Ok(())
}

#[tokio::test]
async fn a_job_of_a_killed_sidecar_completes_after_its_lease() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    // The first call hangs, so the sidecar is killed in the middle of it.
    fake.inject(json!([{"delay_ms": 900, "pass": true}]))?;
    let lease = [("SAMIA_LEASE_MS", "2000")];
    let mut first = Sidecar::start(&db.url, &fake, &lease)?;
    let system = db.system().await?;
    let id = request_codes(&db.url, 1, 1).await?[0];
    until_job(&system, id, "running").await?;
    first.kill();
    let killed_at = Instant::now();

    let _second = Sidecar::start(&db.url, &fake, &lease)?;
    let (_, attempts, _) = until_job(&system, id, "done").await?;
    assert!(
        killed_at.elapsed() >= Duration::from_millis(1000),
        "taken before the lease ran out"
    );
    assert_eq!(attempts, 2);
    assert_eq!(verification(&system, id).await?.0, "sent");
    Ok(())
}

#[tokio::test]
async fn sigterm_finishes_the_job_in_hand_then_exits_zero() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    fake.inject(json!([{"delay_ms": 600, "pass": true}]))?;
    let mut sidecar = Sidecar::start(&db.url, &fake, &[])?;
    let system = db.system().await?;
    let id = request_codes(&db.url, 1, 1).await?[0];
    until_job(&system, id, "running").await?;
    let code = sidecar.terminate(Duration::from_secs(5))?;
    assert_eq!(code, 0);
    let (status, attempts, _) = job_state(&system, id).await?;
    assert_eq!((status.as_str(), attempts), ("done", 1));
    Ok(())
}

#[tokio::test]
async fn two_sidecars_share_one_queue_and_send_each_code_once() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    const N: usize = 40;
    fake.inject(json!(vec![json!({"delay_ms": 40, "pass": true}); N]))?;
    let a = Sidecar::start(&db.url, &fake, &[("SAMIA_WORKER_ID", "a")])?;
    let b = Sidecar::start(&db.url, &fake, &[("SAMIA_WORKER_ID", "b")])?;
    let system = db.system().await?;
    let ids = request_codes(&db.url, 1, N).await?;
    for id in &ids {
        until_job(&system, *id, "done").await?;
    }
    let sends = fake
        .requests()?
        .iter()
        .filter(|r| r["op"] == "send")
        .count();
    assert_eq!(sends, N, "a code was sent twice or not at all");
    let claimed = |s: &Sidecar| -> anyhow::Result<u64> {
        let (_, text) = s.get("/metrics")?;
        Ok(text
            .lines()
            .find(|l| l.starts_with("samia_jobs_claimed_total{kind=\"phone.send_code\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    };
    let (ca, cb) = (claimed(&a)?, claimed(&b)?);
    assert_eq!(ca + cb, N as u64);
    assert!(
        ca > 0 && cb > 0,
        "one sidecar did all the work: {ca} / {cb}"
    );
    Ok(())
}

#[tokio::test]
async fn the_sidecar_survives_a_database_restart() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    let url = cluster.migrated().await?;
    let fake = FakeTwilio::start()?;
    let sidecar = Sidecar::start(&url, &fake, &[("SAMIA_LEASE_MS", "8000")])?;
    assert_eq!(sidecar.get("/healthz")?.0, 200);

    // A job in the middle of its provider call (shorter than the 1 s
    // provider timeout) when the database goes away.
    fake.inject(json!([{"delay_ms": 800, "pass": true}]))?;
    let first = request_codes(&url, 1, 1).await?[0];
    {
        let system = connect(&url).await?;
        until_job(&system, first, "running").await?;
    }
    cluster.down()?;
    eventually(WAIT, "/healthz to report the outage", || async {
        Ok((sidecar.get("/healthz")?.0 == 503).then_some(()))
    })
    .await?;
    cluster.up()?;
    eventually(WAIT, "/healthz to recover", || async {
        Ok((sidecar.get("/healthz")?.0 == 200).then_some(()))
    })
    .await?;
    let system = connect(&url).await?;
    let (_, attempts, _) = until_job(&system, first, "done").await?;
    assert_eq!(
        attempts, 1,
        "the result was recorded after the restart, not redone"
    );

    // New work after the restart is picked up promptly.
    let second = request_codes(&url, 2, 1).await?[0];
    until_job(&system, second, "done").await?;
    assert_eq!(verification(&system, second).await?.0, "sent");
    Ok(())
}

/// `samia jobs cancel` ends a queued send for good and cancels its
/// verification; a finished job cannot be cancelled.
#[tokio::test]
async fn an_operator_cancels_a_queued_send() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let ids = request_codes(&db.url, 900, 1).await?;
    let client = db.system().await?;
    let job: i64 = client
        .query_one(
            "select id from ops.jobs where (payload ->> 'verification_id')::bigint = $1",
            &[&ids[0]],
        )
        .await?
        .get(0);
    let out = db.samia(&[
        "jobs",
        "cancel",
        &job.to_string(),
        "--reason",
        "number reported as wrong",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        job_state(&client, ids[0]).await?,
        (
            "cancelled".into(),
            0,
            Some("number reported as wrong".into())
        )
    );
    assert_eq!(verification(&client, ids[0]).await?.0, "canceled");
    let listed = db.samia(&["jobs", "list", "--status", "cancelled", "--json"]);
    let jobs: serde_json::Value = serde_json::from_str(&listed.stdout)?;
    assert_eq!(jobs.as_array().map(Vec::len), Some(1), "{}", listed.stdout);
    // Already cancelled: refused, named.
    let again = db.samia(&["jobs", "cancel", &job.to_string()]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains(&job.to_string()), "{}", again.stderr);
    Ok(())
}

/// `samia run` seals new audit rows shortly after they commit, and the chain
/// verifies.
#[tokio::test]
async fn the_daemon_seals_new_audit_rows() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let fake = FakeTwilio::start()?;
    let _sidecar = Sidecar::start(&db.url, &fake, &[("SAMIA_SEAL_MS", "200")])?;
    request_codes(&db.url, 500, 3).await?;
    let system = db.system().await?;
    eventually(WAIT, "every audit row sealed", || async {
        let row = system
            .query_one(
                "select (select count(*) from public.audit_log), (select count(*) from ops.audit_seals)",
                &[],
            )
            .await?;
        let (rows, seals): (i64, i64) = (row.get(0), row.get(1));
        Ok((rows > 0 && rows == seals).then_some(()))
    })
    .await?;
    let verify = db.samia(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    Ok(())
}
