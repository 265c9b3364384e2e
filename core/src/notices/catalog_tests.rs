//! The catalogs held to [`KINDS`]: every kind has its messages in both
//! languages, messages use exactly the kind's parameters, choices on numbers
//! name every plural category of the language, choices on fixed words name
//! every word. Each check also runs on a broken catalog, to show it fails.

use super::*;
use fluent_syntax::ast;
use fluent_syntax::parser::parse;
use std::collections::{BTreeMap, BTreeSet};

type Resource = ast::Resource<&'static str>;
type Message = ast::Message<&'static str>;

/// CLDR's cardinal plural categories of each language.
fn plural_categories(l: Locale) -> &'static [&'static str] {
    match l {
        Locale::Ar => &["zero", "one", "two", "few", "many", "other"],
        Locale::En => &["one", "other"],
    }
}

fn parsed(source: &'static str) -> Resource {
    parse(source).unwrap_or_else(|(_, errors)| panic!("the catalog does not parse: {errors:?}"))
}

fn messages(res: &Resource) -> BTreeMap<&'static str, &Message> {
    res.body
        .iter()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => Some((m.id.name, m)),
            _ => None,
        })
        .collect()
}

/// A choice in a pattern: what it chooses on, and its variants' keys.
struct Choice {
    on: Option<String>,
    on_function: Option<(String, Option<String>)>,
    keys: BTreeSet<String>,
}

/// What a pattern uses, through the messages it names.
#[derive(Default)]
struct Uses {
    variables: BTreeSet<String>,
    messages: BTreeSet<String>,
    /// Function calls with the variable of their first argument.
    functions: Vec<(String, Option<String>)>,
    choices: Vec<Choice>,
}

fn variable(e: &ast::InlineExpression<&str>) -> Option<String> {
    match e {
        ast::InlineExpression::VariableReference { id } => Some(id.name.to_string()),
        _ => None,
    }
}

impl Uses {
    fn pattern(&mut self, p: &ast::Pattern<&str>) {
        for element in &p.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                self.expression(expression);
            }
        }
    }

    fn expression(&mut self, e: &ast::Expression<&str>) {
        match e {
            ast::Expression::Inline(inline) => self.inline(inline),
            ast::Expression::Select { selector, variants } => {
                self.inline(selector);
                let on_function = match selector {
                    ast::InlineExpression::FunctionReference { id, arguments } => Some((
                        id.name.to_string(),
                        arguments.positional.first().and_then(variable),
                    )),
                    _ => None,
                };
                let keys = variants
                    .iter()
                    .map(|v| match &v.key {
                        ast::VariantKey::Identifier { name } => name.to_string(),
                        ast::VariantKey::NumberLiteral { value } => value.to_string(),
                    })
                    .collect();
                self.choices.push(Choice {
                    on: variable(selector),
                    on_function,
                    keys,
                });
                for v in variants {
                    self.pattern(&v.value);
                }
            }
        }
    }

    fn inline(&mut self, e: &ast::InlineExpression<&str>) {
        match e {
            ast::InlineExpression::VariableReference { id } => {
                self.variables.insert(id.name.to_string());
            }
            ast::InlineExpression::MessageReference { id, .. } => {
                self.messages.insert(id.name.to_string());
            }
            ast::InlineExpression::FunctionReference { id, arguments } => {
                let first = arguments.positional.first().and_then(variable);
                self.functions.push((id.name.to_string(), first));
                for a in &arguments.positional {
                    self.inline(a);
                }
                for a in &arguments.named {
                    self.inline(&a.value);
                }
            }
            ast::InlineExpression::TermReference { arguments, .. } => {
                for a in arguments.iter().flat_map(|a| &a.positional) {
                    self.inline(a);
                }
            }
            ast::InlineExpression::Placeable { expression } => self.expression(expression),
            ast::InlineExpression::StringLiteral { .. }
            | ast::InlineExpression::NumberLiteral { .. } => {}
        }
    }
}

