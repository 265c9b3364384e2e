//! Supabase Storage: the client the daemon calls, the `media.probe` job
//! that uses it, and the fake server that stands in for Storage in
//! development and tests.

mod answers;
mod client;
pub mod fake;
pub mod jobs;
pub mod probe;
pub mod token;

#[cfg(test)]
mod fake_tests;
#[cfg(test)]
mod probe_tests;
#[cfg(test)]
mod testing;

pub use client::{StorageArgs, StorageClient, StorageConfig, StorageError};
