//! The owner's runbooks from the original spec, run unmodified with Python and
//! psycopg2 (`DB_DSN` set, as the spec says) against a migrated database:
//! `health.py`, `seed_services.py` and `audit_sweep.py` (section 13) and
//! `migrate.py audit` (section 6). `tests/runbooks/` holds them byte for byte
//! as the spec's code blocks, and the first test checks that they still are.
//!
//! Python is `.local/venv/bin/python`: created when missing, with
//! psycopg2-binary from PyPI, as `scripts/astro-oracle.py` does for pyswisseph.
//! The original spec is `../shared/spec/original-spec.md` beside the project
//! root, or the file `SAMIA_SPEC` names.

use samia_tests::{fixture, one_text, Output, TestDb};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use tokio_postgres::Client;

const RUNBOOKS: [&str; 4] = [
    "migrate.py",
    "health.py",
    "seed_services.py",
    "audit_sweep.py",
];
const PSYCOPG2: &str = "psycopg2-binary==2.9.13";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec_path() -> PathBuf {
    std::env::var_os("SAMIA_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/spec/original-spec.md"))
}

/// The spec's Python code blocks, keyed by the file name on their first line
/// (`# health.py`), each exactly as written between its fences.
fn spec_blocks(spec: &str) -> BTreeMap<String, String> {
    let mut blocks = BTreeMap::new();
    let mut lines = spec.split('\n');
    while let Some(line) = lines.next() {
        if line.trim_end() != "```python" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let name = body
            .first()
            .and_then(|l| l.strip_prefix("# "))
            .and_then(|l| l.split_whitespace().next())
            .filter(|n| n.ends_with(".py"));
        if let Some(name) = name {
            blocks.insert(name.to_string(), body.join("\n") + "\n");
        }
    }
    blocks
}

fn checked(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run it: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The venv's python, with psycopg2 importable.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = root().join(".local/venv");
        let python = venv.join("bin/python");
        if !python.exists() {
            checked(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv .local/venv (needs python3 with the venv module)",
            );
        }
        let probe = Command::new(&python)
            .args(["-c", "import psycopg2"])
            .output()
            .expect("the venv's python runs");
        if !probe.status.success() {
            checked(
                Command::new(&python).args(["-m", "pip", "install", "-q", PSYCOPG2]),
                "pip install psycopg2-binary into .local/venv (needs PyPI)",
            );
        }
        python
    })
}

/// Runs one runbook with `DB_DSN` naming `db` (and no `DATABASE_URL`).
fn runbook(db: &TestDb, name: &str, args: &[&str]) -> Output {
    let out = Command::new(python())
        .arg(root().join("tests/runbooks").join(name))
        .args(args)
        .env("DB_DSN", &db.url)
        .env_remove("DATABASE_URL")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A migrated database with the permission-matrix fixture: rows in every table.
async fn with_fixture() -> anyhow::Result<(TestDb, samia_tests::Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(fixture::SQL).await?;
    Ok((db, client))
}

async fn count(client: &Client, sql: &str) -> anyhow::Result<i64> {
    Ok(client.query_one(sql, &[]).await?.get(0))
}

#[test]
fn the_runbooks_are_the_spec_s_code_blocks_byte_for_byte() {
    let path = spec_path();
    let spec = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the original spec is not at {} ({e}): set SAMIA_SPEC to its path",
            path.display()
        )
    });
    let blocks = spec_blocks(&spec);
    for name in RUNBOOKS {
        let block = blocks
            .get(name)
            .unwrap_or_else(|| panic!("no ```python block starting `# {name}` in the spec"));
        let copy = std::fs::read_to_string(root().join("tests/runbooks").join(name))
            .unwrap_or_else(|e| panic!("tests/runbooks/{name}: {e}"));
        assert_eq!(
            &copy, block,
            "tests/runbooks/{name} differs from the spec's block: copy it from the spec unchanged"
        );
    }
}

