//! Supabase Storage: the client the daemon calls and the `media.probe` job
//! that uses it. (The fake Storage of development and the tests is
//! `samia-fake storage`, in the samia-fakes crate, which also tests this
//! client and the probe against it.)

mod client;
pub mod jobs;
pub mod probe;

pub use client::{object_path, StorageArgs, StorageClient, StorageConfig, StorageError};
