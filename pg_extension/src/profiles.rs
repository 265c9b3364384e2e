//! Derived profile columns and the `auth.users` -> `profiles` sync.
//!
//! - `profiles.zodiac` is computed from `dob` and `profiles.country_code` from
//!   `country` on every write; whatever a caller writes into them is replaced.
//! - `dob` must lie between 1900-01-01 and today; `country` must be an ISO
//!   3166-1 alpha-2 code present in `public.countries` (SQLSTATE 22023).
//! - A user changing their own phone loses `phone_verified`.
//! - `auth.users` inserts and updates create or update the profile's email,
//!   phone and verified flags.

use crate::{caller, errors, rows, zodiac};
use pgrx::datum::{Date, TimestampWithTimeZone};
use pgrx::heap_tuple::PgHeapTupleError;
use pgrx::prelude::*;
use samia_core::notices::Locale;

const PROFILES: &str = "public.profiles";

/// BEFORE INSERT OR UPDATE ON public.profiles.
// Declared here rather than by pgrx, which writes 'MODULE_PATHNAME' for a
// trigger even when each version has a library of its own.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."profiles_derive"() RETURNS TRIGGER
LANGUAGE c
AS '@MODULE_PATHNAME@', 'profiles_derive_wrapper';
"#)]
fn profiles_derive<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    let Some(new) = trigger.new() else {
        errors::misconfigured("profiles_derive must run BEFORE INSERT OR UPDATE FOR EACH ROW")
    };
    let mut new = new.into_owned();
    let old = trigger.old();

    // dob -> zodiac. Validated only when it changes, so an untouched dob never
    // blocks an unrelated update.
    let dob: Option<Date> = errors::column(new.get_by_name("dob"), PROFILES, "dob");
    let old_dob: Option<Date> = old
        .as_ref()
        .and_then(|o| errors::column(o.get_by_name("dob"), PROFILES, "dob"));
    if let Some(d) = dob {
        if old.is_none() || old_dob != Some(d) {
            validate_dob(d);
        }
    }
    let sign = dob.and_then(zodiac::sign_of).map(|s| s.name());
    errors::column(new.set_by_name("zodiac", sign), PROFILES, "zodiac");

    // country -> country_code.
    let country: Option<String> = errors::column(new.get_by_name("country"), PROFILES, "country");
    let country = country
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty());
    let dial_code = country.as_deref().map(dial_code_of);
    errors::column(
        new.set_by_name("country", country.clone()),
        PROFILES,
        "country",
    );
    errors::column(
        new.set_by_name("country_code", dial_code),
        PROFILES,
        "country_code",
    );

    // The columns of V26: an extension updated before `samia migrate up`
    // meets a table without them, and leaves them alone.
    if new.get_attribute_by_name("locale_chosen").is_some() {
        derive_locale(&mut new, old.as_ref(), country.as_deref());
        validate_where_and_when(&new, old.as_ref());
    }

    if let Some(old) = old {
        // A user who changes their own phone must verify it again. Sessions
        // without JWT claims (the auth sync, the sidecar, a DBA) set
        // phone_verified themselves.
        let phone: Option<String> = errors::column(new.get_by_name("phone"), PROFILES, "phone");
        let old_phone: Option<String> = errors::column(old.get_by_name("phone"), PROFILES, "phone");
        if phone != old_phone && caller::current_uid().is_some() {
            errors::column(
                new.set_by_name("phone_verified", false),
                PROFILES,
                "phone_verified",
            );
        }
        errors::column(
            new.set_by_name("updated_at", rows::now()),
            PROFILES,
            "updated_at",
        );
    }
    Ok(Some(new))
}

/// The profile's language: the user's own choice once they set it (a
/// change of `locale` by the user themselves), else their country's
/// (`samia_core::notices::Locale::default_for_country`); until a country
/// is known, what the row was made with (the sign-up's locale, else Arabic).
fn derive_locale(
    new: &mut PgHeapTuple<'_, AllocatedByRust>,
    old: Option<&PgHeapTuple<'_, AllocatedByPostgres>>,
    country: Option<&str>,
) {
    let locale: Option<String> = errors::column(new.get_by_name("locale"), PROFILES, "locale");
    let old_locale: Option<String> =
        old.and_then(|o| errors::column(o.get_by_name("locale"), PROFILES, "locale"));
    let mut chosen: bool =
        errors::column(new.get_by_name("locale_chosen"), PROFILES, "locale_chosen")
            .unwrap_or(false);
    let own_change = old.is_some() && locale != old_locale && caller::current_uid().is_some();
    if own_change {
        chosen = true;
    } else if !chosen {
        if let Some(country) = country {
            let default = Locale::default_for_country(Some(country)).code();
            errors::column(new.set_by_name("locale", default), PROFILES, "locale");
        }
    }
    errors::column(
        new.set_by_name("locale_chosen", chosen),
        PROFILES,
        "locale_chosen",
    );
}

