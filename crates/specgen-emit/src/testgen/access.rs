//! View model of the generated access-matrix tests (`tests/api/access.rs`): for every
//! entity, action and kind of caller, what the API must answer, computed from
//! [`Permissions::decide`] (the matrix `specgen explain` prints), and the same for the field
//! rules (`visible to`, `set by`) and the owner field.

use heck::ToSnakeCase;
use specgen_ir::{
    Action, App, Caller, Condition, Decision, Entity, Field, FieldType, Permissions, RuleKind, Who,
};

use super::helpers::{HelpersView, owner_fixed_by, tuple_list, tuples};
use super::rows::{RowState, states, steps_line};
use crate::facts::access::{GrantView, people, unsettable};
use crate::facts::fields::{settable_on_create, updatable};
use crate::facts::text::{capitalize, with_article};
use crate::layout;
use crate::names::rust_str;

/// Everything `tests/api/access.rs` prints.
#[derive(Debug, Clone)]
pub struct AccessTests {
    pub resources: Vec<ResourceTests>,
    /// The arms of `body()`'s `match`, one per resource.
    pub body_arms: Vec<String>,
    /// The role of accounts that only own records for others' tests.
    pub default_role: String,
}

/// The tests of one entity.
#[derive(Debug, Clone)]
pub struct ResourceTests {
    pub plural_words: String,
    /// `const BOOKINGS: Resource = ...;`, laid out.
    pub resource_const: String,
    pub const_name: String,
    pub actions: Vec<ActionTest>,
    /// `let cases = [...];` of the `visible to` test, if the entity has such fields.
    pub visible: Option<FieldTest>,
    /// `let cases = [...];` of the `set by` tests on create and on update.
    pub settable_on_create: Option<FieldTest>,
    pub settable_on_update: Option<FieldTest>,
    /// A role other than admin that may create records, for the owner test (owned entities).
    pub owner_test: Option<OwnerTest>,
    pub handovers: Vec<super::handover::HandoverTest>,
    /// `let cases = [...];` of callers who may list but not see a field, with the field and
    /// whether it is a filter (else a sort).
    pub unsearchable: Option<FieldTest>,
    /// A reference naming a record the caller may not read is refused as a missing one.
    pub hidden_references: Vec<HiddenReferenceTest>,
}

/// `check_hidden_reference(..)`: one reference of a resource, a caller who may create (and
/// perhaps change) records of it but may not read every record the reference could name.
#[derive(Debug, Clone)]
pub struct HiddenReferenceTest {
    pub test_name: String,
    /// `check_hidden_reference(..).await;`, laid out.
    pub call: String,
}

#[derive(Debug, Clone)]
pub struct ActionTest {
    pub test_name: String,
    /// `Action::List`.
    pub action: String,
    /// `let cases = [...];`, laid out.
    pub cases: String,
    /// `let steps = [...];`, laid out: the changes that bring the record to the row state
    /// under test (none: the sample record as created).
    pub steps: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FieldTest {
    pub test_name: String,
    pub cases: String,
}

#[derive(Debug, Clone)]
pub struct OwnerTest {
    pub test_name: String,
    pub role: String,
    /// `check_owner(..).await;`, laid out: its last argument is the code that refuses even
    /// an admin's handover when the owner field never changes (`None`: admins may).
    pub call: String,
}

/// A kind of caller of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Anonymous,
    /// Signed in with this role, owning nothing under test.
    Role(String),
    /// Signed in with this role, owning the record under test.
    Owner(String),
    /// Signed in with this role, named in the record under test by the reference with this
    /// JSON name (`Who::Person`); the field's ident last.
    Named(String, String, String),
    /// Signed in with this role, named by the record a reference of the record under test
    /// points at (`Who::Through`).
    Through {
        role: String,
        /// The reference's JSON name and ident.
        reference: (String, String),
        /// The referenced resource's route and sample body.
        target: (String, String),
        /// The JSON name and ident of the target's field that names the caller.
        person: (String, String),
        /// The name of the test's `Parent` constant for it.
        parent_const: String,
    },
}

