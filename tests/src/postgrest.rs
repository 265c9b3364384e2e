//! Requests made exactly as PostgREST makes them (CONTRACT.md section 1):
//!
//! ```sql
//! BEGIN;
//! SET LOCAL ROLE authenticated;
//! SELECT set_config('request.jwt.claims', '{"sub":"<uuid>","role":"authenticated"}', true);
//! <statement>;
//! COMMIT;
//! ```

use serde_json::json;
use tokio_postgres::{Client, Row};

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
    client: &mut Client,
    caller: Caller<'_>,
    statement: &str,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    run(client, caller, statement, true).await
}

/// The same request, rolled back at the end even on success (PostgREST's
/// `Prefer: tx=rollback`), so a test can try it without changing the data.
pub async fn try_request(
    client: &mut Client,
    caller: Caller<'_>,
    statement: &str,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    run(client, caller, statement, false).await
}

async fn run(
    client: &mut Client,
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
    let tx = client.transaction().await?;
    tx.batch_execute(&format!("set local role {role}")).await?;
    tx.execute(
        "select set_config('request.jwt.claims', $1, true)",
        &[&claims.to_string()],
    )
    .await?;
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
pub async fn refused(client: &mut Client, who: &str, statement: &str) -> (String, String) {
    let result = request(client, Caller::User(who), statement).await;
    failure(result, &format!("{statement} as {who}"))
}
