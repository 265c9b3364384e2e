//! Bad input never ends in an internal error (CONTRACT.md section 8): every
//! function the API roles may execute, in `public` and `samia`, called
//! through the PostgREST-style harness as anon, the service key, a client,
//! a reader and a monitor with NULL in each argument in turn (the others plausible), and
//! with every argument NULL. No call may end in XX000; the apps' RPCs
//! answer a NULL required argument (one without a default) with 22023
//! naming it.

use samia_tests::fixture::{self, MONITOR, OWNER, READER};
use samia_tests::postgrest::{try_request, Caller};
use samia_tests::{sqlstate, TestDb};

/// A function the API roles (anon, authenticated, service_role) may execute.
struct Function {
    schema: String,
    name: String,
    /// Argument names and types (`format_type`).
    args: Vec<(String, String)>,
    /// How many trailing arguments have defaults.
    defaults: usize,
    /// Written in PL/pgSQL (the apps' RPC wrappers).
    plpgsql: bool,
}

/// A plausible value of a type, as SQL.
fn plausible(ty: &str) -> String {
    match ty {
        "bigint" | "integer" | "smallint" | "numeric" | "double precision" => "1".into(),
        "text" => "'x'".into(),
        "uuid" => format!("'{OWNER}'::uuid"),
        "timestamp with time zone" => "now() + interval '2 days'".into(),
        "date" => "current_date".into(),
        "boolean" => "false".into(),
        "jsonb" => "'{}'::jsonb".into(),
        "time without time zone" => "'12:00'::time".into(),
        other => format!("null::{other}"),
    }
}

fn call(f: &Function, null_at: Option<usize>) -> String {
    let args: Vec<String> = f
        .args
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| match null_at {
            Some(n) if n != i => plausible(ty),
            _ => format!("null::{ty}"),
        })
        .collect();
    format!("select {}.{}({})", f.schema, f.name, args.join(", "))
}

#[tokio::test]
async fn no_function_of_the_api_answers_a_null_with_an_internal_error() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    let functions: Vec<Function> = c
        .query(
            "select n.nspname::text, p.proname::text,
                    coalesce(p.proargnames[1:p.pronargs], array[]::text[]),
                    array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) t),
                    p.pronargdefaults::int, l.lanname = 'plpgsql'
               from pg_catalog.pg_proc p
               join pg_catalog.pg_namespace n on n.oid = p.pronamespace
               join pg_catalog.pg_language l on l.oid = p.prolang
              where n.nspname in ('public', 'samia') and p.prokind = 'f'
                and p.prorettype <> 'pg_catalog.trigger'::pg_catalog.regtype
                and p.pronargs > 0
                and (has_function_privilege('anon', p.oid, 'execute')
                     or has_function_privilege('authenticated', p.oid, 'execute')
                     or has_function_privilege('service_role', p.oid, 'execute'))
              order by 1, 2",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let names: Vec<String> = r.get(2);
            let types: Vec<String> = r.get(3);
            Function {
                schema: r.get(0),
                name: r.get(1),
                args: types
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (names.get(i).cloned().unwrap_or_default(), t))
                    .collect(),
                defaults: usize::try_from(r.get::<_, i32>(4)).unwrap_or(0),
                plpgsql: r.get(5),
            }
        })
        .collect();
    anyhow::ensure!(
        functions.len() >= 20,
        "only {} functions found",
        functions.len()
    );
    let mut internal = Vec::new();
    let mut unnamed = Vec::new();
    let mut calls = 0;
    for f in &functions {
        let mut cases: Vec<Option<usize>> = (0..f.args.len()).map(Some).collect();
        cases.push(None);
        for case in cases {
            let sql = call(f, case);
            for who in [
                Caller::Anon,
                Caller::Service,
                Caller::User(OWNER),
                Caller::User(READER),
                Caller::User(MONITOR),
            ] {
                calls += 1;
                let Err(e) = try_request(&mut c, who, &sql).await else {
                    continue;
                };
                let code = sqlstate(&e).unwrap_or("none");
                if code == "XX000" || code == "none" {
                    internal.push(format!("{who:?}: {sql}: {e}"));
                }
                // An RPC's required argument, NULL with the others given.
                let Some(i) = case else { continue };
                let required = i < f.args.len() - f.defaults;
                if f.plpgsql && f.schema == "public" && required && matches!(who, Caller::User(_)) {
                    let (name, _) = &f.args[i];
                    let message = e.as_db_error().map(|d| d.message()).unwrap_or_default();
                    if code != "22023" || !message.contains(name.as_str()) {
                        unnamed.push(format!("{who:?}: {sql}: {code} {message}"));
                    }
                }
            }
        }
    }
    assert!(
        internal.is_empty(),
        "{} of {calls} calls ended in an internal error:\n{}",
        internal.len(),
        internal.join("\n")
    );
    assert!(
        unnamed.is_empty(),
        "NULL required arguments not answered with 22023 naming them:\n{}",
        unnamed.join("\n")
    );
    Ok(())
}
