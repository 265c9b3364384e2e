//! Twilio Verify: the client the daemon calls and the phone jobs that use
//! it. (The fake Twilio of development and the tests is `samia-fake
//! twilio`, in the samia-fakes crate.)

mod client;
pub mod jobs;

pub use client::{CallError, Twilio, TwilioArgs, TwilioConfig, Verification};
