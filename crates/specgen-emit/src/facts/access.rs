//! Who may do what: each action's grant as the generated `access::Grant` holds it, the same
//! in words for the README and the OpenAPI document, who may send each field in a request
//! body ([`Senders`]) and the fields a role may not set.
//! Everything is computed with [`Permissions::decide`], the one definition of access.

use specgen_ir::{Action, App, Caller, Decision, Entity, Field, FieldType, Permissions, Role, Who};

use crate::facts::text::capitalize;
use crate::layout;
use crate::names;

/// Who may perform one action, in the form the generated `access::Grant` takes, computed
/// with [`Permissions::decide`] for the anonymous caller and every role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    /// Callers who are not signed in may (on every record).
    pub anyone: bool,
    /// Names of the roles that may act on every record, in spec order.
    pub roles: Vec<String>,
    /// Signed-in callers of the other roles may act on the records that name them as one
    /// of these people (the owner, people named in the record or in a record it references).
    pub people: Vec<Who>,
    /// The `access::Person` literal of each of `people`: a one-line literal, or a struct
    /// variant's head (`access::Person::Through {`) and fields.
    pub people_literals: Vec<(String, Vec<String>)>,
    /// The grants on the rows that meet a condition: the condition in SQL on the record's
    /// columns (qualified by its table), and who it grants (with no rows of its own).
    pub rows: Vec<(String, GrantView)>,
}

impl GrantView {
    /// The grant of `action` on records of `entity`.
    /// Without a sign-in entity nobody signs in, so only the anonymous caller counts.
    pub fn of(app: &App, entity: &Entity, permissions: &Permissions, action: Action) -> GrantView {
        let decide = |role: &Role| permissions.decide(action, Caller::Signed(&role.name));
        let roles: &[Role] = if app.auth.is_some() { &app.roles } else { &[] };
        let people: Vec<(Who, (String, Vec<String>))> = if roles
            .iter()
            .any(|role| matches!(decide(role), Decision::Own | Decision::Rows))
        {
            permissions
                .people(action)
                .into_iter()
                .filter_map(|who| Some((who.clone(), person_literal(app, entity, who)?)))
                .collect()
        } else {
            Vec::new()
        };
        let rows = permissions
            .rows
            .iter()
            .filter(|grant| grant.actions.contains(&action))
            .map(|grant| {
                let who = Permissions {
                    read: grant.who.clone(),
                    ..Permissions::default()
                };
                let mut granted = GrantView::of(app, entity, &who, Action::Read);
                if granted.anyone {
                    // Anyone includes every role.
                    granted.roles.clear();
                }
                (
                    crate::facts::rules::condition_sql(app, entity, &grant.when, &entity.table),
                    granted,
                )
            })
            .filter(|(_, grant)| {
                grant.anyone || !grant.roles.is_empty() || !grant.people.is_empty()
            })
            .collect();
        GrantView {
            rows,
            anyone: permissions.decide(action, Caller::Anonymous) == Decision::All,
            roles: roles
                .iter()
                .filter(|role| decide(role) == Decision::All)
                .map(|role| role.name.clone())
                .collect(),
            people_literals: people.iter().map(|(_, literal)| literal.clone()).collect(),
            people: people.into_iter().map(|(who, _)| who).collect(),
        }
    }

    /// Whether the grant lets the person `who` (`Who::Owner`, `Who::Person`,
    /// `Who::Through`) of a record act on it.
    pub fn names(&self, who: &Who) -> bool {
        self.people.contains(who)
    }

    /// The grant of a field rule (`visible to` / `set by`): `who` as an action's list, with
    /// the admin role added (admins may do anything). Empty: everyone who may act on the row.
    pub fn of_field(app: &App, entity: &Entity, who: &[Who]) -> GrantView {
        let mut list = who.to_vec();
        if let Some(admin) = app.admin_role() {
            list.push(Who::Role(admin.name.clone()));
        }
        let permissions = Permissions {
            read: list,
            ..Permissions::default()
        };
        GrantView::of(app, entity, &permissions, Action::Read)
    }

