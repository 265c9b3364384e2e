//! SAMIA-TAROT domain rules in plain Rust.
//!
//! Everything here is pure (no database, no I/O) so that the PostgreSQL
//! extension, the sidecar and the tests all share one copy of each rule.

pub mod astro;
pub mod audit;
pub mod blocklist;
pub mod calls;
pub mod caption;
pub mod config;
pub mod jobs;
pub mod media;
pub mod migrations;
pub mod notices;
pub mod order_flow;
pub mod phone;
pub mod push;
pub mod realtime;
pub mod roles;

pub mod zodiac;

pub use zodiac::{Sign, ZODIAC_TABLE};
