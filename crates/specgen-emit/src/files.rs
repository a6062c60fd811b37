//! The emitter's output: one [`OutputFile`] per file of the generated repository, and the
//! [`Files`] list every emitter adds its rendered templates to.

use askama::Template;

/// Who owns a file of the generated repository.
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

/// The first line of each file, as [`crate::emit`] words it for the two ownerships.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    /// For files specgen rewrites on every build.
    pub generated: &'a str,
    /// For files specgen creates once and never overwrites.
    pub owned: &'a str,
}

/// The files emitted so far, in the order emitters add them (the driver sorts them).
#[derive(Default)]
pub(crate) struct Files {
    pub files: Vec<OutputFile>,
}

impl Files {
    /// Adds a file specgen rewrites on every build.
    pub fn add(&mut self, path: &str, template: &impl Template) {
        self.push(path, render(template), Ownership::Generated);
    }

    /// Adds a file created once and then owned by the developer.
    pub fn add_owned(&mut self, path: &str, template: &impl Template) {
        self.push(path, render(template), Ownership::UserOwned);
    }

    /// Adds a generated file whose contents are already rendered.
    pub fn add_raw(&mut self, path: &str, contents: String) {
        self.push(path, contents, Ownership::Generated);
    }

    fn push(&mut self, path: &str, contents: String, ownership: Ownership) {
        self.files.push(OutputFile {
            path: path.to_owned(),
            contents,
            ownership,
        });
    }
}

pub fn render(template: &impl Template) -> String {
    let mut out = template
        .render()
        .expect("templates only print strings and numbers, which cannot fail to render");
    out.push('\n');
    out
}
