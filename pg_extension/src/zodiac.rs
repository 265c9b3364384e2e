//! `samia.zodiac_of(date)`: the sun sign of a date by the product's fixed table.

use pgrx::datum::Date;
use pgrx::prelude::*;
use samia_core::zodiac::Sign;

/// The English sign name for a date (`Aries` ... `Pisces`); NULL for NULL
/// or an infinite date.
#[pg_extern(immutable, strict, parallel_safe)]
pub fn zodiac_of(day: Date) -> Option<&'static str> {
    sign_of(day).map(Sign::name)
}

/// The sign of a finite date.
pub fn sign_of(day: Date) -> Option<Sign> {
    day.is_finite()
        .then(|| Sign::from_unix_days(i64::from(day.to_unix_epoch_days())))
}