/// A time zone the product knows (IANA, e.g. `Africa/Cairo`) and quiet
/// hours it can read, checked when they change (22023 otherwise).
fn validate_where_and_when(
    new: &PgHeapTuple<'_, AllocatedByRust>,
    old: Option<&PgHeapTuple<'_, AllocatedByPostgres>>,
) {
    let zone: Option<String> = errors::column(new.get_by_name("time_zone"), PROFILES, "time_zone");
    let old_zone: Option<String> =
        old.and_then(|o| errors::column(o.get_by_name("time_zone"), PROFILES, "time_zone"));
    if let Some(zone) = zone.filter(|z| old.is_none() || Some(z) != old_zone.as_ref()) {
        if samia_core::calls::time_zone(&zone).is_none() {
            errors::invalid_value(
                format!("time_zone {zone:?} is not a time zone"),
                Some("give an IANA time zone name, for example Africa/Cairo"),
            );
        }
    }
    let quiet: Option<pgrx::JsonB> =
        errors::column(new.get_by_name("quiet_hours"), PROFILES, "quiet_hours");
    let old_quiet: Option<pgrx::JsonB> =
        old.and_then(|o| errors::column(o.get_by_name("quiet_hours"), PROFILES, "quiet_hours"));
    if let Some(quiet) = quiet {
        if old.is_none() || old_quiet.map(|q| q.0) != Some(quiet.0.clone()) {
            if let Err(problem) = samia_core::push::QuietHours::parse(&quiet.0) {
                errors::invalid_value(
                    problem,
                    Some(
                        r#"for example {"from": "22:00", "to": "08:00"}, in the profile's time_zone"#,
                    ),
                );
            }
        }
    }
}

pub fn validate_dob(dob: Date) {
    let earliest = Date::new(1900, 1, 1).unwrap_or_else(|_| errors::misconfigured("1900-01-01"));
    let today = errors::spi(
        Spi::get_one::<Date>("select current_date"),
        "reading current_date",
    );
    if !dob.is_finite() || dob < earliest {
        errors::invalid_value(
            format!("date of birth {dob} is before 1900-01-01"),
            Some("give the date of birth as YYYY-MM-DD, on or after 1900-01-01"),
        );
    }
    if today.is_some_and(|t| dob > t) {
        errors::invalid_value(
            format!("date of birth {dob} is in the future"),
            Some("give the date of birth as YYYY-MM-DD, no later than today"),
        );
    }
}

/// The calling code of an ISO 3166-1 alpha-2 code, or SQLSTATE 22023.
fn dial_code_of(code: &str) -> String {
    let found = errors::spi_optional(
        Spi::get_one_with_args::<String>(
            "select dial_code from public.countries where code = $1",
            &[code.into()],
        ),
        "looking up the country",
    );
    match found {
        Some(dial) => dial,
        None => errors::invalid_value(
            format!("unknown country {code:?}"),
            Some("use an ISO 3166-1 alpha-2 code from public.countries, for example EG, SA or AE"),
        ),
    }
}

