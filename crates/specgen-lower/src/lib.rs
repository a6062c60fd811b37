//! Lowering: spec files -> the resolved, validated IR.
//!
//! [`compile`] loads the root spec and its `include:`s through a [`Loader`], parses each
//! file with `specgen-syntax`, then resolves and checks everything (names, types,
//! references, access lines, rules) and builds a [`specgen_ir::App`]. All problems are
//! collected, sorted by position, and returned together; the app is returned only when
//! none of them is an error.
//!
//! This crate does no I/O: reading files is the loader's job (the CLI's loader reads the
//! disk; tests use [`MemoryLoader`]).
//!
//! The modules are layered, bottom to top, each using only those below it: `cx` (the
//! shared context), `names`, `settings`, `includes`, `roles`, `changes` (renames and
//! removals), `entities`, `access`, `numbers`, `types`, `values`, `conditions`, `enums`,
//! `options`, `fields`, `derived`, `schema`, `rules`, `auth`, and the driver `lower`. The
//! passes are `impl Cx` blocks in their concern's module; `tests/layering` checks that
//! imports and calls only go down.

use specgen_diagnostics::{Diagnostic, SourceMap};

mod access;
mod auth;
mod changes;
mod conditions;
mod cx;
mod derived;
mod entities;
mod enums;
mod fields;
mod includes;
mod limits;
mod lower;
pub mod names;
mod numbers;
mod options;
mod roles;
mod rules;
mod schema;
mod settings;
mod types;
mod values;

pub use includes::{Loader, MemoryLoader, normalize_path};

/// The result of [`compile`].
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The app, present only when `diagnostics` holds no error.
    pub app: Option<specgen_ir::App>,
    /// Every file that was read, for rendering diagnostics.
    pub sources: SourceMap,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compile the spec at `root_path` (and its includes) into the IR.
pub fn compile(root_path: &str, loader: &dyn Loader) -> Compiled {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let files = includes::load_all(root_path, loader, &mut sources, &mut diagnostics);
    let spec_file = root_path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(root_path)
        .to_string();
    let app = if files.is_empty() {
        None
    } else {
        lower::lower(&files, &sources, &spec_file, &mut diagnostics)
    };
    diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.span.end));
    let app = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        app
    };
    Compiled {
        app,
        sources,
        diagnostics,
    }
}
