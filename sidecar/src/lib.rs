//! The library behind `samia`, the SAMIA-TAROT operator binary (its thin
//! `main.rs` parses the command line and calls [`cli`]).
//!
//! - [`cli`]: the commands, each with its clap arguments beside its handler;
//!   `samia run` (the job daemon) among them.
//! - [`daemon`]: what keeps `samia run` going: the LISTEN connection that
//!   wakes the workers, logging, and stopping on a signal.
//! - [`jobs`]: the job engine over `ops.jobs` (claim, settle, retry) and the
//!   worker that dispatches each job kind to its provider's handler.
//! - One folder per provider, [`twilio`], [`storage`], [`tiktok`],
//!   [`livekit`], [`fcm`]: its client and its job handlers, all over one
//!   outbound HTTP layer ([`http::outbound`]).
//! - [`http`]: the daemon's HTTP server (health, metrics, the call and
//!   TikTok routes), its access-token checks, and the outbound layer.
//! - [`db`], [`error`], [`metrics`], [`sealer`], [`secret`]: shared plumbing.
//!
//! The providers' test doubles live in the samia-fakes crate (binary
//! `samia-fake`), which uses this library; the `samia` binary contains none
//! of them (`tests/tests/product_binary.rs` checks).

pub mod cli;
pub mod daemon;
pub mod db;
pub mod error;
pub mod fcm;
pub mod http;
pub mod jobs;
pub mod livekit;
pub mod metrics;
pub mod sealer;
pub mod secret;
pub mod storage;
pub mod tiktok;
pub mod twilio;