impl Kind {
    fn literal(&self) -> String {
        match self {
            Kind::Anonymous => "Who::Anonymous".to_owned(),
            Kind::Role(role) => format!("Who::Role({})", rust_str(role)),
            Kind::Owner(role) => format!("Who::Owner({})", rust_str(role)),
            Kind::Named(role, json, _) => {
                format!("Who::Named({}, {})", rust_str(role), rust_str(json))
            }
            Kind::Through {
                role, parent_const, ..
            } => format!("Who::Through({}, &{parent_const})", rust_str(role)),
        }
    }

    fn role(&self) -> Option<&str> {
        match self {
            Kind::Anonymous => None,
            Kind::Role(role) | Kind::Owner(role) | Kind::Named(role, _, _) => Some(role),
            Kind::Through { role, .. } => Some(role),
        }
    }

    /// The person of the record this caller is, if any.
    fn person(&self) -> Option<Who> {
        match self {
            Kind::Owner(_) => Some(Who::Owner),
            Kind::Named(_, _, ident) => Some(Who::Person(ident.clone())),
            Kind::Through {
                reference, person, ..
            } => Some(Who::Through(reference.1.clone(), person.1.clone())),
            Kind::Anonymous | Kind::Role(_) => None,
        }
    }

    /// Whether the caller is one of the record's people (its owner or named in it).
    fn is_person(&self) -> bool {
        self.person().is_some()
    }
}

/// Whether `grant` lets `kind` act on the record under test: on every record, or on this
/// one because it names them in a column the grant lists.
fn grant_covers(grant: &GrantView, kind: &Kind) -> bool {
    match grant.decide(kind.role()) {
        Decision::All => true,
        Decision::Own | Decision::Rows => kind.person().is_some_and(|who| grant.names(&who)),
        Decision::Deny => false,
    }
}

/// What the API must answer one caller for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Hidden,
    Unauthorized,
    Forbidden,
    /// 422: a required field the caller may not set.
    Invalid,
}

impl Expect {
    fn literal(self) -> &'static str {
        match self {
            Expect::Allowed => "Expect::Allowed",
            Expect::Hidden => "Expect::Hidden",
            Expect::Unauthorized => "Expect::Unauthorized",
            Expect::Forbidden => "Expect::Forbidden",
            Expect::Invalid => "Expect::Invalid",
        }
    }
}

impl AccessTests {
    /// Whether a test checks that a person a record names cannot hand it over.
    pub fn has_handovers(&self) -> bool {
        self.resources.iter().any(|r| !r.handovers.is_empty())
    }

    pub fn new(app: &App, helpers: &HelpersView) -> AccessTests {
        let creatable = |entity: &Entity| {
            helpers
                .bodies
                .iter()
                .any(|body| body.snake == entity.snake && body.creatable)
        };
        let testable: Vec<&Entity> = app.entities.iter().filter(|e| creatable(e)).collect();
        let body_arms = testable
            .iter()
            .map(|e| {
                let pattern = format!("{} => ", rust_str(&e.snake));
                let call = format!("app.{}_body().await", e.snake);
                if layout::fits(8, &[&pattern, &call, ","]) {
                    format!("        {pattern}{call},")
                } else {
                    format!("        {pattern}{{\n            {call}\n        }}")
                }
            })
            .collect();
        AccessTests {
            resources: testable
                .iter()
                .map(|e| resource_tests(app, e, &testable))
                .collect(),
            body_arms,
            default_role: app
                .default_role()
                .map_or_else(String::new, |r| r.name.clone()),
        }
    }
}

/// Whether records of `entity` have an owner: an owner field, or the sign-in entity.
fn owned(entity: &Entity) -> bool {
    entity.owner.is_some() || entity.is_auth
}

