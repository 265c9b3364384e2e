//! Serving a fake: in the background for a test, or in the foreground until
//! SIGINT or SIGTERM for `samia-fake` (one loop for every fake).

use axum::Router;
use samia_sidecar::error::CliError;
use samia_sidecar::{daemon, http};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Serves `router` on `listener` in the background until the returned
/// sender says `true`.
pub fn spawn(
    listener: TcpListener,
    router: Router,
) -> (watch::Sender<bool>, JoinHandle<std::io::Result<()>>) {
    let (stop, shutdown) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, router, shutdown));
    (stop, server)
}

/// Where a fake listens: every fake's `--listen`.
#[derive(clap::Args, Debug)]
pub struct ListenArgs {
    /// Address to listen on (port 0 picks a free port; the first line printed names it).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
}

/// Serves `router` where `listen` says until SIGINT or SIGTERM. The first
/// line printed is `fake NAME listening on http://ADDR` (`NAME` is `name`,
/// e.g. "Twilio", in lower case), which `make up` and the tests wait for.
pub async fn until_signal(
    listen: &ListenArgs,
    name: &str,
    router: Router,
) -> Result<ExitCode, CliError> {
    until_signal_with(listen, name, |_| Ok(router)).await
}

/// As [`until_signal`], for a fake whose router needs its own address
/// (the URLs it writes for its clients): `build` gets it once the port is
/// bound, and whatever it writes is in place before the first line is
/// printed.
pub async fn until_signal_with(
    listen: &ListenArgs,
    name: &str,
    build: impl FnOnce(SocketAddr) -> Result<Router, CliError>,
) -> Result<ExitCode, CliError> {
    let cannot =
        |e: std::io::Error| CliError::Config(format!("cannot listen on {}: {e}", listen.listen));
    let listener = TcpListener::bind(&listen.listen).await.map_err(cannot)?;
    let addr = listener.local_addr().map_err(cannot)?;
    let router = build(addr)?;
    println!("fake {} listening on http://{addr}", name.to_lowercase());
    let _ = std::io::stdout().flush();
    let name = format!("the fake {name}");
    let (stop, mut server) = spawn(listener, router);
    tokio::select! {
        _ = daemon::wait_for_signal() => {}
        ended = &mut server => {
            return Err(CliError::Config(match ended {
                Ok(Ok(())) => format!("{name} on {addr} stopped by itself"),
                Ok(Err(e)) => format!("{name} on {addr} failed: {e}"),
                Err(e) => format!("{name} on {addr} failed: {e}"),
            }));
        }
    }
    let _ = stop.send(true);
    // Answers in progress get a moment; a long injected delay is not waited for.
    let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
    Ok(ExitCode::SUCCESS)
}
