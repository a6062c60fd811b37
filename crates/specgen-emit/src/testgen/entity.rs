//! The generated tests of one entity (`tests/api/<plural>.rs`): create, read, update,
//! delete and list, every invalid value a field must refuse, rules, links and children.

use specgen_ir::{
    Action, App, Caller, CompareOp, Decision, Derived, Entity, Field, FieldType, OnDelete, RuleKind,
};

use super::helpers::{HelpersView, int_literal, new_value, samples};
use crate::facts::fields::{MAX_LINKS, settable_on_create, updatable};
use crate::facts::text::with_article;
use crate::layout;
use crate::names::{rust_f64, rust_str};

/// `tests/api/<plural>.rs`.
#[derive(Debug, Clone)]
pub struct EntityTests {
    /// "a booking" / "an order".
    pub article_words: String,
    pub creatable: bool,
    /// Rows exist before each test: the sign-in entity holds the test admin.
    pub existing: bool,
    /// Whether the tests' caller may list, read, update and delete (always, as the test
    /// admin; without sign-in, only what anyone may).
    pub may_list: bool,
    pub may_read: bool,
    pub may_update: bool,
    pub may_delete: bool,
    /// The tails of the file's `valid_body` and `create` helpers.
    pub body_tail: String,
    pub create_tail: String,
    pub helpers_import: String,
    /// `rejects(&app, ...).await;` lines, one per failing case.
    pub rejects: Vec<String>,
    /// `zero_fraction(&mut body, "..");` lines for the whole-number fields a client sends.
    pub zero_fractions: Vec<String>,
    /// Two cases on different fields, for the "every field at once" test.
    pub two_invalid: Option<(InvalidCase, InvalidCase)>,
    pub missing_references: Vec<NamedField>,
    /// References that must name an account with a role (`-> User with role doctor`).
    pub role_references: Vec<RoleReferenceTest>,
    pub copies: Vec<CopyTest>,
    pub uniques: Vec<NamedField>,
    pub unique_rules: Vec<UniqueRuleTest>,
    pub compares: Vec<CompareTest>,
    pub filters: Vec<NamedField>,
    pub sorts: Vec<NamedField>,
    /// An optional sortable field, for paging through empty values.
    pub nullable_sort: Option<NamedField>,
    pub update: Option<UpdateTest>,
    pub immutables: Vec<NamedField>,
    pub children: Vec<ChildTest>,
    pub links: Vec<LinkTest>,
}

#[derive(Debug, Clone)]
pub struct InvalidCase {
    pub json: String,
    /// `Some(json!(..))`, or `None` for a field left out.
    pub value: String,
    /// The value without `Some(..)`.
    pub bare: String,
    pub code: String,
}

/// A reference that must name an account with `role`: one with `other_role` is refused as
/// a missing one, on create and, when `on_update`, on update.
#[derive(Debug, Clone)]
pub struct RoleReferenceTest {
    pub ident: String,
    pub json: String,
    pub role: String,
    pub other_role: String,
    pub on_update: bool,
}

#[derive(Debug, Clone)]
pub struct NamedField {
    pub ident: String,
    pub json: String,
}

/// A field copied from a referenced record (`copied from product.price`).
#[derive(Debug, Clone)]
pub struct CopyTest {
    pub test_name: String,
    /// `check_copy(..).await;`, laid out.
    pub call: String,
}

