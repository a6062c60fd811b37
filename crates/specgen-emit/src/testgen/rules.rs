//! The generated tests of an app's rules (`tests/api/rules.rs`): limits and no-overlap
//! under writes, immutability, transitions (and who may make each), and time windows.

use specgen_ir::{
    Action, App, Caller, CompareOp, Condition, Decision, Entity, FieldType, Rule, RuleKind,
    TimeWindow, Value,
};

use super::conditions::{condition_steps, present_value, set_line, shortest_path};
use super::helpers::{let_line, new_value};
use super::limits::LimitTest;
use super::overlaps::OverlapTest;
use crate::facts::access::{GrantView, unsettable};
use crate::facts::fields::{settable_on_create, updatable};
use crate::layout;
use crate::names::rust_str;

/// The generated tests of an app's rules (`tests/api/rules.rs`).
#[derive(Debug, Clone, Default)]
pub struct RuleTests {
    pub limits: Vec<LimitTest>,
    pub overlaps: Vec<OverlapTest>,
    pub windows: Vec<WindowTest>,
    pub transitions: Vec<TransitionTest>,
    pub by_role: Vec<ByRoleTest>,
    pub immutables: Vec<ImmutableTest>,
    /// Whether a test uses the `text` sample helper.
    pub uses_text: bool,
}

/// What every test of one rule starts with.
#[derive(Debug, Clone)]
pub struct RuleHead {
    pub line: u32,
    pub message: String,
    /// `let route = "...";`, `let message = "...";` and `let code = "...";`, laid out.
    pub route_line: String,
    pub message_line: String,
    pub code_line: String,
}

impl RuleHead {
    fn new(entity: &Entity, rule: &Rule) -> RuleHead {
        RuleHead {
            line: rule.line,
            message: rule.message.clone(),
            route_line: let_line("route", &entity.route),
            message_line: let_line("message", &rule.message),
            code_line: let_line("code", &rule.code),
        }
    }
}

/// The test of one time window: in time, the actions go through; once the window has closed
/// (the record's time moved back in the database), each is refused and the record stays.
#[derive(Debug, Clone)]
pub struct WindowTest {
    pub head: RuleHead,
    pub test_name: String,
    /// `let open = app.create_x().await;` and `let closed = ...`, laid out.
    pub create_open: String,
    pub create_closed: String,
    /// `close_window(..).await;`, laid out.
    pub close_line: String,
    /// Whether creating is windowed too: a new record naming a time already too close is
    /// refused.
    pub create: bool,
    /// `let mut body = app.x_body().await;`, laid out.
    pub body_line: String,
    /// `    body["starts_at"] = ago(..);`: the windowed time set so the window is open.
    pub early_line: String,
    /// The same, set so the window has closed.
    pub late_line: String,
    pub update: bool,
    pub delete: bool,
    pub read: bool,
}

impl WindowTest {
    /// Whether the create case sets the record's own time (with the `ago` helper); a
    /// window on a referenced record's time moves the parent's instead.
    pub fn sets_own_time(&self) -> bool {
        self.create && !self.early_line.is_empty()
    }
}

/// The test of a status field's transitions, as an admin (who may make every transition).
#[derive(Debug, Clone)]
pub struct TransitionTest {
    pub head: RuleHead,
    pub test_name: String,
    pub field: String,
    /// `let mut body = app.x_body().await;`, laid out, and a value other than the initial
    /// one, when new records must start at the initial value and may set the field.
    pub body_line: String,
    pub not_initial: Option<String>,
    /// `let created = app.create_x().await;`, laid out.
    pub create_line: String,
    /// A value the initial value may not change to, and one it may.
    pub refused: Option<String>,
    pub allowed: Option<String>,
    /// `let sql = "UPDATE .. SET <field> = '<refused>' ..";`, laid out: the same refused
    /// change made straight in the database, which its trigger refuses.
    pub sql_line: Option<String>,
}

impl TransitionTest {
    /// Whether the test expects a refusal (else it only makes an allowed change).
    pub fn refuses(&self) -> bool {
        self.not_initial.is_some() || self.refused.is_some()
    }
}

