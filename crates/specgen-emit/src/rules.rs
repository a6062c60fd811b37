//! Rules that depend on other rows (limits, no overlap): the SQL the generated service runs
//! inside the write's transaction, and the views of their generated tests.
//!
//! Every check binds only the written row's id (`$1`) and reads the row back, so one generic
//! runtime (`templates/backend/src/rules.rs`) runs them for every entity on both databases.

use specgen_ir::{App, CompareOp, Condition, Entity, FieldType, Rule, RuleKind};

use crate::layout;
use crate::names::rust_str;
use crate::sql::{self, Dialect};

/// Whether the rule is checked by the generated code inside the write transaction.
pub fn is_row_rule(rule: &Rule) -> bool {
    matches!(
        rule.kind,
        RuleKind::Limit { .. } | RuleKind::NoOverlap { .. }
    )
}

/// `const RULES: &[rules::RowRule] = &[...];`, laid out as rustfmt does; `None` when the
/// entity has no such rules.
pub fn row_rules_const(app: &App, entity: &Entity) -> Option<String> {
    let rules: Vec<&Rule> = entity.rules.iter().filter(|r| is_row_rule(r)).collect();
    if rules.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut names = Vec::new();
    for rule in rules {
        let (lock, violated, fields) = rule_sql(app, entity, rule);
        let fields: Vec<String> = fields.iter().map(|f| rust_str(f)).collect();
        let name = rule.code.to_uppercase();
        out.push_str(&format!(
            "/// Line {}, `{}`: {}\nconst {name}: rules::RowRule = rules::RowRule {{\n",
            rule.line, rule.code, rule.message
        ));
        out.push_str(&layout::field_init(4, "code", &rust_str(&rule.code)));
        out.push('\n');
        out.push_str(&layout::field_init(4, "message", &rust_str(&rule.message)));
        out.push('\n');
        out.push_str(&layout::array(4, "fields: &[", &fields, "],"));
        out.push('\n');
        match lock {
            Some(lock) => {
                out.push_str("    lock: Some(\n");
                out.push_str(&string_field(8, "", &lock, ","));
                out.push_str("    ),\n");
            }
            None => out.push_str("    lock: None,\n"),
        }
        out.push_str(&string_field(4, "violated: ", &violated, ","));
        out.push_str("};\n\n");
        names.push(name);
    }
    out.push_str(
        "/// The rules checked inside the write's transaction, after the row is written: each\n\
         /// query answers a row when the written row (`$1`) breaks the rule.\n",
    );
    out.push_str(&layout::array(
        0,
        "const RULES: &[rules::RowRule] = &[",
        &names,
        "];",
    ));
    Some(out)
}

/// `head"\` at `indent`, then the SQL in continued lines, closed with `"tail`.
fn string_field(indent: usize, head: &str, sql: &str, tail: &str) -> String {
    let pad = " ".repeat(indent);
    let mut out = format!("{pad}{head}\"\\\n");
    let lines = wrap(sql);
    let last = lines.len() - 1;
    for (i, line) in lines.iter().enumerate() {
        if i == last {
            out.push_str(&format!("{pad}    {line}\"{tail}\n"));
        } else {
            out.push_str(&format!("{pad}    {line} \\\n"));
        }
    }
    out
}

