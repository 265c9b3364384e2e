//! The SQL migrations of `sql/migrations`, embedded at build time.
//!
//! Files are named `V<version>__<name>.sql` and applied in version order.
//! The sidecar's `samia migrate` records them; tests apply them directly.

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The version number of a migration stem such as `V3__core_tables`.
pub fn version_of(stem: &str) -> Option<u32> {
    stem.strip_prefix('V')?.split_once("__")?.0.parse().ok()
}

/// A version of the `samia` extension: `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.trim().split('.').map(|p| p.parse::<u32>().ok());
        let v = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(v)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The marker a migration carries when it needs a newer extension than the
/// one its predecessors needed: a line `-- requires: samia >= 0.2.0`.
const REQUIRES: &str = "-- requires: samia >= ";

/// The extension version a migration says it needs, if any.
pub fn requires(sql: &str) -> Option<Version> {
    sql.lines()
        .filter_map(|l| l.trim().strip_prefix(REQUIRES))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(Version::parse)
        .max()
}

/// What `samia migrate up` does about the extension before any migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionStep {
    /// Nothing: the database's extension is what the migrations need.
    Ready,
    /// `ALTER EXTENSION samia UPDATE` from one version to the next.
    Update { from: Version, to: Version },
    /// An update would help but this role may not run it (the migrations
    /// go ahead: none of them needs it).
    Advise(String),
    /// Stop before changing anything, saying why and what to run.
    Refuse(String),
}

/// Decides the extension's step. `installed`: the database's version (none
/// before V2 creates it); `available`: the server's files'; `needed`: the
/// newest version a pending migration names; `may_update`: whether the
/// connecting role may run the update (a superuser); `owner`: who may.
pub fn extension_step(
    installed: Option<Version>,
    available: Option<Version>,
    needed: Option<Version>,
    may_update: bool,
    owner: &str,
) -> ExtensionStep {
    let Some(available) = available else {
        return ExtensionStep::Refuse(
            "the samia extension is not installed on this server: install the samia package \
             (its library and SQL files) first"
                .into(),
        );
    };
    if let Some(needed) = needed.filter(|n| *n > available) {
        return ExtensionStep::Refuse(format!(
            "the pending migrations need the samia extension {needed}, but this server's files are \
             {available}: install the samia {needed} package first, then run `samia migrate up` again"
        ));
    }
    // Before V2 the extension does not exist yet: V2 creates it at `available`.
    let Some(installed) = installed else {
        return ExtensionStep::Ready;
    };
    if installed >= available {
        return ExtensionStep::Ready;
    }
    if may_update {
        return ExtensionStep::Update {
            from: installed,
            to: available,
        };
    }
    let command = format!(
        "run `ALTER EXTENSION samia UPDATE;` in this database as {owner} (the superuser that owns \
         the extension; on Supabase supabase_admin)"
    );
    match needed.filter(|n| *n > installed) {
        Some(needed) => ExtensionStep::Refuse(format!(
            "the pending migrations need the samia extension {needed}, but this database has \
             {installed} ({available} is installed on this server). Nothing was changed: {command}, \
             then `samia migrate up` again"
        )),
        None => ExtensionStep::Advise(format!(
            "the samia extension is at {installed} but {available} is installed on this server: {command}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        let v = |s| Version::parse(s);
        assert!(v("0.10.0") > v("0.9.3"));
        assert_eq!(v(" 1.2.3 "), Some(Version(1, 2, 3)));
        for bad in ["", "1.2", "1.2.3.4", "1.x.3", "-1.0.0"] {
            assert_eq!(v(bad), None, "{bad}");
        }
        assert_eq!(Version(0, 2, 0).to_string(), "0.2.0");
        assert_eq!(
            requires("-- the holes\n-- requires: samia >= 0.2.0\ncreate table t ();"),
            Some(Version(0, 2, 0))
        );
        assert_eq!(requires("create table t ();"), None);
    }

    #[test]
    fn migrations_that_need_the_second_release_say_so() {
        let needs = |n: usize| requires(MIGRATIONS[n - 1].1);
        for n in 1..=23 {
            assert_eq!(needs(n), None, "V{n} runs on release 0.1.0");
        }
        assert_eq!(needs(24), Some(Version(0, 2, 0)));
    }

    #[test]
    fn the_extension_step_updates_advises_or_refuses() {
        use ExtensionStep::*;
        let (v1, v2, v3) = (Version(0, 1, 0), Version(0, 2, 0), Version(0, 3, 0));
        let step = |i, a, n, may| extension_step(i, a, n, may, "supabase_admin");
        assert_eq!(step(Some(v2), Some(v2), Some(v2), false), Ready);
        assert_eq!(step(None, Some(v2), Some(v2), false), Ready);
        assert_eq!(
            step(Some(v1), Some(v2), Some(v2), true),
            Update { from: v1, to: v2 }
        );
        assert_eq!(
            step(Some(v1), Some(v2), None, true),
            Update { from: v1, to: v2 }
        );
        let Refuse(why) = step(Some(v1), Some(v2), Some(v2), false) else {
            panic!("a needed update this role may not run must refuse");
        };
        assert!(
            why.contains("ALTER EXTENSION samia UPDATE") && why.contains("supabase_admin"),
            "{why}"
        );
        assert!(matches!(step(Some(v1), Some(v2), None, false), Advise(_)));
        let Refuse(why) = step(Some(v2), Some(v2), Some(v3), true) else {
            panic!("files older than needed must refuse");
        };
        assert!(why.contains("install the samia 0.3.0 package"), "{why}");
        assert!(matches!(step(None, None, None, true), Refuse(_)));
    }

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        assert!(!MIGRATIONS.is_empty());
        for (i, (stem, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(version_of(stem), Some(i as u32 + 1), "{stem}");
            assert!(!sql.trim().is_empty(), "{stem} is empty");
        }
    }
}
