//! Who is making the current request.
//!
//! PostgREST runs each request as `SET LOCAL ROLE authenticated` with the JWT
//! claims in `request.jwt.claims`; a session without claims (a DBA in psql,
//! the sidecar) is the actor `system`.

use crate::errors;
use pgrx::prelude::*;

/// The authenticated user's id (`auth.uid()`), or `None` for `system`.
pub fn current_uid() -> Option<pgrx::Uuid> {
    errors::spi(
        Spi::get_one::<pgrx::Uuid>("select auth.uid()"),
        "reading auth.uid()",
    )
}
