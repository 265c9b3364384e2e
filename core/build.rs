//! Embeds every `sql/migrations/V<n>__<name>.sql` file, in version order, so the
//! sidecar's runner, the extension's `#[pg_test]`s and the integration tests
//! all apply the very same files.

use std::{env, fs, path::PathBuf};

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../sql/migrations");
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut found: Vec<(u32, String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(&dir).expect("sql/migrations must exist") {
        let path = entry.expect("readable directory entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let Some((version, _name)) = stem.strip_prefix('V').and_then(|s| s.split_once("__")) else {
            panic!("migration file {file} must be named V<version>__<name>.sql");
        };
        let version: u32 = version
            .parse()
            .unwrap_or_else(|_| panic!("migration file {file}: version {version} is not a number"));
        found.push((
            version,
            stem.to_string(),
            path.canonicalize().expect("canonical path"),
        ));
    }
    found.sort();
    for pair in found.windows(2) {
        assert!(
            pair[0].0 != pair[1].0,
            "two migrations share version {}",
            pair[0].0
        );
    }

    let mut out = String::from("/// Every migration, in version order: (file stem, SQL).\npub const MIGRATIONS: &[(&str, &str)] = &[\n");
    for (_, stem, path) in &found {
        out.push_str(&format!(
            "    ({stem:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    fs::write(dest, out).expect("write migrations.rs");
}
