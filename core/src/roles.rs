//! Application roles and who may change roles and block states
//! (CONTRACT.md sections 2, 4 and 6).

use std::fmt;

/// The application roles, with the fixed ids of `public.roles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppRole {
    Superadmin = 1,
    Admin = 2,
    Reader = 3,
    Monitor = 4,
    Client = 5,
}

impl AppRole {
    pub const ALL: [AppRole; 5] = [
        AppRole::Superadmin,
        AppRole::Admin,
        AppRole::Reader,
        AppRole::Monitor,
        AppRole::Client,
    ];

    pub const fn id(self) -> i16 {
        self as i16
    }

    pub const fn code(self) -> &'static str {
        match self {
            AppRole::Superadmin => "superadmin",
            AppRole::Admin => "admin",
            AppRole::Reader => "reader",
            AppRole::Monitor => "monitor",
            AppRole::Client => "client",
        }
    }

    pub fn from_id(id: i16) -> Option<AppRole> {
        AppRole::ALL.into_iter().find(|r| r.id() == id)
    }

    pub fn from_code(code: &str) -> Option<AppRole> {
        AppRole::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Monitors, admins and superadmins read everything in `public`.
    pub const fn is_staff(self) -> bool {
        matches!(
            self,
            AppRole::Superadmin | AppRole::Admin | AppRole::Monitor
        )
    }

    /// Admins and superadmins.
    pub const fn is_admin(self) -> bool {
        matches!(self, AppRole::Superadmin | AppRole::Admin)
    }
}

impl fmt::Display for AppRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who is acting. A session without a user is `System` (which may do what a
/// superadmin may) only when its database role is trusted: see
/// [`SYSTEM_ROLES`]. Any other session without a user is `Untrusted` and has
/// no powers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    System,
    Anon,
    /// A session without a user whose database role is not trusted as
    /// system: `service_role`, `authenticator`, GoTrue's and Storage's
    /// roles, a reporting role, anything else that logs in.
    Untrusted,
    /// An authenticated user without a profile (should not happen: the
    /// auth.users trigger creates one).
    Unknown,
    User {
        role: AppRole,
        blocked: bool,
    },
}

impl Actor {
    /// The role name recorded in `audit_log.actor_role`.
    pub fn role_name(self) -> &'static str {
        match self {
            Actor::System => "system",
            Actor::Anon => "anon",
            Actor::Untrusted => "untrusted",
            Actor::Unknown => "unknown",
            Actor::User { role, .. } => role.code(),
        }
    }

    /// The role whose powers the actor has right now: none when blocked.
    pub fn active_role(self) -> Option<AppRole> {
        match self {
            Actor::System => Some(AppRole::Superadmin),
            Actor::User {
                role,
                blocked: false,
            } => Some(role),
            _ => None,
        }
    }

    pub fn is_system(self) -> bool {
        self == Actor::System
    }
}

/// Does a token's `user_role` claim (added by the access token hook from
/// the profile when the token was issued) already rule out `power`? Only a
/// claim naming a role without it does; the database decides everything
/// else. A claim can only take powers away: a promotion shows once the app
/// refreshes its token, a demotion or a block at once (the database is
/// asked whenever the claim names a role with the power).
pub fn claim_rules_out(claim: Option<&str>, power: fn(AppRole) -> bool) -> bool {
    claim
        .and_then(AppRole::from_code)
        .is_some_and(|role| !power(role))
}

/// Why an action is refused (SQLSTATE 42501), in words for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The columns of `public.profiles` a user changes on their own profile
/// only (CONTRACT.md section 3); V7 grants UPDATE on exactly these and
/// [`STAFF_COLUMNS`] to `authenticated` (checked by a test).
pub const PERSONAL_COLUMNS: [&str; 10] = [
    "first_name",
    "last_name",
    "dob",
    "country",
    "birth_place",
    "birth_time",
    "phone",
    "locale",
    "time_zone",
    "quiet_hours",
];

/// The columns of `public.profiles` staff change on another user's profile.
pub const STAFF_COLUMNS: [&str; 3] = ["role_id", "is_blocked", "blocked_reason"];

/// Who acts as `system`, in words for refusals and docs.
pub const SYSTEM_ROLES: &str =
    "only the sidecar's role samia_sidecar (and its members), the database owner and superusers act without a user";

/// The refusal for an [`Actor::Untrusted`] session.
pub fn untrusted() -> Denied {
    Denied(format!(
        "this database session has no user and its role is not trusted as system: {SYSTEM_ROLES}"
    ))
}

fn deny<T>(msg: impl Into<String>) -> Result<T, Denied> {
    Err(Denied(msg.into()))
}

/// The refusal for callers with no powers at all, before any other rule.
fn powerless(actor: Actor) -> Result<(), Denied> {
    match actor {
        Actor::Untrusted => Err(untrusted()),
        _ => Ok(()),
    }
}

/// May `actor` move a profile (not their own unless `own`) from role `from` to `to`?
///
/// Only a superadmin grants or removes superadmin/admin; an admin sets
/// reader/monitor/client on profiles that are not admin/superadmin; nobody
/// changes their own role.
pub fn may_change_role(actor: Actor, own: bool, from: AppRole, to: AppRole) -> Result<(), Denied> {
    if actor.is_system() {
        return Ok(());
    }
    powerless(actor)?;
    if own {
        return deny("nobody may change their own role");
    }
    match actor.active_role() {
        Some(AppRole::Superadmin) => Ok(()),
        Some(AppRole::Admin) if !from.is_admin() && !to.is_admin() => Ok(()),
        Some(AppRole::Admin) => deny(format!(
            "only a superadmin may change a role from {from} to {to}"
        )),
        _ => deny("only admins and superadmins change roles"),
    }
}

