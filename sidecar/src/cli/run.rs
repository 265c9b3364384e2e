//! `samia run`: the job daemon. Workers claim jobs from `ops.jobs` and hand
//! each to its provider's handler (`jobs::worker`); the HTTP routes are
//! served on `SAMIA_LISTEN`; SIGINT/SIGTERM stop it after the jobs in hand.
//! Here: its settings, their checks, and how the parts are put together.

use crate::daemon::{self, init_logging};
use crate::db::{self, DbArgs, PoolMode, Target};
use crate::error::CliError;
use crate::http;
use crate::jobs::worker::{self, Context};
use crate::jobs::Backoff;
use crate::livekit::{LiveKitArgs, LiveKitClient, LiveKitConfig};
use crate::metrics::Metrics;
use crate::storage::jobs::{ProbeArgs, Prober};
use crate::storage::StorageArgs;
use crate::tiktok::audio::{AudioMaker, FetchArgs};
use crate::tiktok::{TikTokArgs, TikTokClient, TikTokConfig};
use crate::twilio::{Twilio, TwilioArgs, TwilioConfig};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The job daemon: works the ops.jobs queue and serves its HTTP routes
/// until SIGINT/SIGTERM.
///
/// Jobs: Twilio Verify code sends and checks (phone.send_code,
/// phone.check_code); media probes of files in Supabase Storage
/// (media.probe); TikTok post syncs, scheduled by app_config
/// tiktok.sync_interval, and the posts' audio (tiktok.sync, tiktok.audio);
/// LiveKit room deletions and participant removals
/// (livekit.delete_room, livekit.remove_participant); call reminders and
/// deadlines (call.remind, call.deadline); push notifications through
/// Firebase Cloud Messaging, one job per notice and device (push.send).
/// Besides, it seals new audit rows into the hash chain every
/// SAMIA_SEAL_MS, and at start sets up what Supabase Realtime needs of the
/// database (the topic policies and the publication) where Realtime is
/// installed.
///
/// HTTP on SAMIA_LISTEN: /healthz and /metrics; with LiveKit configured,
/// the call join route (POST /v1/calls/{order_id}/join) and LiveKit's
/// webhooks (POST /v1/webhooks/livekit); with TikTok configured, the OAuth
/// callback (GET /v1/tiktok/callback).
///
/// It refuses to start on a database older than it needs (a migration not
/// applied, or a samia extension older than the migrations need): upgrade
/// it first with `samia migrate up`.
///
/// Twilio's credentials come from TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
/// TWILIO_VERIFY_SERVICE_SID. Storage's come from SUPABASE_URL and
/// SUPABASE_SERVICE_ROLE_KEY: without them media.probe and tiktok.audio
/// jobs fail, the rest runs. TikTok's come from TIKTOK_CLIENT_KEY,
/// TIKTOK_CLIENT_SECRET and TIKTOK_REDIRECT_URI: without them posts are not
/// synced. LiveKit's come from LIVEKIT_URL, LIVEKIT_API_KEY and
/// LIVEKIT_API_SECRET, with SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL to
/// check the apps' access tokens: without them the call routes are not
/// served and the LiveKit jobs wait. FCM's service account comes from
/// FCM_SERVICE_ACCOUNT_FILE or FCM_SERVICE_ACCOUNT_JSON: without it pushes
/// stay queued (the in-app notices are there) and `samia health` warns.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    probe: ProbeArgs,
    #[command(flatten)]
    tiktok: TikTokArgs,
    #[command(flatten)]
    fetch: FetchArgs,
    #[command(flatten)]
    livekit: LiveKitArgs,
    #[command(flatten)]
    fcm: crate::fcm::FcmArgs,
    #[command(flatten)]
    auth: http::auth::AuthArgs,
    /// How long a call join token admits its holder (seconds). LiveKit
    /// checks it when they connect; someone in the room stays after it expires.
    #[arg(long, env = "SAMIA_CALL_TOKEN_TTL_SECS", default_value_t = 600)]
    call_token_ttl_secs: u64,
    /// Database connections kept for the HTTP routes (call joins, webhooks),
    /// besides the workers' own.
    #[arg(long, env = "SAMIA_API_CONNECTIONS", default_value_t = 8)]
    api_connections: usize,
    /// How often to check whether a TikTok sync is due (milliseconds); the
    /// interval itself is app_config `tiktok.sync_interval`.
    #[arg(long, env = "SAMIA_TIKTOK_SCHEDULE_MS", default_value_t = 30_000)]
    tiktok_schedule_ms: u64,
    /// Jobs worked on at once.
    #[arg(long, env = "SAMIA_CONCURRENCY", default_value_t = 4)]
    concurrency: usize,
    /// How long a claimed job is reserved for this worker (milliseconds);
    /// after that another worker may take it. Must exceed the provider timeout.
    #[arg(long, env = "SAMIA_LEASE_MS", default_value_t = 60_000)]
    lease_ms: u64,
    /// How often an idle worker looks for jobs without a notification (milliseconds).
    #[arg(long, env = "SAMIA_POLL_MS", default_value_t = 1_000)]
    poll_ms: u64,
    /// Timeout of one provider call (milliseconds).
    #[arg(long, env = "SAMIA_PROVIDER_TIMEOUT_MS", default_value_t = 10_000)]
    provider_timeout_ms: u64,
    /// First retry delay after a failed attempt (milliseconds); doubles per attempt.
    #[arg(long, env = "SAMIA_BACKOFF_BASE_MS", default_value_t = 2_000)]
    backoff_base_ms: u64,
    /// Longest retry delay (milliseconds).
    #[arg(long, env = "SAMIA_BACKOFF_MAX_MS", default_value_t = 300_000)]
    backoff_max_ms: u64,
    /// Seal new audit rows into the hash chain this often (milliseconds; 0: never).
    #[arg(long, env = "SAMIA_SEAL_MS", default_value_t = 5_000)]
    pub seal_ms: u64,
    /// Address of /healthz and /metrics, or "off".
    #[arg(long, env = "SAMIA_LISTEN", default_value = "127.0.0.1:9187")]
    listen: String,
    /// Name of this sidecar in ops.jobs.locked_by (default: host name and process id).
    #[arg(long, env = "SAMIA_WORKER_ID")]
    worker_id: Option<String>,
    /// Log lines as "text" or "json".
    #[arg(long, env = "SAMIA_LOG_FORMAT", default_value = "text")]
    log_format: String,
    /// Which log lines to write, as tracing directives (e.g.
    /// "info,samia=debug"); an invalid filter falls back to "info".
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    log_filter: String,
}

