//! Making notifications (CONTRACT.md section 15): each rendered once, when
//! it is made, in its receiver's locale and time zone from the catalogs of
//! `samia_core::notices`, with its kind and parameters kept beside the text
//! so an app can render it again. A notice the catalogs cannot render (a
//! parameter missing) falls back to English, then to its kind: a notice is
//! never lost to its wording.

use crate::{errors, plans};
use pgrx::prelude::*;
use samia_core::calls::Tz;
use samia_core::notices::{self, Locale, Rendered};
use serde_json::Value;

/// Who reads a notice, as the catalogs need them: locale and zone.
struct Reader {
    locale: Locale,
    zone: Tz,
}

/// The receiver's locale and time zone (`zone`, when given, wins: a call's
/// client sees its time in the zone they booked from). Before V26 has run
/// (an extension updated first) profiles have neither: English in UTC.
fn reader(user: pgrx::Uuid, zone: Option<&str>) -> Reader {
    let found = errors::spi(
        plans::first_json(
            "select case when to_regclass('public.push_devices') is null then '{}'::jsonb
                    else (select jsonb_build_object('locale', p.locale, 'zone', p.time_zone)
                            from public.profiles p where p.id = $1) end",
            &[user.into()],
        ),
        "reading the receiver's language",
    )
    .unwrap_or(Value::Null);
    let locale = found["locale"]
        .as_str()
        .and_then(Locale::from_code)
        .unwrap_or(
            if found.is_object() && found.as_object().is_some_and(|o| o.is_empty()) {
                Locale::En
            } else {
                Locale::Ar
            },
        );
    let zone = zone
        .or(found["zone"].as_str())
        .and_then(samia_core::calls::time_zone)
        .unwrap_or(Tz::UTC);
    Reader { locale, zone }
}

/// The language `user` reads notices in.
pub fn locale_of(user: pgrx::Uuid) -> Locale {
    reader(user, None).locale
}

/// The text of `kind` for `who`: their locale, else English, else the kind.
fn text(kind: &str, params: &Value, who: &Reader) -> (Rendered, Locale) {
    match notices::render(kind, who.locale, params, who.zone) {
        Ok(r) => (r, who.locale),
        Err(first) => {
            pgrx::warning!("notice {kind} in {}: {first}", who.locale);
            match notices::render(kind, Locale::En, params, who.zone) {
                Ok(r) => (r, Locale::En),
                Err(_) => (
                    Rendered {
                        title: kind.to_string(),
                        body: String::new(),
                    },
                    Locale::En,
                ),
            }
        }
    }
}

/// Makes one notification of `kind` for `user` (about `order`), rendered
/// for them; `zone` overrides their profile's time zone.
pub fn notify(user: pgrx::Uuid, kind: &str, params: Value, order: Option<i64>, zone: Option<&str>) {
    let who = reader(user, zone);
    let (rendered, locale) = text(kind, &params, &who);
    let v26 = errors::spi(
        plans::value::<bool>(
            "select to_regclass('public.push_devices') is not null",
            &[],
            &[],
        ),
        "looking for notifications.params",
    )
    .unwrap_or(false);
    if v26 {
        errors::spi(
            plans::first_json(
                "insert into public.notifications (user_id, kind, title, body, order_id, params, locale)
                 values ($1, $2, $3, $4, $5, $6, $7) returning to_jsonb(id)",
                &[
                    user.into(),
                    kind.into(),
                    rendered.title.into(),
                    rendered.body.into(),
                    order.into(),
                    pgrx::JsonB(params).into(),
                    locale.code().into(),
                ],
            ),
            "making the notification",
        );
    } else {
        errors::spi(
            plans::first_json(
                "insert into public.notifications (user_id, kind, title, body, order_id)
                 values ($1, $2, $3, $4, $5) returning to_jsonb(id)",
                &[
                    user.into(),
                    kind.into(),
                    rendered.title.into(),
                    rendered.body.into(),
                    order.into(),
                ],
            ),
            "making the notification",
        );
    }
}

/// The same notice for every profile `p` that `condition` admits (SQL over
/// `p`, its one parameter `$7` = `arg`): rendered once per locale, then made
/// in one statement. For notices without times (a horoscope published for
/// a sign).
pub fn notify_all(condition: &'static str, arg: &str, kind: &str, params: Value) {
    let ar = text(
        kind,
        &params,
        &Reader {
            locale: Locale::Ar,
            zone: Tz::UTC,
        },
    )
    .0;
    let en = text(
        kind,
        &params,
        &Reader {
            locale: Locale::En,
            zone: Tz::UTC,
        },
    )
    .0;
    errors::spi(
        Spi::run_with_args(
            &format!(
                "insert into public.notifications (user_id, kind, title, body, params, locale)
                 select p.id, $1, case when p.locale = 'en' then $4 else $2 end,
                        case when p.locale = 'en' then $5 else $3 end, $6, p.locale
                   from public.profiles p where {condition}"
            ),
            &[
                kind.into(),
                ar.title.into(),
                ar.body.into(),
                en.title.into(),
                en.body.into(),
                pgrx::JsonB(params).into(),
                arg.into(),
            ],
        ),
        "notifying the users",
    );
}
