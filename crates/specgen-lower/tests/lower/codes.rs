//! Every diagnostic code a module of the crate can emit is exercised somewhere: by a
//! table row in these tests or by a `tests/bad-specs/*.spec` snapshot.

use std::collections::BTreeMap;
use std::path::Path;

/// Codes in `Diagnostic::error("code", ...)`, `Diagnostic::warning("code", ...)` and
/// `enum_value(values, lit, "code", ...)`, by module.
fn codes_by_module() -> BTreeMap<String, Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path.file_stem().map(|s| s.to_string_lossy().to_string());
        out.insert(name.unwrap_or_default(), codes_in(&text));
    }
    out
}

fn codes_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    // (call, how many arguments come before the code)
    for (call, before) in [
        ("Diagnostic::error(", 0),
        ("Diagnostic::warning(", 0),
        ("enum_value(", 2),
    ] {
        for (i, _) in text.match_indices(call) {
            let rest = &text[i + call.len()..];
            // The code is a string literal argument; a code passed in a variable is
            // counted where the literal is written.
            let Some(q) = rest.find('"') else { continue };
            let args = &rest[..q];
            if args.contains(['(', ';']) || args.matches(',').count() != before {
                continue;
            }
            if before == 0 && !args.trim().is_empty() {
                continue;
            }
            let code: String = rest[q + 1..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !code.is_empty() && rest[q + 1 + code.len()..].starts_with('"') {
                out.push(code);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The rendered bad-spec snapshots and the other test sources.
fn corpus() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lower");
    let mut text = String::new();
    for dir in [root.clone(), root.join("snapshots")] {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.map(|e| e.path()).unwrap_or_default();
            if path.file_name().is_some_and(|n| n == "codes.rs") {
                continue;
            }
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    text
}

#[test]
fn every_diagnostic_code_is_exercised() {
    let corpus = corpus();
    let mut missing = Vec::new();
    let mut total = 0;
    for (module, codes) in codes_by_module() {
        for code in codes {
            total += 1;
            let shown = [
                format!("error[{code}]"),
                format!("warning[{code}]"),
                format!("\"{code}\""),
            ];
            if !shown.iter().any(|s| corpus.contains(s.as_str())) {
                missing.push(format!("{module}: {code}"));
            }
        }
    }
    assert!(
        total > 50,
        "only {total} codes found; is the search still right?"
    );
    assert!(
        missing.is_empty(),
        "codes no test exercises:\n{}",
        missing.join("\n")
    );
}

#[test]
fn codes_are_found_in_calls() {
    let text = r#"Diagnostic::error("a_b", span, "x"); Diagnostic::warning(
        "c", s, m); self.enum_value(values, lit, "d_e", format!("f")); Diagnostic::error(code, s, "g")"#;
    assert_eq!(codes_in(text), ["a_b", "c", "d_e"]);
}
