//! Conditions in the generated rules tests: the `json!` values and steps that make a record
//! meet a rule's condition (`when`, `once`) or not, shared by the limit and the change tests.

use specgen_ir::{CompareOp, Condition, Entity, FieldType, RuleKind, Value};

use super::helpers::int_literal;
use crate::layout;
use crate::names::rust_str;

/// `    body["field"] = json!(value);`
pub(super) fn set_line(json: &str, value: &Value) -> String {
    format!(
        "    body[{}] = json!({});",
        rust_str(json),
        json_literal(value)
    )
}

/// A value as a `json!` argument.
pub(super) fn json_literal(value: &Value) -> String {
    match value {
        Value::Text(text) | Value::Enum(text) => rust_str(text),
        Value::Integer(n) | Value::Money(n) => n.to_string(),
        Value::Decimal(n) => crate::names::rust_f64(*n),
        Value::Bool(b) => b.to_string(),
        Value::Now | Value::Empty => "null".to_owned(),
    }
}

/// A value of `ty` for which `field op value` does not hold, when one is easy to name.
pub(super) fn other_value(ty: &FieldType, value: &Value, op: CompareOp) -> Option<Value> {
    if op != CompareOp::Eq {
        return None;
    }
    match (ty, value) {
        (FieldType::Enum { values }, Value::Enum(v)) => values
            .iter()
            .find(|x| *x != v)
            .map(|x| Value::Enum(x.clone())),
        (FieldType::Boolean, Value::Bool(b)) => Some(Value::Bool(!b)),
        _ => None,
    }
}

/// `let step = json!(..);` lines that bring a new record to where `condition` holds: along
/// the shortest path of a transitions rule when the condition is on its field, else by
/// setting the field. `None` when no such changes are known.
pub(super) fn condition_steps(entity: &Entity, condition: &Condition) -> Option<Vec<String>> {
    let [ident] = condition.path.as_slice() else {
        return None;
    };
    let field = entity.field(ident)?;
    let holds = |value: &str| match (&condition.value, condition.op) {
        (Value::Enum(v), CompareOp::Eq) => value == v,
        (Value::Enum(v), CompareOp::Ne) => value != v,
        _ => false,
    };
    let transitions = transitions_of(entity, ident);
    let step = |value: &str| {
        layout::assign(
            4,
            "let step",
            &format!(
                "json!({{ {}: {} }})",
                rust_str(&field.json),
                rust_str(value)
            ),
        )
    };
    if condition.value == Value::Empty {
        let value = match condition.op {
            CompareOp::Eq => "null".to_owned(),
            _ => present_value(field)?,
        };
        return Some(vec![layout::assign(
            4,
            "let step",
            &format!("json!({{ {}: {value} }})", rust_str(&field.json)),
        )]);
    }
    match (&field.ty, transitions) {
        (FieldType::Enum { values }, Some(transitions)) => {
            let start = match &field.default {
                Some(Value::Enum(v)) => v.clone(),
                _ => values.first()?.clone(),
            };
            let path = shortest_path(&start, transitions, &holds)?;
            Some(path.iter().map(|v| step(v)).collect())
        }
        (FieldType::Enum { values }, None) => {
            let target = values.iter().find(|v| holds(v))?;
            Some(vec![step(target)])
        }
        (FieldType::Boolean, None) => {
            let Value::Bool(b) = condition.value else {
                return None;
            };
            let value = if condition.op == CompareOp::Eq { b } else { !b };
            Some(vec![layout::assign(
                4,
                "let step",
                &format!("json!({{ {}: {value} }})", rust_str(&field.json)),
            )])
        }
        _ => None,
    }
}

/// The transitions rule on field `ident` of `entity`, if it has one.
pub(crate) fn transitions_of<'e>(
    entity: &'e Entity,
    ident: &str,
) -> Option<&'e [specgen_ir::Transition]> {
    entity.rules.iter().find_map(|rule| match &rule.kind {
        RuleKind::Transitions {
            field, transitions, ..
        } if field == ident => Some(transitions.as_slice()),
        _ => None,
    })
}

/// The values after `start`, one transition at a time, to the nearest value where `goal`
/// holds (empty when it holds at `start`).
pub(super) fn shortest_path(
    start: &str,
    transitions: &[specgen_ir::Transition],
    goal: &dyn Fn(&str) -> bool,
) -> Option<Vec<String>> {
    let mut paths: Vec<Vec<String>> = vec![vec![start.to_owned()]];
    let mut seen = vec![start.to_owned()];
    while !paths.is_empty() {
        let mut next = Vec::new();
        for path in paths {
            let last = path.last()?;
            if goal(last) {
                return Some(path[1..].to_vec());
            }
            for t in transitions.iter().filter(|t| &t.from == last) {
                if !seen.contains(&t.to) {
                    seen.push(t.to.clone());
                    let mut longer = path.clone();
                    longer.push(t.to.clone());
                    next.push(longer);
                }
            }
        }
        paths = next;
    }
    None
}

/// A value `field` accepts, as a `json!` argument that needs no helper: what `is set`
/// conditions are met with. `None` for references (their records must be made first).
pub(super) fn present_value(field: &specgen_ir::Field) -> Option<String> {
    Some(match &field.ty {
        FieldType::Text { min_length, .. } => rust_str(&"x".repeat((*min_length).max(1) as usize)),
        FieldType::Integer { min, max } | FieldType::Money { min, max } => {
            let value = min.unwrap_or(1).max(1);
            int_literal(max.map_or(value, |max| value.min(max)))
        }
        FieldType::Decimal { min, max } => {
            let value = min.unwrap_or(1.0).max(1.0);
            crate::names::rust_f64(max.map_or(value, |max| value.min(max)))
        }
        FieldType::Boolean => "true".to_owned(),
        FieldType::Date => rust_str("2030-01-01"),
        FieldType::DateTime => rust_str("2030-01-01T00:00:00Z"),
        FieldType::Email => rust_str("set@example.com"),
        FieldType::Url => rust_str("https://example.com/set"),
        FieldType::Uuid => rust_str("00000000-0000-7000-8000-000000000001"),
        FieldType::Json => "{ \"set\": true }".to_owned(),
        FieldType::Enum { values } => rust_str(values.first()?),
        FieldType::Reference { .. } => return None,
    })
}