fn kinds(app: &App, entity: &Entity, testable: &[&Entity]) -> Vec<Kind> {
    let mut kinds = vec![Kind::Anonymous];
    let named: Vec<&Field> = people(app, entity)
        .iter()
        .filter_map(|who| match who {
            Who::Person(ident) => entity.field(ident),
            _ => None,
        })
        .filter(|field| settable_on_create(field) && !entity.is_auth)
        .collect();
    // People of a referenced record: the tests make that record, naming the caller.
    let mut through: Vec<(&Field, &Entity, &Field)> = Vec::new();
    let row_people = entity.permissions.rows.iter().flat_map(|grant| &grant.who);
    let granted: Vec<&Who> = Action::ALL
        .iter()
        .flat_map(|&action| entity.permissions.people(action))
        .chain(row_people.filter(|who| who.is_person()))
        .collect();
    {
        for who in granted {
            let Who::Through(reference, person) = who else {
                continue;
            };
            let Some(field) = entity.field(reference).filter(|f| settable_on_create(f)) else {
                continue;
            };
            let FieldType::Reference { entity: target, .. } = &field.ty else {
                continue;
            };
            let Some(target) = testable.iter().find(|t| t.name == *target) else {
                continue;
            };
            let Some(person) = target
                .field(person)
                .filter(|f| f.owner || settable_on_create(f))
            else {
                continue;
            };
            if !through
                .iter()
                .any(|(f, _, p)| f.ident == field.ident && p.ident == person.ident)
            {
                through.push((field, target, person));
            }
        }
    }
    for role in &app.roles {
        kinds.push(Kind::Role(role.name.clone()));
        if owned(entity) {
            kinds.push(Kind::Owner(role.name.clone()));
        }
        for (field, target, person) in through
            .iter()
            .filter(|(_, _, p)| p.required_role.as_ref().is_none_or(|r| *r == role.name))
        {
            kinds.push(Kind::Through {
                role: role.name.clone(),
                reference: (field.json.clone(), field.ident.clone()),
                target: (target.route.clone(), target.snake.clone()),
                person: (person.json.clone(), person.ident.clone()),
                parent_const: format!("{}_{}_{}", entity.plural_snake, field.ident, person.ident)
                    .to_uppercase(),
            });
        }
        // A reference that asks for a role names only accounts of that role.
        for field in named
            .iter()
            .filter(|f| f.required_role.as_ref().is_none_or(|r| *r == role.name))
        {
            kinds.push(Kind::Named(
                role.name.clone(),
                field.json.clone(),
                field.ident.clone(),
            ));
        }
    }
    kinds
}

fn decide(permissions: &Permissions, action: Action, role: Option<&str>) -> Decision {
    match role {
        None => permissions.decide(action, Caller::Anonymous),
        Some(role) => permissions.decide(action, Caller::Signed(role)),
    }
}

/// The answer `kind` must get for `action`, from `Permissions::decide`: refused callers get
/// 401 (anonymous) or 403; a caller allowed only their own records gets others' hidden (404,
/// missing from lists), or 403 to change one they may read.
///
/// `state` is the record's row state, which decides the access lines that grant rows.
fn expect(
    app: &App,
    entity: &Entity,
    action: Action,
    kind: &Kind,
    state: Option<&RowState>,
) -> Expect {
    let permissions = &entity.permissions;
    let decision = decide(permissions, action, kind.role());
    let caller = kind.role().map_or(Caller::Anonymous, Caller::Signed);
    let person = kind.person();
    let holds = |condition: &Condition| state.is_some_and(|s| s.holds(condition));
    let covers = |action: Action| permissions.covers(action, caller, person.as_ref(), &holds);
    let expected = match (kind, decision) {
        (Kind::Anonymous, Decision::All) => Expect::Allowed,
        (Kind::Anonymous, Decision::Deny | Decision::Own) => Expect::Unauthorized,
        (_, Decision::Deny) => Expect::Forbidden,
        _ if covers(action) => Expect::Allowed,
        // Allowed only on the records that name them, and this one does not.
        _ => match action {
            Action::List | Action::Read => Expect::Hidden,
            Action::Create => Expect::Allowed,
            Action::Update | Action::Delete => {
                if covers(Action::Read) {
                    Expect::Forbidden
                } else {
                    Expect::Hidden
                }
            }
        },
    };
    if action != Action::Create || expected != Expect::Allowed {
        return expected;
    }
    // A new record with an owner field belongs to whoever creates it: nobody, when not
    // signed in, so anonymous creation needs a sign-in after all.
    if *kind == Kind::Anonymous && entity.owner.is_some() {
        return Expect::Unauthorized;
    }
    let blocked = unsettable(app, entity, kind.role())
        .iter()
        .filter_map(|json| entity.fields.iter().find(|f| f.json == *json))
        .any(|f| f.required && f.default.is_none());
    // A required reference must name a record the caller may read: when they may read
    // none, they cannot create one at all.
    let unreachable = sample_references(app, entity)
        .any(|(field, target)| reach_for(field, target, kind.role()) == Reach::None);
    if blocked || unreachable {
        Expect::Invalid
    } else {
        Expect::Allowed
    }
}

