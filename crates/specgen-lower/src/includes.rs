//! Include loading: reads the root spec's `include:` entries and the files they name,
//! depth-first, parsing each one, reporting missing files and include cycles.
//!
//! Also home of the [`Loader`] trait and the in-memory [`MemoryLoader`] (re-exported from
//! the crate root). Depends only on `specgen-syntax` and `specgen-diagnostics`: it knows
//! nothing of lowering (no `Cx`) and must not import any other module of this crate.

use std::collections::{BTreeMap, BTreeSet};

use specgen_diagnostics::{Diagnostic, FileId, SourceMap, Span};
use specgen_syntax::{FmKind, SpecFile};

/// Reads spec files.
pub trait Loader {
    /// Read `path` (relative to the including file's dir when `from` is Some). Returns
    /// (display path, text) or an error message.
    fn load(&self, path: &str, from: Option<&str>) -> Result<(String, String), String>;
}

/// Files kept in memory, keyed by path; includes resolve relative to the including
/// file's folder (`a/b.spec` including `c.spec` reads `a/c.spec`; `..` is understood).
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader(pub BTreeMap<String, String>);

impl Loader for MemoryLoader {
    fn load(&self, path: &str, from: Option<&str>) -> Result<(String, String), String> {
        let full = match from {
            Some(from) => match from.rfind('/') {
                Some(i) => format!("{}/{}", &from[..i], path),
                None => path.to_string(),
            },
            None => path.to_string(),
        };
        let resolved = normalize_path(&full);
        match self.0.get(&resolved) {
            Some(text) => Ok((resolved, text.clone())),
            None => Err("no such file".to_string()),
        }
    }
}

/// Remove `.` segments and resolve `..` segments of a `/`-separated path.
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Read and parse the root spec and, depth-first, every file it includes. A root that
/// cannot be read is a `file_not_found` diagnostic and gives no files.
pub(crate) fn load_all(
    root_path: &str,
    loader: &dyn Loader,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<SpecFile> {
    let mut files = Vec::new();
    match loader.load(root_path, None) {
        Ok((display, text)) => {
            let mut stack = Vec::new();
            let mut seen = BTreeSet::new();
            load_tree(
                display,
                text,
                loader,
                sources,
                &mut files,
                diagnostics,
                &mut stack,
                &mut seen,
            );
        }
        Err(message) => {
            let id = sources.add(root_path, "");
            diagnostics.push(
                Diagnostic::error(
                    "file_not_found",
                    Span::new(id, 0, 0),
                    format!("cannot read `{root_path}`: {message}"),
                )
                .with_hint("check the path of the spec file"),
            );
        }
    }
    files
}

/// Parse one file, then its includes depth-first. `stack` holds the chain of files
/// being included (for cycle detection); `seen` every file already read (a file
/// included twice is read once).
#[allow(clippy::too_many_arguments)]
fn load_tree(
    display: String,
    text: String,
    loader: &dyn Loader,
    sources: &mut SourceMap,
    files: &mut Vec<SpecFile>,
    diags: &mut Vec<Diagnostic>,
    stack: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) {
    let id = FileId(sources.files.len() as u32);
    let parsed = specgen_syntax::parse(id, &text);
    sources.add(display.clone(), text);
    diags.extend(parsed.diagnostics);
    seen.insert(display.clone());
    stack.push(display.clone());
    let includes = include_entries(&parsed.file, diags);
    files.push(parsed.file);
    for (path, span) in includes {
        match loader.load(&path, Some(&display)) {
            Ok((child, child_text)) => {
                if stack.contains(&child) {
                    let mut chain: Vec<String> = stack
                        .iter()
                        .skip_while(|p| **p != child)
                        .map(|p| format!("`{p}`"))
                        .collect();
                    chain.push(format!("`{child}`"));
                    diags.push(
                        Diagnostic::error(
                            "include_cycle",
                            span,
                            format!("including `{path}` makes a cycle: {}", chain.join(" -> ")),
                        )
                        .with_hint(
                            "remove one of the `include:` entries so that no file includes itself",
                        ),
                    );
                } else if !seen.contains(&child) {
                    load_tree(
                        child, child_text, loader, sources, files, diags, stack, seen,
                    );
                }
            }
            Err(message) => diags.push(
                Diagnostic::error(
                    "include_not_found",
                    span,
                    format!("cannot read included file `{path}`: {message}"),
                )
                .with_hint("check the path; it is relative to the file that includes it"),
            ),
        }
    }
    stack.pop();
}

/// The `include:` entries of a file's front matter, as (path, span).
fn include_entries(file: &SpecFile, diags: &mut Vec<Diagnostic>) -> Vec<(String, Span)> {
    let Some(front) = &file.front_matter else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in front.entries.iter().filter(|e| e.key.value == "include") {
        let items: Vec<&specgen_syntax::FmValue> = match &entry.value.kind {
            FmKind::List(items) => items.iter().collect(),
            FmKind::String(_) => vec![&entry.value],
            FmKind::Null => Vec::new(),
            other => {
                diags.push(
                    Diagnostic::error(
                        "invalid_front_matter_value",
                        entry.value.span,
                        format!(
                            "`include` must be a list of files, found {}",
                            other.describe()
                        ),
                    )
                    .with_hint("write `include: [billing.spec, catalog.spec]`"),
                );
                Vec::new()
            }
        };
        for item in items {
            match &item.kind {
                FmKind::String(s) if !s.trim().is_empty() => {
                    out.push((s.trim().to_string(), item.span))
                }
                other => diags.push(
                    Diagnostic::error(
                        "invalid_front_matter_value",
                        item.span,
                        format!(
                            "an included file must be a path, found {}",
                            other.describe()
                        ),
                    )
                    .with_hint("write the path of a spec file, for example `billing.spec`"),
                ),
            }
        }
    }
    out
}