/// What the patterns `parts` of a message use, with the messages they name
/// followed (their variables count as the naming message's own).
fn uses(all: &BTreeMap<&'static str, &Message>, parts: &[&ast::Pattern<&str>]) -> Uses {
    let mut u = Uses::default();
    for p in parts {
        u.pattern(p);
    }
    let mut seen = BTreeSet::new();
    while let Some(next) = u.messages.iter().find(|m| !seen.contains(*m)).cloned() {
        seen.insert(next.clone());
        if let Some(m) = all.get(next.as_str()) {
            for p in m.value.iter().chain(m.attributes.iter().map(|a| &a.value)) {
                u.pattern(p);
            }
        }
    }
    u
}

fn attribute<'m>(m: &'m Message, name: &str) -> Option<&'m ast::Pattern<&'static str>> {
    m.attributes
        .iter()
        .find(|a| a.id.name == name)
        .map(|a| &a.value)
}

/// Everything wrong with one catalog, one line each.
fn problems(l: Locale, res: &Resource) -> Vec<String> {
    let all = messages(res);
    let mut out = Vec::new();
    let mut used_helpers = BTreeSet::new();
    for spec in KINDS {
        let id = message_id(spec.kind);
        let Some(m) = all.get(id.as_str()) else {
            out.push(format!("{l}: {}: no message {id}", spec.kind));
            continue;
        };
        let mut expected: Vec<&str> = vec!["title", "body"];
        expected.extend(spec.optional);
        for name in &expected {
            if attribute(m, name).is_none() {
                out.push(format!("{l}: {}: no .{name}", spec.kind));
            }
        }
        for a in &m.attributes {
            if !expected.contains(&a.id.name) {
                out.push(format!("{l}: {}: unexpected .{}", spec.kind, a.id.name));
            }
        }
        if m.value.is_some() {
            out.push(format!(
                "{l}: {}: a value besides its attributes",
                spec.kind
            ));
        }
        let parts: Vec<_> = m.attributes.iter().map(|a| &a.value).collect();
        let u = uses(&all, &parts);
        used_helpers.extend(u.messages.iter().cloned());
        for v in &u.variables {
            if !spec.params.contains(&v.as_str()) {
                out.push(format!(
                    "{l}: {}: ${v} is not a parameter of the kind",
                    spec.kind
                ));
            }
        }
        for p in spec.params {
            if !u.variables.contains(*p) {
                out.push(format!("{l}: {}: parameter {p} is used nowhere", spec.kind));
            }
        }
        // An optional parameter may be absent: only its own attribute uses it.
        for p in spec.optional {
            for name in ["title", "body"] {
                let part = attribute(m, name).map(|p| uses(&all, &[p]));
                if part.is_some_and(|u| u.variables.contains(*p)) {
                    out.push(format!("{l}: {}: .{name} uses optional {p}", spec.kind));
                }
            }
        }
        out.extend(function_problems(l, spec, &u));
        out.extend(choice_problems(l, spec, &u));
    }
    for (name, m) in &all {
        let is_kind = KINDS.iter().any(|k| message_id(k.kind) == *name);
        if !is_kind && (!m.attributes.is_empty() || !used_helpers.contains(*name)) {
            out.push(format!("{l}: message {name} belongs to no kind"));
        }
    }
    for e in &res.body {
        if let ast::Entry::Junk { content } = e {
            out.push(format!("{l}: does not parse: {content}"));
        }
    }
    out
}

fn function_problems(l: Locale, spec: &KindSpec, u: &Uses) -> Vec<String> {
    let mut out = Vec::new();
    for (name, arg) in &u.functions {
        let wants = match name.as_str() {
            "UNIT" | "HOURS" => ParamType::Number,
            "DAY" | "MONTH" => ParamType::Date,
            _ => {
                out.push(format!("{l}: {}: unknown function {name}", spec.kind));
                continue;
            }
        };
        let ty = arg.as_deref().and_then(param_type);
        if ty != Some(wants) {
            out.push(format!(
                "{l}: {}: {name}({arg:?}) wants a {wants:?} parameter",
                spec.kind
            ));
        }
    }
    out
}