#[tokio::test]
async fn health_py_prints_the_connection_and_the_profile_count() -> anyhow::Result<()> {
    let (db, client) = with_fixture().await?;
    let profiles = count(&client, "select count(*) from public.profiles").await?;
    assert!(profiles > 0, "the fixture has profiles");

    let out = runbook(&db, "health.py", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(
        lines[0].starts_with("(datetime.datetime(")
            && lines[0].ends_with(&format!(", 'postgres', '{}')", db.name)),
        "{out:?}"
    );
    assert_eq!(lines[1], format!("profiles: {profiles}"), "{out:?}");
    Ok(())
}

#[tokio::test]
async fn migrate_py_audit_lists_the_public_tables_and_counts_orders_and_moderation(
) -> anyhow::Result<()> {
    let (db, client) = with_fixture().await?;
    let tables: Vec<String> = client
        .query(
            "select table_name::text from information_schema.tables
              where table_schema = 'public' order by 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| format!("'{}'", r.get::<_, String>(0)))
        .collect();
    assert!(tables.contains(&"'orders'".to_string()), "{tables:?}");
    let orders = count(&client, "select count(*) from public.orders").await?;
    let moderation = count(&client, "select count(*) from public.moderation_actions").await?;
    assert!(
        orders > 0 && moderation > 0,
        "the fixture has orders and moderation"
    );

    let out = runbook(&db, "migrate.py", &["audit"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "Public tables: [{}]\nOrders count: {orders}\nModeration actions: {moderation}\n",
            tables.join(", ")
        ),
        "{out:?}"
    );
    // `audit` only reads: the runbook's own history table is made by `up` alone.
    assert_eq!(
        one_text(&client, "select to_regclass('public._migrations')::text").await?,
        None
    );
    Ok(())
}

/// The services as the contract names them, in the seeds' order.
async fn services(client: &Client) -> anyhow::Result<Vec<String>> {
    Ok(client
        .query(
            "select format('%s|%s|%s|%s|%s|%s', code, name, is_premium::text, base_price, delivery, is_active::text)
               from public.services order by id",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

#[tokio::test]
async fn seed_services_py_keeps_the_seeded_services_and_restores_missing_ones() -> anyhow::Result<()>
{
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    let seeded = services(&client).await?;

    // On the migrated database every one of its services exists already.
    let out = runbook(&db, "seed_services.py", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(services(&client).await?, seeded);

    // A database that lost two of them gets them back, each with its delivery.
    client
        .batch_execute("delete from public.services where code in ('coffee', 'healing')")
        .await?;
    let out = runbook(&db, "seed_services.py", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut after = services(&client).await?;
    after.sort();
    assert!(
        after.contains(&"coffee|Coffee Cup Reading|false|0.00|audio|true".to_string())
            && after.contains(&"healing|Healing Energy (Call)|true|0.00|call|true".to_string()),
        "{after:?}"
    );
    let mut expected = seeded.clone();
    expected.sort();
    assert_eq!(after, expected, "the same services as the migrations seed");

    // Run again, it changes nothing.
    let out = runbook(&db, "seed_services.py", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut again = services(&client).await?;
    again.sort();
    assert_eq!(again, expected);
    Ok(())
}

#[tokio::test]
async fn audit_sweep_py_reports_its_three_checks() -> anyhow::Result<()> {
    let (db, client) = with_fixture().await?;
    // The runbook's own queries (the spec's `media_orphans` also counts input
    // media and horoscope audio: `samia qa` is the corrected sweep).
    let without_role = count(
        &client,
        "select count(*) from profiles where role_id is null",
    )
    .await?;
    let without_service = count(
        &client,
        "select count(*) from orders o left join services s on s.id=o.service_id where s.id is null",
    )
    .await?;
    let orphans = count(
        &client,
        "select count(*) from media_assets m left join orders o on m.id=o.output_media_id where o.id is null",
    )
    .await?;
    assert!(orphans > 0, "the fixture has input media");

    let out = runbook(&db, "audit_sweep.py", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "profiles_without_role {without_role}\norders_without_service {without_service}\nmedia_orphans {orphans}\n"
        ),
        "{out:?}"
    );
    Ok(())
}
