//! Work that may fail without failing the statement around it: an internal
//! subtransaction, as PL/pgSQL's `BEGIN ... EXCEPTION` block opens one
//! (`exec_stmt_block` in pl_exec.c).

use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;

/// Runs `work` in a subtransaction of its own. Its effects are kept when it
/// returns; when it raises an error, they are rolled back and the error is
/// returned instead (its message). A cancel (57014, a statement timeout too) is not
/// caught, as `WHEN OTHERS` does not catch it: the statement ends.
pub fn attempt<R>(work: impl FnOnce() -> R) -> Result<R, String> {
    // SAFETY: the sequence of pl_exec.c's exec_stmt_block: remember the
    // memory context and resource owner, open the subtransaction, run in
    // the caller's context, and on either exit release or roll back the
    // subtransaction and restore both. pgrx has already copied and flushed
    // the error when the closure passed to `catch_others` runs.
    let (context, owner) = unsafe { (pg_sys::CurrentMemoryContext, pg_sys::CurrentResourceOwner) };
    unsafe {
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
    }
    let restore = move || unsafe {
        pg_sys::MemoryContextSwitchTo(context);
        pg_sys::CurrentResourceOwner = owner;
    };
    // The builder takes a closure it could call again; this one runs once.
    let mut work = std::panic::AssertUnwindSafe(Some(work));
    PgTryBuilder::new(move || {
        let done = work.take().expect("an attempt runs once")();
        unsafe { pg_sys::ReleaseCurrentSubTransaction() };
        restore();
        Ok(done)
    })
    .catch_others(|cause| {
        unsafe { pg_sys::RollbackAndReleaseCurrentSubTransaction() };
        restore();
        let (code, message) = match &cause {
            CaughtError::PostgresError(e) | CaughtError::ErrorReport(e) => {
                (e.sql_error_code(), e.message().to_string())
            }
            CaughtError::RustPanic { ereport, .. } => {
                (ereport.sql_error_code(), ereport.message().to_string())
            }
        };
        if code == PgSqlErrorCode::ERRCODE_QUERY_CANCELED {
            cause.rethrow();
        }
        Err(message)
    })
    .execute()
}
