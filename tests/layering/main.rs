//! The layering rules of `docs/ARCHITECTURE.md`, checked against the source.
//!
//! Each crate's modules form a graph: an edge runs from a module to every module whose
//! names it uses (`use` items and inline `crate::`/`super::`/`self::` paths; `mod` items and
//! the text of strings, comments and `#[cfg(test)] mod tests` are not uses), and to the
//! module that defines a method it calls on `self` or `cx` (lowering's passes are `impl Cx`
//! blocks spread over modules: calling one is using that module). The graph must have no
//! circle, and each crate's modules sit in ordered layers: a module may use modules of a
//! lower layer, and of its own package (the same first path segment), and of its own layer
//! only where that layer says so. Emitters, for one, never use each other. Every module also
//! opens with a `//!` comment saying what it is, and stays under 800 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One layer: its top-level modules (`crate` is the crate root, `lib.rs`), and whether
/// they may use each other (the graph must still have no circle).
struct Layer {
    name: &'static str,
    modules: &'static [&'static str],
    siblings_may_use_each_other: bool,
}

const EMIT_LAYERS: &[Layer] = &[
    Layer {
        name: "printing helpers",
        modules: &["names", "layout", "files"],
        siblings_may_use_each_other: true,
    },
    Layer {
        name: "facts",
        modules: &["facts"],
        siblings_may_use_each_other: false,
    },
    Layer {
        name: "emitters",
        modules: &[
            "project",
            "migrations",
            "http",
            "rules",
            "auth",
            "testgen",
            "openapi",
            "readme",
            "deploy",
        ],
        siblings_may_use_each_other: false,
    },
    Layer {
        name: "driver",
        modules: &["crate"],
        siblings_may_use_each_other: false,
    },
];

#[test]
fn specgen_emit_emitters_use_only_facts_and_helpers_and_no_module_graph_circle() {
    check_crate("specgen-emit", EMIT_LAYERS);
}

#[test]
fn specgen_lower_passes_depend_downward_and_no_module_graph_circle() {
    check_crate("specgen-lower", &lower_layers());
}

/// Lowering, bottom to top: each module may use only those before it. The passes are
/// `impl Cx` blocks; the driver `lower` runs them in order.
static LOWER_ORDER: [&str; 22] = [
    "cx",
    "names",
    "settings",
    "includes",
    "roles",
    "changes",
    "entities",
    "numbers",
    "types",
    "values",
    "conditions",
    "access",
    "enums",
    "options",
    "fields",
    "derived",
    "schema",
    "limits",
    "rules",
    "auth",
    "lower",
    "crate",
];

fn lower_layers() -> Vec<Layer> {
    LOWER_ORDER
        .iter()
        .map(|module| Layer {
            name: module,
            modules: std::slice::from_ref(module),
            siblings_may_use_each_other: false,
        })
        .collect()
}

/// The most lines a source file may have.
const MAX_LINES: usize = 800;

/// Checks one crate's `src/` against its layers; panics with every violation.
fn check_crate(name: &str, layers: &[Layer]) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("crates")
        .join(name)
        .join("src");
    let graph = Graph::of_dir(&src);
    let mut problems = Vec::new();
    for module in graph.modules.keys() {
        if layer_of(layers, module).is_none() {
            problems.push(format!(
                "module `{module}` is in no layer: add it to the layer table in tests/layering"
            ));
        }
    }
    for (from, uses) in &graph.edges {
        for to in uses {
            if let Err(why) = allowed(layers, from, to) {
                problems.push(format!("`{from}` uses `{to}`: {why}"));
            }
        }
    }
    for (module, text) in &graph.sources {
        if !text.starts_with("//! ") {
            problems.push(format!(
                "module `{module}` does not open with a `//!` comment"
            ));
        }
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!(
                "module `{module}` has {lines} lines (at most {MAX_LINES}): split it by concern"
            ));
        }
    }
    if let Some(circle) = graph.circle() {
        problems.push(format!("import circle: {}", circle.join(" -> ")));
    }
    assert!(
        problems.is_empty(),
        "{name}: the layering rules of docs/ARCHITECTURE.md are broken:\n  {}",
        problems.join("\n  ")
    );
}

