//! The shared helpers of the generated API tests (`tests/api/helpers.rs`): a valid sample
//! body per entity, the entities one can be built for, and values for update tests.

use std::collections::BTreeMap;

use specgen_ir::{App, CompareOp, Entity, Field, FieldType, LimitMax, RuleKind, Value};

use crate::facts::fields::settable_on_create;
use crate::layout;
use crate::names::{rust_f64, rust_str};

/// `tests/api/helpers.rs`: one body builder per entity.
#[derive(Debug, Clone)]
pub struct HelpersView {
    pub bodies: Vec<BodyView>,
}

#[derive(Debug, Clone)]
pub struct BodyView {
    /// `let body = self.<snake>_body().await;`, laid out.
    pub body_line: String,
    pub snake: String,
    pub words: String,
    pub route: String,
    /// Whether a body can be built (no cycle of required references).
    pub creatable: bool,
    pub uses_n: bool,
    /// The `json!` object, indented for the body function.
    pub json: String,
}

impl HelpersView {
    pub fn new(app: &App) -> HelpersView {
        let creatable = creatable(app);
        let bodies = app
            .entities
            .iter()
            .map(|entity| {
                let samples = samples(app, entity);
                let uses_n = samples.iter().any(|(_, value)| uses_counter(value));
                let json = if samples.is_empty() {
                    "        json!({})".to_owned()
                } else {
                    let lines: Vec<String> = samples
                        .iter()
                        .map(|(json, value)| format!("            {}: {value},", rust_str(json)))
                        .collect();
                    format!("        json!({{\n{}\n        }})", lines.join("\n"))
                };
                BodyView {
                    body_line: layout::awaited(
                        8,
                        "let body = ",
                        "self",
                        &format!("{}_body()", entity.snake),
                        ";",
                    ),
                    snake: entity.snake.clone(),
                    words: entity.words.clone(),
                    route: entity.route.clone(),
                    creatable: creatable.get(&entity.name).copied().unwrap_or(false),
                    uses_n,
                    json,
                }
            })
            .collect();
        HelpersView { bodies }
    }
}

/// Which entities a valid body can be built for: those whose required references do not
/// lead back to themselves.
pub(super) fn creatable(app: &App) -> BTreeMap<String, bool> {
    fn visit(app: &App, name: &str, path: &mut Vec<String>) -> bool {
        if path.iter().any(|p| p == name) {
            return false;
        }
        let Some(entity) = app.entity(name) else {
            return false;
        };
        path.push(name.to_owned());
        let ok = entity.fields.iter().all(|f| match &f.ty {
            FieldType::Reference { entity: target, .. } if f.required && settable_on_create(f) => {
                visit(app, target, path)
            }
            _ => true,
        });
        path.pop();
        ok
    }
    app.entities
        .iter()
        .map(|e| (e.name.clone(), visit(app, &e.name, &mut Vec::new())))
        .collect()
}

/// The sample body of an entity: `(json name, Rust expression)` for every field a client
/// sends, except optional references (left out so samples never recurse).
pub(super) fn samples(app: &App, entity: &Entity) -> Vec<(String, String)> {
    let ranks = ranks(entity);
    entity
        .fields
        .iter()
        .filter(|f| settable_on_create(f))
        .filter_map(|f| {
            if limits_with_most(app, entity, f) {
                // The most of a limit on another entity's rows: as large as it may be in
                // the samples, so tests of other rules can add rows freely; the limit's own
                // tests set it.
                if let FieldType::Integer { max, .. } = f.ty {
                    return Some((f.json.clone(), int_literal(max.unwrap_or(1_000_000))));
                }
            }
            let rank = ranks.get(&f.ident).copied().unwrap_or(0);
            sample(app, f, rank).map(|value| (f.json.clone(), value))
        })
        .collect()
}

/// Whether a limit reads its most from `field` of `entity` (`at most event.capacity per
/// event`).
fn limits_with_most(app: &App, entity: &Entity, field: &Field) -> bool {
    app.entities.iter().any(|child| {
        child.rules.iter().any(|rule| match &rule.kind {
            RuleKind::Limit {
                max: LimitMax::Field(most),
                per,
                ..
            } => {
                *most == field.ident
                    && child.field(per).is_some_and(|p| {
                        matches!(&p.ty, FieldType::Reference { entity: target, .. } if *target == entity.name)
                    })
            }
            _ => false,
        })
    })
}

fn sample(app: &App, field: &Field, rank: i64) -> Option<String> {
    Some(match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => format!("text(n, {min_length}, {max_length})"),
        FieldType::Email => "format!(\"user{n}@example.com\")".to_owned(),
        FieldType::Url => "format!(\"https://example.com/{n}\")".to_owned(),
        FieldType::Integer { min, max } | FieldType::Money { min, max } => {
            if field.unique {
                format!(
                    "integer(n, {}, {})",
                    min.unwrap_or(0),
                    max.unwrap_or(i64::MAX)
                )
            } else {
                let start = min.unwrap_or(1);
                let value = start.saturating_add(rank);
                int_literal(max.map_or(value, |max| value.min(max)))
            }
        }
        FieldType::Decimal { min, max } => {
            let start = min.map_or(1.5, |m| m + 0.5);
            let value = start + rank as f64;
            rust_f64(max.map_or(value, |max| value.min(max)))
        }
        FieldType::Boolean => "true".to_owned(),
        FieldType::Date => format!("date(n, {rank})"),
        FieldType::DateTime => format!("datetime(n, {rank})"),
        FieldType::Uuid => "Uuid::now_v7()".to_owned(),
        FieldType::Json => "json!({ \"sample\": n })".to_owned(),
        FieldType::Enum { values } => {
            let value = match &field.default {
                Some(Value::Enum(v) | Value::Text(v)) => v.clone(),
                _ => values.first()?.clone(),
            };
            rust_str(&value)
        }
        FieldType::Reference { entity, .. } => {
            if !field.required {
                return None;
            }
            match &field.required_role {
                // An account with the role the reference asks for.
                Some(role) => format!("self.caller({}).await.id", rust_str(role)),
                None => {
                    let target = app.entity(entity)?;
                    format!("self.create_{}().await[\"id\"]", target.snake)
                }
            }
        }
    })
}

