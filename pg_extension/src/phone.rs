//! Phone verification: what a client may ask for, and what the sidecar may
//! report back. The number rules and cost guards are `samia_core::phone`.
//!
//! - `samia.request_phone_verification(phone)`: normalizes the number to
//!   E.164, applies the `app_config` cost guards, supersedes the caller's
//!   pending verification, records a `queued` row and enqueues a
//!   `phone.send_code` job, all in the caller's transaction.
//! - `samia.confirm_phone_verification(code)`: enqueues a `phone.check_code`
//!   job for the caller's pending verification.
//! - `samia.phone_verification_outcome(id, outcome, ...)`: the sidecar's
//!   report (table `samia_core::phone::OUTCOMES`); a verified phone becomes
//!   the profile's phone with `phone_verified`. Every applied outcome is
//!   audited.
//!
//! The public RPCs of the same names (migration V10) wrap the first two.

use crate::audit;
use crate::caller::Caller;
use crate::errors;
use crate::jobs::enqueue;
use pgrx::prelude::*;
use samia_core::phone::{self, SendCounts, SendLimits};
use samia_core::roles::Actor;
use samia_core::{config, jobs};
use serde_json::json;

/// The signed-in, unblocked user making this request.
fn requesting_user(caller: &Caller) -> pgrx::Uuid {
    match (caller.uid, caller.actor) {
        (Some(_), Actor::User { blocked: true, .. }) => errors::denied_with_hint(
            "your account is blocked, so phone verification is not available",
            "contact support to have the block reviewed",
        ),
        (Some(uid), Actor::User { .. }) => uid,
        (Some(_), _) => errors::denied("your profile does not exist yet; sign in again"),
        (None, _) => errors::denied_with_hint(
            "phone verification is for signed-in users",
            "call it with the user's access token",
        ),
    }
}

fn count(sql: &str, args: &[pgrx::datum::DatumWithOid<'_>]) -> i64 {
    errors::spi_optional(Spi::get_one_with_args::<i64>(sql, args), "counting sends").unwrap_or(0)
}

fn lock(key: String) {
    errors::spi(
        Spi::run_with_args(
            "select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))",
            &[key.into()],
        ),
        "taking the verification lock",
    );
}

/// The day's send budgets (UTC day), all countries and the number's
/// country: SMS pumping is fought by a cap on what a day may cost. Every
/// request of the day counts (a code is sent for each). Requests for one
/// country take turns, so the count cannot be passed twice.
fn check_budgets(country: Option<&str>) {
    lock(format!("samia.otp.country:{}", country.unwrap_or("?")));
    let total = crate::config::number(config::OTP_DAILY_BUDGET, config::DEFAULT_OTP_DAILY_BUDGET);
    let per = config::per_country(
        crate::config::value(config::OTP_DAILY_BUDGET_PER_COUNTRY).as_ref(),
        country,
        config::DEFAULT_OTP_DAILY_BUDGET_PER_COUNTRY,
    );
    let today =
        "pg_catalog.date_trunc('day', pg_catalog.now() at time zone 'UTC') at time zone 'UTC'";
    let sent_total = count(
        &format!("select count(*) from public.phone_verifications where created_at >= {today}"),
        &[],
    );
    let sent_country = count(
        &format!(
            "select count(*) from public.phone_verifications
              where created_at >= {today} and country is not distinct from $1"
        ),
        &[country.into()],
    );
    if config::over(sent_total, 1, total) || config::over(sent_country, 1, per) {
        errors::not_allowed(
            "phone verification has reached today's limit: try again tomorrow",
            "the budgets are app_config otp.daily_budget and otp.daily_budget_per_country",
        );
    }
}

/// The answer for a phone on the blocklist: nothing says so.
const NOT_VERIFIABLE: &str = "this phone number cannot be verified";
const NOT_VERIFIABLE_HINT: &str = "use another phone number, or contact support";

/// Starts verifying `phone` for the caller; returns the new
/// `phone_verifications` id (status `queued`, `sent` once the code is out).
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]