    /// What the generated code decides for a caller: anonymous (`None`) or a role.
    pub fn decide(&self, role: Option<&str>) -> Decision {
        let rows = self
            .rows
            .iter()
            .any(|(_, grant)| grant.decide(role) != Decision::Deny);
        match role {
            _ if self.anyone => Decision::All,
            Some(role) if self.roles.iter().any(|r| r == role) => Decision::All,
            _ if rows => Decision::Rows,
            None => Decision::Deny,
            Some(_) if !self.people.is_empty() => Decision::Own,
            Some(_) => Decision::Deny,
        }
    }

    /// The `Grant { .. }` literal at `indent`, after `head` (`list: `), ending in `tail`.
    pub fn literal(&self, indent: usize, head: &str, tail: &str) -> String {
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|r| format!("access::Role::{}", names::enum_variant(r)))
            .collect();
        let pad = " ".repeat(indent + 4);
        let roles = layout::array(indent + 4, "roles: &[", &roles, "],");
        let people = people_array(indent + 4, &self.people_literals);
        let rows = self.rows_array(indent + 4);
        format!(
            "{}{head}access::Grant {{\n{pad}anyone: {},\n{roles}\n{people}\n{rows}\n{}}}{tail}",
            " ".repeat(indent),
            self.anyone,
            " ".repeat(indent),
        )
    }

    /// `rows: &[...],` at `indent`, laid out as rustfmt does.
    fn rows_array(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let body = |indent: usize, when: &str, grant: &GrantView| {
            let pad = " ".repeat(indent);
            let roles: Vec<String> = grant
                .roles
                .iter()
                .map(|r| format!("access::Role::{}", names::enum_variant(r)))
                .collect();
            format!(
                "{pad}when: {},\n{pad}anyone: {},\n{}\n{}",
                names::rust_str(when),
                grant.anyone,
                layout::array(indent, "roles: &[", &roles, "],"),
                people_array(indent, &grant.people_literals)
            )
        };
        match self.rows.as_slice() {
            [] => format!("{pad}rows: &[],"),
            [(when, grant)] => format!(
                "{pad}rows: &[access::Rows {{\n{}\n{pad}}}],",
                body(indent + 4, when, grant)
            ),
            many => {
                let items: Vec<String> = many
                    .iter()
                    .map(|(when, grant)| {
                        format!(
                            "{pad}    access::Rows {{\n{}\n{pad}    }},",
                            body(indent + 8, when, grant)
                        )
                    })
                    .collect();
                format!("{pad}rows: &[\n{}\n{pad}],", items.join("\n"))
            }
        }
    }
}

/// The column that names the person `who` of a record of `entity`: the owner field's (`id`
/// on accounts, which own themselves) or the named reference's; `None` for other callers.
pub fn person_column(entity: &Entity, who: &Who) -> Option<String> {
    match who {
        Who::Owner => match &entity.owner {
            Some(owner) => entity.field(owner).map(|f| f.column.clone()),
            None => entity.is_auth.then(|| "id".to_owned()),
        },
        Who::Person(ident) => entity.field(ident).map(|f| f.column.clone()),
        _ => None,
    }
}

/// The fields naming a person who may change the record because it names them, and who
/// may change that field too: the service must stop them handing the record to someone
/// else (`Scope::keeps`). The owner field is not among them: only admins change it.
pub fn handed_over(entity: &Entity) -> Vec<&Field> {
    let grants = entity.permissions.people(Action::Update).into_iter().chain(
        entity
            .permissions
            .rows
            .iter()
            .filter(|g| g.actions.contains(&Action::Update))
            .flat_map(|g| g.who.iter()),
    );
    let mut fields: Vec<&Field> = grants
        .filter_map(|who| match who {
            Who::Person(ident) => entity.field(ident),
            _ => None,
        })
        .filter(|f| crate::facts::fields::updatable(f))
        .collect();
    fields.sort_by(|a, b| a.ident.cmp(&b.ident));
    fields.dedup_by(|a, b| a.ident == b.ident);
    fields
}