/// May `actor` block a profile whose role is `target`?
///
/// Monitors block readers and clients only; admins also block monitors;
/// superadmins block anyone but themselves.
pub fn may_block(actor: Actor, own: bool, target: AppRole) -> Result<(), Denied> {
    if actor.is_system() {
        return Ok(());
    }
    powerless(actor)?;
    if own {
        return deny("nobody may block or unblock themselves");
    }
    let allowed = match actor.active_role() {
        Some(AppRole::Superadmin) => true,
        Some(AppRole::Admin) => !target.is_admin(),
        Some(AppRole::Monitor) => matches!(target, AppRole::Reader | AppRole::Client),
        _ => return deny("only monitors, admins and superadmins block users"),
    };
    if allowed {
        Ok(())
    } else {
        deny(format!("a {} may not block a {target}", actor.role_name()))
    }
}

/// May `actor` unblock a profile? Only admins and superadmins.
pub fn may_unblock(actor: Actor, own: bool) -> Result<(), Denied> {
    if actor.is_system() {
        return Ok(());
    }
    powerless(actor)?;
    if own {
        return deny("nobody may block or unblock themselves");
    }
    match actor.active_role() {
        Some(role) if role.is_admin() => Ok(()),
        _ => deny("only admins and superadmins unblock users"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppRole::*;

    fn user(role: AppRole) -> Actor {
        Actor::User {
            role,
            blocked: false,
        }
    }

    #[test]
    fn ids_and_codes_round_trip() {
        for r in AppRole::ALL {
            assert_eq!(AppRole::from_id(r.id()), Some(r));
            assert_eq!(AppRole::from_code(r.code()), Some(r));
        }
        assert_eq!(AppRole::from_id(9), None);
    }

    #[test]
    fn role_changes() {
        assert!(may_change_role(user(Superadmin), false, Client, Admin).is_ok());
        assert!(may_change_role(user(Superadmin), false, Admin, Client).is_ok());
        assert!(may_change_role(user(Admin), false, Client, Reader).is_ok());
        assert!(may_change_role(user(Admin), false, Monitor, Client).is_ok());
        assert!(may_change_role(user(Admin), false, Client, Admin).is_err());
        assert!(may_change_role(user(Admin), false, Admin, Client).is_err());
        assert!(may_change_role(user(Admin), false, Superadmin, Client).is_err());
        for r in [Monitor, Reader, Client] {
            assert!(may_change_role(user(r), false, Client, Reader).is_err());
        }
        for r in AppRole::ALL {
            assert!(
                may_change_role(user(r), true, r, Superadmin).is_err(),
                "{r} promoted itself"
            );
        }
        assert!(may_change_role(Actor::Anon, false, Client, Reader).is_err());
        assert!(may_change_role(
            Actor::User {
                role: Superadmin,
                blocked: true
            },
            false,
            Client,
            Reader
        )
        .is_err());
        assert!(may_change_role(Actor::System, false, Client, Superadmin).is_ok());
        let untrusted = may_change_role(Actor::Untrusted, false, Client, Superadmin);
        assert_eq!(untrusted, Err(super::untrusted()));
    }

    #[test]
    fn untrusted_sessions_have_no_powers() {
        assert_eq!(Actor::Untrusted.active_role(), None);
        assert!(!Actor::Untrusted.is_system());
        assert!(may_block(Actor::Untrusted, false, Client).is_err());
        assert!(may_unblock(Actor::Untrusted, false).is_err());
        assert!(untrusted().0.contains("samia_sidecar"));
    }

    #[test]
    fn blocking() {
        assert!(may_block(user(Monitor), false, Client).is_ok());
        assert!(may_block(user(Monitor), false, Reader).is_ok());
        assert!(may_block(user(Monitor), false, Monitor).is_err());
        assert!(may_block(user(Monitor), false, Admin).is_err());
        assert!(may_block(user(Admin), false, Monitor).is_ok());
        assert!(may_block(user(Admin), false, Admin).is_err());
        assert!(may_block(user(Superadmin), false, Admin).is_ok());
        assert!(may_block(user(Reader), false, Client).is_err());
        assert!(may_block(user(Client), false, Client).is_err());
        assert!(may_block(user(Superadmin), true, Superadmin).is_err());
        assert!(may_unblock(user(Monitor), false).is_err());
        assert!(may_unblock(user(Admin), false).is_ok());
        assert!(may_unblock(user(Client), true).is_err());
        assert!(may_unblock(
            Actor::User {
                role: Admin,
                blocked: true
            },
            false
        )
        .is_err());
    }

    #[test]
    fn a_claim_only_takes_powers_away() {
        assert!(claim_rules_out(Some("client"), AppRole::is_staff));
        assert!(claim_rules_out(Some("reader"), AppRole::is_staff));
        assert!(claim_rules_out(Some("monitor"), AppRole::is_admin));
        // A staff claim, no claim or an unknown one: the database decides.
        assert!(!claim_rules_out(Some("monitor"), AppRole::is_staff));
        assert!(!claim_rules_out(Some("admin"), AppRole::is_admin));
        assert!(!claim_rules_out(None, AppRole::is_staff));
        assert!(!claim_rules_out(Some("owner"), AppRole::is_staff));
    }
}
