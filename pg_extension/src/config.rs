//! Reading `app_config` (keys and their meaning in `samia_core::config`).

use crate::{errors, plans};
use pgrx::prelude::*;
use pgrx::PgOid;
use std::cell::Cell;

thread_local! {
    /// The extension's owner, read once per session.
    static OWNER: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
}

/// The role that created the extension (a superuser).
fn extension_owner() -> pg_sys::Oid {
    let known = OWNER.get();
    if known != pg_sys::InvalidOid {
        return known;
    }
    let owner = errors::spi(
        Spi::get_one::<pg_sys::Oid>(
            "select extowner from pg_catalog.pg_extension where extname = 'samia'",
        ),
        "reading the extension's owner",
    )
    .unwrap_or_else(|| errors::misconfigured("the samia extension is not installed"));
    OWNER.set(owner);
    owner
}

/// Runs `read` as the extension's owner, as a SECURITY DEFINER function
/// would: settings read the same for every caller, whatever RLS would show
/// them (functions that run as the caller, such as `call_join`, read them
/// too). The caller's identity is restored on the way out, errors included
/// (and by PostgreSQL itself when the transaction aborts).
pub fn as_owner<R>(read: impl FnOnce() -> R) -> R {
    struct Restore(pg_sys::Oid, i32);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: puts back the user id and context saved below.
            unsafe { pg_sys::SetUserIdAndSecContext(self.0, self.1) };
        }
    }
    let owner = extension_owner();
    let (mut user, mut context) = (pg_sys::InvalidOid, 0i32);
    // SAFETY: reads and sets this backend's current user id, as fmgr does
    // for SECURITY DEFINER functions; SECURITY_LOCAL_USERID_CHANGE keeps
    // SET ROLE and the like from running meanwhile.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
        pg_sys::SetUserIdAndSecContext(
            owner,
            context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    let _restore = Restore(user, context);
    read()
}

/// The value of `key`, if set (read as the extension's owner: the same for
/// every caller).
pub fn value(key: &str) -> Option<serde_json::Value> {
    as_owner(|| {
        errors::spi(
            plans::value::<pgrx::JsonB>(
                "select value from public.app_config where key = $1",
                &[PgOid::from(pg_sys::TEXTOID)],
                &[key.into()],
            ),
            "reading app_config",
        )
    })
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
