//! The shared lowering context: [`Cx`] (everything the passes have resolved so far),
//! line numbers ([`Lines`]), what a field name resolved to ([`Resolved`]), and small
//! helpers every pass uses (`push`, `line`, `admin_who`, [`list`], [`sorted`]).
//!
//! This is the bottom layer. It must not depend on any other module of this crate: the
//! concern modules (`roles`, `entities`, `fields`, `access`, `rules`, `auth`, ...) add
//! their passes as `impl Cx<'_>` blocks on top of it.

use std::collections::{BTreeSet, HashMap};

use specgen_diagnostics::{Diagnostic, SourceMap, Span};
use specgen_ir::{Entity, FieldType, Removed, Role, Who};
use specgen_syntax::{EntitySection, Spanned};

/// Line numbers from byte offsets, per file (binary search, so lowering stays linear).
struct Lines {
    starts: Vec<Vec<u32>>,
}

impl Lines {
    fn new(sources: &SourceMap) -> Lines {
        let starts = sources
            .files
            .iter()
            .map(|f| {
                let mut v = vec![0u32];
                v.extend(f.text.match_indices('\n').map(|(i, _)| i as u32 + 1));
                v
            })
            .collect();
        Lines { starts }
    }

    pub(crate) fn line(&self, span: Span) -> u32 {
        match self.starts.get(span.file.0 as usize) {
            Some(starts) => match starts.binary_search(&span.start) {
                Ok(i) => i as u32 + 1,
                Err(i) => i as u32,
            },
            None => 0,
        }
    }
}

/// What a name in a rule or condition resolved to.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) ident: String,
    /// Words for messages (`starts at`).
    pub(crate) name: String,
    pub(crate) ty: FieldType,
    /// Whether the field always has a value (so `is empty` can never hold).
    pub(crate) required: bool,
}

/// Everything lowering has resolved so far: each pass reads what earlier passes left
/// here and adds its own results.
pub(crate) struct Cx<'a> {
    pub(crate) diags: &'a mut Vec<Diagnostic>,
    lines: Lines,
    pub(crate) roles: Vec<Role>,
    pub(crate) role_keys: HashMap<String, usize>,
    pub(crate) admin: Option<String>,
    pub(crate) sections: Vec<&'a EntitySection>,
    pub(crate) entities: Vec<Entity>,
    pub(crate) entity_keys: HashMap<String, usize>,
    pub(crate) plural_keys: HashMap<String, usize>,
    /// Entity index by table name.
    pub(crate) tables: HashMap<String, usize>,
    pub(crate) field_keys: Vec<HashMap<String, usize>>,
    /// Keys of field lines that were reported and dropped, per entity: later lookups of
    /// them stay silent instead of adding a misleading "no field" error.
    pub(crate) failed_fields: Vec<BTreeSet<String>>,
    pub(crate) auth_idx: Option<usize>,
    pub(crate) rule_codes: BTreeSet<String>,
    /// `copied from` items of lowered fields, resolved once every field is known:
    /// (entity, field index, path, item span).
    pub(crate) copies: Vec<(usize, usize, Vec<Spanned<String>>, Span)>,
    /// The words of each entity's previous names (`{was Studio}`), newest first.
    pub(crate) previous_words: Vec<Vec<String>>,
    /// Entities recorded as removed (`## Studio {removed}`), and their index by name key.
    pub(crate) removed_entities: Vec<Removed>,
    pub(crate) removed_keys: HashMap<String, usize>,
    /// Old table names claimed by a `was` or a removed entity: what claimed it first.
    pub(crate) claimed_tables: HashMap<String, Span>,
}

/// Sorted and deduplicated.
pub(crate) fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

/// Backticked, comma-separated, for messages: `` `a`, `b` ``.
pub(crate) fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> Cx<'a> {
    /// An empty context that reports into `diags`.
    pub(crate) fn new(diags: &'a mut Vec<Diagnostic>, sources: &SourceMap) -> Cx<'a> {
        Cx {
            diags,
            lines: Lines::new(sources),
            roles: Vec::new(),
            role_keys: HashMap::new(),
            admin: None,
            sections: Vec::new(),
            entities: Vec::new(),
            entity_keys: HashMap::new(),
            plural_keys: HashMap::new(),
            tables: HashMap::new(),
            field_keys: Vec::new(),
            failed_fields: Vec::new(),
            auth_idx: None,
            rule_codes: BTreeSet::new(),
            copies: Vec::new(),
            previous_words: Vec::new(),
            removed_entities: Vec::new(),
            removed_keys: HashMap::new(),
            claimed_tables: HashMap::new(),
        }
    }

    /// Report a diagnostic.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The 1-based line of a span's start.
    pub(crate) fn line(&self, span: Span) -> u32 {
        self.lines.line(span)
    }

    /// The admin role, which every non-empty grant also includes.
    pub(crate) fn admin_who(&self) -> Option<Who> {
        self.admin.clone().map(Who::Role)
    }
}
