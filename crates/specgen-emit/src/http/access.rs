//! What one entity's module prints about access: its `ACCESS` grants, the field rules and
//! how to find the people a record names (its owner, people the access lines name).

use specgen_ir::{Action, App, Entity, Who};

use crate::facts::access::{GrantView, Senders, people, person_column};
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
    /// The signature and body of `people_of`: the accounts a record names, by column.
    pub people_of: String,
    /// What `people_of` says in its doc comment.
    pub people_doc: String,
    /// The people of a new record as its creator sends the body: its creator owns it.
    pub new_people: String,
}

impl EntityAccess {
    pub fn new(app: &App, entity: &Entity) -> EntityAccess {
        let grants: Vec<String> = Action::ALL
            .iter()
            .map(|&action| {
                GrantView::of(app, entity, &entity.permissions, action).literal(
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
            (!f.visible_to.is_empty()).then(|| GrantView::of_field(app, entity, &f.visible_to))
        });
        let (settable_const, has_settable) = rules(
            "const SETTABLE: &[access::FieldRule] =",
            &|f| match Senders::of(app, entity, f) {
                Senders::Granted(grant) => Some(grant),
                Senders::Everyone | Senders::Admins => None,
            },
        );

        let name = &entity.name;
        let people = people(app, entity);
        let row = if people.is_empty() { "_row" } else { "row" };
        let signature = layout::signature(
            0,
            "fn people_of(",
            &[format!("{row}: &{name}")],
            &format!(") -> [(&'static str, Option<Uuid>); {}] {{", people.len()),
        );
        let items: Vec<String> = people
            .iter()
            .filter_map(|who| {
                let column = person_column(entity, who)?;
                let value = match who {
                    Who::Person(ident) => match entity.field(ident) {
                        Some(field) if field.required => format!("Some(row.{ident})"),
                        _ => format!("row.{ident}"),
                    },
                    _ => match entity.owner.as_ref().and_then(|o| entity.field(o)) {
                        Some(field) => format!("Some(row.{})", field.ident),
                        None => "Some(row.id)".to_owned(),
                    },
                };
                Some(format!("({}, {value})", rust_str(&column)))
            })
            .collect();
        let people_of = format!("{signature}\n{}\n}}", layout::array(4, "[", &items, "]"));
        let mut doc_parts: Vec<String> = Vec::new();
        for who in &people {
            match (who, entity.owner.as_ref().and_then(|o| entity.field(o))) {
                (Who::Owner, Some(field)) => doc_parts.push(format!(
                    "its owner in `{}`, the signed-in user who created it",
                    field.json
                )),
                (Who::Owner, None) => doc_parts.push("the account itself".to_owned()),
                (Who::Person(ident), _) => {
                    if let Some(field) = entity.field(ident) {
                        doc_parts.push(format!("the {} in `{}`", field.name, field.json));
                    }
                }
                _ => {}
            }
        }
        let people_doc = if doc_parts.is_empty() {
            format!(
                "none: access to {} never depends on who they name",
                entity.plural_words
            )
        } else {
            doc_parts.join("; ")
        };
        let new_people = match people.first().and_then(|who| person_column(entity, who)) {
            Some(column) if people.first() == Some(&Who::Owner) => {
                format!("&[({}, caller.map(|caller| caller.id))]", rust_str(&column))
            }
            _ => "&[]".to_owned(),
        };
        EntityAccess {
            doc,
            access_const,
            visible_const,
            settable_const,
            has_settable,
            people_of,
            people_doc,
            new_people,
        }
    }
}