/// The index of the layer of `module` (by its first path segment).
fn layer_of(layers: &[Layer], module: &str) -> Option<usize> {
    let top = package(module);
    layers.iter().position(|l| l.modules.contains(&top))
}

/// The first path segment: `facts::schema::auth` is in package `facts`.
fn package(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn allowed(layers: &[Layer], from: &str, to: &str) -> Result<(), String> {
    let (Some(lf), Some(lt)) = (layer_of(layers, from), layer_of(layers, to)) else {
        return Ok(()); // reported as "in no layer"
    };
    if package(from) == package(to) || lt < lf {
        return Ok(());
    }
    if lt == lf && layers[lf].siblings_may_use_each_other {
        return Ok(());
    }
    if lt == lf {
        Err(format!(
            "modules of the layer `{}` never use each other",
            layers[lf].name
        ))
    } else {
        Err(format!(
            "the layer `{}` is above `{}`: uses run downward only",
            layers[lt].name, layers[lf].name
        ))
    }
}

/// Modules (by path, `crate` for the root) with the modules each one uses.
#[derive(Debug, Default)]
struct Graph {
    /// Module path -> its child modules' names.
    modules: BTreeMap<String, BTreeSet<String>>,
    edges: BTreeMap<String, BTreeSet<String>>,
    /// Module path -> its source text.
    sources: BTreeMap<String, String>,
}

impl Graph {
    fn of_dir(src: &Path) -> Graph {
        let mut sources = BTreeMap::new();
        for file in rust_files(src) {
            let rel = file.strip_prefix(src).expect("under src");
            let text = fs::read_to_string(&file).expect("a readable source file");
            sources.insert(module_path(rel), text);
        }
        Graph::of_sources(&sources)
    }

    /// The graph of modules given as (module path, source text).
    fn of_sources(sources: &BTreeMap<String, String>) -> Graph {
        let mut graph = Graph::default();
        for module in sources.keys() {
            graph.modules.entry(module.clone()).or_default();
            if let Some((parent, child)) = split_parent(module) {
                graph
                    .modules
                    .entry(parent)
                    .or_default()
                    .insert(child.to_owned());
            }
        }
        let codes: BTreeMap<&String, String> = sources
            .iter()
            .map(|(module, text)| (module, without_tests(&code_only(text))))
            .collect();
        // Methods by name -> the one module defining them (a name two modules define is
        // left out: a call to it names neither for sure).
        let mut methods: BTreeMap<String, Option<&String>> = BTreeMap::new();
        for (module, code) in &codes {
            for name in methods_defined(code) {
                methods
                    .entry(name)
                    .and_modify(|owner| {
                        if *owner != Some(*module) {
                            *owner = None;
                        }
                    })
                    .or_insert(Some(*module));
            }
        }
        for (module, code) in &codes {
            let mut uses = BTreeSet::new();
            for path in paths_used(code) {
                if let Some(target) = graph.resolve(module, &path)
                    && target != **module
                {
                    uses.insert(target);
                }
            }
            for (name, owner) in &methods {
                if let Some(owner) = owner
                    && owner != module
                    && (code.contains(&format!("self.{name}("))
                        || code.contains(&format!("cx.{name}(")))
                {
                    uses.insert((*owner).clone());
                }
            }
            graph.edges.insert((*module).clone(), uses);
        }
        graph.sources = sources.clone();
        graph
    }

    /// The module a path names (the longest known module prefix), from inside `module`.
    fn resolve(&self, module: &str, path: &[String]) -> Option<String> {
        let first = path.first()?;
        let (mut base, rest): (Vec<String>, &[String]) = match first.as_str() {
            "crate" => (Vec::new(), &path[1..]),
            "self" => (segments(module), &path[1..]),
            "super" => {
                let mut base = segments(module);
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            // A path that starts with a child module's name (`use access::EntityAccess;`
            // inside `http/mod.rs`).
            child if self.modules.get(module).is_some_and(|c| c.contains(child)) => {
                (segments(module), path)
            }
            _ => return None, // another crate or a local name
        };
        let mut found = join(&base);
        for segment in rest {
            base.push(segment.clone());
            let candidate = join(&base);
            if self.modules.contains_key(&candidate) {
                found = candidate;
            } else {
                break;
            }
        }
        Some(found)
    }

    /// One circle of the graph, if there is any: `a -> b -> a`.
    fn circle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Open,
            Done,
        }
        fn visit(
            graph: &Graph,
            node: &str,
            states: &mut BTreeMap<String, State>,
            stack: &mut Vec<String>,
        ) -> Option<Vec<String>> {
            match states.get(node) {
                Some(State::Done) => return None,
                Some(State::Open) => {
                    let start = stack.iter().position(|n| n == node).unwrap_or(0);
                    let mut circle = stack[start..].to_vec();
                    circle.push(node.to_owned());
                    return Some(circle);
                }
                None => {}
            }
            states.insert(node.to_owned(), State::Open);
            stack.push(node.to_owned());
            for next in graph.edges.get(node).into_iter().flatten() {
                if let Some(circle) = visit(graph, next, states, stack) {
                    return Some(circle);
                }
            }
            stack.pop();
            states.insert(node.to_owned(), State::Done);
            None
        }
        let mut states = BTreeMap::new();
        self.edges
            .keys()
            .find_map(|node| visit(self, node, &mut states, &mut Vec::new()))
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `lib.rs` -> `crate`, `http/mod.rs` -> `http`, `facts/schema/auth.rs` -> `facts::schema::auth`.
fn module_path(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    if parts.is_empty() {
        "crate".to_owned()
    } else {
        parts.join("::")
    }
}

fn segments(module: &str) -> Vec<String> {
    if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    }
}

fn join(segments: &[String]) -> String {
    if segments.is_empty() {
        "crate".to_owned()
    } else {
        segments.join("::")
    }
}

fn split_parent(module: &str) -> Option<(String, &str)> {
    if module == "crate" {
        return None;
    }
    Some(match module.rsplit_once("::") {
        Some((parent, child)) => (parent.to_owned(), child),
        None => ("crate".to_owned(), module),
    })
}

/// The source with comments, string and char literals blanked out, so that text the
/// emitter prints (`"use crate::http::..."`) is not taken for its own imports.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && is_char_literal(&chars, i) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `'x'` or `'\n'` (a char literal), not `'a` (a lifetime).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// The source before its `#[cfg(test)]` module (by convention the last item of a file).
fn without_tests(code: &str) -> String {
    match code.find("#[cfg(test)]") {
        Some(at) => code[..at].to_owned(),
        None => code.to_owned(),
    }
}

/// Every path a module uses: each leaf of each `use` tree, and each inline path that starts
/// with `crate`, `super` or `self`.
fn paths_used(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        expand_use_tree(after[..end].trim(), &mut Vec::new(), &mut paths);
        rest = &after[end..];
    }
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !ident_before(&chars, i) && chars[i].is_alphabetic() {
            let mut j = i;
            let mut path = Vec::new();
            loop {
                let start = j;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                path.push(chars[start..j].iter().collect::<String>());
                if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                    j += 2;
                    if !chars.get(j).is_some_and(|c| c.is_alphabetic() || *c == '_') {
                        break;
                    }
                } else {
                    break;
                }
            }
            if path.len() > 1 && matches!(path[0].as_str(), "crate" | "super" | "self") {
                paths.push(path);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    paths
}

/// The names of the functions defined inside the top-level `impl` blocks of `code`.
fn methods_defined(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_impl = false;
    for line in code.lines() {
        if line.starts_with("impl") {
            in_impl = !line.trim_end().ends_with('}');
        } else if line == "}" {
            in_impl = false;
        } else if in_impl && let Some(at) = find_word(line, "fn") {
            let name: String = line[at + 2..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if line.starts_with("    ") && !line.starts_with("     ") && !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// The index of `word` standing alone (not part of another identifier).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find(word) {
        let at = from + found;
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(at + word.len()).copied();
        let is_ident = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !is_ident(before) && !is_ident(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Expands `a::{b::C, d}` under `prefix` into `[a, b, C]` and `[a, d]`.
fn expand_use_tree(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        for part in split_top_level(inner) {
            expand_use_tree(part, &mut prefix.clone(), out);
        }
        return;
    }
    match tree.split_once("::") {
        Some((head, tail)) => {
            prefix.push(head.trim().to_owned());
            expand_use_tree(tail, prefix, out);
        }
        None => {
            let leaf = tree.split(" as ").next().unwrap_or(tree).trim();
            let mut path = prefix.clone();
            if !leaf.is_empty() && leaf != "*" {
                path.push(leaf.to_owned());
            }
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
}

/// Splits `a, b::{c, d}, e` at the commas outside braces.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

// The checker itself: it must see what it claims to see.

fn graph(files: &[(&str, &str)]) -> Graph {
    Graph::of_sources(
        &files
            .iter()
            .map(|(m, t)| ((*m).to_owned(), (*t).to_owned()))
            .collect(),
    )
}

fn uses(graph: &Graph, module: &str) -> Vec<String> {
    graph.edges[module].iter().cloned().collect()
}

#[test]
fn use_trees_inline_paths_and_child_modules_become_edges() {
    let g = graph(&[
        ("crate", "mod a; mod b; use crate::a::{x::One, Two};"),
        ("a", "mod x; use x::One; fn f() { crate::b::g(); }"),
        ("a::x", "use super::super::b::{self as bee};"),
        ("b", "use std::fmt; use specgen_ir::App;"),
    ]);
    assert_eq!(uses(&g, "crate"), ["a", "a::x"]);
    assert_eq!(uses(&g, "a"), ["a::x", "b"]);
    assert_eq!(uses(&g, "a::x"), ["b"]);
    assert!(uses(&g, "b").is_empty());
}

#[test]
fn a_call_of_a_method_defined_in_another_module_is_a_use() {
    let g = graph(&[
        ("crate", "mod cx; mod fields; mod rules;"),
        ("cx", "pub struct Cx;"),
        (
            "fields",
            "use crate::cx::Cx;\nimpl Cx {\n    pub(crate) fn fields(&mut self) {}\n}\n",
        ),
        (
            "rules",
            "use crate::cx::Cx;\nimpl Cx {\n    fn rules(&mut self) {\n        self.fields();\n    }\n}\n",
        ),
    ]);
    assert_eq!(uses(&g, "rules"), ["cx", "fields"]);
    assert_eq!(uses(&g, "fields"), ["cx"]);
}

#[test]
fn strings_comments_and_tests_are_not_uses() {
    let g = graph(&[
        ("crate", "mod a; mod b;"),
        (
            "a",
            "// use crate::b::X;\nconst S: &str = \"use crate::b::{Y};\";\nconst R: &str = r#\"crate::b::Z\"#;\nfn f<'a>(c: char) -> bool { c == '\"' }\n#[cfg(test)]\nmod tests { use crate::b::W; }",
        ),
        ("b", ""),
    ]);
    assert!(uses(&g, "a").is_empty(), "{:?}", uses(&g, "a"));
}

#[test]
fn a_circle_is_found_and_named() {
    let g = graph(&[
        ("crate", "mod a; mod b; mod c;"),
        ("a", "use crate::b::X;"),
        ("b", "use crate::c::Y;"),
        ("c", "use crate::a::Z;"),
    ]);
    let circle = g.circle().expect("a circle");
    assert_eq!(circle.first(), circle.last());
    assert_eq!(circle.len(), 4, "{circle:?}");
    let no_circle = graph(&[("crate", "mod a; use crate::a::X;"), ("a", "")]);
    assert_eq!(no_circle.circle(), None);
}

#[test]
fn uses_between_emitters_and_upward_are_refused() {
    assert!(allowed(EMIT_LAYERS, "http", "facts::access").is_ok());
    assert!(allowed(EMIT_LAYERS, "http::fields", "http").is_ok());
    assert!(allowed(EMIT_LAYERS, "crate", "rules").is_ok());
    assert!(allowed(EMIT_LAYERS, "readme", "http").is_err());
    assert!(allowed(EMIT_LAYERS, "facts::auth", "auth").is_err());
    assert!(allowed(EMIT_LAYERS, "testgen", "crate").is_err());
    let lower = lower_layers();
    assert!(allowed(&lower, "rules", "fields").is_ok());
    assert!(allowed(&lower, "fields", "rules").is_err());
}
