//! A fake served on loopback for a test, stopped when dropped.

use axum::Router;
use tokio::sync::watch;

pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stop: watch::Sender<bool>,
}

impl Running {
    pub async fn start(router: Router) -> Running {
        Running::start_with(|_| router).await
    }

    /// For a fake whose router needs its own address.
    pub async fn start_with(build: impl FnOnce(std::net::SocketAddr) -> Router) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let (stop, _server) = crate::serve::spawn(listener, build(addr));
        Running {
            base: format!("http://{addr}"),
            stop,
        }
    }

    /// Queues `faults` (a JSON list) at the fake's `POST /_fake/faults`.
    pub async fn faults(&self, faults: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/_fake/faults", self.base))
            .body(serde_json::json!({ "faults": faults }).to_string())
            .send()
            .await
            .expect("the fake answers");
        assert_eq!(response.status().as_u16(), 200);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
