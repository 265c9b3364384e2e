//! The SQL migrations of `sql/migrations`, embedded at build time.
//!
//! Files are named `V<version>__<name>.sql` and applied in version order.
//! The sidecar's `samia migrate` records them; tests apply them directly.

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The version number of a migration stem such as `V3__core_tables`.
pub fn version_of(stem: &str) -> Option<u32> {
    stem.strip_prefix('V')?.split_once("__")?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        assert!(!MIGRATIONS.is_empty());
        for (i, (stem, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(version_of(stem), Some(i as u32 + 1), "{stem}");
            assert!(!sql.trim().is_empty(), "{stem} is empty");
        }
    }
}
