//! Whole-app cases: every example spec (`examples/*.spec`) and every stress case
//! (`tests/cases/*.spec`) is compiled and emitted. Each case's whole output is snapshotted
//! Gleam-style (`----- SPEC` then `----- <path>` per file) in `tests/snapshots/`; emitting is
//! deterministic; and every generated Rust file is exactly what rustfmt would write.
//!
//! Building and testing the generated repositories is the end-to-end suite's job
//! (`tests/e2e` at the top of the workspace); `cargo run -p specgen-emit --example generate`
//! writes one out for a closer look.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use specgen_emit::{EmitOptions, Ownership, emit};
use specgen_ir::App;
use specgen_lower::{MemoryLoader, compile};

/// The version written into headers, fixed so snapshots do not change with releases.
const VERSION: &str = "0.1.0";

#[test]
fn every_case_matches_its_snapshot() {
    for case in cases() {
        let files = emit(&case.app, &options());
        let mut snapshot = format!("----- SPEC {}\n{}", case.spec_name, case.spec_text);
        for file in &files {
            let owner = match file.ownership {
                Ownership::Generated => "generated",
                Ownership::UserOwned => "user-owned",
            };
            snapshot.push_str(&format!("----- {} ({owner})\n{}", file.path, file.contents));
        }
        insta::assert_snapshot!(case.name.as_str(), snapshot);
    }
}

#[test]
fn emitting_twice_gives_byte_identical_files() {
    for case in cases() {
        let first = emit(&case.app, &options());
        let again = emit(&load(&case.spec_path), &options());
        assert_eq!(first, again, "{}", case.name);
    }
}

#[test]
fn files_are_sorted_unique_and_relative() {
    for case in cases() {
        let files = emit(&case.app, &options());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            paths, sorted,
            "{}: sorted and without duplicates",
            case.name
        );
        for path in paths {
            assert!(
                !path.starts_with('/')
                    && !path.contains('\\')
                    && !path.split('/').any(|p| p == ".."),
                "{}: `{path}` must be relative with forward slashes",
                case.name
            );
        }
    }
}

#[test]
fn every_file_says_it_comes_from_the_spec() {
    for case in cases() {
        for file in emit(&case.app, &options()) {
            if file.path.ends_with(".json") {
                let json: serde_json::Value =
                    serde_json::from_str(&file.contents).expect("valid JSON");
                let note = json["x-generated-by"].as_str().unwrap_or_default();
                assert!(
                    note.contains(&case.spec_name),
                    "{}: {}",
                    case.name,
                    file.path
                );
                continue;
            }
            let first = file.contents.lines().next().unwrap_or_default();
            assert!(
                first.contains("by specgen") && first.contains(&case.spec_name),
                "{}: the first line of {} does not name the spec: {first}",
                case.name,
                file.path
            );
        }
    }
}

#[test]
fn hooks_are_user_owned_and_the_data_api_is_generated() {
    for case in cases() {
        let files: BTreeMap<String, Ownership> = emit(&case.app, &options())
            .into_iter()
            .map(|f| (f.path, f.ownership))
            .collect();
        for entity in &case.app.entities {
            let hooks = format!("src/hooks/{}.rs", entity.plural_snake);
            let module = format!("src/http/{}.rs", entity.plural_snake);
            assert_eq!(files.get(&hooks), Some(&Ownership::UserOwned), "{hooks}");
            assert_eq!(files.get(&module), Some(&Ownership::Generated), "{module}");
        }
        for path in [
            "Cargo.toml",
            "src/db.rs",
            "migrations/sqlite/0001_initial.sql",
        ] {
            assert_eq!(files.get(path), Some(&Ownership::Generated), "{path}");
        }
    }
}

#[test]
fn openapi_lists_exactly_the_routes() {
    for case in cases() {
        let files = emit(&case.app, &options());
        let openapi = files
            .iter()
            .find(|f| f.path == "openapi.json")
            .expect("openapi.json");
        let json: serde_json::Value = serde_json::from_str(&openapi.contents).expect("JSON");
        let paths: Vec<&String> = json["paths"].as_object().expect("paths").keys().collect();
        let module = files
            .iter()
            .find(|f| f.path == "src/http/mod.rs")
            .expect("http module");
        for path in &paths {
            let declared = module.contents.contains(&format!("\"{path}\""))
                || files.iter().any(|f| {
                    f.path.starts_with("src/") && f.contents.contains(&format!("\"{path}\""))
                });
            assert!(
                declared,
                "{}: `{path}` is documented but not routed",
                case.name
            );
        }
        for entity in &case.app.entities {
            let item = format!("{}/{{id}}", entity.route);
            for route in [&entity.route, &item] {
                assert!(
                    paths.contains(&route),
                    "{}: `{route}` is routed but not documented",
                    case.name
                );
            }
        }
    }
}