/// The test of a transition only some roles may make: a caller of another role who may
/// change the record is refused; an admin then makes the same change.
#[derive(Debug, Clone)]
pub struct ByRoleTest {
    pub head: RuleHead,
    pub test_name: String,
    pub field: String,
    pub role: String,
    /// Whether the caller changes only their own records (then they create it).
    pub own: bool,
    /// `let mut body = app.x_body().await;` and `let created = app.create_x().await;`.
    pub body_line: String,
    pub create_line: String,
    /// Lines that remove the fields the caller may not send from `body`: one statement for
    /// one field, a loop over several.
    pub strip_lines: Vec<String>,
    /// The values an admin moves the record through first, after the initial one.
    pub steps: Vec<String>,
    pub to: String,
}

/// The test of an immutability rule, as an admin.
#[derive(Debug, Clone)]
pub struct ImmutableTest {
    pub head: RuleHead,
    pub test_name: String,
    pub field: String,
    /// `let created = app.create_x().await;`, laid out.
    pub create_line: String,
    /// With `once` on a boolean the sample body may already meet: `let mut body = ..;` and
    /// `body["sent"] = json!(false);` lines, so the record starts where the rule does not
    /// hold yet (then `created` is made from `body`).
    pub start_lines: Vec<String>,
    /// Lines that set `value` to a valid new value of the field.
    pub value_lines: Vec<String>,
    /// With `once`: `let step = json!(..);` lines, each a change that brings the record
    /// closer to the condition (the field may change before it holds).
    pub steps: Vec<String>,
    /// `let sql = "UPDATE .. SET <column> = NULL ..";`, laid out: a change made straight in
    /// the database, which its trigger refuses (`None` for a `set empty` reference, which
    /// the trigger lets the database empty).
    pub sql_line: Option<String>,
}

impl RuleTests {
    /// The tests of every row rule of an entity whose bodies the test helpers can make.
    pub fn new(app: &App, creatable: impl Fn(&Entity) -> bool) -> RuleTests {
        let mut tests = RuleTests::default();
        for entity in app.entities.iter().filter(|e| creatable(e)) {
            for rule in &entity.rules {
                match &rule.kind {
                    RuleKind::Limit { .. } => {
                        tests
                            .limits
                            .extend(LimitTest::new(app, entity, rule, &creatable));
                    }
                    RuleKind::NoOverlap { start, end, per } => {
                        tests
                            .overlaps
                            .extend(OverlapTest::new(entity, rule, start, end, per));
                    }
                    _ => {}
                }
                change_tests(app, entity, rule, &mut tests);
            }
        }
        tests
    }

    /// Whether a window test moves a stored record back in time.
    pub fn has_stored_windows(&self) -> bool {
        self.windows.iter().any(|w| w.update || w.delete)
    }

    /// Whether a test sets a field with `json!`.
    pub fn uses_json(&self) -> bool {
        self.limits.iter().any(|l| {
            !l.parent_sets.is_empty()
                || !l.row_sets.is_empty()
                || l.move_test
                || !l.exempt_sets.is_empty()
                || !l.exempt_steps.is_empty()
        }) || self.has_change_tests()
    }

    /// Whether a test writes a refused change straight to the database.
    pub fn writes_directly(&self) -> bool {
        self.transitions.iter().any(|t| t.sql_line.is_some())
            || self.immutables.iter().any(|i| i.sql_line.is_some())
    }

    /// Whether a test names a record by `route/id`.
    pub fn uses_item(&self) -> bool {
        self.has_change_tests()
            || self
                .limits
                .iter()
                .any(|l| l.move_test || !l.exempt_steps.is_empty())
    }

    /// Whether a test sends racing requests (with the `race` and `count` helpers).
    pub fn uses_race(&self) -> bool {
        !(self.limits.is_empty() && self.overlaps.is_empty())
    }

    /// Whether a test expects a rule's refusal (the `assert_violated` helper).
    pub fn uses_violated(&self) -> bool {
        self.uses_race()
            || !(self.windows.is_empty() && self.by_role.is_empty() && self.immutables.is_empty())
            || self.transitions.iter().any(TransitionTest::refuses)
    }

    /// Whether a test counts the records listed per parent (the `listed` helper).
    pub fn uses_listed(&self) -> bool {
        !self.limits.is_empty() || self.overlaps.iter().any(|o| o.first_per.is_some())
    }

