//! Row states of the generated access tests: for an entity whose access lines grant rows
//! that meet a condition ("Anyone can read published posts"), the states a record is brought
//! to before each caller acts on it, and which conditions hold in each.
//!
//! The tests need to know, for each state, what every condition says about the record, so
//! the states are values of one field: every row condition of the entity must test the same
//! field of the record itself (`status`), an enumeration, a boolean or an optional field
//! tested for emptiness. Other entities get no row-state tests (`states` is `None`).

use specgen_ir::{CompareOp, Condition, Entity, Field, FieldType, Value};

use super::conditions::{present_value, shortest_path, transitions_of};
use crate::facts::fields::settable_on_create;
use crate::layout;
use crate::names::rust_str;

/// One state of a record under test.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RowState {
    /// For the test's name: `published`, `set`.
    pub(super) name: String,
    /// `json!(..)` bodies of the changes, made by an admin, that bring a new sample record
    /// to this state, in order (none: the sample as created).
    pub(super) steps: Vec<String>,
    /// The field's value in this state (`Value::Empty` for a missing one).
    value: Value,
    ident: String,
}

impl RowState {
    /// Whether `condition` holds on a record in this state; `false` for a condition on
    /// another field (never asked: see [`states`]).
    pub(super) fn holds(&self, condition: &Condition) -> bool {
        if condition.path.as_slice() != [self.ident.clone()] {
            return false;
        }
        let equal = match (&condition.value, &self.value) {
            (Value::Empty, Value::Empty) => true,
            (Value::Empty, _) | (_, Value::Empty) => false,
            (a, b) => a == b,
        };
        match condition.op {
            CompareOp::Eq => equal,
            CompareOp::Ne => !equal,
            _ => false,
        }
    }
}

/// The states that tell the entity's row conditions apart, the sample record's own first;
/// `None` when the entity has no row grants or its conditions are not on one field the
/// tests can set (see the module docs). Each state differs from the others in what at
/// least one condition says.
pub(super) fn states(entity: &Entity) -> Option<Vec<RowState>> {
    let conditions: Vec<&Condition> = entity
        .permissions
        .rows
        .iter()
        .map(|grant| &grant.when)
        .collect();
    let [ident] = conditions.first()?.path.as_slice() else {
        return None;
    };
    if conditions
        .iter()
        .any(|c| c.path.as_slice() != [ident.clone()])
        || conditions
            .iter()
            .any(|c| !matches!(c.op, CompareOp::Eq | CompareOp::Ne))
    {
        return None;
    }
    let field = entity.field(ident).filter(|f| settable_on_create(f))?;
    let start = start_value(field)?;
    let values: Vec<(Value, Vec<String>)> = match &field.ty {
        FieldType::Enum { values } => {
            let Value::Enum(first) = &start else {
                return None;
            };
            let transitions = transitions_of(entity, ident);
            values
                .iter()
                .filter_map(|value| {
                    let path = match transitions {
                        Some(transitions) => shortest_path(first, transitions, &|v| v == value)?,
                        None if value == first => Vec::new(),
                        None => vec![value.clone()],
                    };
                    let steps = path.iter().map(|v| step(field, &rust_str(v))).collect();
                    Some((Value::Enum(value.clone()), steps))
                })
                .collect()
        }
        FieldType::Boolean => [true, false]
            .into_iter()
            .map(|b| {
                let steps = if Value::Bool(b) == start {
                    Vec::new()
                } else {
                    vec![step(field, &b.to_string())]
                };
                (Value::Bool(b), steps)
            })
            .collect(),
        _ if !field.required => {
            let set = present_value(field)?;
            let (empty, present) = if start == Value::Empty {
                (Vec::new(), vec![step(field, &set)])
            } else {
                (vec![step(field, "null")], Vec::new())
            };
            vec![(Value::Empty, empty), (Value::Text(set), present)]
        }
        _ => return None,
    };
    let mut states: Vec<RowState> = values
        .into_iter()
        .map(|(value, steps)| RowState {
            name: state_name(&value),
            steps,
            value,
            ident: ident.clone(),
        })
        .collect();
    // The sample's own state first; then one state per distinct answer of the conditions.
    states.sort_by_key(|state| !state.steps.is_empty());
    let mut distinct: Vec<RowState> = Vec::new();
    for state in states {
        let answers: Vec<bool> = conditions.iter().map(|c| state.holds(c)).collect();
        if !distinct.iter().any(|d| {
            conditions
                .iter()
                .map(|c| d.holds(c))
                .eq(answers.iter().copied())
        }) {
            distinct.push(state);
        }
    }
    (distinct.first()?.steps.is_empty()).then_some(distinct)
}

/// The value the sample body gives `field` (see `helpers::samples`).
fn start_value(field: &Field) -> Option<Value> {
    Some(match &field.ty {
        FieldType::Enum { values } => match &field.default {
            Some(Value::Enum(v) | Value::Text(v)) => Value::Enum(v.clone()),
            _ => Value::Enum(values.first()?.clone()),
        },
        FieldType::Boolean => Value::Bool(true),
        // Optional references are left out of the samples; other fields are sent.
        FieldType::Reference { .. } => Value::Empty,
        _ => Value::Text(present_value(field)?),
    })
}

fn state_name(value: &Value) -> String {
    match value {
        Value::Enum(v) => v.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Empty => "empty".to_owned(),
        _ => "set".to_owned(),
    }
}

/// `json!({ "field": value })`.
fn step(field: &Field, value: &str) -> String {
    format!("json!({{ {}: {value} }})", rust_str(&field.json))
}

/// `let steps = [...];`, laid out.
pub(super) fn steps_line(state: &RowState) -> String {
    layout::array(4, "let steps = [", &state.steps, "];")
}