#[derive(Debug, Clone)]
pub struct UniqueRuleTest {
    pub test_name: String,
    /// `body[..] = ..;` lines that give the first record a value for each field of the
    /// rule the sample body leaves empty (an optional reference).
    pub fills: Vec<String>,
    /// `let fields = [..];` naming the rule's fields.
    pub fields_array: String,
    /// One `assert_field_error` line per field.
    pub asserts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CompareTest {
    pub test_name: String,
    pub left: String,
    pub right: String,
    pub assert: String,
}

#[derive(Debug, Clone)]
pub struct UpdateTest {
    pub json: String,
    pub value: String,
}

/// A many-to-many link, written and read back as a list of ids.
#[derive(Debug, Clone)]
pub struct LinkTest {
    pub test_name: String,
    pub json: String,
    /// `let first = app.create_<target>().await;` and the same for `second`, laid out.
    pub create_first: String,
    pub create_second: String,
}

#[derive(Debug, Clone)]
pub struct ChildTest {
    /// `let mut body = app.<child>_body().await;`, laid out.
    pub body_line: String,
    pub test_name: String,
    pub child_route: String,
    pub field_json: String,
    /// The role the reference asks its account to have (`-> User with role doctor`).
    pub parent_role: Option<String>,
    pub outcome: ChildOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildOutcome {
    Refused,
    Deleted,
    Emptied,
}

impl EntityTests {
    pub fn new(app: &App, entity: &Entity, helpers: &HelpersView) -> EntityTests {
        // The tests act as an admin, who may do anything; in an app without sign-in they
        // are anonymous, and test only what anyone may do.
        let may = |entity: &Entity, action: Action| {
            app.auth.is_some()
                || entity.permissions.decide(action, Caller::Anonymous) == Decision::All
        };
        let creatable = helpers
            .bodies
            .iter()
            .find(|b| b.snake == entity.snake)
            .is_some_and(|b| b.creatable)
            && may(entity, Action::Create);
        let cases = invalid_cases(entity);
        let rejects = cases
            .iter()
            .map(|case| {
                let args = vec![
                    "&app".to_owned(),
                    rust_str(&case.json),
                    case.value.clone(),
                    rust_str(&case.code),
                ];
                layout::call(4, "rejects(", &args, ").await;")
                    .replace("\n    ).await;", "\n    )\n    .await;")
            })
            .collect();
        let zero_fractions = entity
            .fields
            .iter()
            .filter(|f| settable_on_create(f))
            .filter(|f| matches!(f.ty, FieldType::Integer { .. } | FieldType::Money { .. }))
            .map(|f| {
                let args = ["&mut body".to_owned(), rust_str(&f.json)];
                layout::call(4, "zero_fraction(", &args, ");")
            })
            .collect();
        let two_invalid = cases.iter().find(|c| c.value != "None").and_then(|first| {
            cases
                .iter()
                .find(|c| c.json != first.json && c.value != "None")
                .map(|second| (first.clone(), second.clone()))
        });
        let sampled = samples(app, entity);
        let in_sample = |field: &Field| sampled.iter().any(|(json, _)| *json == field.json);
        let named = |f: &Field| NamedField {
            ident: f.ident.clone(),
            json: f.json.clone(),
        };

        let missing_references = entity
            .fields
            .iter()
            .filter(|f| {
                matches!(f.ty, FieldType::Reference { .. }) && settable_on_create(f) && f.required
            })
            .map(named)
            .collect();
        let uniques = entity
            .fields
            .iter()
            .filter(|f| f.unique && in_sample(f))
            .map(named)
            .collect();
        let unique_rules = entity
            .rules
            .iter()
            .filter_map(|rule| match &rule.kind {
                RuleKind::Unique { fields } => {
                    let fields: Vec<&Field> =
                        fields.iter().filter_map(|f| entity.field(f)).collect();
                    // The sample leaves optional references empty, and empty values never
                    // collide: the first record names a new target for each.
                    let fills = fields
                        .iter()
                        .filter(|f| !in_sample(f) && settable_on_create(f))
                        .filter_map(|f| match &f.ty {
                            FieldType::Reference { entity, .. } => Some(format!(
                                "    body[{}] = app.create_{}().await[\"id\"].clone();",
                                rust_str(&f.json),
                                app.entity(entity)?.snake
                            )),
                            _ => None,
                        })
                        .collect::<Vec<_>>();
                    let fields: Vec<String> = fields
                        .iter()
                        .filter(|f| in_sample(f) || settable_on_create(f))
                        .map(|f| f.json.clone())
                        .collect();
                    Some(UniqueRuleTest {
                        test_name: format!("create_refuses_a_duplicate_{}", rule.code),
                        fills,
                        asserts: fields
                            .iter()
                            .map(|f| assert_field_error(f, &rule.code))
                            .collect(),
                        fields_array: layout::array(
                            4,
                            "let fields = [",
                            &fields.iter().map(|f| rust_str(f)).collect::<Vec<_>>(),
                            "];",
                        ),
                    })
                }
                _ => None,
            })
            .collect();
        let compares = entity
            .rules
            .iter()
            .filter_map(|rule| match &rule.kind {
                RuleKind::Compare { left, op, right }
                    if !matches!(op, CompareOp::Eq | CompareOp::Ne) =>
                {
                    let (left, right) = (entity.field(left)?, entity.field(right)?);
                    (in_sample(left) && in_sample(right)).then(|| CompareTest {
                        test_name: format!("create_enforces_{}", rule.code),
                        left: left.json.clone(),
                        right: right.json.clone(),
                        assert: assert_field_error(&left.json, &rule.code),
                    })
                }
                _ => None,
            })
            .collect();
        let filters = entity
            .fields
            .iter()
            .filter(|f| f.filterable && in_sample(f) && !matches!(f.ty, FieldType::Json))
            .map(named)
            .collect();
        let sorts: Vec<NamedField> = entity
            .fields
            .iter()
            .filter(|f| f.sortable && in_sample(f) && !matches!(f.ty, FieldType::Json))
            .map(named)
            .collect();
        let nullable_sort = entity
            .fields
            .iter()
            .find(|f| f.sortable && !f.required && in_sample(f) && !matches!(f.ty, FieldType::Json))
            .map(named);
        let update = entity.fields.iter().filter(|f| updatable(f)).find_map(|f| {
            let involved = entity
                .rules
                .iter()
                .any(|r| rule_mentions(&r.kind, &f.ident));
            if involved {
                return None;
            }
            new_value(f).map(|value| UpdateTest {
                json: f.json.clone(),
                value,
            })
        });
        let immutables = entity
            .fields
            .iter()
            .filter(|f| f.immutable && in_sample(f))
            .map(named)
            .collect();
        let children = entity
            .children
            .iter()
            .enumerate()
            .filter_map(|(index, child)| {
                let other = app.entity(&child.entity)?;
                let field = other.field(&child.field)?;
                let child_creatable = helpers
                    .bodies
                    .iter()
                    .find(|b| b.snake == other.snake)
                    .is_some_and(|b| b.creatable);
                let allowed = may(entity, Action::Delete)
                    && may(entity, Action::Read)
                    && may(other, Action::Create)
                    && may(other, Action::Read);
                if !child_creatable || !allowed || !settable_on_create(field) {
                    return None;
                }
                let (outcome, verb) = match child.on_delete {
                    OnDelete::Restrict => (ChildOutcome::Refused, "is_refused"),
                    OnDelete::Cascade => (ChildOutcome::Deleted, "deletes_it"),
                    OnDelete::SetNull => (ChildOutcome::Emptied, "empties_the_reference"),
                };
                Some(ChildTest {
                    body_line: layout::awaited(
                        4,
                        "let mut body = ",
                        "app",
                        &format!("{}_body()", other.snake),
                        ";",
                    ),
                    test_name: child_test_name(entity, other, field, verb, index),
                    child_route: other.route.clone(),
                    field_json: field.json.clone(),
                    parent_role: field.required_role.clone(),
                    outcome,
                })
            })
            .collect();
        let listable = may(entity, Action::List);
        let (filters, sorts, nullable_sort) = if listable {
            (filters, sorts, nullable_sort)
        } else {
            (Vec::new(), Vec::new(), None)
        };
        let (update, immutables) = if may(entity, Action::Update) {
            (update, immutables)
        } else {
            (None, Vec::new())
        };
        let mut imports = vec!["TestApp", "spawn_app"];
        if !sorts.is_empty() {
            imports.insert(1, "is_descending");
        }
        if update
            .as_ref()
            .is_some_and(|u| u.value.starts_with("text("))
        {
            imports.push("text");
        }
        let helpers_import = format!("{{{}}}", imports.join(", "));
        let links = entity
            .links
            .iter()
            .enumerate()
            .filter_map(|(index, link)| {
                let target = app.entity(&link.target)?;
                let target_creatable = helpers
                    .bodies
                    .iter()
                    .find(|b| b.snake == target.snake)
                    .is_some_and(|b| b.creatable);
                let create = |name: &str| {
                    let call = format!("create_{}()", target.snake);
                    layout::awaited(4, &format!("let {name} = "), "app", &call, ";")
                };
                let allowed = may(entity, Action::Update)
                    && may(entity, Action::List)
                    && may(target, Action::Create);
                (target_creatable && allowed).then(|| LinkTest {
                    test_name: link_test_name(&link.ident, index),
                    json: link.json.clone(),
                    create_first: create("first"),
                    create_second: create("second"),
                })
            })
            .collect();
        EntityTests {
            article_words: with_article(&entity.words),
            may_list: listable,
            may_read: may(entity, Action::Read),
            may_update: may(entity, Action::Update),
            may_delete: may(entity, Action::Delete),
            existing: app.auth.is_some() && entity.is_auth,
            creatable,
            links,
            body_tail: layout::awaited(4, "", "app", &format!("{}_body()", entity.snake), ""),
            create_tail: layout::awaited(4, "", "app", &format!("create_{}()", entity.snake), ""),
            helpers_import,
            rejects,
            zero_fractions,
            two_invalid,
            missing_references,
            role_references: role_reference_tests(app, entity, creatable),
            copies: copy_tests(app, entity),
            uniques,
            unique_rules,
            compares,
            filters,
            sorts,
            nullable_sort,
            update,
            immutables,
            children,
        }
    }
}

/// `response.assert_field_error(field, code);`, laid out.
fn assert_field_error(field: &str, code: &str) -> String {
    let args = [rust_str(field), rust_str(code)];
    layout::method_call(4, "", "response", "assert_field_error", &args, ";")
}

/// The name of a test of deleting a referenced record: it says which reference, unless
/// that makes the name unwieldy.
fn child_test_name(
    entity: &Entity,
    child: &Entity,
    field: &Field,
    verb: &str,
    index: usize,
) -> String {
    let name = format!(
        "deleting_a_{}_referenced_by_{}_{}_{verb}",
        entity.snake,
        child.snake,
        field.ident.trim_end_matches('_')
    );
    if name.len() <= 72 {
        name
    } else {
        format!(
            "deleting_a_referenced_{}_{verb}_{}",
            entity.snake,
            index + 1
        )
    }
}

/// The name of the test of a many-to-many link.
fn link_test_name(ident: &str, index: usize) -> String {
    let name = format!(
        "{}_are_written_and_read_as_id_lists",
        ident.trim_end_matches('_')
    );
    if name.len() <= 80 {
        name
    } else {
        format!("link_{}_is_written_and_read_as_a_list_of_ids", index + 1)
    }
}

fn rule_mentions(kind: &RuleKind, ident: &str) -> bool {
    match kind {
        RuleKind::Compare { left, right, .. } => left == ident || right == ident,
        RuleKind::Unique { fields } => fields.iter().any(|f| f == ident),
        RuleKind::Limit { per, also_per, .. } => {
            per == ident || also_per.iter().any(|f| f == ident)
        }
        RuleKind::NoOverlap { start, end, per } => {
            start == ident || end == ident || per.iter().any(|f| f == ident)
        }
        RuleKind::Immutable { fields, .. } => fields.iter().any(|f| f == ident),
        RuleKind::Transitions { field, .. } => field == ident,
        RuleKind::Window { .. } => false,
    }
}

/// `Some(json!(..))` of a text of `length` characters: a literal when short.
fn text_of(length: usize) -> String {
    if length <= 20 {
        format!("Some(json!({}))", rust_str(&"x".repeat(length)))
    } else {
        format!("Some(json!(\"x\".repeat({length})))")
    }
}

/// Values that must be refused, one per constraint of each field a client sends.
fn invalid_cases(entity: &Entity) -> Vec<InvalidCase> {
    let mut cases = Vec::new();
    let mut add = |field: &str, value: String, code: &str| {
        let bare = value
            .strip_prefix("Some(")
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or("serde_json::Value::Null")
            .to_owned();
        cases.push(InvalidCase {
            json: field.to_owned(),
            value,
            bare,
            code: code.to_owned(),
        });
    };
    for field in &entity.fields {
        let json = field.json.as_str();
        if !settable_on_create(field) {
            add(json, "Some(json!(null))".to_owned(), "read_only");
            continue;
        }
        // The owner field is set from the session when it is left out.
        if field.required && field.default.is_none() && !field.owner {
            add(json, "None".to_owned(), "required");
        }
        match &field.ty {
            FieldType::Text {
                min_length,
                max_length,
            } => {
                add(json, "Some(json!(42))".to_owned(), "invalid_type");
                if *min_length > 0 {
                    add(json, text_of(*min_length as usize - 1), "too_short");
                }
                add(json, text_of(*max_length as usize + 1), "too_long");
            }
            FieldType::Email => {
                add(
                    json,
                    "Some(json!(\"not-an-email\"))".to_owned(),
                    "invalid_format",
                );
                add(json, "Some(json!(true))".to_owned(), "invalid_type");
            }
            FieldType::Url => {
                add(
                    json,
                    "Some(json!(\"ftp://example.com\"))".to_owned(),
                    "invalid_format",
                );
            }
            FieldType::Integer { min, max } | FieldType::Money { min, max } => {
                add(json, "Some(json!(\"12\"))".to_owned(), "invalid_type");
                add(json, "Some(json!(1.5))".to_owned(), "invalid_type");
                // Past 2^53 a float is not the number written: not taken as an integer.
                add(json, "Some(json!(-1e19))".to_owned(), "invalid_type");
                if let Some(min) = min.and_then(|m| m.checked_sub(1)) {
                    add(
                        json,
                        format!("Some(json!({}))", int_literal(min)),
                        "out_of_range",
                    );
                }
                if let Some(max) = max.and_then(|m| m.checked_add(1)) {
                    add(
                        json,
                        format!("Some(json!({}))", int_literal(max)),
                        "out_of_range",
                    );
                }
            }
            FieldType::Decimal { min, max } => {
                add(json, "Some(json!(\"1.5\"))".to_owned(), "invalid_type");
                if let Some(min) = min {
                    add(
                        json,
                        format!("Some(json!({}))", rust_f64(min - 1.0)),
                        "out_of_range",
                    );
                }
                if let Some(max) = max {
                    add(
                        json,
                        format!("Some(json!({}))", rust_f64(max + 1.0)),
                        "out_of_range",
                    );
                }
            }
            FieldType::Boolean => add(json, "Some(json!(\"yes\"))".to_owned(), "invalid_type"),
            FieldType::Date => add(
                json,
                "Some(json!(\"2030-02-30\"))".to_owned(),
                "invalid_format",
            ),
            FieldType::DateTime => {
                add(
                    json,
                    "Some(json!(\"next tuesday\"))".to_owned(),
                    "invalid_format",
                );
            }
            FieldType::Uuid | FieldType::Reference { .. } => {
                add(
                    json,
                    "Some(json!(\"not-a-uuid\"))".to_owned(),
                    "invalid_format",
                );
            }
            FieldType::Json => {}
            FieldType::Enum { values } => {
                if !values.iter().any(|v| v == "no_such_value") {
                    add(
                        json,
                        "Some(json!(\"no_such_value\"))".to_owned(),
                        "invalid_value",
                    );
                }
            }
        }
    }
    for link in &entity.links {
        add(
            &link.json,
            "Some(json!(\"not-a-list\"))".to_owned(),
            "invalid_type",
        );
        add(
            &link.json,
            "Some(json!([\"not-a-uuid\"]))".to_owned(),
            "invalid_type",
        );
        add(
            &link.json,
            format!("Some(json!(vec![Uuid::nil(); {}]))", MAX_LINKS + 1),
            "too_long",
        );
    }
    cases
}

/// One test per copied field: it holds its source's value, and a request cannot set it.
fn copy_tests(app: &App, entity: &Entity) -> Vec<CopyTest> {
    entity
        .fields
        .iter()
        .filter_map(|field| {
            let Some(Derived::Copy {
                reference,
                field: source,
            }) = &field.derived
            else {
                return None;
            };
            let via = entity.field(reference)?;
            let FieldType::Reference { entity: target, .. } = &via.ty else {
                return None;
            };
            let target = app.entity(target)?;
            let source_json = target
                .field(source)
                .map_or(source.as_str(), |f| f.json.as_str());
            let args = [
                "&app".to_owned(),
                rust_str(&field.json),
                rust_str(&via.json),
                rust_str(&target.route),
                rust_str(source_json),
            ];
            Some(CopyTest {
                test_name: format!("create_copies_{}", field.ident),
                call: layout::call(4, "check_copy(", &args, ").await;")
                    .replace("\n    ).await;", "\n    )\n    .await;"),
            })
        })
        .collect()
}

/// The role-restricted references a request sets, each with a role the account must not
/// have: the default role, or the admin role when the default is the one asked for.
fn role_reference_tests(app: &App, entity: &Entity, creatable: bool) -> Vec<RoleReferenceTest> {
    if !creatable {
        return Vec::new();
    }
    let windowed = entity.rules.iter().any(|rule| match &rule.kind {
        RuleKind::Window { actions, .. } => actions.contains(&Action::Update),
        RuleKind::Immutable { once, .. } => once.is_none(),
        _ => false,
    });
    entity
        .fields
        .iter()
        .filter(|f| settable_on_create(f))
        .filter_map(|f| {
            let role = f.required_role.as_ref()?;
            let other = app
                .roles
                .iter()
                .find(|r| r.is_default && &r.name != role)
                .or_else(|| app.roles.iter().find(|r| &r.name != role))?;
            let immutable = entity.rules.iter().any(|rule| {
                matches!(&rule.kind, RuleKind::Immutable { fields, .. } if fields.contains(&f.ident))
            });
            Some(RoleReferenceTest {
                ident: f.ident.clone(),
                json: f.json.clone(),
                role: role.clone(),
                other_role: other.name.clone(),
                // The tests act as the admin, who may change any record.
                on_update: updatable(f) && !immutable && !windowed,
            })
        })
        .collect()
}
