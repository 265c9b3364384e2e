//! The commands of `samia`, each with its clap arguments beside its
//! handler: those that work on the database once and exit (`migrate`,
//! `health`, `qa`, `audit`, `jobs`, `costs`, `lineage`, `backfill`,
//! `backup`, `restore`, `tiktok`), `storage` (no database), and `run`, the
//! job daemon.

pub mod audit;
pub mod backfill;
pub mod backup;
pub mod costs;
pub mod extension;
pub mod health;
pub mod jobs;
pub mod lineage;
pub mod migrate;
pub mod qa;
pub mod realtime;
pub mod run;
pub mod storage;
pub mod tiktok;

use crate::db::{self, DbArgs, Target};
use crate::error::CliError;

/// The database of a command that works on it once: where it is, and one
/// connection to it.
pub async fn connect(db: &DbArgs) -> Result<(Target, deadpool_postgres::Object), CliError> {
    let target = Target::from_args(db)?;
    let pool = db::pool(&target)?;
    let client = db::client(&pool, &target).await?;
    Ok((target, client))
}