fn request_phone_verification(phone: Option<&str>) -> i64 {
    let caller = Caller::current();
    let uid = requesting_user(&caller);
    let country = errors::spi_optional(
        Spi::get_one_with_args::<String>(
            "select country from public.profiles where id = $1",
            &[uid.into()],
        ),
        "reading the profile's country",
    );
    let number = phone::normalize(phone.unwrap_or(""), country.as_deref())
        .unwrap_or_else(|e| errors::invalid_value(e.to_string(), Some(e.hint())));
    let e164 = number.e164.as_str();
    if crate::blocklist::phone_listed(e164) {
        errors::invalid_value(NOT_VERIFIABLE, Some(NOT_VERIFIABLE_HINT));
    }
    if !crate::config::enabled(config::OTP_ENABLED, None) {
        errors::not_allowed(
            "phone verification is switched off for now",
            "try again later (app_config otp.enabled)",
        );
    }

    // Concurrent requests for one phone or one user take turns, so the
    // counts below cannot be passed twice.
    lock(format!("samia.otp.phone:{e164}"));
    lock(format!("samia.otp.user:{uid}"));
    let limits = SendLimits {
        per_phone_10min: crate::config::number(
            "otp.max_sends_per_phone_10min",
            SendLimits::default().per_phone_10min,
        ),
        per_user_day: crate::config::number(
            "otp.max_sends_per_user_day",
            SendLimits::default().per_user_day,
        ),
    };
    let counts = SendCounts {
        phone_10min: count(
            "select count(*) from public.phone_verifications
              where phone = $1 and created_at > pg_catalog.now() - interval '10 minutes'",
            &[e164.into()],
        ),
        user_day: count(
            "select count(*) from public.phone_verifications
              where profile_id = $1 and created_at > pg_catalog.now() - interval '1 day'",
            &[uid.into()],
        ),
    };
    if let Err(message) = phone::check_send_limits(e164, limits, counts) {
        errors::denied_with_hint(
            message,
            "the limits are app_config otp.max_sends_per_phone_10min and otp.max_sends_per_user_day",
        );
    }
    check_budgets(number.country.as_deref());

    // A new request supersedes the caller's pending one; its send is
    // dropped if the sidecar has not taken it yet.
    errors::spi(
        Spi::run_with_args(
            "with superseded as (
               update public.phone_verifications set status = 'canceled', updated_at = pg_catalog.now()
                where profile_id = $1 and status in ('queued', 'sent')
               returning id)
             update ops.jobs set status = 'done', last_error = 'superseded by a newer request',
                    finished_at = pg_catalog.now(), updated_at = pg_catalog.now()
              where kind = $2 and status = 'queued'
                and (payload ->> 'verification_id')::bigint in (select id from superseded)",
            &[uid.into(), jobs::PHONE_SEND_CODE.into()],
        ),
        "superseding the pending verification",
    );
    let id = errors::spi_optional(
        Spi::get_one_with_args::<i64>(
            "insert into public.phone_verifications (profile_id, phone, status, country)
             values ($1, $2, 'queued', $3) returning id",
            &[uid.into(), e164.into(), number.country.clone().into()],
        ),
        "recording the verification",
    )
    .unwrap_or_else(|| errors::misconfigured("insert into phone_verifications returned no id"));
    // The code goes out in the profile's language (Twilio Verify's Locale).
    let locale = crate::notices::locale_of(uid).code();
    enqueue(
        jobs::PHONE_SEND_CODE,
        json!({ "verification_id": id, "phone": e164, "locale": locale }),
    );
    audit::record(
        &caller,
        "phone.verification_requested",
        "phone_verifications",
        &id.to_string(),
        json!({ "country": number.country, "calling_code": number.calling_code }),
        None,
    );
    id
}

