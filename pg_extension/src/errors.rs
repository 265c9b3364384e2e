//! Raising errors with the SQLSTATEs of CONTRACT.md section 8.
//!
//! A trigger that returns `Err` surfaces as SQLSTATE XX000; every failure a
//! caller can cause is raised here instead, with a plain-English message that
//! names the offending value and, where it helps, a hint.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use std::fmt::Display;

/// Raises `22023 invalid_parameter_value`.
pub fn invalid_value(message: impl Into<String>, hint: Option<&str>) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        message.into(),
        hint,
    )
}

/// The value of a required argument, or `22023` naming it: functions the
/// API roles call take every argument as nullable, so a NULL is a clear
/// error rather than an internal one.
pub fn required<T>(value: Option<T>, argument: &str) -> T {
    value.unwrap_or_else(|| {
        invalid_value(
            format!("{argument} is required, and was null"),
            Some("give a value for every argument the function needs"),
        )
    })
}

/// Raises `23514 check_violation`: the change is not allowed in this state.
pub fn not_allowed(message: impl Into<String>, hint: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_CHECK_VIOLATION,
        message.into(),
        Some(hint),
    )
}

/// Raises `23505 unique_violation`: the change would make a second of
/// something there is one of.
pub fn duplicate(message: impl Into<String>, hint: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION,
        message.into(),
        Some(hint),
    )
}

/// Raises `23P01 exclusion_violation`: the change would overlap something
/// that may not be overlapped (a reader's booked calls).
pub fn overlaps(message: impl Into<String>, hint: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_EXCLUSION_VIOLATION,
        message.into(),
        Some(hint),
    )
}

/// Raises `P0002 no_data_found`: nothing the caller may see has this id.
pub fn not_found(message: impl Into<String>) -> ! {
    raise(PgSqlErrorCode::ERRCODE_NO_DATA_FOUND, message.into(), None)
}

/// Raises `55000 object_not_in_prerequisite_state`: not now (a call outside
/// its window, or already over).
pub fn not_now(message: impl Into<String>, hint: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        message.into(),
        Some(hint),
    )
}

/// Raises `42501 insufficient_privilege`: the caller's role may not do this.
pub fn denied(message: impl Into<String>) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        message.into(),
        None,
    )
}

/// Raises `42501` with a hint saying what the caller may do instead.
pub fn denied_with_hint(message: impl Into<String>, hint: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        message.into(),
        Some(hint),
    )
}

/// Raises `39P01 trigger_protocol_violated`: a trigger wired to the wrong
/// table or event, which is a migration defect rather than bad input.
pub fn misconfigured(what: impl Display) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
        format!("samia trigger misconfigured: {what}"),
        Some("re-run `samia migrate up`; the trigger wiring lives in sql/migrations"),
    )
}

/// Unwraps a row-access result, or reports which column could not be read.
pub fn column<T, E: Display>(result: Result<T, E>, table: &str, column: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => misconfigured(format_args!("{table}.{column}: {e}")),
    }
}

/// Unwraps an SPI result; an SPI failure is already a PostgreSQL error with
/// its own SQLSTATE, so only an unexpected shape reaches this.
pub fn spi<T>(result: Result<T, pgrx::spi::SpiError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => raise(
            PgSqlErrorCode::ERRCODE_TRIGGERED_ACTION_EXCEPTION,
            format!("samia: {what} failed: {e}"),
            None,
        ),
    }
}

/// Like [`spi`] for a query that may return no row: no row is `None`.
pub fn spi_optional<T>(result: Result<Option<T>, pgrx::spi::SpiError>, what: &str) -> Option<T> {
    match result {
        Err(pgrx::spi::SpiError::InvalidPosition) => None,
        other => spi(other, what),
    }
}

fn raise(code: PgSqlErrorCode, message: String, hint: Option<&str>) -> ! {
    let mut report = ErrorReport::new(code, message, "samia");
    if let Some(hint) = hint {
        report = report.set_hint(hint);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("an ERROR report does not return")
}
