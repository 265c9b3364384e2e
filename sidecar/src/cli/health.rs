//! `samia health`: is this database ready to serve the apps?
//!
//! Healthy means: reachable, the `samia` extension created, every embedded
//! migration applied and none changed. An extension older than the files on
//! its server is a warning, with what to run. Row counts are printed for the operator, not judged.

use crate::cli::migrate::{self, State};
use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use serde_json::json;
use std::process::ExitCode;
use tokio_postgres::Client;

/// Check the database: server and extension versions, pending migrations,
/// row counts. Exits 0 only when healthy.
#[derive(clap::Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `samia health`.
pub async fn command(args: HealthArgs) -> Result<ExitCode, CliError> {
    let (_, mut client) = super::connect(&args.db).await?;
    run(&mut client, args.json).await
}

pub async fn run(client: &mut Client, as_json: bool) -> Result<ExitCode, CliError> {
    let row = client
        .fetch_one(
            "select current_setting('server_version'),
                    (select version from pg_catalog.pg_stat_ssl where pid = pg_backend_pid() and ssl)",
            &[],
        )
        .await
        .map_err(|e| CliError::db("reading the server version", e))?;
    let read = |e| CliError::db("reading the server version", e);
    let server: String = row.try_get(0).map_err(read)?;
    let tls: Option<String> = row.try_get(1).map_err(read)?;
    let extension = crate::cli::extension::Extension::read(&*client).await?;
    let (installed, available) = (extension.installed.clone(), extension.available.clone());

    let entries = migrate::plan(client).await?;
    let pending = migrate::labels(&entries, |s| *s == State::Pending);
    let drifted = migrate::labels(&entries, |s| matches!(s, State::Changed | State::Unknown));

    let counts = row_counts(client).await?;

    let mut problems = Vec::new();
    match (&installed, &available) {
        (_, None) => {
            problems.push("the samia extension is not installed on this server".to_string())
        }
        (None, Some(_)) => {
            problems.push("the samia extension is not created in this database".to_string())
        }
        _ => {}
    }
    if !pending.is_empty() {
        problems.push(format!(
            "{} pending migration(s): {}",
            pending.len(),
            pending.join(", ")
        ));
    }
    if !drifted.is_empty() {
        problems.push(format!(
            "changed or unknown migration(s): {}",
            drifted.join(", ")
        ));
    }
    let healthy = problems.is_empty();
    // What needs an operator without keeping the apps from working.
    let tiktok = crate::tiktok::account::status(&*client)
        .await
        .map_err(|e| CliError::db("reading the TikTok account", e))?;
    let realtime = crate::cli::realtime::status(&*client).await?;
    let mut warnings = crate::cli::costs::warnings(&*client).await?;
    warnings.extend(realtime.as_ref().and_then(crate::cli::realtime::warning));
    warnings.extend(crate::cli::extension::warning(&extension));
    if let Some(stopped) = tiktok.as_ref().and_then(|t| t.stopped.as_ref()) {
        warnings.push(format!(
            "TikTok sync stopped: {stopped} (run `samia tiktok connect` again)"
        ));
    } else if let Some(error) = tiktok.as_ref().and_then(|t| t.last_sync_error.as_ref()) {
        warnings.push(format!("the last TikTok sync failed: {error}"));
    }

    if as_json {
        let report = json!({
            "healthy": healthy,
            "server_version": server,
            "tls": tls,
            "extension": { "installed": installed, "available": available },
            "migrations": { "total": entries.len(), "pending": pending, "changed_or_unknown": drifted },
            "row_counts": counts.iter().map(|(t, n)| (t.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "problems": problems,
            "warnings": warnings,
            "tiktok": tiktok,
            "realtime": realtime,
        });
        println!("{report}");
    } else {
        println!("server      PostgreSQL {server}");
        println!(
            "connection  {}",
            tls.as_deref()
                .map(|v| format!("TLS ({v})"))
                .unwrap_or_else(|| "not encrypted".into())
        );
        println!(
            "extension   samia {} (available {})",
            installed.as_deref().unwrap_or("not created"),
            available.as_deref().unwrap_or("none")
        );
        println!(
            "migrations  {} embedded, {} pending, {} changed or unknown",
            entries.len(),
            pending.len(),
            drifted.len()
        );
        for (table, n) in &counts {
            println!("rows        {table:<28} {n}");
        }
        match &tiktok {
            Some(t) if t.connected => println!(
                "tiktok      connected{}, last sync {}",
                if t.stopped.is_some() {
                    " but stopped"
                } else {
                    ""
                },
                t.last_sync_at.as_deref().unwrap_or("never")
            ),
            Some(_) => println!("tiktok      not connected (samia tiktok connect)"),
            None => {}
        }
        if let Some(status) = &realtime {
            println!("realtime    {}", crate::cli::realtime::describe(status));
        }
        for p in &problems {
            println!("problem     {p}");
        }
        for w in &warnings {
            println!("warning     {w}");
        }
        println!("{}", if healthy { "healthy" } else { "UNHEALTHY" });
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Exact row counts of every table in `public` and `ops`.
async fn row_counts(client: &Client) -> Result<Vec<(String, i64)>, CliError> {
    let tables = client
        .fetch_all(
            "select format('%I.%I', n.nspname, c.relname)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p') and n.nspname in ('public', 'ops')
              order by n.nspname desc, c.relname",
            &[],
        )
        .await
        .map_err(|e| CliError::db("listing tables", e))?;
    let mut counts = Vec::with_capacity(tables.len());
    for row in tables {
        let table: String = row
            .try_get(0)
            .map_err(|e| CliError::db("listing tables", e))?;
        // The name comes from the catalog, quoted with format('%I').
        let n: i64 = client
            .fetch_one(&format!("select count(*) from {table}"), &[])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|e| CliError::db(format!("counting {table}"), e))?;
        counts.push((table, n));
    }
    Ok(counts)
}
