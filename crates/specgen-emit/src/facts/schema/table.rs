//! The schema's parts as the migrations print them: a table with its statements, and the
//! named constraints the generated error mapping reads.

/// One `CREATE TABLE` with what follows it.
#[derive(Debug, Clone)]
pub struct Table {
    /// Comment lines above the statement (with `-- `).
    pub comment: Vec<String>,
    pub name: String,
    /// Column and constraint lines, indented, commas included, comments interleaved.
    pub items: Vec<String>,
    /// ` STRICT` on SQLite.
    pub suffix: &'static str,
    /// `CREATE INDEX` and `ALTER TABLE` statements.
    pub after: Vec<String>,
}

impl Table {
    /// The comment lines, one string.
    pub fn comment_block(&self) -> String {
        self.comment.join("\n")
    }
}

/// The named constraints of one entity's table, as the error mapping needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub name: String,
    /// SQLite's message for a violation, when it identifies the constraint.
    pub sqlite_message: Option<String>,
    pub kind: ConstraintKind,
    /// JSON names of the fields involved.
    pub fields: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    Unique,
    Reference,
    Check,
    /// A rule: its code and whether a violation is a conflict (409) or invalid (422).
    Rule {
        code: String,
        conflict: bool,
    },
}
