//! The docs stay true to the tree: every repository path a doc names
//! exists, every link between docs reaches its file and heading, README.md
//! stays short, and docs/configuration.md lists exactly the environment
//! variables the code and the scripts read. Needs no database and no
//! environment: `cargo test -p samia-tests --test docs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// README.md must stay under this many bytes.
const README_LIMIT: u64 = 12_000;

/// A token naming a repository path starts with one of these folders...
const TOP_DIRS: &[&str] = &[
    "core/",
    "pg_extension/",
    "sidecar/",
    "fakes/",
    "sql/",
    "tests/",
    "scripts/",
    "deploy/",
    "docs/",
    ".ci/",
    "clients/",
];
/// ...or is one of these root files.
const ROOT_FILES: &[&str] = &["README.md", "CONTRIBUTING.md", "Makefile", "Cargo.toml"];
/// A token holding one of these is a pattern or a placeholder, not a path.
const PLACEHOLDERS: &[&str] = &["*", "<", "...", "VERSION", "ARCH", "A--B", "OLD"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The docs, as paths relative to the root.
fn doc_files() -> Vec<String> {
    let mut files: Vec<String> = ["README.md", "CONTRIBUTING.md", "deploy/RUNBOOK.md"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut pages: Vec<String> = fs::read_dir(root().join("docs"))
        .expect("docs/ is missing")
        .map(|e| {
            e.expect("reading docs/")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "docs/ holds no .md page");
    files.extend(pages);
    files
}

/// What a doc says, split into the text outside fenced code blocks and the
/// lines inside them.
fn split_fences(text: &str) -> (String, Vec<String>) {
    let (mut prose, mut code, mut fenced) = (String::new(), Vec::new(), false);
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            code.push(line.to_string());
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    (prose, code)
}

/// The words of every inline code span and of every fenced code block.
fn code_tokens(text: &str) -> Vec<String> {
    let (prose, code) = split_fences(text);
    let spans = prose.split('`').skip(1).step_by(2);
    spans
        .chain(code.iter().map(String::as_str))
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect()
}

/// The targets of markdown links `[text](target)` outside code.
fn link_targets(text: &str) -> Vec<String> {
    let (prose, _) = split_fences(text);
    // Links inside inline code are not links.
    let outside: String = prose.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    outside
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|t| t.trim().to_string())
        .collect()
}

/// A code token as a repository path, if it names one.
fn as_repo_path(token: &str) -> Option<String> {
    let t = token.trim_start_matches(['"', '\'', '(', '[']);
    let mut t = t.trim_end_matches(['.', ',', ';', ':', ')', '"', '\'', ']']);
    // `file.rs:120` or `file.rs:120:4`
    while let Some((head, tail)) = t.rsplit_once(':') {
        if !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit()) {
            t = head;
        } else {
            break;
        }
    }
    let t = t.split('#').next().unwrap_or(t);
    let named = TOP_DIRS.iter().any(|d| t.starts_with(d)) || ROOT_FILES.contains(&t);
    let placeholder = PLACEHOLDERS.iter().any(|p| t.contains(p));
    (named && !placeholder).then(|| t.to_string())
}

/// GitHub's anchor for a heading: lower case, backticks and punctuation
/// dropped (but `-` and `_`), spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let (prose, _) = split_fences(text);
    prose
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// Every problem with the paths and links of one doc.
fn problems_of(doc: &str) -> Vec<String> {
    let root = root();
    let text = read(&root.join(doc));
    let mut problems = Vec::new();
    let named: BTreeSet<String> = code_tokens(&text)
        .iter()
        .filter_map(|t| as_repo_path(t))
        .collect();
    for path in named {
        if !root.join(&path).exists() {
            problems.push(format!("{doc}: `{path}` does not exist"));
        }
    }
    let dir = Path::new(doc).parent().unwrap_or(Path::new(""));
    for target in link_targets(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = match target.split_once('#') {
            Some((f, a)) => (f, Some(a)),
            None => (target.as_str(), None),
        };
        let file_path = if file.is_empty() {
            root.join(doc)
        } else {
            root.join(dir).join(file)
        };
        if PLACEHOLDERS.iter().any(|p| file.contains(p)) {
            continue;
        }
        if !file_path.exists() {
            problems.push(format!("{doc}: link ({target}) reaches no file"));
            continue;
        }
        if let Some(anchor) = anchor {
            if file_path.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&file_path)).contains(anchor)
            {
                problems.push(format!("{doc}: link ({target}) names no heading of {file}"));
            }
        }
    }
    problems
}