/// Submits the code the caller received; returns the verification id. The
/// outcome (`verified`, or `error_code` `incorrect_code`) appears on the
/// `phone_verifications` row once the sidecar has checked it.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn confirm_phone_verification(code: Option<&str>) -> i64 {
    let caller = Caller::current();
    let uid = requesting_user(&caller);
    let code = phone::normalize_code(code.unwrap_or("")).unwrap_or_else(|m| {
        errors::invalid_value(m, Some("type the digits of the SMS you received"))
    });
    let ttl = crate::config::number("otp.code_ttl_minutes", phone::DEFAULT_CODE_TTL_MINUTES);
    let pending = errors::spi(
        Spi::connect_mut(|client| {
            let table = client.update(
                "select id, phone, status, created_at > pg_catalog.now() - pg_catalog.make_interval(mins => $2::int)
                   from public.phone_verifications
                  where profile_id = $1 and status in ('queued', 'sent')
                  order by id desc limit 1
                  for update",
                Some(1),
                &[uid.into(), (ttl as i32).into()],
            )?;
            if table.is_empty() {
                return Ok(None);
            }
            let row = table.first();
            Ok(Some((
                row.get::<i64>(1)?.unwrap_or(0),
                row.get::<String>(2)?.unwrap_or_default(),
                row.get::<String>(3)?.unwrap_or_default(),
                row.get::<bool>(4)?.unwrap_or(false),
            )))
        }),
        "finding the pending verification",
    );
    let Some((id, e164, status, fresh)) = pending else {
        errors::invalid_value(
            "no phone verification is waiting for a code",
            Some("call request_phone_verification(phone) first"),
        )
    };
    if crate::blocklist::phone_listed(&e164) {
        errors::invalid_value(NOT_VERIFIABLE, Some(NOT_VERIFIABLE_HINT));
    }
    if status == "queued" {
        errors::invalid_value(
            format!("the code for {e164} has not been sent yet"),
            Some("wait until the verification's status is 'sent', then submit the code"),
        );
    }
    if !fresh {
        errors::invalid_value(
            format!("the code sent to {e164} has expired"),
            Some("call request_phone_verification(phone) for a new code"),
        );
    }
    let checks = count(
        "select count(*) from ops.jobs
          where kind = $2 and (payload ->> 'verification_id')::bigint = $1",
        &[id.into(), jobs::PHONE_CHECK_CODE.into()],
    );
    if checks >= phone::MAX_CHECKS_PER_CODE {
        errors::denied_with_hint(
            format!(
                "{checks} codes were already submitted for {e164} (the limit is {})",
                phone::MAX_CHECKS_PER_CODE
            ),
            "call request_phone_verification(phone) for a new code",
        );
    }
    enqueue(
        jobs::PHONE_CHECK_CODE,
        json!({ "verification_id": id, "phone": e164, "code": code }),
    );
    id
}

/// The sidecar's report on a verification (see `samia_core::phone::OUTCOMES`).
/// Returns the verification's status afterwards. A report that does not
/// apply to the row's current status (a superseded verification) changes
/// nothing.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn phone_verification_outcome(
    verification_id: i64,
    outcome: &str,
    provider_ref: default!(Option<&str>, "NULL"),
    error_code: default!(Option<&str>, "NULL"),
) -> String {
    let caller = Caller::current();
    if !caller.actor.is_system() {
        errors::denied("only the sidecar reports phone verification outcomes");
    }
    let Some(rule) = phone::outcome_rule(outcome) else {
        let known: Vec<&str> = phone::OUTCOMES.iter().map(|r| r.outcome).collect();
        errors::invalid_value(
            format!("unknown phone verification outcome {outcome:?}"),
            Some(&format!("use one of {}", known.join(", "))),
        )
    };
    let row = errors::spi_optional(
        Spi::get_three_with_args::<String, String, pgrx::Uuid>(
            "select status, phone, profile_id from public.phone_verifications where id = $1 for update",
            &[verification_id.into()],
        )
        .map(|(s, p, u)| s.zip(p).zip(u).map(|((s, p), u)| (s, p, u))),
        "reading the verification",
    );
    let Some((status, e164, profile)) = row else {
        errors::invalid_value(
            format!("phone verification {verification_id} does not exist"),
            None,
        )
    };
    if !rule.from.contains(&status.as_str()) {
        return status;
    }
    let error_code = match rule.outcome {
        "incorrect" => Some("incorrect_code"),
        "approved" | "sent" => None,
        _ => error_code,
    };
    errors::spi(
        Spi::run_with_args(
            "update public.phone_verifications
                set status = $2, provider_ref = coalesce($3, provider_ref), error_code = $4,
                    updated_at = pg_catalog.now()
              where id = $1",
            &[
                verification_id.into(),
                rule.to.into(),
                provider_ref.into(),
                error_code.into(),
            ],
        ),
        "recording the outcome",
    );
    if rule.verifies {
        errors::spi(
            Spi::run_with_args(
                "update public.profiles set phone = $2, phone_verified = true where id = $1",
                &[profile.into(), e164.clone().into()],
            ),
            "marking the phone verified",
        );
        crate::notices::notify(profile, "phone.verified", serde_json::json!({}), None, None);
    }
    audit::record(
        &caller,
        "phone.verification",
        "phone_verifications",
        &verification_id.to_string(),
        json!({ "outcome": rule.outcome, "from": status, "to": rule.to, "error_code": error_code }),
        None,
    );
    rule.to.to_string()
}