/// Which records of `target` a caller (`role`; `None`: anonymous) may name in a reference:
/// those they may read (own records only count where records have an owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    All,
    Own,
    None,
}

fn reach(target: &Entity, role: Option<&str>) -> Reach {
    let owners = target
        .permissions
        .people(Action::Read)
        .contains(&&Who::Owner);
    let sample = states(target);
    let caller = role.map_or(Caller::Anonymous, Caller::Signed);
    let holds = |c: &Condition| sample.as_ref().is_some_and(|s| s[0].holds(c));
    match decide(&target.permissions, Action::Read, role) {
        Decision::All => Reach::All,
        // The sample record meets a condition that lets the caller read it.
        Decision::Rows
            if target
                .permissions
                .covers(Action::Read, caller, None, &holds) =>
        {
            Reach::All
        }
        // The tests make a record the caller owns; one that merely names them would do too,
        // but the sample bodies do not make those.
        Decision::Own | Decision::Rows if owned(target) && owners => Reach::Own,
        Decision::Own | Decision::Rows | Decision::Deny => Reach::None,
    }
}

/// [`reach`] through the reference `field`: a caller who may read only their own account
/// cannot name one in a reference that asks for another role (`-> User with role doctor`).
fn reach_for(field: &Field, target: &Entity, role: Option<&str>) -> Reach {
    match (reach(target, role), &field.required_role) {
        (Reach::Own, Some(required)) if role != Some(required.as_str()) => Reach::None,
        (reach, _) => reach,
    }
}

/// The references a client sends (not the owner field), with their targets.
fn client_references<'a>(
    app: &'a App,
    entity: &'a Entity,
) -> impl Iterator<Item = (&'a Field, &'a Entity)> + 'a {
    entity
        .fields
        .iter()
        .filter_map(move |field| match &field.ty {
            FieldType::Reference { entity: target, .. }
                if !field.owner && settable_on_create(field) =>
            {
                app.entity(target).map(|target| (field, target))
            }
            _ => None,
        })
}

/// The references of the sample body: the required ones a client sends.
fn sample_references<'a>(
    app: &'a App,
    entity: &'a Entity,
) -> impl Iterator<Item = (&'a Field, &'a Entity)> + 'a {
    client_references(app, entity).filter(|(field, _)| field.required)
}

