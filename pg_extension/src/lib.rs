//! The `samia` PostgreSQL extension: the rules that no client can bypass.
//!
//! Functions live in schema `samia`; tables belong to the migrations in
//! `sql/migrations`, which wire these triggers to them. The rules themselves
//! live in `samia-core`; this crate is the thin layer that reads and writes
//! rows and raises errors with the SQLSTATEs of CONTRACT.md section 8.

::pgrx::pg_module_magic!(name, version);

mod astro;
mod audit;
mod authority;
mod backend;
mod blocklist;
mod caller;
mod calls;
mod config;
mod errors;
mod horoscopes;
mod jobs;
mod malloc;
mod media;
mod notices;
mod order_flow;
mod orders;
mod phone;
mod plans;
mod profiles;
mod push;
mod realtime;
mod rows;
mod subxact;
mod time;
mod zodiac;

// Privileges, at the end of `create extension samia` (a superuser's step:
// samia.control says superuser = true, trusted = false).
//
// - Nothing here is executable by PUBLIC: the migrations grant each role what
//   it may call. (PostgreSQL grants EXECUTE to PUBLIC on every new function,
//   and only the functions' owner, the creating superuser, can take that
//   back: a migrating role that is not a superuser could not.)
// - The database owner administers the product: it runs `samia migrate up`,
//   which grants the API roles and the sidecar what they may use and wires
//   the triggers. Where it is not a superuser (on Supabase `supabase_admin`
//   creates the extension and `postgres`, which owns the database, migrates),
//   it gets usage of the schema and execute on every function with the right
//   to grant them on. A superuser owner has them anyway.
::pgrx::extension_sql!(
    r#"
revoke execute on all functions in schema samia from public;
do $grants$
declare
  db_owner name := (select pg_catalog.pg_get_userbyid(d.datdba)
                      from pg_catalog.pg_database d where d.datname = pg_catalog.current_database());
begin
  if not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = db_owner) then
    execute pg_catalog.format('grant usage on schema samia to %I with grant option', db_owner);
    execute pg_catalog.format('grant execute on all functions in schema samia to %I with grant option', db_owner);
  end if;
end
$grants$;
"#,
    name = "privileges",
    finalize
);

/// Runs once in each backend, when it loads the library.
#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    malloc::settle_thresholds();
    backend::legacy::detect();
    realtime::init();
}

// The in-database tests, in schema `tests`; `pg_test` below is their harness.
#[cfg(any(test, feature = "pg_test"))]
mod database_tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