#[test]
fn every_path_a_doc_names_exists() {
    let problems: Vec<String> = doc_files().iter().flat_map(|d| problems_of(d)).collect();
    assert!(
        problems.is_empty(),
        "the docs name paths or links that do not exist (fix the doc, or the path):\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_readme_is_short() {
    let bytes = fs::metadata(root().join("README.md"))
        .expect("README.md is missing")
        .len();
    assert!(
        bytes < README_LIMIT,
        "README.md is {bytes} bytes; keep it under {README_LIMIT}: move detail into docs/"
    );
}

#[test]
fn the_checker_sees_paths_and_placeholders() {
    let text = "See `core/src/calls.rs:42`, `pg_extension/sql/samia--A--B.sql`, \
                `docs/orders.md`, [x](docs/files.md#buckets) and `Cargo.toml`.\n\
                ```sh\nscripts/up.sh --flag\n```\n";
    let paths: Vec<String> = code_tokens(text)
        .iter()
        .filter_map(|t| as_repo_path(t))
        .collect();
    assert_eq!(
        paths,
        [
            "core/src/calls.rs",
            "docs/orders.md",
            "Cargo.toml",
            "scripts/up.sh"
        ]
    );
    assert_eq!(link_targets(text), ["docs/files.md#buckets"]);
    assert_eq!(slug(" `app_config` keys"), "app_config-keys");
    assert_eq!(
        slug(" The audit chain: what it proves"),
        "the-audit-chain-what-it-proves"
    );
}

/// The files under `dir` (recursively) whose names end with `ext`.
fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()))
        {
            let path = entry.expect("listing a folder").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.to_string_lossy().ends_with(ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The quoted names after each of `openers` in Rust source: clap's
/// `env = "NAME"` and `std::env::var("NAME")`.
fn rust_env_names(dirs: &[&str]) -> BTreeMap<String, String> {
    // `program("NAME")`: the tests' helper that reads a binary's path.
    let openers = ["env = \"", "env::var(\"", "env::var_os(\"", "program(\""];
    let mut names = BTreeMap::new();
    for dir in dirs {
        for file in files_under(&root().join(dir), ".rs") {
            let text = read(&file);
            for opener in openers {
                for rest in text.split(opener).skip(1) {
                    let name = rest.split('"').next().unwrap_or("");
                    if is_var_name(name) {
                        let at = file.strip_prefix(root()).unwrap_or(&file);
                        names
                            .entry(name.to_string())
                            .or_insert_with(|| at.display().to_string());
                    }
                }
            }
        }
    }
    names
}

/// Variables a shell script expands: `$NAME` and `${NAME...}`.
fn shell_names(files: &[PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in files {
        let text = read(file);
        for rest in text.split('$').skip(1) {
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if is_var_name(&name) {
                names.insert(name);
            }
        }
    }
    names
}

/// The first cell of each row of docs/configuration.md's tables, when it
/// is one variable name in backticks.
fn documented_variables(config: &str) -> Vec<String> {
    config
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| is_var_name(name))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_configuration_table_matches_the_code() {
    let config = read(&root().join("docs/configuration.md"));
    let read_by_sidecar = rust_env_names(&["sidecar/src", "fakes/src"]);
    let mut problems = Vec::new();

    for (name, file) in &read_by_sidecar {
        if !config.contains(&format!("`{name}`")) {
            problems.push(format!(
                "{file} reads `{name}`, which docs/configuration.md does not mention"
            ));
        }
    }

    let mut scripts = files_under(&root().join("scripts"), ".sh");
    scripts.extend(files_under(&root().join("deploy"), ".sh"));
    let read_by_scripts = shell_names(&scripts);
    let read_by_tests = rust_env_names(&["tests/src", "tests/tests"]);
    let documented = documented_variables(&config);
    assert!(
        documented.len() > 20,
        "docs/configuration.md's table lists only {} variables: did its format change?",
        documented.len()
    );
    let mut seen = BTreeSet::new();
    for name in &documented {
        if !seen.insert(name) {
            problems.push(format!(
                "`{name}` has more than one row in docs/configuration.md"
            ));
        }
        let known = read_by_sidecar.contains_key(name)
            || read_by_scripts.contains(name)
            || read_by_tests.contains_key(name);
        if !known {
            problems.push(format!(
                "docs/configuration.md lists `{name}`, which neither sidecar/src, fakes/src, \
                 scripts/, deploy/*.sh nor tests/ read"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/configuration.md and the code disagree:\n  {}",
        problems.join("\n  ")
    );
}

/// The package the docs and the image's Dockerfile name is this version's
/// (`make package` names it `samia-VERSION-pg15-ARCH.tar.gz`): a runbook
/// that copies an older tarball's name fails at `docker build`.
#[test]
fn the_package_named_is_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    let mut files = doc_files();
    files.push("deploy/Dockerfile".to_string());
    let mut stale = Vec::new();
    for file in files {
        let text = read(&root().join(&file));
        for (at, _) in text.match_indices("samia-") {
            let rest = &text[at + "samia-".len()..];
            let named: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if rest[named.len()..].starts_with("-pg") && named != version {
                stale.push(format!("{file}: samia-{named}-pg..."));
            }
        }
    }
    assert!(stale.is_empty(), "not this version ({version}): {stale:?}");
}
