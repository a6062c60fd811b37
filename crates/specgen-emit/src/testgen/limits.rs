//! The generated tests of one limit (`tests/api/rules.rs`): it allows the most then
//! answers 409, holds when 50 requests race on two instances, refuses a move under a full
//! parent, counts only where its condition holds, and follows a most read from the parent.

use specgen_ir::{
    App, CompareOp, Condition, Entity, Field, FieldType, LimitMax, Rule, RuleKind, Value,
};

use super::conditions::{condition_steps, json_literal, other_value, present_value, set_line};
use super::helpers::let_line;
use crate::facts::fields::{settable_on_create, updatable};
use crate::layout;
use crate::names::rust_str;

/// The tests of one limit.
#[derive(Debug, Clone)]
pub struct LimitTest {
    pub code: String,
    pub line: u32,
    pub message: String,
    /// `let route = "...";` and `let message = "...";`, laid out.
    pub route_line: String,
    pub message_line: String,
    /// `let route = "...";` of the parent's route, laid out.
    pub parent_route_line: String,
    pub max: u32,
    /// Requests of the race the limit refuses (50 - max).
    pub refused: u32,
    /// The helper that makes a valid body (`booking_body`).
    pub body_fn: String,
    pub per_json: String,
    pub parent_body_fn: String,
    /// `body["plan"] = json!("free");` lines for the parent and the row.
    pub parent_sets: Vec<String>,
    pub row_sets: Vec<String>,
    /// Whether a test moves a record under a parent at the limit (the reference may change).
    pub move_test: bool,
    /// For a condition on the parent: lines that make a parent the rule leaves out, and
    /// `let change = json!(..);` that brings it under the rule.
    pub exempt_sets: Vec<String>,
    pub held_change: Option<String>,
    /// For a most read from the parent (`at most event.capacity per event`): lowering it
    /// below the rows it holds is refused, raising it lets one more in.
    pub most_change: Option<MostChange>,
    /// For a condition on the row: `let step = json!(..);` lines that take a record out of it.
    pub exempt_steps: Vec<String>,
    /// `let parents = "...";`: the parent's route, laid out.
    pub parents_line: String,
    /// The references counted per besides `per_json` (`at most 4 per buyer per event`).
    pub also: Vec<AlsoPer>,
    /// `, &group` when there are such references: the bodies' helper takes their records.
    pub group_arg: String,
    /// The signature of the bodies' helper when it takes `group`, laid out.
    pub group_body_sig: String,
    /// `assert_violated(&response, 409, "<code>", message);`, laid out.
    pub violated_line: String,
}

/// The change of a parent's most in the tests of a limit read from it.
#[derive(Debug, Clone)]
pub struct MostChange {
    /// The parent field's JSON name.
    pub json: String,
    pub lower: u32,
    pub raise: u32,
}

/// The most the tests give a limit read from a parent's field: 3, or the nearest value
/// its range allows below 50 (`None` when none does).
fn test_most(field: &Field) -> Option<u32> {
    (1..50)
        .find(|n| test_most_fits(field, *n) && *n >= 3)
        .or_else(|| (1..50).find(|n| test_most_fits(field, *n) && test_most_fits(field, n + 1)))
}

/// Whether the whole-number field `field` accepts `n` and `n + 1`.
fn test_most_fits(field: &Field, n: u32) -> bool {
    let FieldType::Integer { min, max } = field.ty else {
        return false;
    };
    let n = i64::from(n);
    n >= 1 && min.is_none_or(|min| n >= min) && max.is_none_or(|max| n < max)
}

/// A reference a limit counts per after its first: its JSON name and the helper's name
/// that makes its record (`create_<target_snake>`).
#[derive(Debug, Clone)]
pub struct AlsoPer {
    pub json: String,
    pub target_snake: String,
}

