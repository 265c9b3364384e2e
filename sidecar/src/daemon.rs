//! What keeps `samia run` going besides its workers: the LISTEN connection
//! that wakes them when a job is queued (polling as a fallback; polling only
//! behind a transaction-mode pooler, `SAMIA_DB_POOL_MODE=transaction`) and
//! pings the database for `/healthz`, logging, the worker's name, and
//! stopping on SIGINT/SIGTERM. The command itself, its settings and how it
//! is put together are `cli::run`.

use crate::db::{PoolMode, Target};
use crate::error::CliError;
use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio_postgres::AsyncMessage;

const CHANNEL: &str = samia_core::jobs::CHANNEL;

pub fn init_logging(format: &str, directives: &str) -> Result<(), CliError> {
    let parsed = tracing_subscriber::EnvFilter::try_new(directives);
    let invalid = parsed.as_ref().err().map(|e| e.to_string());
    let filter = parsed.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let result = match format {
        "json" => builder.json().try_init(),
        "text" => builder.try_init(),
        other => {
            return Err(CliError::Config(format!(
                "SAMIA_LOG_FORMAT {other:?} is neither \"text\" nor \"json\""
            )))
        }
    };
    result.map_err(|e| CliError::Config(format!("cannot set up logging: {e}")))?;
    if let Some(reason) = invalid {
        tracing::warn!(filter = directives, error = %reason, "RUST_LOG is not a valid filter; logging at info");
    }
    Ok(())
}

pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "samia".into());
    format!("{host}:{}", std::process::id())
}

pub async fn wait_for_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

/// Connects, and pumps the connection's messages in the background: every
/// notification wakes one idle worker (which wakes the next when it finds a
/// job: `jobs::worker`); `ended` fires when the connection closes.
async fn open<T>(
    config: &tokio_postgres::Config,
    tls: T,
    wake: &Arc<Notify>,
    metrics: &Arc<Metrics>,
) -> Result<(tokio_postgres::Client, tokio::sync::oneshot::Receiver<()>), tokio_postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, mut connection) = config.connect(tls).await?;
    let (ended_tx, ended) = tokio::sync::oneshot::channel::<()>();
    let w = wake.clone();
    let m = metrics.clone();
    tokio::spawn(async move {
        loop {
            let message = futures_util::future::poll_fn(|cx| connection.poll_message(cx)).await;
            match message {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    m.db_ok();
                    w.notify_one();
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
        let _ = ended_tx.send(());
    });
    Ok((client, ended))
}

/// Keeps a LISTEN connection: wakes a worker on every notification and
/// pings the database every poll interval (the health signal); reconnects
/// with backoff when the database goes away. Behind a transaction-mode
/// pooler it only pings: the LISTEN would be registered in one server
/// session while the connection's next statements run in others, and the
/// pooler drops what that session is notified of.
pub async fn listen(
    target: Target,
    pool_mode: PoolMode,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let tls = match crate::db::tls(&target) {
        Ok(tls) => tls,
        Err(e) => {
            tracing::error!(error = %e, "cannot set up TLS for the LISTEN connection");
            return;
        }
    };
    let mut pause = Duration::from_millis(200);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let connected = match &tls {
            Some(tls) => open(&target.config, tls.clone(), &wake, &metrics).await,
            None => open(&target.config, tokio_postgres::NoTls, &wake, &metrics).await,
        };
        match connected {
            Ok((client, mut ended)) => {
                let subscribed = match pool_mode {
                    PoolMode::Session => client.batch_execute(&format!("listen {CHANNEL}")).await,
                    PoolMode::Transaction => client.simple_query("select 1").await.map(|_| ()),
                };
                match subscribed {
                    Ok(()) => {
                        pause = Duration::from_millis(200);
                        metrics.db_ok();
                        // Jobs queued while we were away.
                        wake.notify_one();
                        loop {
                            tokio::select! {
                                _ = tokio::time::sleep(poll) => {
                                    match client.simple_query("select 1").await {
                                        Ok(_) => metrics.db_ok(),
                                        Err(e) => {
                                            metrics.db_error("ping");
                                            tracing::warn!(error = %crate::error::describe(&e), "the LISTEN connection stopped answering");
                                            break;
                                        }
                                    }
                                }
                                _ = &mut ended => break,
                                _ = shutdown.changed() => return,
                            }
                        }
                        tracing::warn!("lost the database connection; reconnecting");
                    }
                    Err(e) => {
                        metrics.db_error("listen");
                        tracing::warn!(
                            channel = CHANNEL,
                            error = %crate::error::describe(&e),
                            "LISTEN failed; workers poll until it succeeds on a new connection"
                        );
                    }
                }
            }
            Err(e) => {
                metrics.db_error("listen");
                tracing::warn!(error = %crate::error::describe(&e), "cannot reach the database; retrying");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}
