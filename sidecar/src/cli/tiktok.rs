//! `samia tiktok`: connect the owner's TikTok account, sync posts now, and
//! see where ingest stands.

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use crate::tiktok::account;
use crate::tiktok::ingest::{self as sync, Options, SyncError};
use crate::tiktok::{TikTokArgs, TikTokClient, TikTokConfig};
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;
use tokio_postgres::Client;

/// The owner's TikTok account: connect it (OAuth), sync posts now, show
/// the connection and the posts per status. TIKTOK_CLIENT_KEY,
/// TIKTOK_CLIENT_SECRET and TIKTOK_REDIRECT_URI name the app.
#[derive(clap::Args)]
pub struct TiktokArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub tiktok: TikTokArgs,
    #[command(subcommand)]
    pub action: TiktokAction,
}

#[derive(clap::Subcommand)]
pub enum TiktokAction {
    /// Print the link the owner opens to allow the app (scopes
    /// user.info.basic and video.list); `samia run` receives the answer at
    /// TIKTOK_REDIRECT_URI (/v1/tiktok/callback) and stores the tokens.
    Connect,
    /// List the owner's posts now and record the new ones (progress on
    /// stderr). Exit 1 when TikTok refuses or syncing is stopped.
    Sync {
        /// List every post, update known ones and flag those TikTok no
        /// longer lists (`removed`), instead of stopping at a known post.
        #[arg(long)]
        full: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The connection (never the tokens), the last sync, posts per status.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `samia tiktok`.
pub async fn command(args: TiktokArgs) -> Result<ExitCode, CliError> {
    let (_, mut client) = super::connect(&args.db).await?;
    match args.action {
        TiktokAction::Connect => connect(&client, &args.tiktok).await,
        TiktokAction::Sync { full, json } => sync_now(&mut client, &args.tiktok, full, json).await,
        TiktokAction::Status { json } => status(&client, json).await,
    }
}

fn tiktok(args: &TikTokArgs) -> Result<TikTokClient, CliError> {
    let config = TikTokConfig::from_args(args, Duration::from_secs(30))?.ok_or_else(|| {
        CliError::Config(
            "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET are not set: export the app's credentials \
             (TikTok Developer Portal) and TIKTOK_REDIRECT_URI"
                .into(),
        )
    })?;
    TikTokClient::new(config)
}

/// Prints the link the owner opens to allow the app; the sidecar's
/// `/v1/tiktok/callback` (at TIKTOK_REDIRECT_URI) finishes the connection.
pub async fn connect(client: &Client, args: &TikTokArgs) -> Result<ExitCode, CliError> {
    let tiktok = tiktok(args)?;
    let state = account::new_state(client)
        .await
        .map_err(|e| CliError::db("saving the OAuth state", e))?;
    println!("{}", tiktok.authorize_url(&state));
    eprintln!(
        "Open this link as the owner's TikTok account and allow the app. TikTok then sends the \
         browser to {}, which `samia run` answers (it must be reachable there); the link works \
         once, for 10 minutes. `samia tiktok status` shows the connection.",
        tiktok.redirect_uri()
    );
    Ok(ExitCode::SUCCESS)
}

/// Syncs now, printing each page on stderr and the counts at the end.
pub async fn sync_now(
    client: &mut Client,
    args: &TikTokArgs,
    full: bool,
    as_json: bool,
) -> Result<ExitCode, CliError> {
    let tiktok = tiktok(args)?;
    let fetch = false;
    let options = Options {
        full,
        fetch,
        rate_limit_pause: Duration::from_secs(2),
    };
    let mut progress = |line: &str| eprintln!("{line}");
    match sync::sync(client, &tiktok, options, &mut progress).await {
        Ok(done) => {
            if as_json {
                println!("{}", json!(done));
            } else {
                println!(
                    "synced: {} requests, {} posts listed, {} new, {} updated, {} flagged removed",
                    done.requests, done.listed, done.new, done.updated, done.removed
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(SyncError::Transient { error, .. }) => Err(CliError::Refused(error)),
        Err(SyncError::Stopped(e)) | Err(SyncError::NotConnected(e)) => Err(CliError::Refused(e)),
    }
}

/// The account (never its tokens) and the posts per status.
pub async fn status(client: &Client, as_json: bool) -> Result<ExitCode, CliError> {
    let account = account::status(client)
        .await
        .map_err(|e| CliError::db("reading the TikTok account", e))?
        .ok_or_else(|| {
            CliError::Config("the database is not migrated: run `samia migrate up`".into())
        })?;
    let rows = client
        .fetch_all(
            "select status, count(*) from public.tiktok_posts group by status order by status",
            &[],
        )
        .await
        .map_err(|e| CliError::db("counting posts", e))?;
    let mut posts = serde_json::Map::new();
    for r in rows {
        let status: String = r
            .try_get(0)
            .map_err(|e| CliError::db("counting posts", e))?;
        let n: i64 = r
            .try_get(1)
            .map_err(|e| CliError::db("counting posts", e))?;
        posts.insert(status, json!(n));
    }
    if as_json {
        println!("{}", json!({ "account": account, "posts": posts }));
    } else {
        println!(
            "account     {}",
            if account.connected {
                format!(
                    "connected (open_id {})",
                    account.open_id.as_deref().unwrap_or("?")
                )
            } else {
                "not connected: run `samia tiktok connect`".into()
            }
        );
        if let Some(stopped) = &account.stopped {
            println!("stopped     {stopped}");
        }
        if let Some(at) = &account.access_expires_at {
            println!("access      expires {at}");
        }
        if let Some(at) = &account.refresh_expires_at {
            println!("refresh     expires {at}");
        }
        println!(
            "last sync   {}{}",
            account.last_sync_at.as_deref().unwrap_or("never"),
            account
                .last_sync_new
                .map(|n| format!(" ({n} new)"))
                .unwrap_or_default()
        );
        if let Some(e) = &account.last_sync_error {
            println!("last error  {e}");
        }
        for (status, n) in &posts {
            println!("posts       {status:<12} {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