/// The people a record of `entity` can name who matter to its access: the owner (on
/// accounts: the account itself), then every reference to an account that an access line, a
/// field rule or a transition names (`Who::Person`), in field order.
pub fn people(app: &App, entity: &Entity) -> Vec<Who> {
    let mut named: Vec<&Who> = Action::ALL
        .iter()
        .flat_map(|&action| entity.permissions.get(action))
        .chain(entity.permissions.rows.iter().flat_map(|grant| &grant.who))
        .chain(
            entity
                .fields
                .iter()
                .flat_map(|f| f.visible_to.iter().chain(&f.settable_by)),
        )
        .collect();
    for rule in &entity.rules {
        if let specgen_ir::RuleKind::Transitions { transitions, .. } = &rule.kind {
            named.extend(transitions.iter().flat_map(|t| &t.by));
        }
    }
    let mut people = Vec::new();
    if app.auth.is_some() && (entity.owner.is_some() || entity.is_auth) {
        people.push(Who::Owner);
    }
    for field in &entity.fields {
        let who = Who::Person(field.ident.clone());
        if named.contains(&&who) {
            people.push(who);
        }
    }
    people
}

/// The `access::Person` literal of the person `who` of a record of `entity`.
fn person_literal(app: &App, entity: &Entity, who: &Who) -> Option<(String, Vec<String>)> {
    if let Who::Through(reference, person) = who {
        let field = entity.field(reference)?;
        let FieldType::Reference { entity: target, .. } = &field.ty else {
            return None;
        };
        let target = app.entity(target)?;
        return Some((
            "access::Person::Through {".to_owned(),
            vec![
                format!("column: {}", names::rust_str(&field.column)),
                format!("table: {}", names::rust_str(&target.table)),
                format!("person: {}", names::rust_str(&target.field(person)?.column)),
            ],
        ));
    }
    let column = person_column(entity, who)?;
    Some((
        format!("access::Person::Column({})", names::rust_str(&column)),
        Vec::new(),
    ))
}

/// `people: &[...],` at `indent`, laid out as rustfmt does: one-line items as an array;
/// a lone struct literal overflows the brackets; several, one per line.
fn people_array(indent: usize, people: &[(String, Vec<String>)]) -> String {
    if people.iter().all(|(_, fields)| fields.is_empty()) {
        let items: Vec<String> = people.iter().map(|(head, _)| head.clone()).collect();
        return layout::array(indent, "people: &[", &items, "],");
    }
    let pad = " ".repeat(indent);
    if let [(head, fields)] = people {
        return layout::struct_literal(indent, &format!("people: &[{head}"), fields, "}],");
    }
    let items: Vec<String> = people
        .iter()
        .map(|(head, fields)| {
            if fields.is_empty() {
                format!("{pad}    {head},")
            } else {
                layout::struct_literal(indent + 4, head, fields, "},")
            }
        })
        .collect();
    format!("{pad}people: &[\n{}\n{pad}],", items.join("\n"))
}

/// The people of `entity` that `who` lists, in words: "the owner", "the doctor", "the
/// event's organizer".
pub fn person_words(app: &App, entity: &Entity, who: &Who) -> Option<String> {
    match who {
        Who::Owner => Some("the owner".to_owned()),
        Who::Person(ident) => entity.field(ident).map(|f| format!("the {}", f.name)),
        Who::Through(reference, person) => {
            let field = entity.field(reference)?;
            let FieldType::Reference { entity: target, .. } = &field.ty else {
                return None;
            };
            let person = app.entity(target)?.field(person)?;
            Some(format!("the {}'s {}", field.name, person.name))
        }
        _ => None,
    }
}

/// "a", "a or b", "a, b or c".
fn or_list(words: &[String]) -> String {
    match words {
        [init @ .., last] if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        _ => words.join(""),
    }
}

