//! Who is making the current request, read from the database every time.
//!
//! PostgREST runs each request as `SET LOCAL ROLE authenticated` (or `anon`)
//! with the JWT claims in `request.jwt.claims`. The role and block state come
//! from `public.profiles` on every call, never from a claim, so a block takes
//! effect on the caller's very next request. A session without a user is the
//! actor `system` only when its own database role (the session's, or the one
//! it `SET ROLE` to; never a SECURITY DEFINER function's) is a superuser, the
//! database owner, or has the privileges of `samia_sidecar`; any other
//! session without a user (`service_role`, `authenticator`, GoTrue's and
//! Storage's roles, a reporting role) is `untrusted` and has no powers.

use crate::{backend, errors, plans};
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
/// statement, the session role and the JWT claims (the GUCs of [`GUCS`], in
/// that order).
struct CacheKey {
    lxid: u32,
    statement_start: i64,
    outer_user: pg_sys::Oid,
    gucs: [Vec<u8>; 4],
}

/// The settings a caller is read from: the session role, the JWT claims,
/// and the legacy per-claim settings of older PostgREST versions.
const GUCS: [&CStr; 4] = [
    c"role",
    c"request.jwt.claims",
    c"request.jwt.claim.sub",
    c"request.jwt.claim.role",
];

thread_local! {
    static CACHE: RefCell<Option<(CacheKey, Caller)>> = const { RefCell::new(None) };
}

/// Runs `work` with the caller seen as `system`: for the extension's own
/// writes on behalf of the product (the `auth.users` sync), whoever's session
/// triggered them. The depth is restored on the way out, errors included.
pub fn as_system<R>(work: impl FnOnce() -> R) -> R {
    backend::scoped(
        |s| {
            s.as_system += 1;
        },
        |s, ()| s.as_system = s.as_system.saturating_sub(1),
        work,
    )
}

/// Is the extension's own work running (see [`as_system`]), in this
/// library or in release 0.1.0's during an update?
fn in_system_work() -> bool {
    backend::with(|s| s.as_system > 0) || backend::legacy::as_system()
}

/// The current values of [`GUCS`] (empty when unset), borrowed from the GUC
/// machinery: valid until a setting changes, so used at once.
fn gucs<'a>() -> [&'a [u8]; 4] {
    GUCS.map(|name| {
        // SAFETY: GetConfigOption returns NULL or a string owned by the GUC
        // machinery; nothing here changes a setting while it is borrowed.
        unsafe {
            let value = pg_sys::GetConfigOption(name.as_ptr(), true, false);
            if value.is_null() {
                &[][..]
            } else {
                CStr::from_ptr(value).to_bytes()
            }
        }
    })
}

pub fn local_transaction_id() -> u32 {
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
        if in_system_work() {
            return Caller {
                uid: None,
                actor: Actor::System,
            };
        }
        let lxid = local_transaction_id();
        // SAFETY: reads the role the session acts as outside SECURITY DEFINER.
        let outer_user = unsafe { pg_sys::GetOuterUserId() };
        // SAFETY: reads a timestamp PostgreSQL keeps for the current statement.
        let statement_start = unsafe { pg_sys::GetCurrentStatementStartTimestamp() };
        let values = gucs();
        let hit = CACHE.with_borrow(|c| {
            c.as_ref()
                .filter(|(k, _)| {
                    k.lxid == lxid
                        && k.statement_start == statement_start
                        && k.outer_user == outer_user
                        && k.gucs.iter().zip(values).all(|(a, b)| a.as_slice() == b)
                })
                .map(|(_, v)| *v)
        });
        if let Some(hit) = hit {
            return hit;
        }
        let key = CacheKey {
            lxid,
            statement_start,
            outer_user,
            gucs: values.map(<[u8]>::to_vec),
        };
        let text = |i: usize| String::from_utf8_lossy(&key.gucs[i]).into_owned();
        let caller = Caller::resolve(&text(1), &text(2), &text(3), &text(0), outer_user);
        CACHE.with_borrow_mut(|c| *c = Some((key, caller)));
        caller
    }

    fn resolve(
        claims: &str,
        legacy_sub: &str,
        legacy_role: &str,
        session_role: &str,
        outer_user: pg_sys::Oid,
    ) -> Caller {
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
        let uid = sub.map(|s| match uuid::Uuid::parse_str(s) {
            Ok(u) => pgrx::Uuid::from_bytes(*u.as_bytes()),
            Err(_) => {
                errors::invalid_value(format!("the JWT sub claim {s:?} is not a user id"), None)
            }
        });
        let api_role = matches!(session_role, "anon" | "authenticated");
        let actor = match uid {
            Some(uid) => match profile_standing(uid) {
                Some((role_id, blocked)) => match AppRole::from_id(role_id) {
                    Some(role) => Actor::User { role, blocked },
                    None => Actor::Unknown,
                },
                None => Actor::Unknown,
            },
            // The session's own role, unaffected by SECURITY DEFINER: an API
            // role without a user is anon, never system; a service_role
            // request is system only from a trusted session.
            None if api_role || !matches!(jwt_role, "" | "service_role") => Actor::Anon,
            None if session_is_trusted(outer_user) => Actor::System,
            None => Actor::Untrusted,
        };
        Caller { uid, actor }
    }
}

