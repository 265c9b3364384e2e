//! Backups and restores: `samia backup` and `samia restore` round trips,
//! refusals, and what a restored database still enforces.

use samia_tests::fixture::{self, OWNER};
use samia_tests::postgrest::{request, Caller};
use samia_tests::{run_samia, Output, Session, TestDb};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio_postgres::Client;

/// A migrated database with the permission-matrix fixture in it.
async fn source() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

fn backup(db: &TestDb, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["backup", "--out", out.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    db.samia(&args)
}

fn manifest_of(out: &Path) -> anyhow::Result<serde_json::Value> {
    let mut name = out.as_os_str().to_os_string();
    name.push(".manifest.json");
    Ok(serde_json::from_str(&std::fs::read_to_string(
        PathBuf::from(name),
    )?)?)
}

/// Exact rows of every table of the product's schemas.
async fn row_counts(client: &Client) -> anyhow::Result<Vec<(String, i64)>> {
    let tables: Vec<String> = client
        .query(
            "select format('%I.%I', n.nspname, c.relname)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p')
                and n.nspname in ('public', 'ops', 'auth', 'storage', 'samia')
              order by 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut counts = Vec::new();
    for t in tables {
        let n: i64 = client
            .query_one(&format!("select count(*) from {t}"), &[])
            .await?
            .get(0);
        counts.push((t, n));
    }
    Ok(counts)
}

/// `SEQ:HASH` from `samia audit verify`'s "head SEQ:HASH".
fn head_of(verify: &Output) -> String {
    verify
        .stdout
        .split("head ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no head in {verify:?}"))
        .to_string()
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_with_its_rules() -> anyhow::Result<()> {
    let (src, mut src_client) = source().await?;
    let seal = src.samia(&["audit", "seal"]);
    assert_eq!(seal.code, 0, "{seal:?}");
    let verify = src.samia(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    let head = head_of(&verify);
    assert!(!head.starts_with("0:"), "nothing sealed: {verify:?}");

    let dir = tempfile::tempdir()?;
    let out = dir.path().join("samia.dump");
    let made = backup(&src, &out, &[]);
    assert_eq!(made.code, 0, "{made:?}");
    assert!(made.stderr.contains("snapshot"), "{}", made.stderr);
    let manifest = manifest_of(&out)?;
    assert_eq!(
        manifest["schemas"],
        serde_json::json!(["public", "ops", "samia", "auth", "storage"])
    );

    let status = src.samia(&["migrate", "status"]);
    assert_eq!(status.code, 0, "{status:?}");
    let last = status
        .stdout
        .lines()
        .find(|l| l.starts_with("last backup"))
        .unwrap_or_else(|| panic!("no last backup in {}", status.stdout));
    assert!(
        last.contains(out.to_str().expect("utf-8"))
            && last.contains(&manifest["archive"]["sha256"].as_str().expect("sha")[..12]),
        "{last}"
    );

    let dst = TestDb::empty().await?;
    let restored = dst.samia(&["restore", out.to_str().expect("utf-8")]);
    assert_eq!(restored.code, 0, "{restored:?}");
    assert!(
        restored.stdout.contains("restore verified"),
        "{}",
        restored.stdout
    );

    // Every table holds what the source held; the source's ops.backups has
    // one row more, the backup itself, recorded after its snapshot.
    let mut dst_client = dst.system().await?;
    let theirs = row_counts(&src_client).await?;
    let ours = row_counts(&dst_client).await?;
    assert_eq!(
        theirs.iter().map(|(t, _)| t).collect::<Vec<_>>(),
        ours.iter().map(|(t, _)| t).collect::<Vec<_>>()
    );
    for ((table, n), (_, m)) in theirs.iter().zip(&ours) {
        let expected = if table == "ops.backups" { n - 1 } else { *n };
        assert_eq!(*m, expected, "{table}");
    }
    assert!(ours.iter().any(|(t, n)| t == "public.audit_log" && *n > 0));

    // The chain verifies on the copy, at the source's head.
    let copy = dst.samia(&["audit", "verify", "--anchor", &head]);
    assert_eq!(copy.code, 0, "{copy:?}");
    assert!(copy.stdout.contains(&head), "{}", copy.stdout);

    // The extension, its triggers and the policies came back and work.
    let policy: i64 = dst_client
        .query_one(
            "select count(*) from pg_policies where schemaname = 'public' and tablename = 'orders'",
            &[],
        )
        .await?
        .get(0);
    assert!(policy > 0, "no policy on public.orders");
    let own_src = request(
        &mut src_client,
        Caller::User(OWNER),
        "select count(*) from public.orders",
    )
    .await?[0]
        .get::<_, i64>(0);
    let own_dst = request(
        &mut dst_client,
        Caller::User(OWNER),
        "select count(*) from public.orders",
    )
    .await?[0]
        .get::<_, i64>(0);
    let all: i64 = dst_client
        .query_one("select count(*) from public.orders", &[])
        .await?
        .get(0);
    assert_eq!(own_dst, own_src);
    assert!(own_dst < all, "the client sees every order: RLS is off");
    let forged = dst_client
        .batch_execute(
            "insert into public.audit_log (actor, actor_role, event, entity, entity_id)
               values (null, 'system', 'forged', 'orders', '1')",
        )
        .await
        .expect_err("a forged audit row went in");
    assert_eq!(forged.code().map(|c| c.code()), Some("42501"), "{forged:?}");
    let health = dst.samia(&["health"]);
    assert_eq!(health.code, 0, "{health:?}");
    Ok(())
}

#[tokio::test]
async fn a_changed_archive_is_refused() -> anyhow::Result<()> {
    let src = TestDb::migrated().await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("samia.dump");
    let made = backup(&src, &out, &[]);
    assert_eq!(made.code, 0, "{made:?}");
    let mut bytes = std::fs::read(&out)?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&out, &bytes)?;

    let dst = TestDb::empty().await?;
    let refused = dst.samia(&["restore", out.to_str().expect("utf-8")]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("sha256"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("panicked"), "{}", refused.stderr);
    let client = dst.system().await?;
    let touched: bool = client
        .query_one("select to_regclass('public.orders') is not null", &[])
        .await?
        .get(0);
    assert!(!touched, "a refused restore wrote to the target");
    Ok(())
}

#[tokio::test]
async fn a_restore_never_goes_over_a_database_with_the_product() -> anyhow::Result<()> {
    let src = TestDb::migrated().await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("samia.dump");
    assert_eq!(backup(&src, &out, &[]).code, 0);
    // A second backup to the same file is refused, the first one kept.
    let again = backup(&src, &out, &[]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);

    let live = TestDb::migrated().await?;
    let refused = live.samia(&["restore", out.to_str().expect("utf-8")]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("not empty") && refused.stderr.contains("public.orders"),
        "{}",
        refused.stderr
    );
    Ok(())
}

#[tokio::test]
async fn json_reports_parse_and_match_the_files() -> anyhow::Result<()> {
    let (src, _client) = source().await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("samia.dump");
    let made = backup(&src, &out, &["--json"]);
    assert_eq!(made.code, 0, "{made:?}");
    let report: serde_json::Value = serde_json::from_str(&made.stdout)?;
    let archive = std::fs::read(&out)?;
    let sha: String = Sha256::digest(&archive)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(report["manifest"]["archive"]["sha256"], sha.as_str());
    assert_eq!(report["manifest"]["archive"]["bytes"], archive.len());
    assert_eq!(report["manifest"], manifest_of(&out)?);
    assert!(report["backup_id"].as_i64().is_some(), "{report}");
    let migrations = report["manifest"]["migrations"]
        .as_array()
        .expect("migrations");
    assert_eq!(migrations.len(), samia_core::migrations::MIGRATIONS.len());
    assert!(migrations[0]["checksum"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    assert!(
        report["manifest"]["row_counts"]["public.profiles"]
            .as_i64()
            .is_some_and(|n| n > 0),
        "{report}"
    );
    assert!(!made.stdout.contains("password"));

    let dst = TestDb::empty().await?;
    let restored = dst.samia(&["restore", "--json", out.to_str().expect("utf-8")]);
    assert_eq!(restored.code, 0, "{restored:?}");
    let report: serde_json::Value = serde_json::from_str(&restored.stdout)?;
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["differences"], serde_json::json!([]));
    assert_eq!(report["extension"], env!("CARGO_PKG_VERSION"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_written_during_a_backup_are_all_in_it_or_all_out() -> anyhow::Result<()> {
    let src = TestDb::migrated().await?;
    let writer = src.system().await?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let writing = tokio::spawn(async move {
        let mut n = 0_u64;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            writer
                .execute(
                    "insert into ops.backfills (name) values ($1)",
                    &[&format!("load-{n}")],
                )
                .await?;
            n += 1;
        }
        anyhow::Ok(n)
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("samia.dump");
    let made = backup(&src, &out, &[]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writing.await??;
    assert_eq!(made.code, 0, "{made:?}");
    let in_backup = manifest_of(&out)?["row_counts"]["ops.backfills"]
        .as_i64()
        .expect("counted");
    assert!(
        in_backup > 0 && (in_backup as u64) < written,
        "{in_backup} of {written}"
    );

    let dst = TestDb::empty().await?;
    let restored = dst.samia(&["restore", out.to_str().expect("utf-8")]);
    assert_eq!(restored.code, 0, "{restored:?}");
    let n: i64 = dst
        .system()
        .await?
        .query_one("select count(*) from ops.backfills", &[])
        .await?
        .get(0);
    assert_eq!(n, in_backup);
    Ok(())
}

/// A login role that is not a superuser, owning database `db`.
async fn owner_of(db: &TestDb, role: &str) -> anyhow::Result<String> {
    let client = db.system().await?;
    client
        .batch_execute(&format!(
            "do $$ begin
               if not exists (select from pg_roles where rolname = '{role}') then
                 create role {role} login;
               end if;
             end $$;
             alter database {db} owner to {role};",
            db = db.name
        ))
        .await?;
    Ok(format!("{} user={role}", db.url))
}

#[tokio::test]
async fn a_role_that_is_not_a_superuser_restores_once_the_extension_exists() -> anyhow::Result<()> {
    let role = format!("restorer_{}", std::process::id());
    // As on Supabase: a superuser creates the extension, the owner migrates.
    let src = TestDb::empty().await?;
    let src_url = owner_of(&src, &role).await?;
    let dst = TestDb::empty().await?;
    let dst_url = owner_of(&dst, &role).await?;

    let dir = tempfile::tempdir()?;
    let early = dir.path().join("early.dump");
    let bare = TestDb::migrated().await?;
    assert_eq!(backup(&bare, &early, &[]).code, 0);
    let refused = run_samia(&["restore", early.to_str().expect("utf-8")], Some(&dst_url));
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("not a superuser")
            && refused.stderr.contains("create extension samia"),
        "{}",
        refused.stderr
    );

    for db in [&src, &dst] {
        db.system()
            .await?
            .batch_execute(&format!(
                "create extension samia; alter schema samia owner to {role}"
            ))
            .await?;
    }
    let migrated = run_samia(&["migrate", "up"], Some(&src_url));
    assert_eq!(migrated.code, 0, "{migrated:?}");
    let src_client = src.system().await?;
    src_client.batch_execute(fixture::SQL).await?;
    let out = dir.path().join("samia.dump");
    let made = run_samia(
        &["backup", "--out", out.to_str().expect("utf-8")],
        Some(&src_url),
    );
    assert_eq!(made.code, 0, "{made:?}");

    let restored = run_samia(&["restore", out.to_str().expect("utf-8")], Some(&dst_url));
    assert_eq!(restored.code, 0, "{restored:?}");
    // The records the extension wrote load without disabling its triggers,
    // and the triggers are there afterwards, enabled.
    let dst_client = dst.system().await?;
    let records = "select (select count(*) from public.audit_log)
                        + (select count(*) from public.moderation_actions)";
    let theirs: i64 = src_client.query_one(records, &[]).await?.get(0);
    let ours: i64 = dst_client.query_one(records, &[]).await?.get(0);
    assert!(theirs > 0);
    assert_eq!(ours, theirs);
    let guards: i64 = dst_client
        .query_one(
            "select count(*) from pg_trigger
              where tgname = 'records_written_by_extension' and tgenabled = 'O'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(guards, 2);
    Ok(())
}