/// For each reference a client sends and each role that may create records but may not
/// read every record the reference could name: a test that a hidden one is refused exactly
/// as a missing one is, on create and, where the role may change the field, on update.
fn hidden_reference_tests(
    app: &App,
    entity: &Entity,
    testable: &[&Entity],
) -> Vec<HiddenReferenceTest> {
    let mut tests = Vec::new();
    for (field, target) in client_references(app, entity) {
        if !testable.iter().any(|t| t.name == target.name) {
            continue;
        }
        for role in &app.roles {
            let kind = Kind::Role(role.name.clone());
            let reach = reach_for(field, target, Some(&role.name));
            // Which of someone else's records the caller may read depends on their state:
            // the access matrix tests those.
            let rows =
                decide(&target.permissions, Action::Read, Some(&role.name)) == Decision::Rows;
            let creates = decide(&entity.permissions, Action::Create, Some(&role.name))
                != Decision::Deny
                && !unsettable(app, entity, Some(&role.name)).contains(&field.json);
            // The rest of the body must be valid for this caller.
            let others_valid = expect(app, entity, Action::Create, &kind, None) == Expect::Allowed
                || (reach == Reach::None
                    && field.required
                    && sample_references(app, entity)
                        .filter(|(other, _)| other.ident != field.ident)
                        .all(|(other, t)| reach_for(other, t, Some(&role.name)) != Reach::None));
            if reach == Reach::All || rows || !creates || !others_valid {
                continue;
            }
            let on_update = reach == Reach::Own
                && expect(
                    app,
                    entity,
                    Action::Update,
                    &Kind::Owner(role.name.clone()),
                    states(entity).as_ref().map(|s| &s[0]),
                ) == Expect::Allowed
                && updatable(field)
                && !entity.rules.iter().any(|rule| match &rule.kind {
                    RuleKind::Immutable { fields, .. } => fields.contains(&field.ident),
                    RuleKind::Window { actions, .. } => actions.contains(&Action::Update),
                    _ => false,
                });
            let args = [
                "&app".to_owned(),
                format!("&{}", entity.plural_snake.to_uppercase()),
                rust_str(&role.name),
                rust_str(&field.json),
                format!("&{}", target.plural_snake.to_uppercase()),
                on_update.to_string(),
            ];
            tests.push(HiddenReferenceTest {
                test_name: format!(
                    "{}_refuse_{}_{}_may_not_read",
                    entity.plural_snake,
                    with_article(&field.ident),
                    with_article(&role.name.to_snake_case())
                )
                .replace(' ', "_"),
                call: layout::call(4, "check_hidden_reference(", &args, ").await;")
                    .replace("\n    ).await;", "\n    )\n    .await;"),
            });
        }
    }
    tests
}