/// May a session acting as `outer_user` act as system? Superusers, the
/// database owner and `samia_sidecar` (with the roles that have its
/// privileges) may; see `samia_core::roles::SYSTEM_ROLES`.
fn session_is_trusted(outer_user: pg_sys::Oid) -> bool {
    // SAFETY: a catalog lookup by oid; false for a role that does not exist.
    if unsafe { pg_sys::superuser_arg(outer_user) } {
        return true;
    }
    let oid = PgOid::from(pg_sys::OIDOID);
    let trusted = plans::value::<bool>(
        "select pg_catalog.pg_has_role($1, d.datdba, 'USAGE')
             or exists (select from pg_catalog.pg_roles r
                         where r.rolname = 'samia_sidecar' and pg_catalog.pg_has_role($1, r.oid, 'USAGE'))
           from pg_catalog.pg_database d where d.oid = $2",
        &[oid, oid],
        // SAFETY: MyDatabaseId is set for the life of the backend.
        &[outer_user.into(), unsafe { pg_sys::MyDatabaseId }.into()],
    );
    errors::spi(trusted, "checking the session's role").unwrap_or(false)
}

/// The role id and block state of a profile, read under the statement's
/// snapshot through a kept plan.
pub fn profile_standing(uid: pgrx::Uuid) -> Option<(i16, bool)> {
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

/// The caller's application role (`superadmin` ... `client`), or `anon`,
/// `system`, `unknown`. Blocked users keep their role here; see
/// `samia.caller_is_blocked()`.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn caller_role() -> &'static str {
    Caller::current().actor.role_name()
}

/// Is the caller a blocked user?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn caller_is_blocked() -> bool {
    matches!(Caller::current().actor, Actor::User { blocked: true, .. })
}

/// For the policy helpers below: does the token's `user_role` claim rule
/// the caller out of `power` without asking the database (see
/// `samia_core::roles::claim_rules_out`)? A client's or a reader's request
/// then costs no profile lookup; the triggers never take this shortcut.
fn claim_rules_out(power: fn(AppRole) -> bool) -> bool {
    if backend::with(|s| s.as_system > 0) {
        return false;
    }
    let claims = gucs()[1];
    if !claims.windows(9).any(|w| w == b"user_role") {
        return false;
    }
    let Ok(parsed) = serde_json::from_slice::<serde_json::Value>(claims) else {
        return false;
    };
    samia_core::roles::claim_rules_out(parsed.get("user_role").and_then(|r| r.as_str()), power)
}

/// Is the caller an unblocked monitor, admin or superadmin (or system)?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn is_staff() -> bool {
    if claim_rules_out(AppRole::is_staff) {
        return false;
    }
    Caller::current()
        .actor
        .active_role()
        .is_some_and(AppRole::is_staff)
}

/// Is the caller an unblocked admin or superadmin (or system)?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn is_admin() -> bool {
    if claim_rules_out(AppRole::is_admin) {
        return false;
    }
    Caller::current()
        .actor
        .active_role()
        .is_some_and(AppRole::is_admin)
}

/// Is the caller the reader assigned to this order?
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
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
/// else. It turns "staff see every row" into a range on an indexed uuid
/// column (`user_id between floor and 'ffffffff-...'`, V13), so a policy
/// whose other arms are indexed equalities can be planned as a BitmapOr of
/// index scans instead of a sequential scan. The range needs both bounds:
/// the planner estimates a one-sided bound over a parameter at a third of
/// the table, two at 0.5%.
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn staff_uuid_floor() -> Option<pgrx::Uuid> {
    is_staff().then(|| pgrx::Uuid::from_bytes([0x00; 16]))
}

/// For staff, the largest uuid; NULL for anyone else. The policies use a
/// constant ceiling instead, which costs no call (V13).
#[pg_extern(stable, parallel_safe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn staff_uuid_ceiling() -> Option<pgrx::Uuid> {
    is_staff().then(|| pgrx::Uuid::from_bytes([0xff; 16]))
}

/// Refuses (42501) a caller that is not `system`: for the functions only
/// the sidecar calls (`what` says what they do).
pub fn sidecar_only(what: &str) {
    if !Caller::current().actor.is_system() {
        errors::denied(format!("only the sidecar {what}"));
    }
}