/// Who may perform `action` on `entity`, in words, for the README and the OpenAPI document:
/// "anyone", or the roles that may on every record, then those limited to their own.
pub fn who_may(app: &App, entity: &Entity, action: Action) -> String {
    let decisions: Vec<(&Role, Decision)> = app
        .roles
        .iter()
        .map(|role| {
            (
                role,
                entity
                    .permissions
                    .decide(action, Caller::Signed(&role.name)),
            )
        })
        .collect();
    if entity.permissions.decide(action, Caller::Anonymous) == Decision::All {
        return "anyone".to_owned();
    }
    let names = |wanted: Decision| -> Vec<String> {
        decisions
            .iter()
            .filter(|(_, decision)| *decision == wanted)
            .map(|(role, _)| role.plural.clone())
            .collect()
    };
    let all = names(Decision::All);
    let mut own = names(Decision::Own);
    if !entity.permissions.people(action).is_empty() {
        // Callers with rows that meet a condition also have the rows that name them.
        let rows = names(Decision::Rows);
        own = app
            .roles
            .iter()
            .map(|role| role.plural.clone())
            .filter(|plural| own.contains(plural) || rows.contains(plural))
            .collect();
    }
    let mut parts = Vec::new();
    if app.auth.is_none() {
        return "nobody (the app has no sign-in)".to_owned();
    }
    let rows: Vec<String> = entity
        .permissions
        .rows
        .iter()
        .filter(|grant| grant.actions.contains(&action))
        .map(|grant| {
            let who: Vec<String> = grant
                .who
                .iter()
                .filter_map(|who| match who {
                    Who::Anyone => Some("anyone".to_owned()),
                    Who::SignedIn => Some("signed-in users".to_owned()),
                    Who::Role(name) => app
                        .roles
                        .iter()
                        .find(|role| role.name == *name)
                        .map(|role| role.plural.clone()),
                    person => person_words(app, entity, person),
                })
                .collect();
            let records = if grant.words.starts_with("while ") {
                format!("{} {}", entity.plural_words, grant.words)
            } else {
                format!("{} {}", grant.words, entity.plural_words)
            };
            format!("{}: {records}", or_list(&who))
        })
        .collect();
    if all.len() == app.roles.len() && rows.is_empty() {
        return "signed-in users".to_owned();
    }
    if !all.is_empty() {
        parts.push(all.join(", "));
    }
    if !own.is_empty() {
        let people = entity.permissions.people(action);
        let record = if entity.is_auth { "account" } else { "records" };
        if people.iter().all(|who| **who == Who::Owner) {
            parts.push(format!("{}: their own {record}", own.join(", ")));
        } else {
            let words: Vec<String> = people
                .iter()
                .filter_map(|who| person_words(app, entity, who))
                .collect();
            parts.push(format!(
                "{}: the {record} where they are {}",
                own.join(", "),
                or_list(&words)
            ));
        }
    }
    parts.extend(rows);
    if parts.is_empty() {
        "nobody".to_owned()
    } else {
        parts.join("; ")
    }
}

/// A field rule (`visible to`, `set by`) in words, admins included; `None` when empty.
pub fn field_rule_words(app: &App, entity: &Entity, who: &[Who]) -> Option<String> {
    if who.is_empty() {
        return None;
    }
    let grant = GrantView::of_field(app, entity, who);
    let mut parts: Vec<String> = app
        .roles
        .iter()
        .filter(|role| grant.roles.contains(&role.name))
        .map(|role| role.plural.clone())
        .collect();
    if !grant.people.is_empty() {
        parts.extend(who.iter().filter_map(|who| person_words(app, entity, who)));
    }
    Some(parts.join(", "))
}

/// Who may send one field in a request body, among the callers allowed to create or change
/// the record. The handlers read bodies by it (`access::new_owner`, `owner_change`, the
/// `SETTABLE` rules) and the OpenAPI document describes it, so the two cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Senders {
    /// Every caller allowed the action.
    Everyone,
    /// The owner field ("the signed-in user"): only admins send it, to give the record to
    /// another account; the server sets it to the signed-in caller otherwise and refuses it
    /// from anyone else (422 `read_only`).
    Admins,
    /// A `set by` field: only the callers of this grant (the owner: on their own records; a
    /// new record is its creator's); anyone else sending it gets 422 `forbidden`.
    Granted(GrantView),
}

impl Senders {
    /// Who may send `field` of `entity`.
    pub fn of(app: &App, entity: &Entity, field: &Field) -> Senders {
        if field.owner {
            Senders::Admins
        } else if field.settable_by.is_empty() {
            Senders::Everyone
        } else {
            Senders::Granted(GrantView::of_field(app, entity, &field.settable_by))
        }
    }