/// AFTER INSERT OR UPDATE ON auth.users: create or update the profile.
///
/// Security definer with a fixed search_path: GoTrue's database role writes
/// `auth.users` and has no rights on `public.profiles`.
#[pg_trigger(sql = r#"
CREATE FUNCTION samia."sync_profile_from_auth"() RETURNS TRIGGER
LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS '@MODULE_PATHNAME@', 'sync_profile_from_auth_wrapper';
"#)]
fn sync_profile_from_auth<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, PgHeapTupleError> {
    const USERS: &str = "auth.users";
    let Some(new) = trigger.new() else {
        errors::misconfigured("sync_profile_from_auth must run AFTER INSERT OR UPDATE FOR EACH ROW")
    };
    let id: Option<pgrx::Uuid> = errors::column(new.get_by_name("id"), USERS, "id");
    let Some(id) = id else { return Ok(None) };
    let email: Option<String> = errors::column(new.get_by_name("email"), USERS, "email");
    let phone: Option<String> = errors::column(new.get_by_name("phone"), USERS, "phone");
    let email_confirmed: Option<TimestampWithTimeZone> = errors::column(
        new.get_by_name("email_confirmed_at"),
        USERS,
        "email_confirmed_at",
    );
    let phone_confirmed: Option<TimestampWithTimeZone> = errors::column(
        new.get_by_name("phone_confirmed_at"),
        USERS,
        "phone_confirmed_at",
    );
    // GoTrue stores an absent email or phone as '' in some versions.
    let email = email.filter(|e| !e.is_empty());
    let phone = phone.filter(|p| !p.is_empty());

    // On update only what changed is copied, so a phone verified through the
    // product's own flow is not reset by an unrelated auth update (sign-in).
    let (email_changed, phone_changed, meta) = match trigger.old() {
        None => {
            let meta: Option<pgrx::JsonB> = errors::column(
                new.get_by_name("raw_user_meta_data"),
                USERS,
                "raw_user_meta_data",
            );
            (true, true, meta)
        }
        Some(old) => {
            let old_email: Option<String> =
                errors::column(old.get_by_name("email"), USERS, "email");
            let old_phone: Option<String> =
                errors::column(old.get_by_name("phone"), USERS, "phone");
            let old_email_confirmed: Option<TimestampWithTimeZone> = errors::column(
                old.get_by_name("email_confirmed_at"),
                USERS,
                "email_confirmed_at",
            );
            let old_phone_confirmed: Option<TimestampWithTimeZone> = errors::column(
                old.get_by_name("phone_confirmed_at"),
                USERS,
                "phone_confirmed_at",
            );
            let email_changed = email != old_email.filter(|e| !e.is_empty())
                || email_confirmed.is_some() != old_email_confirmed.is_some();
            let phone_changed = phone != old_phone.filter(|p| !p.is_empty())
                || phone_confirmed.is_some() != old_phone_confirmed.is_some();
            (email_changed, phone_changed, None)
        }
    };
    if !email_changed && !phone_changed {
        return Ok(None::<PgHeapTuple<'a, AllocatedByRust>>);
    }
    let meta_text = |key: &str| {
        meta.as_ref()
            .and_then(|m| m.0.get(key))
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    // A sign-up with a blocklisted email or on a blocklisted domain makes a
    // profile that is blocked from the start.
    let listed = trigger.old().is_none()
        && email
            .as_deref()
            .is_some_and(|e| crate::blocklist::listed(&samia_core::blocklist::email_keys(e)));
    // An upsert in both cases, so a user created before this trigger existed
    // gets a profile on their next auth update. The product itself makes
    // this change, as system, whichever role wrote auth.users (GoTrue's).
    caller::as_system(|| {
        errors::spi(
            Spi::run_with_args(
                "insert into public.profiles as p
               (id, email, phone, email_verified, phone_verified, first_name, last_name,
                is_blocked, blocked_reason, blocked_at)
             values ($1, $2, $3, $4, $5, $6, $7, $10,
                     case when $10 then 'signed up with a blocklisted email address' end,
                     case when $10 then now() end)
             on conflict (id) do update set
               email = case when $8 then excluded.email else p.email end,
               email_verified = case when $8 then excluded.email_verified else p.email_verified end,
               phone = case when $9 then excluded.phone else p.phone end,
               phone_verified = case when $9 then excluded.phone_verified else p.phone_verified end,
               first_name = coalesce(p.first_name, excluded.first_name),
               last_name = coalesce(p.last_name, excluded.last_name)",
                &[
                    id.into(),
                    email.into(),
                    phone.into(),
                    email_confirmed.is_some().into(),
                    phone_confirmed.is_some().into(),
                    meta_text("first_name").into(),
                    meta_text("last_name").into(),
                    email_changed.into(),
                    phone_changed.into(),
                    listed.into(),
                ],
            ),
            "syncing the profile from auth.users",
        );
        // The sign-up's language, until the user has a country or chooses.
        // ("ar-EG" or "en_US" count by their language.)
        let locale = meta_text("locale").and_then(|l| Locale::from_code(&l));
        let v26 = || {
            errors::spi(
                Spi::get_one::<bool>("select to_regclass('public.push_devices') is not null"),
                "looking for the profile's language",
            )
            .unwrap_or(false)
        };
        if let Some(locale) = locale.filter(|_| trigger.old().is_none() && v26()) {
            errors::spi(
                Spi::run_with_args(
                    "update public.profiles set locale = $2
                      where id = $1 and country is null and not locale_chosen",
                    &[id.into(), locale.code().into()],
                ),
                "setting the profile's language from the sign-up",
            );
        }
        if listed {
            let id_text = uuid::Uuid::from_bytes(*id.as_bytes()).to_string();
            crate::audit::record(
                &caller::Caller::current(),
                "profile.blocked",
                "profiles",
                &id_text,
                serde_json::json!({ "by": "blocklist" }),
                Some(crate::audit::Moderation {
                    target_kind: "profile",
                    action: "block",
                    reason: Some("signed up with a blocklisted email address".into()),
                }),
            );
        }
    });
    Ok(None::<PgHeapTuple<'a, AllocatedByRust>>)
}
