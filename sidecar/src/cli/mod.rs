//! The operator commands that work on the database once and exit:
//! `migrate`, `health`, `qa`, `audit`, `jobs`, `costs`, `lineage`, `backfill`, `backup`,
//! `restore`, `storage` and `tiktok`.

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
pub mod storage;
pub mod tiktok;