impl LimitTest {
    /// The tests of the limit `rule` of `entity`, when the test helpers can make the
    /// records it counts and counts per (`creatable`).
    pub(super) fn new(
        app: &App,
        entity: &Entity,
        rule: &Rule,
        creatable: &dyn Fn(&Entity) -> bool,
    ) -> Option<LimitTest> {
        let RuleKind::Limit {
            max: most,
            per,
            also_per,
            when,
        } = &rule.kind
        else {
            return None;
        };
        let per_field = entity.field(per)?;
        let FieldType::Reference { entity: target, .. } = &per_field.ty else {
            return None;
        };
        let parent = app.entity(target).filter(|p| creatable(p))?;
        // A most read from the parent: the tests give it a small value.
        let (max, most_field) = match most {
            LimitMax::Count(n) if *n < 50 => (*n, None),
            LimitMax::Count(_) => return None,
            LimitMax::Field(ident) => {
                let field = parent.field(ident).filter(|f| settable_on_create(f))?;
                let max = test_most(field)?;
                (max, Some(field))
            }
        };
        let max = &max;
        let also: Option<Vec<AlsoPer>> = also_per
            .iter()
            .map(|ident| {
                let field = entity.field(ident)?;
                let FieldType::Reference { entity: target, .. } = &field.ty else {
                    return None;
                };
                let target = app.entity(target).filter(|t| creatable(t))?;
                Some(AlsoPer {
                    json: field.json.clone(),
                    target_snake: target.snake.clone(),
                })
            })
            .collect();
        let also = also?;
        let (mut parent_sets, mut row_sets) = (Vec::new(), Vec::new());
        let mut most_change = None;
        if let Some(field) = most_field {
            parent_sets.push(format!(
                "    body[{}] = json!({max});",
                rust_str(&field.json)
            ));
            if updatable(field) && test_most_fits(field, max - 1) {
                most_change = Some(MostChange {
                    json: field.json.clone(),
                    lower: max - 1,
                    raise: max + 1,
                });
            }
        }
        if let Some(condition) = when
            && condition.op == CompareOp::Ne
            && condition.value == Value::Empty
            && let [field] = condition.path.as_slice()
            && let Some(f) = entity.field(field)
            && let Some(present) = present_value(f)
        {
            // `when returned at is set`: the rows the limit counts hold a value.
            row_sets.push(format!(
                "    body[{}] = json!({present});",
                rust_str(&f.json)
            ));
        }
        if let Some(condition) = when
            && condition.op == CompareOp::Eq
        {
            match condition.path.as_slice() {
                [field] => {
                    if let Some(f) = entity.field(field) {
                        row_sets.push(set_line(&f.json, &condition.value));
                    }
                }
                [reference, field] if reference == per => {
                    if let Some(f) = parent.field(field) {
                        parent_sets.push(set_line(&f.json, &condition.value));
                    }
                }
                _ => {}
            }
        }
        // A move under a full parent: when the reference may change.
        let fixed = per_field.immutable
            || entity.rules.iter().any(|r| {
                matches!(&r.kind, RuleKind::Immutable { fields, once: None }
                    if fields.contains(per))
            });
        let move_test = updatable(per_field) && !fixed;
        // Rows the condition leaves out are not counted.
        let (mut exempt_sets, mut held_change, mut exempt_steps) = (Vec::new(), None, Vec::new());
        if let Some(condition) = when {
            match condition.path.as_slice() {
                [reference, field] if reference == per => {
                    let target_field = parent.field(field).filter(|f| updatable(f));
                    let other = target_field
                        .and_then(|f| other_value(&f.ty, &condition.value, condition.op));
                    if let (Some(f), Some(other)) = (target_field, other)
                        && condition.op == CompareOp::Eq
                    {
                        exempt_sets.push(set_line(&f.json, &other));
                        held_change = Some(layout::assign(
                            4,
                            "let change",
                            &format!(
                                "json!({{ {}: {} }})",
                                rust_str(&f.json),
                                json_literal(&condition.value)
                            ),
                        ));
                    }
                }
                [_] => {
                    let negated = Condition {
                        path: condition.path.clone(),
                        op: condition.op.negated(),
                        value: condition.value.clone(),
                    };
                    if let Some(steps) = condition_steps(entity, &negated) {
                        exempt_steps = steps;
                    }
                }
                _ => {}
            }
        }
        let group_arg = if also.is_empty() {
            String::new()
        } else {
            ", &group".to_owned()
        };
        let group_body_sig = layout::signature(
            0,
            &format!("async fn {}_body(", rule.code),
            &[
                "app: &TestApp".to_owned(),
                "parent: &Value".to_owned(),
                "group: &Value".to_owned(),
            ],
            ") -> Value {",
        );
        let violated_line = layout::call(
            4,
            "assert_violated(",
            &[
                "&response".to_owned(),
                "409".to_owned(),
                rust_str(&rule.code),
                "message".to_owned(),
            ],
            ");",
        );
        Some(LimitTest {
            also,
            group_arg,
            group_body_sig,
            violated_line,
            move_test,
            exempt_sets,
            held_change,
            most_change,
            exempt_steps,
            parents_line: let_line("parents", &parent.route),
            code: rule.code.clone(),
            line: rule.line,
            message: rule.message.clone(),
            route_line: let_line("route", &entity.route),
            message_line: let_line("message", &rule.message),
            parent_route_line: let_line("route", &parent.route),
            max: *max,
            refused: 50 - max,
            body_fn: format!("{}_body", entity.snake),
            per_json: per_field.json.clone(),
            parent_body_fn: format!("{}_body", parent.snake),
            parent_sets,
            row_sets,
        })
    }
}
