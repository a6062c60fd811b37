//! What one entity's module prints about access: its `ACCESS` grants, the field rules and
//! how to find a record's owner.

use specgen_ir::{Action, App, Entity};

use crate::facts::access::{GrantView, Senders};
use crate::layout::{self, doc_comment};
use crate::names::rust_str;

/// What one entity's module prints about access: its `ACCESS` rules, the fields only some
/// callers may see or set, and how to find a record's owner.
#[derive(Debug, Clone)]
pub struct EntityAccess {
    /// The doc line above `ACCESS`.
    pub doc: String,
    /// `const ACCESS: access::Access = ...;`, laid out.
    pub access_const: String,
    /// `pub(crate) const VISIBLE: &[access::FieldRule] = ...;`, laid out.
    pub visible_const: String,
    /// `const SETTABLE: ...`, laid out.
    pub settable_const: String,
    pub has_settable: bool,
    /// `Some("owner_id")`, `Some("id")` (the sign-in entity: each account owns itself) or
    /// `None`.
    pub owner_column: String,
    /// The signature and body of `owner_of`.
    pub owner_of: String,
    /// What `owner_of` says in its doc comment.
    pub owner_doc: String,
}

impl EntityAccess {
    pub fn new(app: &App, entity: &Entity) -> EntityAccess {
        let grants: Vec<String> = Action::ALL
            .iter()
            .map(|&action| {
                GrantView::of(app, &entity.permissions, action).literal(
                    4,
                    &format!("{}: ", action.as_str()),
                    ",",
                )
            })
            .collect();
        let lines: Vec<String> = entity
            .access
            .iter()
            .map(|rule| rule.line.to_string())
            .collect();
        let from = match lines.len() {
            0 => format!("{} has no access lines: admins only", entity.name),
            1 => format!("{} line {}", app.spec_file, lines[0]),
            _ => format!("{} lines {}", app.spec_file, lines.join(", ")),
        };
        let doc = doc_comment(&format!(
            "Who may do what with {} ({from}), as `specgen explain` shows it.",
            entity.plural_words
        ));
        let access_const = format!(
            "const ACCESS: access::Access = access::Access {{\n{}\n}};",
            grants.join("\n")
        );
        let rules = |head: &str, pick: &dyn Fn(&specgen_ir::Field) -> Option<GrantView>| {
            let fields: Vec<(&specgen_ir::Field, GrantView)> = entity
                .fields
                .iter()
                .filter_map(|f| pick(f).map(|grant| (f, grant)))
                .collect();
            // rustfmt lets a lone struct literal overflow the brackets: `&[Rule {` .. `}];`.
            let indent = if fields.len() == 1 { 0 } else { 4 };
            let pad = " ".repeat(indent);
            let literals: Vec<String> = fields
                .iter()
                .map(|(f, grant)| {
                    let grant = grant.literal(indent + 4, "grant: ", ",");
                    format!(
                        "{pad}access::FieldRule {{\n{pad}    field: {},\n{grant}\n{pad}}}",
                        rust_str(&f.json)
                    )
                })
                .collect();
            match literals.as_slice() {
                [] => (format!("{head} &[];"), false),
                [one] => (format!("{head} &[{}];", one.trim_start()), true),
                many => (format!("{head} &[\n{},\n];", many.join(",\n")), true),
            }
        };
        let (visible_const, _) = rules("pub(crate) const VISIBLE: &[access::FieldRule] =", &|f| {
            (!f.visible_to.is_empty()).then(|| GrantView::of_field(app, &f.visible_to))
        });
        let (settable_const, has_settable) = rules(
            "const SETTABLE: &[access::FieldRule] =",
            &|f| match Senders::of(app, f) {
                Senders::Granted(grant) => Some(grant),
                Senders::Everyone | Senders::Admins => None,
            },
        );

        let name = &entity.name;
        let owner = entity.owner.as_ref().and_then(|ident| entity.field(ident));
        let signature = |param: &str| {
            layout::signature(
                0,
                "fn owner_of(",
                &[format!("{param}: &{name}")],
                ") -> Option<Uuid> {",
            )
        };
        let (owner_column, owner_of, owner_doc) = match (owner, entity.is_auth) {
            (Some(field), _) => (
                format!("Some({})", rust_str(&field.column)),
                format!("{}\n    Some(row.{})\n}}", signature("row"), field.ident),
                format!(
                    "its `{}`, set to the signed-in user who created it",
                    field.json
                ),
            ),
            (None, true) => (
                "Some(\"id\")".to_owned(),
                format!("{}\n    Some(row.id)\n}}", signature("row")),
                "each account owns itself".to_owned(),
            ),
            (None, false) => (
                "None".to_owned(),
                format!("{}\n    None\n}}", signature("_row")),
                format!("nobody: {} have no owner field", entity.plural_words),
            ),
        };
        EntityAccess {
            doc,
            access_const,
            visible_const,
            settable_const,
            has_settable,
            owner_column,
            owner_of,
            owner_doc,
        }
    }
}