    /// Whether there are tests of rules on how a record may change.
    pub fn has_change_tests(&self) -> bool {
        !(self.windows.is_empty()
            && self.transitions.is_empty()
            && self.by_role.is_empty()
            && self.immutables.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.limits.is_empty() && self.overlaps.is_empty() && !self.has_change_tests()
    }
}

/// Adds the tests of one rule on how a record may change (for an entity the tests create).
fn change_tests(app: &App, entity: &Entity, rule: &Rule, tests: &mut RuleTests) {
    let may = |action: Action| {
        app.auth.is_some() || entity.permissions.decide(action, Caller::Anonymous) == Decision::All
    };
    let create_line = |name: &str| {
        layout::awaited(
            4,
            &format!("let {name} = "),
            "app",
            &format!("create_{}()", entity.snake),
            ";",
        )
    };
    let body_line = layout::awaited(
        4,
        "let mut body = ",
        "app",
        &format!("{}_body()", entity.snake),
        ";",
    );
    match &rule.kind {
        RuleKind::Window { actions, window } => {
            let update = actions.contains(&Action::Update) && may(Action::Update);
            let delete = actions.contains(&Action::Delete) && may(Action::Delete);
            // How far back to move the field so the window has closed, and (for a window on
            // create) where a new record's field is in time: an hour further out than needed.
            let (ident, back, early, through) = match window {
                TimeWindow::Within { seconds, field } => (field, *seconds as i64 + 3600, 0, None),
                TimeWindow::Before {
                    seconds: 0,
                    field,
                    through,
                } => (field, 3600, -3600, through.as_ref()),
                // Halfway into the offset: closed, though the field's time is still ahead, so
                // a service that ignored the offset would let it through.
                TimeWindow::Before {
                    seconds,
                    field,
                    through,
                } => (
                    field,
                    -(*seconds as i64) / 2,
                    -(*seconds as i64) - 3600,
                    through.as_ref(),
                ),
            };
            // The record whose time is moved: this one, or the one `through` points at.
            let (timed, reference) = match through {
                None => (entity, None),
                Some(through) => {
                    let Some((reference, target)) = app.referenced(entity, through) else {
                        return;
                    };
                    // The test moves the parent's time straight in the database, which its
                    // own rules may forbid.
                    if !movable(target, ident) {
                        return;
                    }
                    (target, Some(reference))
                }
            };
            let create = actions.contains(&Action::Create)
                && may(Action::Create)
                && match reference {
                    Some(_) => true,
                    None => entity
                        .field(ident)
                        .is_some_and(|f| settable_on_create(f) && movable(entity, ident)),
                };
            if !(create || update || delete) {
                return;
            }
            // `created` is the server's `created_at`, not a field of the spec.
            // A date's window is measured from its start: two days more either way.
            let (column, json, back, early, date) = match timed.field(ident) {
                Some(field) if field.ty == FieldType::Date => (
                    &field.column,
                    &field.json,
                    back.max(0) + 2 * 86_400,
                    early - 2 * 86_400,
                    true,
                ),
                Some(field) => (&field.column, &field.json, back, early, false),
                None if ident == "created_at" => (ident, ident, back, early, false),
                None => return,
            };
            let id_key = rust_str(reference.map_or("id", |r| r.json.as_str()));
            let close = |record: &str| {
                let args = [
                    "&app".to_owned(),
                    rust_str(&timed.table),
                    rust_str(column),
                    format!("&{record}[{id_key}]"),
                    back.to_string(),
                    date.to_string(),
                ];
                layout::call(4, "close_window(", &args, ").await;")
                    .replace("\n    ).await;", "\n    )\n    .await;")
            };
            let (early_line, late_line) = match reference {
                // The parent made with the body is in time; its time moves for the late one.
                Some(_) => (String::new(), close("body")),
                None => (
                    format!("    body[{}] = ago({early}, {date});", rust_str(json)),
                    format!("    body[{}] = ago({back}, {date});", rust_str(json)),
                ),
            };
            tests.windows.push(WindowTest {
                head: RuleHead::new(entity, rule),
                test_name: format!("{}_allows_in_time_and_answers_409_after", rule.code),
                // A blank line between the create case and the stored ones.
                create_open: match create {
                    true => format!("\n{}", create_line("open")),
                    false => create_line("open"),
                },
                create_closed: create_line("closed"),
                close_line: close("closed"),
                create,
                // The body changes only when the record's own time is set.
                body_line: match reference {
                    Some(_) => body_line.replacen("let mut body", "let body", 1),
                    None => body_line.clone(),
                },
                early_line,
                late_line,
                update,
                delete,
                read: may(Action::Read),
            });
        }
        RuleKind::Transitions {
            field,
            initial,
            transitions,
        } => {
            let Some(f) = entity.field(field) else {
                return;
            };
            let FieldType::Enum { values } = &f.ty else {
                return;
            };
            if !may(Action::Update) || !updatable(f) {
                return;
            }
            let start = match (initial, &f.default) {
                (Some(initial), _) => initial.clone(),
                (None, Some(Value::Enum(v))) => v.clone(),
                _ => values.first().cloned().unwrap_or_default(),
            };
            let reachable =
                |from: &str, to: &str| transitions.iter().any(|t| t.from == from && t.to == to);
            let not_initial = initial.as_ref().and_then(|initial| {
                settable_on_create(f)
                    .then(|| values.iter().find(|v| *v != initial).cloned())
                    .flatten()
            });
            let refused = values
                .iter()
                .find(|v| **v != start && !reachable(&start, v))
                .cloned();
            let allowed = transitions
                .iter()
                .find(|t| t.from == start)
                .map(|t| t.to.clone());
            if not_initial.is_none() && refused.is_none() && allowed.is_none() {
                return;
            }
            let sql_line = refused.as_ref().map(|refused| {
                let sql = format!(
                    "UPDATE {} SET {} = {} WHERE id = $1",
                    entity.table,
                    f.column,
                    crate::names::sql_str(refused)
                );
                let_line("sql", &sql)
            });
            tests.transitions.push(TransitionTest {
                head: RuleHead::new(entity, rule),
                test_name: format!("{}_allows_only_the_listed_changes", rule.code),
                field: f.json.clone(),
                body_line: body_line.clone(),
                not_initial,
                create_line: create_line("created"),
                refused,
                allowed,
                sql_line,
            });
            let lines = (body_line, create_line("created"));
            tests.by_role.extend(by_role_test(
                app,
                entity,
                rule,
                (f, &start),
                transitions,
                lines,
            ));
        }
        RuleKind::Immutable { fields, once } => {
            if !may(Action::Update) || !may(Action::Read) {
                return;
            }
            let Some((field, value_lines)) =
                fields.iter().filter_map(|f| entity.field(f)).find_map(|f| {
                    if f.immutable || !updatable(f) {
                        return None;
                    }
                    Some((f, new_value_lines(app, f)?))
                })
            else {
                return;
            };
            let steps = match once {
                None => Vec::new(),
                Some(condition) => match condition_steps(entity, condition) {
                    Some(steps) => steps,
                    None => return,
                },
            };
            // The sample body sets booleans to `true`: start where the condition fails.
            let start_lines = match once {
                Some(Condition {
                    path,
                    op,
                    value: Value::Bool(b),
                }) => match path.as_slice() {
                    [ident] => entity
                        .field(ident)
                        .filter(|f| settable_on_create(f))
                        .map(|f| {
                            let holds = if *op == CompareOp::Eq { *b } else { !*b };
                            vec![body_line.clone(), set_line(&f.json, &Value::Bool(!holds))]
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                },
                // The sample body sets optional fields too: `once .. is set` starts empty,
                // `once .. is empty` with a value.
                Some(Condition {
                    path,
                    op,
                    value: Value::Empty,
                }) => match path.as_slice() {
                    [ident] => entity
                        .field(ident)
                        .filter(|f| settable_on_create(f))
                        .and_then(|f| {
                            let start = match op {
                                CompareOp::Eq => present_value(f)?,
                                _ => "null".to_owned(),
                            };
                            Some(vec![
                                body_line.clone(),
                                format!("    body[{}] = json!({start});", rust_str(&f.json)),
                            ])
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            if value_lines.iter().any(|l| l.contains("text(")) {
                tests.uses_text = true;
            }
            let emptied = matches!(
                field.ty,
                FieldType::Reference {
                    on_delete: specgen_ir::OnDelete::SetNull,
                    ..
                }
            );
            let sql_line = (!emptied).then(|| {
                let sql = format!(
                    "UPDATE {} SET {} = NULL WHERE id = $1",
                    entity.table, field.column
                );
                let_line("sql", &sql)
            });
            tests.immutables.push(ImmutableTest {
                head: RuleHead::new(entity, rule),
                test_name: format!("{}_refuses_a_change", rule.code),
                field: field.json.clone(),
                create_line: create_line("created"),
                start_lines,
                value_lines,
                steps,
                sql_line,
            });
        }
        _ => {}
    }
}

/// Lines that set `value` to a new valid value of `field`.
fn new_value_lines(app: &App, field: &specgen_ir::Field) -> Option<Vec<String>> {
    if let FieldType::Reference { entity: target, .. } = &field.ty {
        let target = app.entity(target)?;
        return Some(vec![
            layout::awaited(
                4,
                "let target = ",
                "app",
                &format!("create_{}()", target.snake),
                ";",
            ),
            "    let value = target[\"id\"].clone();".to_owned(),
        ]);
    }
    let value = new_value(field)?;
    let line = layout::assign(4, "let value", &format!("json!({value})"));
    Some(vec![line])
}

/// The test of the first transition only some roles may make, with a caller of another role
/// who may change the record.
fn by_role_test(
    app: &App,
    entity: &Entity,
    rule: &Rule,
    (field, start): (&specgen_ir::Field, &str),
    transitions: &[specgen_ir::Transition],
    (body_line, create_line): (String, String),
) -> Option<ByRoleTest> {
    let admin = app.admin_role().map(|r| r.name.clone());
    for t in transitions.iter().filter(|t| !t.by.is_empty()) {
        let grant = GrantView::of_field(app, entity, &t.by);
        for role in app.roles.iter().filter(|r| Some(&r.name) != admin.as_ref()) {
            if grant.decide(Some(&role.name)) != Decision::Deny {
                continue;
            }
            let update = entity
                .permissions
                .decide(Action::Update, Caller::Signed(&role.name));
            let create = entity
                .permissions
                .decide(Action::Create, Caller::Signed(&role.name));
            let own = match update {
                Decision::All => false,
                Decision::Own
                    if create != Decision::Deny
                        && entity.owner.is_some()
                        && entity
                            .permissions
                            .people(Action::Update)
                            .contains(&&specgen_ir::Who::Owner) =>
                {
                    true
                }
                _ => continue,
            };
            let Some(mut steps) = shortest_path(start, transitions, &|v: &str| v == t.from) else {
                continue;
            };
            steps.retain(|s| s != start);
            let mut strip: Vec<String> = Vec::new();
            if own {
                if let Some(owner) = entity.owner.as_ref().and_then(|o| entity.field(o)) {
                    strip.push(owner.json.clone());
                }
                strip.extend(unsettable(app, entity, Some(&role.name)));
            }
            let strip_lines = match strip.as_slice() {
                [] => Vec::new(),
                [one] => vec![
                    "    let object = body.as_object_mut().expect(\"an object\");".to_owned(),
                    layout::method_call(4, "", "object", "remove", &[rust_str(one)], ";"),
                ],
                several => {
                    let items: Vec<String> = several.iter().map(|f| rust_str(f)).collect();
                    vec![
                        layout::array(4, "for name in [", &items, "] {"),
                        "        body.as_object_mut().expect(\"an object\").remove(name);"
                            .to_owned(),
                        "    }".to_owned(),
                    ]
                }
            };
            return Some(ByRoleTest {
                head: RuleHead::new(entity, rule),
                test_name: format!(
                    "{}_{}_to_{}_is_not_for_{}",
                    rule.code,
                    t.from,
                    t.to,
                    role.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                ),
                field: field.json.clone(),
                role: role.name.clone(),
                own,
                body_line,
                create_line,
                strip_lines,
                steps,
                to: t.to.clone(),
            });
        }
    }
    None
}

/// Whether a test may move `ident` back in time alone: no comparison rule keeps it later
/// than another field (`ends at after starts at` for `ends_at`) and no immutability rule
/// holds it (the database refuses both).
fn movable(entity: &Entity, ident: &str) -> bool {
    !entity.rules.iter().any(|rule| match &rule.kind {
        RuleKind::Compare { left, op, right } => {
            (left == ident && matches!(op, CompareOp::Gt | CompareOp::Ge))
                || (right == ident && matches!(op, CompareOp::Lt | CompareOp::Le))
        }
        RuleKind::Immutable { fields, .. } => fields.iter().any(|f| f == ident),
        _ => false,
    }) && !entity.field(ident).is_some_and(|f| f.immutable)
}
