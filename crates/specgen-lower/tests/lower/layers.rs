//! The crate's modules are layered: each may use (import, or call a pass of `Cx`
//! defined in) only the modules below it, so there is no cycle and the driver `lower` is
//! on top. Also: every module says what it does, and none grows past 800 lines.

use std::collections::BTreeMap;
use std::path::Path;

/// Bottom to top. A new module must be placed here.
const LAYERS: &[&str] = &[
    "cx",
    "names",
    "settings",
    "includes",
    "roles",
    "entities",
    "access",
    "numbers",
    "types",
    "values",
    "conditions",
    "options",
    "fields",
    "rules",
    "auth",
    "lower",
];

/// The most lines a source file may have.
const MAX_LINES: usize = 800;

/// Every `src/*.rs` but the crate root, by module name, without its unit tests.
fn modules() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|x| x == "rs") && name != "lib" {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.insert(name.to_string(), text);
        }
    }
    out
}

/// The text before `#[cfg(test)]`: tests may use anything.
fn code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// Modules named in `crate::x` and `super::x` paths.
fn imports(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["crate::", "super::"] {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// Names of the methods defined in `impl Cx` blocks of a module.
fn cx_methods(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_impl = false;
    for line in text.lines() {
        if line.starts_with("impl") && line.contains("Cx<") {
            in_impl = true;
        } else if line == "}" {
            in_impl = false;
        } else if in_impl {
            let l = line
                .trim_start_matches("    ")
                .trim_start_matches("pub(crate) ");
            if let Some(rest) = l.strip_prefix("fn ") {
                out.push(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                );
            }
        }
    }
    out
}

/// (module, what it uses, why) for every edge of the module graph.
fn edges() -> Vec<(String, String, String)> {
    let mods = modules();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (m, text) in &mods {
        for f in cx_methods(code(text)) {
            owner.insert(f, m.clone());
        }
    }
    let mut out = Vec::new();
    for (m, text) in &mods {
        let code = code(text);
        for to in imports(code) {
            out.push((m.clone(), to.clone(), format!("`crate::{to}`")));
        }
        for (f, to) in &owner {
            if to != m
                && (code.contains(&format!("self.{f}(")) || code.contains(&format!("cx.{f}(")))
            {
                out.push((m.clone(), to.clone(), format!("calls `{f}`")));
            }
        }
    }
    out
}

fn layer(m: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == m)
        .unwrap_or_else(|| panic!("module `{m}` is not in LAYERS; place it in its layer"))
}

#[test]
fn modules_only_use_the_layers_below() {
    let mut wrong = Vec::new();
    for (from, to, why) in edges() {
        if layer(&to) >= layer(&from) {
            wrong.push(format!("{from} -> {to} ({why})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "upward or sideways dependencies:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_layer_is_a_module() {
    let mods = modules();
    for l in LAYERS {
        assert!(
            mods.contains_key(*l),
            "LAYERS names `{l}` but there is no src/{l}.rs"
        );
    }
    for m in mods.keys() {
        layer(m);
    }
}

#[test]
fn nothing_uses_the_driver() {
    for (from, to, why) in edges() {
        assert_ne!(to, "lower", "{from} uses the driver ({why})");
    }
}

#[test]
fn modules_are_documented_and_short() {
    for (m, text) in modules() {
        assert!(
            text.starts_with("//! "),
            "src/{m}.rs has no `//!` doc comment"
        );
        let lines = text.lines().count();
        assert!(
            lines <= MAX_LINES,
            "src/{m}.rs has {lines} lines (at most {MAX_LINES})"
        );
    }
}

#[test]
fn the_edge_finder_sees_imports_and_calls() {
    let text = "use crate::cx::Cx;\nimpl Cx<'_> {\n    pub(crate) fn a(&mut self) {\n        self.b();\n    }\n}\n";
    assert_eq!(imports(text), ["cx"]);
    assert_eq!(cx_methods(text), ["a"]);
    assert_eq!(code("x\n#[cfg(test)]\nuse crate::lower;"), "x\n");
}
