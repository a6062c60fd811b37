//! Emit: turns a resolved [`specgen_ir::App`] into the files of a Rust backend repository.
//!
//! This crate does no I/O. [`emit`] returns every file as an [`OutputFile`]; the CLI writes
//! them, records hashes and protects user-owned files.

use askama::Template;
use specgen_ir::App;

/// Options that do not come from the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmitOptions {
    /// The specgen version written into generated headers.
    pub specgen_version: String,
}

/// Who owns a file in the generated repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ownership {
    /// Rewritten on every build.
    Generated,
    /// Created once and never overwritten: an extension point the developer edits.
    UserOwned,
}

/// One file of the generated repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path with forward slashes (`src/http/bookings.rs`).
    pub path: String,
    pub contents: String,
    pub ownership: Ownership,
}

/// Every file of the generated repository for `app`, sorted by path.
pub fn emit(app: &App, options: &EmitOptions) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        path: "Cargo.toml".to_string(),
        contents: render(&CargoToml { name: &app.name, spec_file: &app.spec_file, version: &options.specgen_version }),
        ownership: Ownership::Generated,
    }];
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[derive(Template)]
#[template(path = "backend/Cargo.toml")]
struct CargoToml<'a> {
    name: &'a str,
    spec_file: &'a str,
    version: &'a str,
}

fn render(template: &impl Template) -> String {
    let mut out = template.render().expect("templates render into a String without failing");
    out.push('\n');
    out
}