/// SQL words in lines of at most 80 characters.
fn wrap(sql: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in sql.split(' ') {
        if !current.is_empty() && current.len() + 1 + word.len() > 80 {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

/// The PostgreSQL lock statement (when any), the violation query and the request fields.
fn rule_sql(app: &App, entity: &Entity, rule: &Rule) -> (Option<String>, String, Vec<String>) {
    let table = &entity.table;
    let column = |ident: &str| {
        entity
            .field(ident)
            .map_or(ident.to_owned(), |f| f.column.clone())
    };
    let json = |ident: &str| {
        entity
            .field(ident)
            .map_or(ident.to_owned(), |f| f.json.clone())
    };
    match &rule.kind {
        RuleKind::Limit { max, per, when } => {
            let per_column = column(per);
            let mut counted = format!("o.{per_column} = n.{per_column}");
            let mut applies = String::new();
            if let Some(condition) = when {
                counted.push_str(&format!(
                    " AND {}",
                    condition_sql(app, entity, condition, "o")
                ));
                applies = format!(" AND {}", condition_sql(app, entity, condition, "n"));
            }
            let parent = match &entity.field(per).map(|f| &f.ty) {
                Some(FieldType::Reference { entity: target, .. }) => app
                    .entity(target)
                    .map_or(target.clone(), |t| t.table.clone()),
                _ => table.clone(),
            };
            // FOR NO KEY UPDATE: serializes the checks of one parent without waiting for the
            // FOR KEY SHARE locks that foreign keys take on it (FOR UPDATE would deadlock).
            let lock = format!(
                "SELECT 1 FROM {parent} WHERE id = (SELECT {per_column} FROM {table} WHERE id = $1) \
                 FOR NO KEY UPDATE"
            );
            let violated = format!(
                "SELECT 1 FROM {table} n WHERE n.id = $1{applies} AND (SELECT COUNT(*) FROM {table} o \
                 WHERE {counted}) > {max}"
            );
            (Some(lock), violated, vec![json(per)])
        }
        RuleKind::NoOverlap { start, end, per } => {
            let (start, end) = (column(start), column(end));
            let mut join = String::from("o.id <> n.id");
            for p in per {
                let c = column(p);
                join.push_str(&format!(" AND o.{c} = n.{c}"));
            }
            let violated = format!(
                "SELECT 1 FROM {table} n JOIN {table} o ON {join} WHERE n.id = $1 \
                 AND o.{start} < n.{end} AND n.{start} < o.{end} LIMIT 1"
            );
            let mut fields: Vec<String> = per.iter().map(|p| json(p)).collect();
            fields.extend([
                json_of(entity, &rule.kind, true),
                json_of(entity, &rule.kind, false),
            ]);
            (None, violated, fields)
        }
        _ => (None, String::new(), Vec::new()),
    }
}

fn json_of(entity: &Entity, kind: &RuleKind, start: bool) -> String {
    let RuleKind::NoOverlap {
        start: s, end: e, ..
    } = kind
    else {
        return String::new();
    };
    let ident = if start { s } else { e };
    entity
        .field(ident)
        .map_or(ident.clone(), |f| f.json.clone())
}

/// A condition on the row `alias`, looking through one reference when the path says so.
fn condition_sql(app: &App, entity: &Entity, condition: &Condition, alias: &str) -> String {
    let op = match condition.op {
        CompareOp::Eq => "=",
        other => other.symbol(),
    };
    match condition.path.as_slice() {
        [field] => {
            let f = entity.field(field);
            let column = f.map_or(field.clone(), |f| f.column.clone());
            let value = f
                .and_then(|f| sql::literal(&f.ty, &condition.value))
                .unwrap_or_default();
            format!("{alias}.{column} {op} {value}")
        }
        [reference, field] => {
            let r = entity.field(reference);
            let ref_column = r.map_or(reference.clone(), |r| r.column.clone());
            let target = match r.map(|r| &r.ty) {
                Some(FieldType::Reference { entity: t, .. }) => app.entity(t),
                _ => None,
            };
            let (table, column, value) = match target.and_then(|t| Some((t, t.field(field)?))) {
                Some((t, f)) => (
                    t.table.clone(),
                    f.column.clone(),
                    sql::literal(&f.ty, &condition.value).unwrap_or_default(),
                ),
                None => (String::new(), field.clone(), String::new()),
            };
            format!(
                "EXISTS (SELECT 1 FROM {table} p WHERE p.id = {alias}.{ref_column} AND p.{column} \
                 {op} {value})"
            )
        }
        _ => "TRUE".to_owned(),
    }
}

/// Whether an SQL dialect needs the `btree_gist` extension for the app's exclusion constraints.
pub fn needs_btree_gist(app: &App, dialect: Dialect) -> bool {
    dialect == Dialect::Postgres
        && app.entities.iter().any(|e| {
            e.rules
                .iter()
                .any(|r| matches!(r.kind, RuleKind::NoOverlap { .. }))
        })
}

/// The generated tests of an app's row rules (`tests/api/rules.rs`).
#[derive(Debug, Clone, Default)]
pub struct RuleTests {
    pub limits: Vec<LimitTest>,
    pub overlaps: Vec<OverlapTest>,
}

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
}

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
    /// The `per` fields' JSON names.
    pub per: Vec<String>,
}

impl RuleTests {
    /// The tests of every row rule of an entity whose bodies the test helpers can make.
    pub fn new(app: &App, creatable: impl Fn(&Entity) -> bool) -> RuleTests {
        let mut tests = RuleTests::default();
        for entity in app.entities.iter().filter(|e| creatable(e)) {
            for rule in &entity.rules {
                match &rule.kind {
                    RuleKind::Limit { max, per, when } if *max < 50 => {
                        let Some(per_field) = entity.field(per) else {
                            continue;
                        };
                        let FieldType::Reference { entity: target, .. } = &per_field.ty else {
                            continue;
                        };
                        let Some(parent) = app.entity(target).filter(|p| creatable(p)) else {
                            continue;
                        };
                        let (mut parent_sets, mut row_sets) = (Vec::new(), Vec::new());
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
                        tests.limits.push(LimitTest {
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
                        });
                    }
                    RuleKind::NoOverlap { per, .. } => {
                        tests.overlaps.push(OverlapTest {
                            code: rule.code.clone(),
                            line: rule.line,
                            message: rule.message.clone(),
                            route_line: let_line("route", &entity.route),
                            message_line: let_line("message", &rule.message),
                            body_fn: format!("{}_body", entity.snake),
                            per: per
                                .iter()
                                .filter_map(|p| entity.field(p))
                                .map(|f| f.json.clone())
                                .collect(),
                        });
                    }
                    _ => {}
                }
            }
        }
        tests
    }

    /// Whether a test sets a field with `json!`.
    pub fn uses_json(&self) -> bool {
        self.limits
            .iter()
            .any(|l| !l.parent_sets.is_empty() || !l.row_sets.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.limits.is_empty() && self.overlaps.is_empty()
    }
}

/// `    body["field"] = json!(value);`
fn set_line(json: &str, value: &specgen_ir::Value) -> String {
    use specgen_ir::Value;

    let literal = match value {
        Value::Text(text) | Value::Enum(text) => rust_str(text),
        Value::Integer(n) | Value::Money(n) => n.to_string(),
        Value::Decimal(n) => crate::names::rust_f64(*n),
        Value::Bool(b) => b.to_string(),
        Value::Now => "null".to_owned(),
    };
    format!("    body[{}] = json!({literal});", rust_str(json))
}

/// `    let name = "text";`, laid out as rustfmt does.
fn let_line(name: &str, text: &str) -> String {
    layout::assign(4, &format!("let {name}"), &rust_str(text))
}
