//! The product binary carries no test double: the providers' fakes live in
//! `samia-fake` (the samia-fakes crate), and `samia` (the debug build that
//! `make test` runs, `SAMIA_BIN`) neither offers a fake command nor holds
//! any of the fakes' code.

use samia_tests::run_samia;

/// The fakes' module paths as a binary holds them: the crate's name,
/// paths in type names and panic locations, and the `fake` segment of a
/// mangled symbol (`..6twilio4fake..`).
const FAKE_PATHS: &[&str] = &[
    "samia_fakes",
    "fakes/src/",
    "fake::",
    "4fake",
    "/fake/",
    "/fake.rs",
];

#[test]
fn samia_help_lists_no_fake_command() {
    let help = run_samia(&["--help"], None);
    assert_eq!(help.code, 0, "{}", help.stderr);
    let commands: Vec<&str> = help
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(commands.contains(&"run"), "{}", help.stdout);
    let fakes: Vec<&&str> = commands.iter().filter(|c| c.contains("fake")).collect();
    assert!(fakes.is_empty(), "samia offers {fakes:?}:\n{}", help.stdout);
    let refused = run_samia(&["fake-twilio", "--help"], None);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
}

#[test]
fn the_samia_binary_holds_none_of_the_fakes() {
    let path = std::env::var("SAMIA_BIN")
        .expect("SAMIA_BIN is not set: run the integration tests with `make test`");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert!(bytes.starts_with(b"\x7fELF"), "{path} is not an ELF file");
    // Read lossily: every needle is ASCII, so each survives where it stands.
    let text = String::from_utf8_lossy(&bytes);
    // The product's own module paths are there to be seen.
    for own in ["samia_sidecar::", "13samia_sidecar"] {
        assert!(
            text.contains(own),
            "{path} holds no {own:?}: not a debug build of samia?"
        );
    }
    let found: Vec<&&str> = FAKE_PATHS.iter().filter(|p| text.contains(**p)).collect();
    assert!(
        found.is_empty(),
        "{path} holds {found:?}: fake code is linked into samia"
    );
}
