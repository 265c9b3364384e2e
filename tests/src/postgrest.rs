//! Requests made exactly as PostgREST makes them (CONTRACT.md section 1):
//!
//! ```sql
//! BEGIN;
//! SET LOCAL ROLE authenticated;
//! SELECT set_config('request.jwt.claims', '{"sub":"<uuid>","role":"authenticated"}', true);
//! <statement>;
//! COMMIT;
//! ```

//!
//! On Supabase ([`crate::Flavour::Supabase`]) the statements go through a
//! session logged in as `authenticator`, PostgREST's login role there; on
//! plain PostgreSQL through the test's superuser session.

use crate::Session;
use serde_json::json;
use tokio_postgres::{Client, Row};

/// What a request is made on: a [`Session`] (its PostgREST connection), its
/// [`Session::storage`], or a connection of the test's own choosing.
pub trait Api {
    fn connection(&mut self) -> &mut Client;

    /// Settings of the request's transaction besides the role and claims.
    fn settings(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// Supabase Storage's requests: on Supabase made on a session of
/// `supabase_storage_admin` (Storage's login role), which `SET LOCAL ROLE`s
/// to the JWT's role like PostgREST and allows its own deletes from
/// `storage.objects` (`storage.allow_delete_query`, which Storage's
/// `protect_delete` trigger requires); on plain PostgreSQL on the test's
/// superuser session.
pub struct StorageApi<'a>(pub &'a mut Client);

impl Api for StorageApi<'_> {
    fn connection(&mut self) -> &mut Client {
        self.0
    }

    fn settings(&self) -> &'static [(&'static str, &'static str)] {
        &[("storage.allow_delete_query", "true")]
    }
}

impl Api for Client {
    fn connection(&mut self) -> &mut Client {
        self
    }
}

impl Api for Session {
    fn connection(&mut self) -> &mut Client {
        self.api()
    }
}

/// Who makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    Anon,
    /// A request with the service key: role `service_role`, no user.
    Service,
    /// An authenticated user, by `auth.users.id`.
    User(&'a str),
}

/// One request: the statement runs in its own transaction under the caller's
/// role and claims; it commits on success and rolls back on error.
pub async fn request(
    client: &mut impl Api,
    caller: Caller<'_>,
    statement: &str,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    run(client, caller, statement, true).await
}

/// The same request, rolled back at the end even on success (PostgREST's
/// `Prefer: tx=rollback`), so a test can try it without changing the data.
pub async fn try_request(
    client: &mut impl Api,
    caller: Caller<'_>,
    statement: &str,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    run(client, caller, statement, false).await
}

async fn run(
    client: &mut impl Api,
    caller: Caller<'_>,
    statement: &str,
    commit: bool,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let (role, claims) = match caller {
        Caller::Anon => ("anon", json!({ "role": "anon" })),
        Caller::Service => ("service_role", json!({ "role": "service_role" })),
        Caller::User(sub) => (
            "authenticated",
            json!({ "sub": sub, "role": "authenticated" }),
        ),
    };
    let settings = client.settings();
    let tx = client.connection().transaction().await?;
    tx.batch_execute(&format!("set local role {role}")).await?;
    tx.execute(
        "select set_config('request.jwt.claims', $1, true)",
        &[&claims.to_string()],
    )
    .await?;
    for (name, value) in settings {
        tx.execute("select set_config($1, $2, true)", &[name, value])
            .await?;
    }
    let rows = tx.query(statement, &[]).await?;
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(rows)
}

/// The SQLSTATE of a request that must have failed, and its message
/// followed by ` | hint` when there is a hint. Panics if it succeeded.
pub fn failure(result: Result<Vec<Row>, tokio_postgres::Error>, what: &str) -> (String, String) {
    match result {
        Ok(rows) => panic!("{what} succeeded with {} rows", rows.len()),
        Err(e) => {
            let state = e
                .code()
                .map(|c| c.code().to_string())
                .unwrap_or_else(|| "none".into());
            let text = match e.as_db_error() {
                Some(db) => match db.hint() {
                    Some(hint) => format!("{} | {hint}", db.message()),
                    None => db.message().to_string(),
                },
                None => e.to_string(),
            };
            (state, text)
        }
    }
}

/// A request by `who` that must fail: see [`failure`].
pub async fn refused(client: &mut impl Api, who: &str, statement: &str) -> (String, String) {
    let result = request(client, Caller::User(who), statement).await;
    failure(result, &format!("{statement} as {who}"))
}

/// How many rows `statement` (an update or delete, to which ` returning 1`
/// is appended) changes as `who`; it must not fail.
pub async fn affected(client: &mut impl Api, who: &str, statement: &str) -> usize {
    match request(
        client,
        Caller::User(who),
        &format!("{statement} returning 1"),
    )
    .await
    {
        Ok(rows) => rows.len(),
        Err(e) => panic!("{statement} as {who} failed: {e:?}"),
    }
}