/// `samia run`.
pub async fn command(args: RunArgs) -> Result<ExitCode, CliError> {
    let target = &Target::from_args(&args.db)?;
    init_logging(&args.log_format, &args.log_filter)?;
    if !(1..=64).contains(&args.concurrency) {
        return Err(CliError::Config(format!(
            "SAMIA_CONCURRENCY {} must be between 1 and 64",
            args.concurrency
        )));
    }
    if args.lease_ms <= args.provider_timeout_ms + 500 {
        return Err(CliError::Config(format!(
            "SAMIA_LEASE_MS ({}) must exceed SAMIA_PROVIDER_TIMEOUT_MS ({}) by more than 500 ms, \
             or a slow provider call would outlive its lease",
            args.lease_ms, args.provider_timeout_ms
        )));
    }
    if args.poll_ms == 0 || args.backoff_base_ms == 0 || args.backoff_max_ms < args.backoff_base_ms
    {
        return Err(CliError::Config(
            "SAMIA_POLL_MS and SAMIA_BACKOFF_BASE_MS must be positive and SAMIA_BACKOFF_MAX_MS at least the base"
                .into(),
        ));
    }
    let twilio = Twilio::new(TwilioConfig::from_args(
        &args.twilio,
        Duration::from_millis(args.provider_timeout_ms),
    )?)?;
    let prober = Prober::from_args(
        &args.storage,
        &args.probe,
        Duration::from_millis(args.provider_timeout_ms),
    )?;
    match &prober {
        None => tracing::warn!(
            "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are not set: media.probe jobs will fail until they are"
        ),
        Some(p) => {
            if let Err(e) = p.tools.check().await {
                tracing::warn!(error = %e, "media.probe jobs will fail until ffmpeg works");
            }
        }
    }

    let tiktok = TikTokConfig::from_args(
        &args.tiktok,
        Duration::from_millis(args.provider_timeout_ms),
    )?
    .map(TikTokClient::new)
    .transpose()?;
    if tiktok.is_none() {
        tracing::info!("TIKTOK_CLIENT_KEY is not set: TikTok posts are not synced");
    }
    let audio = prober.as_ref().map(|p| AudioMaker {
        storage: p.storage.clone(),
        tools: p.tools.clone(),
        temp_dir: p.temp_dir.clone(),
        fetch: args.fetch.command(),
    });

    let livekit = LiveKitConfig::from_args(
        &args.livekit,
        Duration::from_millis(args.provider_timeout_ms),
    )?
    .map(LiveKitClient::new)
    .transpose()?;
    let fcm = crate::fcm::FcmConfig::from_args(
        &args.fcm,
        Duration::from_millis(args.provider_timeout_ms),
    )?
    .map(crate::fcm::Fcm::new)
    .transpose()?;
    if fcm.is_none() {
        tracing::info!("FCM_SERVICE_ACCOUNT_FILE is not set: pushes wait in the queue");
    }
    let verifier = http::auth::Verifier::from_args(
        &args.auth,
        Duration::from_millis(args.provider_timeout_ms),
    )?;
    if livekit.is_some() && verifier.is_none() {
        return Err(CliError::Config(
            "LIVEKIT_URL is set but the call routes cannot check access tokens: set \
             SUPABASE_JWT_SECRET (HS256) or SUPABASE_JWKS_URL (asymmetric keys)"
                .into(),
        ));
    }
    if !(10..=86_400).contains(&args.call_token_ttl_secs)
        || !(1..=256).contains(&args.api_connections)
    {
        return Err(CliError::Config(format!(
            "SAMIA_CALL_TOKEN_TTL_SECS ({}) must be 10 to 86400 and SAMIA_API_CONNECTIONS ({}) 1 to 256",
            args.call_token_ttl_secs, args.api_connections
        )));
    }
    if livekit.is_none() {
        tracing::info!(
            "LIVEKIT_URL is not set: the call routes are not served and call rooms are not closed"
        );
    }

    let pool = db::pool(target)?;
    pool.resize(args.concurrency + 2 + args.api_connections);
    db::require_table(&pool, target, "ops.jobs").await?;
    {
        let mut client = db::client(&pool, target).await?;
        crate::cli::extension::require_current(&mut client).await?;
        // A Realtime installed since the last migration is set up now; a
        // failure here keeps no job from running.
        match crate::cli::realtime::setup(&**client).await {
            Ok(Some(status)) => tracing::info!(
                realtime = %crate::cli::realtime::describe(&status),
                "Supabase Realtime"
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not set up Supabase Realtime"),
        }
    }
    if livekit.is_some() {
        // Open the routes' connections now: a connection opened by a
        // request adds a new backend's start to that request.
        let opened =
            futures_util::future::join_all((0..args.api_connections).map(|_| pool.get())).await;
        let failed = opened.iter().filter(|c| c.is_err()).count();
        if failed > 0 {
            tracing::warn!(
                failed,
                "could not open every connection of the call routes ahead"
            );
        }
    }

    let metrics = Arc::new(Metrics::default());
    metrics.db_ok();
    let (stop, shutdown) = watch::channel(false);
    let poll = Duration::from_millis(args.poll_ms);

    let (notice_tx, notice) = watch::channel(None);
    if tiktok.is_some() {
        tokio::spawn(crate::tiktok::jobs::schedule(
            pool.clone(),
            notice_tx,
            Duration::from_millis(args.tiktok_schedule_ms.max(100)),
            shutdown.clone(),
        ));
    }
    if args.listen != "off" {
        let (listener, _) = http::bind(&args.listen, "").await?;
        let mut routes = match &tiktok {
            Some(t) => crate::tiktok::callback::router(crate::tiktok::callback::Callback {
                pool: pool.clone(),
                tiktok: t.clone(),
            }),
            None => axum::Router::new(),
        };
        if let (Some(livekit), Some(verifier)) = (&livekit, &verifier) {
            routes = routes.merge(crate::livekit::routes::router(
                crate::livekit::routes::Calls {
                    pool: pool.clone(),
                    livekit: livekit.clone(),
                    verifier: verifier.clone(),
                    token_ttl: Duration::from_secs(args.call_token_ttl_secs),
                },
            ));
        }
        let router = http::ops::router(
            http::ops::Ops {
                metrics: metrics.clone(),
                stopping: shutdown.clone(),
                // Healthy while the database answered within three poll intervals.
                stale_ms: (3 * args.poll_ms).max(3_000),
                notice,
            },
            routes,
        );
        let stopped = shutdown.clone();
        tokio::spawn(async move {
            if let Err(e) = http::serve(listener, router, stopped).await {
                tracing::error!(error = %e, "the /healthz and /metrics server stopped");
            }
        });
    }

    let wake = Arc::new(Notify::new());
    let listen_target = Target {
        config: target.config.clone(),
        shown: target.shown.clone(),
        ca_file: target.ca_file.clone(),
    };
    let pool_mode = args.db.pool_mode;
    if pool_mode == PoolMode::Transaction {
        tracing::info!(
            poll_ms = args.poll_ms,
            "SAMIA_DB_POOL_MODE=transaction: a transaction pooler cannot carry LISTEN; workers poll for jobs"
        );
    }
    tokio::spawn(daemon::listen(
        listen_target,
        pool_mode,
        wake.clone(),
        metrics.clone(),
        poll,
        shutdown.clone(),
    ));

    let ctx = Arc::new(Context {
        pool,
        twilio,
        prober,
        tiktok,
        audio,
        livekit,
        fcm,
        metrics,
        wake,
        shutdown: shutdown.clone(),
        lease: Duration::from_millis(args.lease_ms),
        poll,
        backoff: Backoff {
            base: Duration::from_millis(args.backoff_base_ms),
            max: Duration::from_millis(args.backoff_max_ms),
        },
        worker_id: args.worker_id.unwrap_or_else(daemon::worker_id),
        kept: pool_mode == PoolMode::Session,
    });
    tracing::info!(
        worker = %ctx.worker_id,
        database = %target.shown,
        kinds = ?worker::kinds(),
        concurrency = args.concurrency,
        lease_ms = args.lease_ms,
        "samia run started"
    );
    if args.seal_ms > 0 {
        tokio::spawn(crate::sealer::run(
            ctx.pool.clone(),
            Duration::from_millis(args.seal_ms),
            ctx.metrics.clone(),
            shutdown.clone(),
        ));
    }
    let workers: Vec<_> = (0..args.concurrency)
        .map(|i| tokio::spawn(worker::run(ctx.clone(), i)))
        .collect();

    let signal = daemon::wait_for_signal().await;
    tracing::info!(signal, "stopping: finishing the jobs in hand");
    let _ = stop.send(true);
    let drain = futures_util::future::join_all(workers);
    if tokio::time::timeout(Duration::from_millis(args.lease_ms), drain)
        .await
        .is_err()
    {
        tracing::warn!("jobs still running at the lease end were left to their leases");
    }
    tracing::info!("samia run stopped");
    Ok(ExitCode::SUCCESS)
}
