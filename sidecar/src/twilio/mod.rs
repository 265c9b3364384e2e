//! Twilio Verify: the client the daemon calls, the phone jobs that use it,
//! and the fake server that stands in for Twilio in development and tests.

mod client;
pub mod fake;
pub mod jobs;

pub use client::{CallError, Twilio, TwilioArgs, TwilioConfig, Verification};
