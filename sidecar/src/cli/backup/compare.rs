//! A restored database compared with the manifest of its backup: rows of
//! every table, the migration history, the extension's version, triggers
//! (and that none is disabled), policies and tables under row-level security.

use super::manifest::{self, Manifest};
use crate::db::Query as _;
use crate::error::CliError;
use std::collections::BTreeSet;
use tokio_postgres::Client;

/// The restored database compared with the manifest.
pub struct Report {
    pub tables: usize,
    pub rows: i64,
    pub migrations: usize,
    pub extension: Option<String>,
    pub triggers: usize,
    pub policies: usize,
    pub differences: Vec<String>,
}

pub async fn verify(client: &Client, manifest: &Manifest) -> Result<Report, CliError> {
    let mut differences = Vec::new();
    let tables = manifest::tables(client, &manifest.schemas).await?;
    let counts = manifest::row_counts(client, &tables).await?;
    for (table, expected) in &manifest.row_counts {
        match counts.get(table) {
            Some(n) if n == expected => {}
            Some(n) => differences.push(format!("{table}: {n} rows, the backup had {expected}")),
            None => differences.push(format!("{table}: missing")),
        }
    }
    for table in counts.keys() {
        if !manifest.row_counts.contains_key(table) {
            differences.push(format!("{table}: not in the backup"));
        }
    }

    let applied = super::applied_migrations(client).await?;
    if applied != manifest.migrations {
        let label = |m: &manifest::AppliedMigration| format!("V{}__{}", m.version, m.name);
        let theirs: BTreeSet<String> = manifest.migrations.iter().map(label).collect();
        let ours: BTreeSet<String> = applied.iter().map(label).collect();
        let mut said = false;
        for m in theirs.difference(&ours) {
            differences.push(format!("migration {m}: in the backup, not applied here"));
            said = true;
        }
        for m in ours.difference(&theirs) {
            differences.push(format!("migration {m}: applied here, not in the backup"));
            said = true;
        }
        if !said {
            differences.push("migration history: checksums differ from the backup's".into());
        }
    }

    let extension: Option<String> = client
        .fetch_opt(
            "select extversion from pg_extension where extname = 'samia'",
            &[],
        )
        .await
        .map_err(|e| CliError::db("reading the extension version", e))?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(|e| CliError::db("reading the extension version", e))?;
    if extension.as_deref() != Some(manifest.extension.version.as_str()) {
        differences.push(format!(
            "extension samia: {}, the backup had {}",
            extension.as_deref().unwrap_or("not created"),
            manifest.extension.version
        ));
    }

    let objects = manifest::objects(client, &manifest.schemas).await?;
    for (kind, expected, found) in [
        ("trigger", &manifest.objects.triggers, &objects.triggers),
        ("policy", &manifest.objects.policies, &objects.policies),
        (
            "row-level security on",
            &manifest.objects.rls_tables,
            &objects.rls_tables,
        ),
    ] {
        let expected: BTreeSet<&String> = expected.iter().collect();
        let found: BTreeSet<&String> = found.iter().collect();
        for name in expected.difference(&found) {
            differences.push(format!("{kind} {name}: missing"));
        }
        for name in found.difference(&expected) {
            differences.push(format!("{kind} {name}: not in the backup"));
        }
    }
    for name in manifest::disabled_triggers(client, &manifest.schemas).await? {
        differences.push(format!("trigger {name}: disabled"));
    }
    Ok(Report {
        tables: counts.len(),
        rows: counts.values().sum(),
        migrations: applied.len(),
        extension,
        triggers: objects.triggers.len(),
        policies: objects.policies.len(),
        differences,
    })
}
