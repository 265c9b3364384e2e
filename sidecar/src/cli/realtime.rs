//! Supabase Realtime as the database sees it (CONTRACT.md section 14):
//! `samia migrate up` and `samia run` set up what is missing
//! (`samia.realtime_setup()`: the policies on `realtime.messages`, the
//! product's tables in the publication `supabase_realtime`), `samia health`
//! reports it (`samia.realtime_status()`). Both functions are new in
//! extension 0.3.0; an older extension has neither, and nothing is done.

use crate::db::Query as _;
use crate::error::CliError;
use serde_json::Value;

/// The product's policies on `realtime.messages` and tables in the
/// publication (as `pg_extension/src/realtime` lists them).
const POLICIES: usize = 3;
const TABLES: usize = 5;

async fn call(
    client: &impl tokio_postgres::GenericClient,
    function: &str,
) -> Result<Option<Value>, CliError> {
    let context = format!("calling samia.{function}()");
    let present: bool = client
        .fetch_one(
            "select to_regprocedure($1) is not null",
            &[&format!("samia.{function}()")],
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| CliError::db(&context, e))?;
    if !present {
        return Ok(None);
    }
    let row = client
        .fetch_one(&format!("select samia.{function}()::text"), &[])
        .await
        .map_err(|e| CliError::db(&context, e))?;
    let text: String = row.try_get(0).map_err(|e| CliError::db(&context, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::Config(format!("samia.{function}() returned no JSON: {e}")))
}

/// Adds what Realtime needs and is missing; `None` with an older extension.
pub async fn setup(client: &impl tokio_postgres::GenericClient) -> Result<Option<Value>, CliError> {
    call(client, "realtime_setup").await
}

/// What Realtime finds; `None` with an older extension.
pub async fn status(
    client: &impl tokio_postgres::GenericClient,
) -> Result<Option<Value>, CliError> {
    call(client, "realtime_status").await
}

fn count(status: &Value, key: &str) -> usize {
    status[key].as_array().map_or(0, Vec::len)
}

/// One line: whether broadcasts are sent, and how much of the setup exists.
pub fn describe(status: &Value) -> String {
    let sending = if status["send"].as_bool() == Some(true) {
        "broadcasts sent (realtime.send found)"
    } else {
        "absent: nothing is sent (no realtime.send)"
    };
    let mut line = format!(
        "{sending}; {}/{POLICIES} topic policies; {}/{TABLES} tables in supabase_realtime",
        count(status, "policies"),
        count(status, "published"),
    );
    if status["publication"].as_bool() != Some(true) {
        line.push_str(" (no such publication)");
    }
    let added = count(status, "policies_added") + count(status, "tables_added");
    if added > 0 {
        line.push_str(&format!("; added {added} now"));
    }
    line
}

/// A warning for `samia health`: Realtime is there, its setup is not whole.
pub fn warning(status: &Value) -> Option<String> {
    let incomplete = (status["messages"].as_bool() == Some(true)
        && count(status, "policies") < POLICIES)
        || (status["publication"].as_bool() == Some(true) && count(status, "published") < TABLES);
    incomplete.then(|| {
        format!(
            "Realtime's setup is incomplete ({}): run `samia migrate up` (or `select samia.realtime_setup()`)",
            describe(status)
        )
    })
}
