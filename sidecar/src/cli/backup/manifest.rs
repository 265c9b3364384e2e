//! The manifest written next to an archive as `FILE.manifest.json`, and the
//! catalog facts it records (read at backup, compared at restore).

use crate::db::Query as _;
use crate::error::CliError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokio_postgres::GenericClient;

pub const FORMAT: &str = "samia-backup";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always `samia-backup`.
    pub format: String,
    pub format_version: u32,
    /// When the snapshot was taken (UTC, RFC 3339).
    pub created_at: String,
    /// The `samia` binary that wrote it.
    pub samia_version: String,
    pub server_version: String,
    pub database: String,
    /// `postgres` (the migrations' shim schemas auth and storage are in the
    /// archive) or `supabase` (GoTrue and Storage own them: not in it).
    pub deployment: String,
    /// The schemas dumped.
    pub schemas: Vec<String>,
    pub extension: Extension,
    /// `ops.schema_migrations` at the snapshot, by version.
    pub migrations: Vec<AppliedMigration>,
    /// Exact rows per table of the dumped schemas, at the snapshot.
    pub row_counts: BTreeMap<String, i64>,
    /// Roles the archive names (owners, grantees, policy roles): the target
    /// server must have them, since pg_dump does not carry roles.
    pub roles: Vec<String>,
    /// Roles owning the archive's objects (a restoring role that is not a
    /// superuser must be able to become each of them).
    pub owners: Vec<String>,
    pub objects: Objects,
    pub archive: Archive,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Extension {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i32,
    pub name: String,
    pub checksum: String,
}

/// Triggers, policies and tables under row-level security, as
/// `schema.table[.name]`: what a restore must bring back.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Objects {
    pub triggers: Vec<String>,
    pub policies: Vec<String>,
    pub rls_tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Archive {
    /// The archive's file name (the manifest sits next to it).
    pub file: String,
    /// `custom` (pg_dump -Fc).
    pub format: String,
    pub bytes: u64,
    pub sha256: String,
    /// `pg_dump --version` of the program that wrote it.
    pub pg_dump: String,
}

/// `FILE.manifest.json` for the archive `FILE`.
pub fn path_for(archive: &Path) -> PathBuf {
    let mut name = archive.as_os_str().to_os_string();
    name.push(".manifest.json");
    PathBuf::from(name)
}

pub fn read(archive: &Path) -> Result<Manifest, CliError> {
    let path = path_for(archive);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::Config(format!(
            "cannot read the manifest {}: {e} (samia backup writes it next to the archive)",
            path.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        CliError::Refused(format!(
            "{} is not a samia backup manifest: {e}",
            path.display()
        ))
    })?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(CliError::Refused(format!(
            "{} is a {} manifest of version {}; this samia reads {FORMAT} version {FORMAT_VERSION}",
            path.display(),
            manifest.format,
            manifest.format_version
        )));
    }
    Ok(manifest)
}

/// Size and sha256 of a file, read in 1 MiB blocks.
pub fn digest(path: &Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 1 << 20];
    let mut bytes = 0_u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((bytes, hex))
}

/// Tables (`relkind` r or p) of `schemas` that do not belong to an extension.
pub async fn tables(
    client: &impl GenericClient,
    schemas: &[String],
) -> Result<Vec<String>, CliError> {
    strings(
        client,
        "listing tables",
        "select format('%I.%I', n.nspname, c.relname)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p') and n.nspname::text = any($1)
            and not exists (select from pg_depend d
                             where d.classid = 'pg_class'::regclass and d.objid = c.oid
                               and d.deptype = 'e')
          order by 1",
        schemas,
    )
    .await
}

/// Exact row counts of `tables` (names quoted by the catalog's `format('%I')`).
pub async fn row_counts(
    client: &impl GenericClient,
    tables: &[String],
) -> Result<BTreeMap<String, i64>, CliError> {
    let mut counts = BTreeMap::new();
    for table in tables {
        let n: i64 = client
            .fetch_one(&format!("select count(*) from {table}"), &[])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|e| CliError::db(format!("counting {table}"), e))?;
        counts.insert(table.clone(), n);
    }
    Ok(counts)
}