/// Lints a generated repo would fail for specs no one here wrote, caught without building
/// one: every private helper a generated test file defines is used in it (dead code), no
/// loop runs over one element or an empty range. Over the examples, the stress cases and the
/// end-to-end corpus of small specs (`tests/e2e/specs/`), which `tests/e2e` also builds.
#[test]
fn generated_files_define_only_the_helpers_they_use() {
    let mut problems = Vec::new();
    for case in cases().into_iter().chain(corpus()) {
        for file in emit(&case.app, &options()) {
            if !(file.path.starts_with("tests/") && file.path.ends_with(".rs")) {
                continue;
            }
            let text = &file.contents;
            // A file that says it may hold unused helpers (the shared test helpers, the
            // access matrix) is left to its `allow`.
            let allows_dead_code = text.contains("#![allow(dead_code)]");
            for line in text.lines().filter(|_| !allows_dead_code) {
                // Private free functions: the module's own helpers.
                let Some(rest) = line
                    .strip_prefix("fn ")
                    .or_else(|| line.strip_prefix("async fn "))
                else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let uses = text.matches(&format!("{name}(")).count()
                    + text.matches(&format!("{name}::<")).count();
                let is_test = test_functions(text).contains(&name);
                if uses < 2 && !is_test && name != "main" {
                    problems.push(format!(
                        "{}: {}: `{name}` is never used",
                        case.name, file.path
                    ));
                }
            }
            for (number, line) in text.lines().enumerate() {
                let single = line.contains("for ")
                    && line.contains(" in [")
                    && line.trim_end().ends_with("] {")
                    && !line.contains(',');
                let empty = line.split_once(" in ").is_some_and(|(_, range)| {
                    let range = range.trim_end().trim_end_matches('{').trim();
                    range
                        .split_once("..")
                        .is_some_and(|(a, b)| a == b && !a.is_empty())
                });
                if single || empty {
                    problems.push(format!(
                        "{}: {} line {}: `{}`",
                        case.name,
                        file.path,
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Names of the functions of `text` marked as tests (the line after the attribute).
fn test_functions(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|pair| {
            pair[0].trim_start().starts_with("#[tokio::test") || pair[0].trim() == "#[test]"
        })
        .filter_map(|pair| {
            let rest = pair[1].trim_start();
            let rest = rest
                .strip_prefix("async fn ")
                .or_else(|| rest.strip_prefix("fn "))?;
            Some(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            )
        })
        .collect()
}

/// PostgreSQL cuts identifiers at 63 bytes (so two long names sharing a prefix would
/// become one), and tables, indexes, triggers and constraints share namespaces: every
/// identifier of every generated migration fits, and every name a migration declares is
/// declared once.
#[test]
fn every_sql_identifier_fits_63_bytes_and_is_declared_once() {
    let mut problems = Vec::new();
    for case in cases() {
        for file in emit(&case.app, &options()) {
            if !(file.path.starts_with("migrations/") && file.path.ends_with(".sql")) {
                continue;
            }
            let tokens = sql_tokens(&file.contents);
            for token in &tokens {
                if token.len() > 63 {
                    problems.push(format!(
                        "{}: {}: `{token}` is {} bytes",
                        case.name,
                        file.path,
                        token.len()
                    ));
                }
            }
            let mut declared = std::collections::BTreeSet::new();
            for pair in tokens.windows(3) {
                let name = match pair {
                    [create, kind, name]
                        if create.eq_ignore_ascii_case("create")
                            && ["table", "index", "trigger", "function"]
                                .iter()
                                .any(|k| kind.eq_ignore_ascii_case(k)) =>
                    {
                        name
                    }
                    [_, constraint, name] if constraint.eq_ignore_ascii_case("constraint") => name,
                    _ => continue,
                };
                if !declared.insert(name.to_ascii_lowercase()) {
                    problems.push(format!(
                        "{}: {}: `{name}` is declared twice",
                        case.name, file.path
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The words of SQL text outside comments and string literals, in order.
fn sql_tokens(sql: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = sql.chars().peekable();
    let mut word = String::new();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// Runs rustfmt (edition 2024, default options, as `cargo fmt` does in a generated repo)
/// over every generated Rust file (of the cases and of the end-to-end corpus); skipped
/// with a note when rustfmt is not installed.
#[test]
fn generated_rust_is_exactly_as_rustfmt_writes_it() {
    if Command::new("rustfmt").arg("--version").output().is_err() {
        eprintln!("rustfmt is not installed: skipping the formatting check");
        return;
    }
    let mut unformatted = Vec::new();
    for case in cases().into_iter().chain(corpus()) {
        for file in emit(&case.app, &options()) {
            if !file.path.ends_with(".rs") {
                continue;
            }
            let formatted = rustfmt(&file.contents);
            if formatted != file.contents {
                unformatted.push(format!(
                    "{}: {}\n{}",
                    case.name,
                    file.path,
                    first_difference(&file.contents, &formatted)
                ));
            }
        }
    }
    assert!(
        unformatted.is_empty(),
        "not as rustfmt writes them:\n\n{}",
        unformatted.join("\n\n")
    );
}

struct Case {
    /// The snapshot's name: the spec's file name without `.spec`.
    name: String,
    spec_name: String,
    spec_path: PathBuf,
    spec_text: String,
    app: App,
}

fn options() -> EmitOptions {
    EmitOptions {
        specgen_version: VERSION.to_owned(),
    }
}

/// The example specs, then the stress cases.
fn cases() -> Vec<Case> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs = Vec::new();
    for dir in [
        manifest.join("../../examples"),
        manifest.join("tests/cases"),
    ] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("readable folder").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "spec"))
            .collect();
        found.sort();
        specs.extend(found);
    }
    specs
        .into_iter()
        .map(|spec_path| {
            let spec_name = file_name(&spec_path);
            Case {
                name: spec_name.trim_end_matches(".spec").to_owned(),
                spec_text: std::fs::read_to_string(&spec_path).expect("readable spec"),
                app: load(&spec_path),
                spec_name,
                spec_path,
            }
        })
        .collect()
}

/// The small specs of the end-to-end corpus (`tests/e2e/specs/`): each rule kind alone,
/// at its edge values. Not snapshotted here; `tests/e2e` builds and lints them.
fn corpus() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/specs");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable folder").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "spec"))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no spec in {}", dir.display());
    found
        .into_iter()
        .map(|spec_path| {
            let spec_name = file_name(&spec_path);
            Case {
                name: format!("e2e/{}", spec_name.trim_end_matches(".spec")),
                spec_text: std::fs::read_to_string(&spec_path).expect("readable spec"),
                app: load(&spec_path),
                spec_name,
                spec_path,
            }
        })
        .collect()
}

/// Compiles the spec at `path` with the `.spec` files of its folder (for includes).
fn load(path: &Path) -> App {
    let root = path.parent().expect("a spec in a folder");
    let mut files = BTreeMap::new();
    collect(root, root, &mut files);
    let compiled = compile(&file_name(path), &MemoryLoader(files));
    match compiled.app {
        Some(app) => app,
        None => panic!(
            "{} does not compile: {:#?}",
            path.display(),
            compiled.diagnostics
        ),
    }
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|ext| ext == "spec") {
            let key = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(key, std::fs::read_to_string(&path).expect("readable spec"));
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("a file name")
        .to_owned()
}

fn rustfmt(source: &str) -> String {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rustfmt runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(source.as_bytes())
        .expect("write to rustfmt");
    let output = child.wait_with_output().expect("rustfmt finishes");
    assert!(
        output.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 from rustfmt")
}

/// The first differing line of two texts, with its number.
fn first_difference(actual: &str, expected: &str) -> String {
    let mut expected_lines = expected.lines();
    for (number, line) in actual.lines().enumerate() {
        let wanted = expected_lines.next().unwrap_or_default();
        if line != wanted {
            return format!(
                "line {}:\n  generated: {line}\n  rustfmt:   {wanted}",
                number + 1
            );
        }
    }
    "the files differ at the end".to_owned()
}
