//! The permission-matrix fixture (`tests/sql/authority_fixture.sql`): one user
//! per kind of actor, and rows in every table.

use crate::postgrest::Caller;
use crate::{Session, TestDb};

pub const OWNER: &str = "10000000-0000-4000-8000-000000000001";
pub const OTHER: &str = "10000000-0000-4000-8000-000000000002";
pub const BLOCKED: &str = "10000000-0000-4000-8000-000000000003";
pub const READER: &str = "10000000-0000-4000-8000-000000000004";
pub const READER2: &str = "10000000-0000-4000-8000-000000000005";
pub const MONITOR: &str = "10000000-0000-4000-8000-000000000006";
pub const ADMIN: &str = "10000000-0000-4000-8000-000000000007";
pub const SUPERADMIN: &str = "10000000-0000-4000-8000-000000000008";

pub const SQL: &str = include_str!("../sql/authority_fixture.sql");

/// The actors of the matrix, in its column order.
pub const ACTORS: [(&str, Caller<'static>); 9] = [
    ("anon", Caller::Anon),
    ("client owner", Caller::User(OWNER)),
    ("other client", Caller::User(OTHER)),
    ("blocked client", Caller::User(BLOCKED)),
    ("assigned reader", Caller::User(READER)),
    ("other reader", Caller::User(READER2)),
    ("monitor", Caller::User(MONITOR)),
    ("admin", Caller::User(ADMIN)),
    ("superadmin", Caller::User(SUPERADMIN)),
];

/// The user id a statement's `{uid}` stands for (a stranger's for anon).
pub fn uid_of(caller: Caller<'_>) -> &str {
    match caller {
        Caller::Anon | Caller::Service => "ffffffff-0000-4000-8000-000000000000",
        Caller::User(id) => id,
    }
}

/// A migrated database with this fixture loaded, and its system session.
pub async fn db() -> anyhow::Result<(TestDb, Session)> {
    let db = TestDb::migrated().await?;
    let client = db.system().await?;
    client.batch_execute(SQL).await?;
    Ok((db, client))
}
