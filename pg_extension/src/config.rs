//! Reading `app_config` (keys and their meaning in `samia_core::config`).

use crate::{errors, plans};
use pgrx::prelude::*;
use pgrx::PgOid;

/// The value of `key`, if set.
pub fn value(key: &str) -> Option<serde_json::Value> {
    errors::spi(
        plans::value::<pgrx::JsonB>(
            "select value from public.app_config where key = $1",
            &[PgOid::from(pg_sys::TEXTOID)],
            &[key.into()],
        ),
        "reading app_config",
    )
    .map(|v| v.0)
}

/// Is the toggle `key` on (for `code`)?
pub fn enabled(key: &str, code: Option<&str>) -> bool {
    samia_core::config::enabled(value(key).as_ref(), code)
}

/// The whole number at `key`, else `default`.
pub fn number(key: &str, default: i64) -> i64 {
    samia_core::config::number(value(key).as_ref(), default)
}
