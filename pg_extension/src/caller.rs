//! Who is making the current request, read from the database every time.
//!
//! PostgREST runs each request as `SET LOCAL ROLE authenticated` (or `anon`)
//! with the JWT claims in `request.jwt.claims`. The role and block state come
//! from `public.profiles` on every call, never from a claim, so a block takes
//! effect on the caller's very next request. A session with no claims and no
//! API role (a DBA in psql, the sidecar, GoTrue) is the actor `system`, as is
//! a `service_role` request.

use crate::errors;
use pgrx::prelude::*;
use samia_core::roles::{Actor, AppRole};

/// The caller: their user id (if any) and what they may do.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub uid: Option<pgrx::Uuid>,
    pub actor: Actor,
}

const CALLER_SQL: &str = "
    select auth.uid(),
           coalesce(auth.role(), ''),
           current_setting('role') in ('anon', 'authenticated'),
           p.role_id,
           p.is_blocked
      from (select auth.uid() as uid) u
      left join public.profiles p on p.id = u.uid";

impl Caller {
    pub fn current() -> Caller {
        let result = Spi::connect(|client| {
            let row = client.select(CALLER_SQL, Some(1), &[])?.first();
            Ok::<_, pgrx::spi::SpiError>((
                row.get::<pgrx::Uuid>(1)?,
                row.get::<String>(2)?.unwrap_or_default(),
                row.get::<bool>(3)?.unwrap_or(false),
                row.get::<i16>(4)?,
                row.get::<bool>(5)?.unwrap_or(false),
            ))
        });
        let (uid, jwt_role, api_role, role_id, blocked) =
            errors::spi(result, "identifying the caller");
        let actor = match (uid, role_id.and_then(AppRole::from_id)) {
            (Some(_), Some(role)) => Actor::User { role, blocked },
            (Some(_), None) => Actor::Unknown,
            // The session's own role, unaffected by SECURITY DEFINER: an API
            // role without a user is anon, never system.
            (None, _) if jwt_role == "service_role" => Actor::System,
            (None, _) if api_role || !jwt_role.is_empty() => Actor::Anon,
            (None, _) => Actor::System,
        };
        Caller { uid, actor }
    }
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
