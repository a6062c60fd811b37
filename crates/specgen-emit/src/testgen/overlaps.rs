//! The generated tests of one no-overlap rule (`tests/api/rules.rs`): an overlap in the
//! rule's range and scope is refused, another time is not, and of 50 racing overlapping
//! requests on two instances exactly one wins.

use specgen_ir::{Entity, Field, Rule};

use crate::layout;
use crate::names::rust_str;

/// The tests of one no-overlap rule.
#[derive(Debug, Clone)]
pub struct OverlapTest {
    pub code: String,
    pub line: u32,
    pub message: String,
    /// `let route = "...";` and `let message = "...";`, laid out.
    pub route_line: String,
    pub message_line: String,
    pub body_fn: String,
    /// `overlapping[..] = body[..].clone();` for the range and the `per` fields, laid out.
    pub overlapping_sets: Vec<String>,
    /// `later[..] = body[..].clone();` for the `per` fields, laid out.
    pub later_sets: Vec<String>,
    /// The first `per` field's JSON name, if any.
    pub first_per: Option<String>,
}

/// `<name>["<field>"] = body["<field>"].clone();` at four spaces, as rustfmt lays it out.
fn copy_line(name: &str, field: &str) -> String {
    let key = rust_str(field);
    layout::assign(
        4,
        &format!("{name}[{key}]"),
        &format!("body[{key}].clone()"),
    )
}

impl OverlapTest {
    /// The tests of `rule`, a no-overlap of `start..end` per `per` on `entity`; `None` when
    /// a range field is unknown (lowering has reported it).
    pub fn new(
        entity: &Entity,
        rule: &Rule,
        start: &str,
        end: &str,
        per: &[String],
    ) -> Option<OverlapTest> {
        let (start, end) = (entity.field(start)?, entity.field(end)?);
        let per_fields: Vec<&Field> = per.iter().filter_map(|p| entity.field(p)).collect();
        let let_line =
            |name: &str, text: &str| layout::assign(4, &format!("let {name}"), &rust_str(text));
        Some(OverlapTest {
            code: rule.code.clone(),
            line: rule.line,
            message: rule.message.clone(),
            route_line: let_line("route", &entity.route),
            message_line: let_line("message", &rule.message),
            body_fn: format!("{}_body", entity.snake),
            overlapping_sets: [start, end]
                .into_iter()
                .chain(per_fields.iter().copied())
                .map(|f| copy_line("overlapping", &f.json))
                .collect(),
            later_sets: per_fields
                .iter()
                .map(|f| copy_line("later", &f.json))
                .collect(),
            first_per: per_fields.first().map(|f| f.json.clone()),
        })
    }
}