/// The triggers, policies and row-level-security tables of `schemas`.
pub async fn objects(client: &impl GenericClient, schemas: &[String]) -> Result<Objects, CliError> {
    Ok(Objects {
        triggers: strings(
            client,
            "listing triggers",
            "select format('%I.%I.%I', n.nspname, c.relname, t.tgname)
               from pg_trigger t
               join pg_class c on c.oid = t.tgrelid
               join pg_namespace n on n.oid = c.relnamespace
              where not t.tgisinternal and n.nspname::text = any($1)
              order by 1",
            schemas,
        )
        .await?,
        policies: strings(
            client,
            "listing policies",
            "select format('%I.%I.%I', n.nspname, c.relname, p.polname)
               from pg_policy p
               join pg_class c on c.oid = p.polrelid
               join pg_namespace n on n.oid = c.relnamespace
              where n.nspname::text = any($1)
              order by 1",
            schemas,
        )
        .await?,
        rls_tables: strings(
            client,
            "listing tables under row-level security",
            "select format('%I.%I', n.nspname, c.relname)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relrowsecurity and n.nspname::text = any($1)
              order by 1",
            schemas,
        )
        .await?,
    })
}

/// Triggers of `schemas` that are disabled (`tgenabled = 'D'`).
pub async fn disabled_triggers(
    client: &impl GenericClient,
    schemas: &[String],
) -> Result<Vec<String>, CliError> {
    strings(
        client,
        "listing disabled triggers",
        "select format('%I.%I.%I', n.nspname, c.relname, t.tgname)
           from pg_trigger t
           join pg_class c on c.oid = t.tgrelid
           join pg_namespace n on n.oid = c.relnamespace
          where not t.tgisinternal and t.tgenabled = 'D' and n.nspname::text = any($1)
          order by 1",
        schemas,
    )
    .await
}

/// The roles named by objects of `schemas` (owners, grantees of their
/// privileges, roles of their policies) and, apart, the owners. Built-in
/// `pg_*` roles and objects of extensions (the extension creates those
/// itself) are left out. The schema `samia` belongs to the extension's
/// creation and is left out of the owners.
pub async fn roles(
    client: &impl GenericClient,
    schemas: &[String],
) -> Result<(Vec<String>, Vec<String>), CliError> {
    const OBJECTS: &str = "
        with s as (select oid, nspname from pg_namespace where nspname::text = any($1)),
        member as (select objid from pg_depend where deptype = 'e'),
        o(owner, acl, is_samia_schema) as (
          select nspowner, nspacl, nspname = 'samia' from pg_namespace
           where oid in (select oid from s)
          union all
          select relowner, relacl, false from pg_class
           where relnamespace in (select oid from s) and oid not in (select objid from member)
          union all
          select c.relowner, a.attacl, false from pg_attribute a join pg_class c on c.oid = a.attrelid
           where c.relnamespace in (select oid from s) and a.attacl is not null
          union all
          select proowner, proacl, false from pg_proc
           where pronamespace in (select oid from s) and oid not in (select objid from member)
          union all
          select null::oid, proacl, false from pg_proc
           where pronamespace in (select oid from s) and oid in (select objid from member)
          union all
          select typowner, typacl, false from pg_type
           where typnamespace in (select oid from s) and oid not in (select objid from member)
             -- the array type of an extension's type comes with the extension
             and oid not in (select typarray from pg_type where oid in (select objid from member))
          union all
          select defaclrole, defaclacl, false from pg_default_acl
           where defaclnamespace in (select oid from s)
        )";
    let all = strings(
        client,
        "listing the roles of the archive",
        &format!(
            "{OBJECTS},
             ids as (
               select owner as id from o where owner is not null
               union select (aclexplode(acl)).grantee from o where acl is not null
               union select unnest(p.polroles) from pg_policy p
                       join pg_class c on c.oid = p.polrelid
                      where c.relnamespace in (select oid from s)
             )
             select rolname::text from pg_roles
              where oid in (select id from ids) and rolname !~ '^pg_'
              order by 1"
        ),
        schemas,
    )
    .await?;
    let owners = strings(
        client,
        "listing the owners of the archive",
        &format!(
            "{OBJECTS}
             select rolname::text from pg_roles
              where oid in (select owner from o where not is_samia_schema)
                and rolname !~ '^pg_'
              order by 1"
        ),
        schemas,
    )
    .await?;
    Ok((all, owners))
}

async fn strings(
    client: &impl GenericClient,
    context: &str,
    sql: &str,
    schemas: &[String],
) -> Result<Vec<String>, CliError> {
    client
        .fetch_all(sql, &[&schemas])
        .await
        .map_err(|e| CliError::db(context, e))?
        .iter()
        .map(|row| row.try_get(0).map_err(|e| CliError::db(context, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_sits_next_to_the_archive() {
        assert_eq!(
            path_for(Path::new("/backups/samia.dump")),
            PathBuf::from("/backups/samia.dump.manifest.json")
        );
    }

    #[test]
    fn digest_gives_size_and_sha256() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("x");
        std::fs::write(&file, b"abc").expect("written");
        let (bytes, sha) = digest(&file).expect("readable");
        assert_eq!(bytes, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