fn choice_problems(l: Locale, spec: &KindSpec, u: &Uses) -> Vec<String> {
    let mut out = Vec::new();
    for c in &u.choices {
        let needed: Vec<&str> = match (c.on.as_deref().map(param_type), &c.on_function) {
            (Some(Some(ParamType::Number)), _) => plural_categories(l).to_vec(),
            (_, Some((f, _))) if f == "HOURS" => plural_categories(l).to_vec(),
            (_, Some((f, _))) if f == "UNIT" => vec!["hours", "minutes"],
            (Some(Some(ParamType::OneOf(words))), _) => words.to_vec(),
            (Some(Some(ParamType::Sign)), _) => SIGN_NAMES.to_vec(),
            _ => Vec::new(),
        };
        for key in needed {
            if !c.keys.contains(key) {
                let on = c.on.clone().or(c.on_function.clone().map(|f| f.0));
                out.push(format!(
                    "{l}: {}: the choice on {on:?} lacks [{key}]",
                    spec.kind
                ));
            }
        }
    }
    out
}

#[test]
fn both_catalogs_match_the_kinds() {
    let mut all = Vec::new();
    for (l, source) in SOURCES {
        all.extend(problems(l, &parsed(source)));
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
    assert_eq!(
        SOURCES.map(|(l, _)| l).to_vec(),
        Locale::ALL.to_vec(),
        "a catalog for every locale"
    );
}

#[test]
fn the_kinds_are_consistent() {
    let mut names = BTreeSet::new();
    for spec in KINDS {
        assert!(names.insert(message_id(spec.kind)), "{} twice", spec.kind);
        for p in spec.params {
            let ty = param_type(p).unwrap_or_else(|| panic!("{}: {p} has no type", spec.kind));
            assert_eq!(
                spec.times.contains(p),
                ty == ParamType::Time,
                "{}: {p} in times iff a time",
                spec.kind
            );
        }
        for p in spec.times.iter().chain(spec.optional) {
            assert!(spec.params.contains(p), "{}: {p} not in params", spec.kind);
        }
    }
    let mut params = BTreeSet::new();
    for (name, _) in PARAMS {
        assert!(params.insert(*name), "{name} twice in PARAMS");
        assert!(
            KINDS.iter().any(|k| k.params.contains(name)),
            "{name} unused"
        );
    }
}

/// Each check finds its fault in a catalog broken on purpose.
#[test]
fn the_checks_catch_a_broken_catalog() {
    let en = SOURCES[1].1;
    let broken = |from: &str, to: &str| -> Vec<String> {
        assert!(en.contains(from), "{from}");
        let source: &'static str = Box::leak(en.replacen(from, to, 1).into_boxed_str());
        problems(Locale::En, &parsed(source))
    };
    let cases = [
        (
            "    .body = Order { $order_id } has been delivered. Open it to listen.\n",
            "",
            "order.delivered: no .body",
        ),
        (
            "Your reading is ready",
            "Your reading { $reading } is ready",
            "$reading is not a parameter",
        ),
        (
            "a monitor sent your recording back. Please record it again. Reason: { $reason }",
            "a monitor sent your recording back.",
            "parameter reason is used nowhere",
        ),
        ("                [one] one minute\n", "", "lacks [one]"),
        (
            "            [monthly] { $zodiac }: your month ahead\n",
            "",
            "lacks [monthly]",
        ),
        (
            "MONTH($ref_date)",
            "MONTH($zodiac)",
            "MONTH(Some(\"zodiac\"))",
        ),
        ("call-dropped =", "call-ended =", "no message call-dropped"),
        (
            "Your call is complete",
            "Your call is complete, { $pre_ritual }",
            "$pre_ritual is not a parameter",
        ),
        (
            "Order { $order_id }: your { $service } is on { $start }.",
            "Order { $order_id }: your { $service } is on { $start }. { $pre_ritual }",
            ".body uses optional pre_ritual",
        ),
    ];
    for (from, to, expected) in cases {
        let found = broken(from, to);
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "replacing {from:?}: expected {expected:?}, found {found:?}"
        );
    }
    let mut ar = parsed(SOURCES[0].1);
    ar.body
        .retain(|e| !matches!(e, ast::Entry::Message(m) if m.id.name == "zodiac-name"));
    let found = problems(Locale::Ar, &ar);
    assert!(
        found
            .iter()
            .any(|p| p.contains("parameter zodiac is used nowhere")),
        "{found:?}"
    );
}