fn uses_counter(expression: &str) -> bool {
    expression.contains("(n,") || expression.contains("{n}") || expression.contains(": n }")
}

/// Ranks that make the samples satisfy the entity's comparison rules: a field that must be
/// greater than another gets a higher rank, hence a later time or larger number. The end of
/// a no-overlap range ranks above its start too: an empty range overlaps nothing, so a
/// sample with both equal could not show the rule.
fn ranks(entity: &Entity) -> BTreeMap<String, i64> {
    let mut ranks: BTreeMap<String, i64> = BTreeMap::new();
    for _ in 0..entity.rules.len() + 1 {
        for rule in &entity.rules {
            let (left, op, right) = match &rule.kind {
                RuleKind::Compare { left, op, right } => (left, op, right),
                RuleKind::NoOverlap { start, end, .. } => (end, &CompareOp::Gt, start),
                _ => continue,
            };
            let l = ranks.get(left).copied().unwrap_or(0);
            let r = ranks.get(right).copied().unwrap_or(0);
            match op {
                CompareOp::Gt | CompareOp::Ge if l <= r => {
                    ranks.insert(left.clone(), r + 1);
                }
                CompareOp::Lt | CompareOp::Le if r <= l => {
                    ranks.insert(right.clone(), l + 1);
                }
                _ => {}
            }
        }
    }
    ranks
}

/// A valid value different from the sample, for the update test.
pub(super) fn new_value(field: &Field) -> Option<String> {
    Some(match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => {
            format!("text(app.next() + 1000, {min_length}, {max_length})")
        }
        FieldType::Email => "format!(\"changed{}@example.com\", app.next())".to_owned(),
        FieldType::Url => "format!(\"https://example.com/changed/{}\", app.next())".to_owned(),
        FieldType::Boolean => "false".to_owned(),
        FieldType::Enum { values } if values.len() > 1 => {
            let current = match &field.default {
                Some(Value::Enum(v) | Value::Text(v)) => v.clone(),
                _ => values[0].clone(),
            };
            rust_str(values.iter().find(|v| **v != current)?)
        }
        _ => return None,
    })
}

/// An integer literal, typed `i64` when it does not fit the default `i32`.
pub(super) fn int_literal(value: i64) -> String {
    if i32::try_from(value).is_ok() {
        value.to_string()
    } else {
        format!("{value}_i64")
    }
}

/// `    let name = "text";`, laid out as rustfmt does.
pub(super) fn let_line(name: &str, text: &str) -> String {
    layout::assign(4, &format!("let {name}"), &rust_str(text))
}

/// `<head>(a, b), (c, d)<tail>` inside a struct literal at `indent`: the array on one
/// line when it fits, else one tuple per line.
pub(super) fn tuple_list(indent: usize, head: &str, items: &[Vec<String>], tail: &str) -> String {
    let tuples: Vec<String> = items
        .iter()
        .map(|parts| format!("({})", parts.join(", ")))
        .collect();
    let one_line = layout::array(indent, head, &tuples, tail);
    if !one_line.contains('\n') || items.is_empty() {
        return one_line;
    }
    let lines: Vec<String> = items
        .iter()
        .map(|parts| layout::call(indent + 4, "(", parts, "),"))
        .collect();
    format!(
        "{pad}{head}\n{}\n{pad}{tail}",
        lines.join("\n"),
        pad = " ".repeat(indent)
    )
}

/// `let cases = [...];` of tuples, laid out as rustfmt does: on one line when it fits, else
/// one tuple per line, and a tuple too wide for a line one element per line.
pub(super) fn tuples(cases: &[Vec<String>]) -> String {
    let items: Vec<String> = cases
        .iter()
        .map(|parts| format!("({})", parts.join(", ")))
        .collect();
    let one_line = layout::array(4, "let cases = [", &items, "];");
    if !one_line.contains('\n') {
        return one_line;
    }
    // rustfmt keeps a lone item on the line whenever the line fits.
    if let [item] = items.as_slice()
        && layout::fits(4, &["let cases = [", item, "];"])
    {
        return format!("    let cases = [{item}];");
    }
    let lines: Vec<String> = cases
        .iter()
        .map(|parts| layout::call(8, "(", parts, "),"))
        .collect();
    format!("    let cases = [\n{}\n    ];", lines.join("\n"))
}

/// The code that refuses every change of the owner field `owner`: the field's `immutable`
/// option, or an immutability rule without `once`.
pub(super) fn owner_fixed_by(entity: &Entity, owner: &str) -> Option<String> {
    if entity.field(owner).is_some_and(|f| f.immutable) {
        return Some("immutable".to_owned());
    }
    entity.rules.iter().find_map(|rule| match &rule.kind {
        RuleKind::Immutable { fields, once: None } if fields.iter().any(|f| f == owner) => {
            Some(rule.code.clone())
        }
        _ => None,
    })
}
