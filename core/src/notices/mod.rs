//! Notices rendered in the receiver's language and time zone (CONTRACT.md
//! section 15).
//!
//! A notice is a kind ([`KINDS`]) and its parameters, a JSON object as stored
//! in `notifications.params`. [`render`] turns them into a title and a body in
//! Arabic or English from the Fluent catalogs in `core/messages/`, with times
//! in the receiver's time zone and dates, times and numbers written for the
//! locale by ICU4X (Arabic-Indic digits in Arabic). It never panics: an unknown
//! kind, a missing or malformed parameter, or a catalog fault is a
//! [`NoticeError`], and the caller keeps an English text of its own.
//!
//! docs/notifications.md tells how to add a kind.

mod catalog;
mod format;
mod kinds;

pub use catalog::{FUNCTIONS, SOURCES};
pub use kinds::{
    message_id, param_type, spec, KindSpec, ParamType, KINDS, PARAMS, ROLES, SCOPES, SIGN_NAMES,
};

use crate::zodiac::Sign;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use fluent_bundle::{FluentArgs, FluentValue};
use serde_json::Value;
use std::fmt;

/// A language notices are written in (`profiles.locale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    Ar,
    En,
}

/// The members of the Arab League (ISO 3166-1 alpha-2), whose users are
/// written to in Arabic unless they choose otherwise.
pub const ARAB_LEAGUE: [&str; 22] = [
    "DZ", "BH", "KM", "DJ", "EG", "IQ", "JO", "KW", "LB", "LY", "MR", "MA", "OM", "PS", "QA", "SA",
    "SO", "SD", "SY", "TN", "AE", "YE",
];

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ar, Locale::En];

    /// `ar` or `en` (any case; a region or script after `-` or `_` is
    /// ignored, so `ar-EG` is Arabic). `None` for any other language.
    pub fn from_code(code: &str) -> Option<Locale> {
        let language = code.trim().split(['-', '_']).next().unwrap_or_default();
        if language.eq_ignore_ascii_case("ar") {
            Some(Locale::Ar)
        } else if language.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The code stored in `profiles.locale`.
    pub const fn code(self) -> &'static str {
        match self {
            Locale::Ar => "ar",
            Locale::En => "en",
        }
    }

    /// The default for a user of country `iso2` (any case): Arabic in the Arab
    /// League's countries, English elsewhere, Arabic when the country is not
    /// known (`None` or blank), as most of the product's users are Arab.
    pub fn default_for_country(iso2: Option<&str>) -> Locale {
        match iso2.map(str::trim).filter(|c| !c.is_empty()) {
            None => Locale::Ar,
            Some(c) if ARAB_LEAGUE.iter().any(|m| m.eq_ignore_ascii_case(c)) => Locale::Ar,
            Some(_) => Locale::En,
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A rendered notice (`notifications.title`, `notifications.body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub body: String,
}

/// Why a notice could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeError {
    /// No kind of that name in [`KINDS`].
    UnknownKind(String),
    /// The parameters are not a JSON object.
    NotAnObject { kind: &'static str },
    /// A required parameter is absent, `null` or blank.
    MissingParam {
        kind: &'static str,
        param: &'static str,
    },
    /// A parameter of the wrong type or out of its list.
    BadParam {
        kind: &'static str,
        param: &'static str,
        detail: String,
    },
    /// A time parameter that is not an RFC 3339 instant.
    BadTime {
        kind: &'static str,
        param: &'static str,
        value: String,
    },
    /// The catalog is at fault (a message missing or failing): a bug.
    Catalog {
        kind: Option<&'static str>,
        locale: Locale,
        detail: String,
    },
}

impl fmt::Display for NoticeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoticeError::UnknownKind(kind) => write!(
                f,
                "unknown notice kind {kind:?}: use one of samia_core::notices::KINDS"
            ),
            NoticeError::NotAnObject { kind } => write!(
                f,
                "notice {kind}: the parameters must be a JSON object of name to value"
            ),
            NoticeError::MissingParam { kind, param } => {
                write!(f, "notice {kind}: parameter {param} is missing or blank")
            }
            NoticeError::BadParam {
                kind,
                param,
                detail,
            } => write!(f, "notice {kind}: parameter {param}: {detail}"),
            NoticeError::BadTime { kind, param, value } => write!(
                f,
                "notice {kind}: parameter {param} is {value:?}, not an RFC 3339 time \
                 such as 2027-03-02T19:00:00Z"
            ),
            NoticeError::Catalog {
                kind: Some(kind),
                locale,
                detail,
            } => write!(f, "notice {kind}: the {locale} catalog fails: {detail}"),
            NoticeError::Catalog {
                kind: None,
                locale,
                detail,
            } => write!(f, "the {locale} notice catalog fails: {detail}"),
        }
    }
}

impl std::error::Error for NoticeError {}

/// The title and body of a notice of `kind` in `locale`, with the time
/// parameters shown in `time_zone`. `params` is a JSON object (`null` reads as
/// `{}`); parameters the kind does not declare are ignored, and a `null` or
/// blank value counts as absent.
pub fn render(
    kind: &str,
    locale: Locale,
    params: &Value,
    time_zone: Tz,
) -> Result<Rendered, NoticeError> {
    let spec = spec(kind).ok_or_else(|| NoticeError::UnknownKind(kind.to_string()))?;
    let empty = serde_json::Map::new();
    let object = match params {
        Value::Object(o) => o,
        Value::Null => &empty,
        _ => return Err(NoticeError::NotAnObject { kind: spec.kind }),
    };
    let mut args = FluentArgs::new();
    let mut given = Vec::new();
    for &name in spec.params {
        let value = object.get(name).filter(|v| !blank(v));
        let Some(value) = value else {
            if spec.optional.contains(&name) {
                continue;
            }
            return Err(NoticeError::MissingParam {
                kind: spec.kind,
                param: name,
            });
        };
        let ty = if spec.times.contains(&name) {
            ParamType::Time
        } else {
            param_type(name).ok_or_else(|| NoticeError::Catalog {
                kind: Some(spec.kind),
                locale,
                detail: format!("parameter {name} has no type in PARAMS"),
            })?
        };
        args.set(name, argument(spec, name, ty, value, locale, time_zone)?);
        given.push(name);
    }
    catalog::format(locale, spec, &args, &given)
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A parameter's value as the catalog gets it, checked against its type.
fn argument(
    spec: &'static KindSpec,
    param: &'static str,
    ty: ParamType,
    value: &Value,
    locale: Locale,
    zone: Tz,
) -> Result<FluentValue<'static>, NoticeError> {
    let bad = |detail: String| NoticeError::BadParam {
        kind: spec.kind,
        param,
        detail,
    };
    let text = value.as_str().map(str::trim);
    match ty {
        ParamType::Text => match value {
            Value::String(s) => Ok(s.trim().to_string().into()),
            Value::Number(n) => Ok(n.to_string().into()),
            _ => Err(bad(format!("expected text, got {value}"))),
        },
        ParamType::Number => value
            .as_f64()
            .or_else(|| text.and_then(|s| s.parse::<f64>().ok()))
            .filter(|n| n.is_finite())
            .map(FluentValue::from)
            .ok_or_else(|| bad(format!("expected a number, got {value}"))),
        ParamType::Time => {
            let at = text
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .ok_or_else(|| NoticeError::BadTime {
                    kind: spec.kind,
                    param,
                    value: value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string),
                })?;
            format::time(at.with_timezone(&Utc), zone, locale)
                .map(FluentValue::from)
                .map_err(|e| bad(format!("cannot be formatted: {e}")))
        }
        ParamType::Date => text
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(|d| FluentValue::from(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| bad(format!("expected a date YYYY-MM-DD, got {value}"))),
        ParamType::Sign => text
            .and_then(Sign::from_name)
            .map(|s| FluentValue::from(s.name()))
            .ok_or_else(|| {
                bad(format!(
                    "expected a sign's English name ({}), got {value}",
                    SIGN_NAMES.join(", ")
                ))
            }),
        ParamType::OneOf(words) => text
            .and_then(|s| words.iter().find(|w| **w == s))
            .map(|w| FluentValue::from(*w))
            .ok_or_else(|| bad(format!("expected one of {}, got {value}", words.join(", ")))),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod catalog_tests;
