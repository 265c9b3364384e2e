//! Who is making the current request, read from the database every time.
//!
//! PostgREST runs each request as `SET LOCAL ROLE authenticated` (or `anon`)
//! with the JWT claims in `request.jwt.claims`. The role and block state come
//! from `public.profiles` on every call, never from a claim, so a block takes
//! effect on the caller's very next request. A session with no claims and no
//! API role (a DBA in psql, the sidecar, GoTrue) is the actor `system`, as is
//! a `service_role` request.

use crate::{errors, plans};
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::roles::{Actor, AppRole};
use std::cell::RefCell;
use std::ffi::CStr;

/// The caller: their user id (if any) and what they may do.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub uid: Option<pgrx::Uuid>,
    pub actor: Actor,
}

/// What identifies a caller within one statement: the transaction, the
/// statement, the session role and the JWT claims.
#[derive(Clone, PartialEq, Eq)]
struct CacheKey {
    lxid: u32,
    statement_start: i64,
    role: String,
    claims: String,
}

thread_local! {
    static CACHE: RefCell<Option<(CacheKey, Caller)>> = const { RefCell::new(None) };
}

fn guc(name: &CStr) -> String {
    // SAFETY: GetConfigOption returns NULL or a string owned by the GUC
    // machinery, valid until the setting changes; we copy it at once.
    unsafe {
        let value = pg_sys::GetConfigOption(name.as_ptr(), true, false);
        if value.is_null() {
            String::new()
        } else {
            CStr::from_ptr(value).to_string_lossy().into_owned()
        }
    }
}

fn local_transaction_id() -> u32 {
    // SAFETY: MyProc is this backend's PGPROC, set for the life of the backend.
    unsafe {
        #[cfg(not(feature = "pg17"))]
        let lxid = (*pg_sys::MyProc).lxid;
        #[cfg(feature = "pg17")]
        let lxid = (*pg_sys::MyProc).vxid.lxid;
        lxid
    }
}

impl Caller {
    /// The caller of the current statement. Read from the database once per
    /// statement (cached for the rest of it), so bulk writes and policies do
    /// not repeat the lookup row by row.
    pub fn current() -> Caller {
        let claims = guc(c"request.jwt.claims");
        let legacy_sub = guc(c"request.jwt.claim.sub");
        let legacy_role = guc(c"request.jwt.claim.role");
        let key = CacheKey {
            lxid: local_transaction_id(),
            // SAFETY: reads a timestamp PostgreSQL keeps for the current statement.
            statement_start: unsafe { pg_sys::GetCurrentStatementStartTimestamp() },
            role: guc(c"role"),
            claims: format!("{claims}\u{0}{legacy_sub}\u{0}{legacy_role}"),
        };
        if let Some(hit) =
            CACHE.with_borrow(|c| c.as_ref().filter(|(k, _)| *k == key).map(|(_, v)| *v))
        {
            return hit;
        }
        let caller = Caller::resolve(&claims, &legacy_sub, &legacy_role, &key.role);
        CACHE.with_borrow_mut(|c| *c = Some((key, caller)));
        caller
    }

    fn resolve(claims: &str, legacy_sub: &str, legacy_role: &str, session_role: &str) -> Caller {
        let parsed: serde_json::Value = if claims.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(claims).unwrap_or_else(|_| {
                errors::invalid_value("request.jwt.claims is not valid JSON", None)
            })
        };
        let sub = Some(legacy_sub).filter(|s| !s.is_empty()).or_else(|| {
            parsed
                .get("sub")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        });
        let jwt_role = Some(legacy_role)
            .filter(|s| !s.is_empty())
            .or_else(|| parsed.get("role").and_then(|v| v.as_str()))
            .unwrap_or("");
        let uid = sub.map(|s| {
            pgrx::Uuid::from_slice(&parse_uuid(s).unwrap_or_else(|| {
                errors::invalid_value(format!("the JWT sub claim {s:?} is not a user id"), None)
            }))
            .unwrap_or_else(|e| errors::misconfigured(e))
        });
        let api_role = matches!(session_role, "anon" | "authenticated");
        let actor = match uid {
            Some(uid) => match lookup(uid) {
                Some((role_id, blocked)) => match AppRole::from_id(role_id) {
                    Some(role) => Actor::User { role, blocked },
                    None => Actor::Unknown,
                },
                None => Actor::Unknown,
            },
            // The session's own role, unaffected by SECURITY DEFINER: an API
            // role without a user is anon, never system.
            None if jwt_role == "service_role" && !api_role => Actor::System,
            None if api_role || !jwt_role.is_empty() => Actor::Anon,
            None => Actor::System,
        };
        Caller { uid, actor }
    }
}

/// The role id and block state of a profile.
fn lookup(uid: pgrx::Uuid) -> Option<(i16, bool)> {
    let result = plans::select(
        "select role_id, is_blocked from public.profiles where id = $1",
        &[PgOid::from(pg_sys::UUIDOID)],
        &[uid.into()],
        |table| {
            if table.is_empty() {
                return Ok(None);
            }
            let row = table.first();
            Ok(Some((
                row.get::<i16>(1)?.unwrap_or(5),
                row.get::<bool>(2)?.unwrap_or(false),
            )))
        },
    );
    errors::spi(result, "identifying the caller")
}

/// 16 bytes of a textual UUID (hyphens optional, any case).
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = std::str::from_utf8(&hex[2 * i..2 * i + 2]).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// The caller's application role (`superadmin` ... `client`), or `anon`,
/// `system`, `unknown`. Blocked users keep their role here; see
/// `samia.caller_is_blocked()`.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn caller_role() -> &'static str {
    Caller::current().actor.role_name()
}

/// Is the caller a blocked user?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn caller_is_blocked() -> bool {
    matches!(Caller::current().actor, Actor::User { blocked: true, .. })
}

/// Is the caller an unblocked monitor, admin or superadmin (or system)?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn is_staff() -> bool {
    Caller::current()
        .actor
        .active_role()
        .is_some_and(AppRole::is_staff)
}

/// Is the caller an unblocked admin or superadmin (or system)?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn is_admin() -> bool {
    Caller::current()
        .actor
        .active_role()
        .is_some_and(AppRole::is_admin)
}

/// Is the caller the reader assigned to this order?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn is_assigned_reader(order_id: i64) -> bool {
    let found = errors::spi_optional(
        Spi::get_one_with_args::<bool>(
            "select true from public.orders where id = $1 and assigned_reader = auth.uid()",
            &[order_id.into()],
        ),
        "checking the order's reader",
    );
    found.unwrap_or(false)
}

/// Public wrapper for other modules: the current user id, or `None` for system.
pub fn current_uid() -> Option<pgrx::Uuid> {
    Caller::current().uid
}

/// For staff (see `samia.is_staff()`), the smallest uuid; NULL for anyone
/// else. With `samia.staff_uuid_ceiling()` it turns "staff see every row"
/// into a range on an indexed uuid column (`user_id between floor and
/// ceiling`), so a policy whose other arms are indexed equalities can be
/// planned as a BitmapOr of index scans instead of a sequential scan.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn staff_uuid_floor() -> Option<pgrx::Uuid> {
    is_staff().then(|| pgrx::Uuid::from_bytes([0x00; 16]))
}

/// For staff, the largest uuid; NULL for anyone else.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog)]
fn staff_uuid_ceiling() -> Option<pgrx::Uuid> {
    is_staff().then(|| pgrx::Uuid::from_bytes([0xff; 16]))
}