    /// Whether a caller (anonymous: `None`, or a role) may send the field on a record it
    /// creates, and so owns (the people the record will name are nobody yet).
    pub fn may_create_with(&self, role: Option<&str>) -> bool {
        match self {
            Senders::Everyone => true,
            Senders::Admins => false,
            Senders::Granted(grant) => match grant.decide(role) {
                Decision::All => true,
                Decision::Own | Decision::Rows => grant.names(&Who::Owner),
                Decision::Deny => false,
            },
        }
    }
}

/// Who may send `field` in the body of `action` (`Create` or `Update`), in words for the
/// OpenAPI document; `None` when every caller allowed the action may.
pub fn senders_words(app: &App, entity: &Entity, field: &Field, action: Action) -> Option<String> {
    let admins = app
        .admin_role()
        .map_or_else(|| "admins".to_owned(), |role| role.plural.clone());
    match Senders::of(app, entity, field) {
        Senders::Everyone => None,
        Senders::Admins if action == Action::Create => Some(format!(
            "{} only: the server sets it to the signed-in caller otherwise; anyone else \
             sending it gets 422 `read_only`.",
            capitalize(&admins)
        )),
        Senders::Admins => Some(format!(
            "{} only, to hand the record to another account; anyone else sending it gets 422 \
             `read_only`.",
            capitalize(&admins)
        )),
        Senders::Granted(grant) => {
            let who = field_rule_list(app, entity, &field.settable_by)?;
            let own = if grant.names(&Who::Owner) && action == Action::Create {
                " (a new record is its creator's)"
            } else {
                ""
            };
            Some(format!(
                "Only {who} may send it{own}; anyone else sending it gets 422 `forbidden`."
            ))
        }
    }
}

/// [`field_rule_words`] as a list in a sentence: "staff, admins and the owner".
pub fn field_rule_list(app: &App, entity: &Entity, who: &[Who]) -> Option<String> {
    let words = field_rule_words(app, entity, who)?;
    Some(match words.rsplit_once(", ") {
        Some((head, last)) => format!("{head} and {last}"),
        None => words,
    })
}

/// JSON names of the fields `role` may not set on a record it creates (and so owns).
pub(crate) fn unsettable(app: &App, entity: &Entity, role: Option<&str>) -> Vec<String> {
    entity
        .fields
        .iter()
        .filter(|f| matches!(Senders::of(app, entity, f), Senders::Granted(_)))
        .filter(|f| !Senders::of(app, entity, f).may_create_with(role))
        .map(|f| f.json.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated check decides exactly what `Permissions::decide` decides, for every
    /// entity, action and caller of the examples.
    #[test]
    fn grants_decide_like_the_ir() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut files = std::collections::BTreeMap::new();
        for name in [
            "studio-bookings",
            "shop",
            "task-tracker",
            "publishing",
            "publishing/taxonomy",
        ] {
            let path = format!("{name}.spec");
            let text = std::fs::read_to_string(examples.join(&path)).expect("an example");
            files.insert(path, text);
        }
        let loader = specgen_lower::MemoryLoader(files);
        for spec in ["studio-bookings", "shop", "task-tracker", "publishing"] {
            let compiled = specgen_lower::compile(&format!("{spec}.spec"), &loader);
            let app = compiled
                .app
                .unwrap_or_else(|| panic!("{spec}: {:?}", compiled.diagnostics));
            for entity in &app.entities {
                for action in Action::ALL {
                    let grant = GrantView::of(&app, entity, &entity.permissions, action);
                    assert_eq!(
                        grant.decide(None),
                        entity.permissions.decide(action, Caller::Anonymous),
                        "{spec} {} {action:?} anonymous",
                        entity.name
                    );
                    for role in &app.roles {
                        assert_eq!(
                            grant.decide(Some(&role.name)),
                            entity
                                .permissions
                                .decide(action, Caller::Signed(&role.name)),
                            "{spec} {} {action:?} {}",
                            entity.name,
                            role.name
                        );
                    }
                }
            }
        }
    }
}