fn resource_tests(app: &App, entity: &Entity, testable: &[&Entity]) -> ResourceTests {
    let const_name = entity.plural_snake.to_uppercase();
    let owner = match (&entity.owner, entity.is_auth) {
        (Some(ident), _) => {
            let json = entity
                .field(ident)
                .map_or(ident.as_str(), |f| f.json.as_str());
            format!("Owner::Field({})", rust_str(json))
        }
        (None, true) => "Owner::Account".to_owned(),
        (None, false) => "Owner::Nobody".to_owned(),
    };
    let unsettable_roles: Vec<(String, String)> = std::iter::once(None)
        .chain(app.roles.iter().map(|r| Some(r.name.as_str())))
        .filter_map(|role| {
            let fields = unsettable(app, entity, role);
            if fields.is_empty() {
                return None;
            }
            let fields: Vec<String> = fields.iter().map(|f| rust_str(f)).collect();
            let who = role.map_or("None".to_owned(), |r| format!("Some({})", rust_str(r)));
            Some((who, format!("&[{}]", fields.join(", "))))
        })
        .collect();
    let pairs: Vec<String> = unsettable_roles
        .iter()
        .map(|(who, fields)| format!("({who}, {fields})"))
        .collect();
    let one_line = layout::array(4, "unsettable: &[", &pairs, "],");
    let unsettable_line = if !one_line.contains('\n') || unsettable_roles.is_empty() {
        one_line
    } else {
        // One pair per line, each as rustfmt lays out a tuple.
        let lines: Vec<String> = unsettable_roles
            .iter()
            .map(|(who, fields)| layout::call(8, "(", &[who.clone(), fields.clone()], "),"))
            .collect();
        format!("    unsettable: &[\n{}\n    ],", lines.join("\n"))
    };
    let own_targets: Vec<Vec<String>> = app
        .roles
        .iter()
        .flat_map(|role| {
            sample_references(app, entity)
                .filter(|(_, target)| testable.iter().any(|t| t.name == target.name))
                .filter(|(field, target)| reach_for(field, target, Some(&role.name)) == Reach::Own)
                .map(|(field, target)| {
                    vec![
                        rust_str(&role.name),
                        rust_str(&field.json),
                        format!("&{}", target.plural_snake.to_uppercase()),
                    ]
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let own_targets_line = tuple_list(4, "own_targets: &[", &own_targets, "],");
    let resource_const = format!(
        "const {const_name}: Resource = Resource {{\n    route: {},\n    body: {},\n    owner: {owner},\n{unsettable_line}\n{own_targets_line}\n}};",
        rust_str(&entity.route),
        rust_str(&entity.snake),
    );

    let kinds = kinds(app, entity, testable);
    // The `Parent` constants of the callers named through a reference.
    let mut parents: Vec<String> = Vec::new();
    for kind in &kinds {
        if let Kind::Through {
            reference,
            target,
            person,
            parent_const,
            ..
        } = kind
        {
            let definition = format!(
                "const {parent_const}: Parent = Parent {{\n    reference: {},\n    route: {},\n    body: {},\n    person: {},\n}};",
                rust_str(&reference.0),
                rust_str(&target.0),
                rust_str(&target.1),
                rust_str(&person.0)
            );
            if !parents.contains(&definition) {
                parents.push(definition);
            }
        }
    }
    let resource_const = std::iter::once(resource_const)
        .chain(parents)
        .collect::<Vec<_>>()
        .join("\n\n");
    let states = states(entity);
    let start = states.as_ref().map(|s| &s[0]);
    let mut actions = Vec::new();
    for action in Action::ALL {
        let by_rows = entity
            .permissions
            .rows
            .iter()
            .any(|grant| grant.actions.contains(&action));
        // A record in each row state the spec tells apart, when the answer depends on it.
        let tested: Vec<Option<&RowState>> = match (&states, by_rows) {
            (_, false) => vec![start],
            (Some(states), true) => states.iter().map(Some).collect(),
            // The conditions are not on one field the tests can set: no test here.
            (None, true) => Vec::new(),
        };
        for state in tested {
            // Nobody owns a record before it exists: creating needs no owner cases.
            let cases: Vec<Vec<String>> = kinds
                .iter()
                .filter(|kind| action != Action::Create || !kind.is_person())
                .map(|kind| {
                    vec![
                        kind.literal(),
                        expect(app, entity, action, kind, state)
                            .literal()
                            .to_owned(),
                    ]
                })
                .collect();
            let variant = capitalize(action.as_str());
            let steps = state.filter(|s| !s.steps.is_empty());
            let when = steps.map_or(String::new(), |s| {
                format!("_when_{}", s.name.to_snake_case())
            });
            actions.push(ActionTest {
                test_name: format!(
                    "{}_{}{when}_as_the_spec_says",
                    action.as_str(),
                    entity.plural_snake
                ),
                action: format!("Action::{variant}"),
                cases: tuples(&cases),
                steps: steps.map(steps_line),
            });
        }
    }

    let field_cases = |test_name: String, cases: Vec<Vec<String>>| {
        (!cases.is_empty()).then(|| FieldTest {
            test_name,
            cases: tuples(&cases),
        })
    };
    let may =
        |action: Action, kind: &Kind| expect(app, entity, action, kind, start) == Expect::Allowed;
    let allowed =
        |who: &[Who], kind: &Kind| grant_covers(&GrantView::of_field(app, entity, who), kind);
    let rule_fields = |pick: &dyn Fn(&Field) -> bool| -> Vec<&Field> {
        entity.fields.iter().filter(|f| pick(f)).collect()
    };

    let mut visible = Vec::new();
    for field in rule_fields(&|f| !f.visible_to.is_empty()) {
        for kind in kinds.iter().filter(|k| may(Action::Read, k)) {
            let shown = allowed(&field.visible_to, kind);
            visible.push(vec![
                kind.literal(),
                rust_str(&field.json),
                shown.to_string(),
            ]);
        }
    }
    let sampled = |field: &Field| {
        settable_on_create(field)
            && !field.owner
            && (field.required || !matches!(field.ty, specgen_ir::FieldType::Reference { .. }))
    };
    let mut on_create = Vec::new();
    let mut on_update = Vec::new();
    for field in rule_fields(&|f| !f.settable_by.is_empty()) {
        for kind in kinds.iter().filter(|k| !k.is_person()) {
            if sampled(field) && may(Action::Create, kind) {
                // The creator of a record owns it, so `set by the owner` lets them.
                let owner = match kind.role() {
                    Some(role) => Kind::Owner(role.to_owned()),
                    None => Kind::Anonymous,
                };
                let ok = allowed(&field.settable_by, &owner);
                on_create.push(vec![kind.literal(), rust_str(&field.json), ok.to_string()]);
            }
        }
        if updatable(field) && !field.owner {
            for kind in kinds.iter().filter(|k| may(Action::Update, k)) {
                let ok = allowed(&field.settable_by, kind);
                on_update.push(vec![kind.literal(), rust_str(&field.json), ok.to_string()]);
            }
        }
    }

    let mut unsearchable = Vec::new();
    for field in rule_fields(&|f| !f.visible_to.is_empty()) {
        let searchable = field.filterable || field.sortable;
        if !searchable || matches!(field.ty, specgen_ir::FieldType::Json) {
            continue;
        }
        // Seeing the field on their own records does not let a caller search everyone's.
        let blind = kinds.iter().filter(|k| !k.is_person()).find(|k| {
            may(Action::List, k)
                && GrantView::of_field(app, entity, &field.visible_to).decide(k.role())
                    != Decision::All
        });
        if let Some(kind) = blind {
            unsearchable.push(vec![
                kind.literal(),
                rust_str(&field.json),
                field.filterable.to_string(),
            ]);
        }
    }

    let owner_test = entity.owner.as_ref().and_then(|_| {
        let admin = app.admin_role().map(|r| r.name.as_str());
        let role = app
            .roles
            .iter()
            .map(|r| r.name.as_str())
            .filter(|r| Some(*r) != admin)
            .find(|r| may(Action::Create, &Kind::Role((*r).to_owned())))?;
        let may_update = may(Action::Update, &Kind::Owner(role.to_owned()));
        let fixed = entity
            .owner
            .as_ref()
            .and_then(|owner| owner_fixed_by(entity, owner));
        let fixed = fixed.map_or("None".to_owned(), |code| {
            format!("Some({})", rust_str(&code))
        });
        let args = [
            "&app".to_owned(),
            "resource".to_owned(),
            "role".to_owned(),
            may_update.to_string(),
            fixed,
        ];
        Some(OwnerTest {
            test_name: format!("{}_belong_to_whoever_creates_them", entity.plural_snake),
            role: role.to_owned(),
            call: layout::call(4, "check_owner(", &args, ").await;")
                .replace("\n    ).await;", "\n    )\n    .await;"),
        })
    });

    let hidden_references = hidden_reference_tests(app, entity, testable);

    ResourceTests {
        hidden_references,
        plural_words: entity.plural_words.clone(),
        resource_const,
        const_name,
        actions,
        visible: field_cases(
            format!("{}_fields_only_some_callers_may_see", entity.plural_snake),
            visible,
        ),
        settable_on_create: field_cases(
            format!(
                "{}_fields_only_some_callers_may_set_on_create",
                entity.plural_snake
            ),
            on_create,
        ),
        settable_on_update: field_cases(
            format!(
                "{}_fields_only_some_callers_may_change",
                entity.plural_snake
            ),
            on_update,
        ),
        owner_test,
        handovers: super::handover::handover_tests(app, entity),
        unsearchable: field_cases(
            format!(
                "{}_lists_cannot_be_searched_by_hidden_fields",
                entity.plural_snake
            ),
            unsearchable,
        ),
    }
}
