//! The message catalogs: `core/messages/<locale>/notices.ftl`, compiled into
//! the binary and loaded into one Fluent bundle per locale, once per process.

use super::format;
use super::kinds::{message_id, KindSpec};
use super::{Locale, NoticeError, Rendered};
use chrono::NaiveDate;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource, FluentValue};
use std::sync::OnceLock;

/// The catalogs' sources, by locale.
pub const SOURCES: [(Locale, &str); 2] = [
    (Locale::Ar, include_str!("../../messages/ar/notices.ftl")),
    (Locale::En, include_str!("../../messages/en/notices.ftl")),
];

pub(super) type Bundle = FluentBundle<FluentResource>;

/// The locale's bundle, built the first time it is asked for. A catalog
/// that does not parse (a bug the tests catch) gives an error each time.
pub(super) fn bundle(l: Locale) -> Result<&'static Bundle, NoticeError> {
    static AR: OnceLock<Result<Bundle, String>> = OnceLock::new();
    static EN: OnceLock<Result<Bundle, String>> = OnceLock::new();
    let cell = match l {
        Locale::Ar => &AR,
        Locale::En => &EN,
    };
    let source = SOURCES
        .iter()
        .find(|(locale, _)| *locale == l)
        .map_or("", |(_, source)| source);
    cell.get_or_init(|| build(l, source))
        .as_ref()
        .map_err(|detail| NoticeError::Catalog {
            kind: None,
            locale: l,
            detail: detail.clone(),
        })
}

/// A bundle of `source` for `l`, with the catalogs' functions and the
/// locale's number formatting, and no bidi isolation marks in its output.
pub(super) fn build(l: Locale, source: &str) -> Result<Bundle, String> {
    let resource = FluentResource::try_new(source.to_string()).map_err(|(_, errors)| {
        let errors: Vec<String> = errors.iter().map(|e| format!("{e:?}")).collect();
        format!("the catalog does not parse: {}", errors.join("; "))
    })?;
    let lang = l
        .code()
        .parse()
        .map_err(|e| format!("locale {}: {e}", l.code()))?;
    let mut bundle = Bundle::new_concurrent(vec![lang]);
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(match l {
        Locale::Ar => numbers_ar,
        Locale::En => numbers_en,
    }));
    bundle
        .add_resource(resource)
        .map_err(|errors| fluent_errors("the catalog", &errors))?;
    add_functions(&mut bundle, l).map_err(|e| e.to_string())?;
    Ok(bundle)
}

fn numbers_ar<M>(value: &FluentValue, _: &M) -> Option<String> {
    match value {
        FluentValue::Number(n) => format::number(&n.as_string(), Locale::Ar),
        _ => None,
    }
}

fn numbers_en<M>(value: &FluentValue, _: &M) -> Option<String> {
    match value {
        FluentValue::Number(n) => format::number(&n.as_string(), Locale::En),
        _ => None,
    }
}

/// The functions the catalogs may call (listed in each catalog's header).
pub const FUNCTIONS: [&str; 4] = ["UNIT", "HOURS", "DAY", "MONTH"];

fn add_functions(bundle: &mut Bundle, l: Locale) -> Result<(), FluentError> {
    // A lead time reads in hours when it is a whole number of them.
    bundle.add_function("UNIT", |args, _| match args.first() {
        Some(FluentValue::Number(n)) if n.value >= 60.0 && n.value % 60.0 == 0.0 => "hours".into(),
        Some(FluentValue::Number(_)) => "minutes".into(),
        _ => FluentValue::Error,
    })?;
    bundle.add_function("HOURS", |args, _| match args.first() {
        Some(FluentValue::Number(n)) => (n.value / 60.0).floor().into(),
        _ => FluentValue::Error,
    })?;
    bundle.add_function("DAY", move |args, _| {
        date_arg(args)
            .and_then(|d| format::day(d, l).ok())
            .map_or(FluentValue::Error, FluentValue::from)
    })?;
    bundle.add_function("MONTH", move |args, _| {
        date_arg(args)
            .and_then(|d| format::month(d, l).ok())
            .map_or(FluentValue::Error, FluentValue::from)
    })?;
    Ok(())
}

fn date_arg(args: &[FluentValue]) -> Option<NaiveDate> {
    match args.first() {
        Some(FluentValue::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        _ => None,
    }
}

fn fluent_errors(what: &str, errors: &[FluentError]) -> String {
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("{what}: {}", errors.join("; "))
}

/// The kind's title and body in `l`, from arguments already checked against
/// its spec; `given` names the optional parameters present.
pub(super) fn format(
    l: Locale,
    spec: &'static KindSpec,
    args: &FluentArgs,
    given: &[&str],
) -> Result<Rendered, NoticeError> {
    let bundle = bundle(l)?;
    let fail = |detail: String| NoticeError::Catalog {
        kind: Some(spec.kind),
        locale: l,
        detail,
    };
    let id = message_id(spec.kind);
    let message = bundle
        .get_message(&id)
        .ok_or_else(|| fail(format!("the catalog has no message {id}")))?;
    let mut errors = Vec::new();
    let mut part = |name: &str| -> Result<String, NoticeError> {
        let attribute = message
            .get_attribute(name)
            .ok_or_else(|| fail(format!("message {id} has no attribute .{name}")))?;
        Ok(bundle
            .format_pattern(attribute.value(), Some(args), &mut errors)
            .trim()
            .to_string())
    };
    let title = part("title")?;
    let mut body = part("body")?;
    for name in spec.optional.iter().filter(|p| given.contains(p)) {
        let extra = part(name)?;
        if !extra.is_empty() {
            body.push(' ');
            body.push_str(&extra);
        }
    }
    if !errors.is_empty() {
        return Err(fail(fluent_errors(&format!("message {id}"), &errors)));
    }
    Ok(Rendered { title, body })
}
