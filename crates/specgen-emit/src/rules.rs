//! The spec's rules as data for the generated runtime (`templates/backend/src/rules.rs`) (the rules
//! runtime emitter); their generated tests are in [`crate::testgen`].
//!
//! - Rules that depend on other rows (limits, no overlap) become SQL the service runs inside
//!   the write's transaction. Every check binds only the written row's id (`$1`) and reads
//!   the row back, so one runtime runs them for every entity on both databases.
//! - Rules on how one record may change (immutability, transitions, time windows) become
//!   `rules::ChangeRule` constants the service checks before each create, update and delete.

use specgen_ir::{
    App, CompareOp, Condition, Entity, FieldType, LimitMax, Rule, RuleKind, TimeWindow, Value,
};

use crate::facts::access::GrantView;
use crate::facts::rules::{condition_sql, is_change_rule, is_row_rule};
use crate::layout;
use crate::names::{rust_f64, rust_str};

/// The rules constants of one entity's module, printed into `src/http/<plural>.rs`.
#[derive(Debug, Clone)]
pub struct EntityRules {
    /// Whether the entity has rules checked inside the write transaction (limits, no overlap).
    pub has_row_rules: bool,
    /// `const RULES: &[rules::RowRule] = ...;` when `has_row_rules`.
    pub row_rules_const: String,
    /// Whether the entity has rules on how a record may change (immutability, transitions,
    /// time windows), checked before every create, update and delete.
    pub has_change_rules: bool,
    /// `const CHANGE_RULES: &[rules::ChangeRule] = ...;` when `has_change_rules`.
    pub change_rules_const: String,
}

impl EntityRules {
    pub fn new(app: &App, entity: &Entity) -> EntityRules {
        let row_rules_const = row_rules_const(app, entity);
        let change_rules_const = change_rules_const(app, entity);
        EntityRules {
            has_row_rules: row_rules_const.is_some(),
            row_rules_const: row_rules_const.unwrap_or_default(),
            has_change_rules: change_rules_const.is_some(),
            change_rules_const: change_rules_const.unwrap_or_default(),
        }
    }
}

/// `const CHANGE_RULES: &[rules::ChangeRule] = &[...];` with one constant per rule, laid out
/// as rustfmt does; `None` when the entity has no such rules.
fn change_rules_const(app: &App, entity: &Entity) -> Option<String> {
    let rules: Vec<&Rule> = entity.rules.iter().filter(|r| is_change_rule(r)).collect();
    if rules.is_empty() {
        return None;
    }
    let json = |ident: &str| {
        rust_str(
            &entity
                .field(ident)
                .map_or(ident.to_owned(), |f| f.json.clone()),
        )
    };
    let mut out = String::new();
    let mut names = Vec::new();
    for rule in rules {
        let name = rule.code.to_uppercase();
        out.push_str(&format!(
            "/// Line {}, `{}`: {}\nconst {name}: rules::ChangeRule = rules::ChangeRule {{\n",
            rule.line, rule.code, rule.message
        ));
        out.push_str(&layout::field_init(4, "code", &rust_str(&rule.code)));
        out.push('\n');
        out.push_str(&layout::field_init(4, "message", &rust_str(&rule.message)));
        out.push('\n');
        match &rule.kind {
            RuleKind::Immutable { fields, once } => {
                out.push_str("    check: rules::Check::Immutable {\n");
                let fields: Vec<String> = fields.iter().map(|f| json(f)).collect();
                out.push_str(&layout::array(8, "fields: &[", &fields, "],"));
                out.push('\n');
                match once.as_ref().and_then(|c| condition_literal(entity, c)) {
                    Some((field, op, value)) => {
                        out.push_str("        once: Some(rules::Condition {\n");
                        out.push_str(&layout::field_init(12, "field", &field));
                        out.push('\n');
                        out.push_str(&format!("            op: rules::Op::{op},\n"));
                        out.push_str(&layout::field_init(12, "value", &value));
                        out.push('\n');
                        out.push_str("        }),\n");
                    }
                    None => out.push_str("        once: None,\n"),
                }
            }
            RuleKind::Transitions {
                field,
                initial,
                transitions,
            } => {
                out.push_str("    check: rules::Check::Transitions {\n");
                out.push_str(&layout::field_init(8, "field", &json(field)));
                out.push('\n');
                let initial = match initial {
                    Some(value) => format!("Some({})", rust_str(value)),
                    None => "None".to_owned(),
                };
                out.push_str(&layout::field_init(8, "initial", &initial));
                out.push('\n');
                out.push_str("        allowed: &[\n");
                for t in transitions {
                    out.push_str("            rules::Transition {\n");
                    out.push_str(&layout::field_init(16, "from", &rust_str(&t.from)));
                    out.push('\n');
                    out.push_str(&layout::field_init(16, "to", &rust_str(&t.to)));
                    out.push('\n');
                    if t.by.is_empty() {
                        out.push_str("                by: None,\n");
                    } else {
                        let grant = GrantView::of_field(app, entity, &t.by);
                        out.push_str(&grant.literal(16, "by: Some(", "),"));
                        out.push('\n');
                    }
                    out.push_str("            },\n");
                }
                out.push_str("        ],\n");
            }
            RuleKind::Window { actions, window } => {
                out.push_str("    check: rules::Check::Window {\n");
                let has = |a| actions.contains(&a);
                out.push_str(&format!(
                    "        create: {},\n        update: {},\n        delete: {},\n",
                    has(specgen_ir::Action::Create),
                    has(specgen_ir::Action::Update),
                    has(specgen_ir::Action::Delete)
                ));
                let (variant, seconds, field, through) = match window {
                    TimeWindow::Within { seconds, field } => ("Within", seconds, field, None),
                    TimeWindow::Before {
                        seconds,
                        field,
                        through,
                    } => ("Before", seconds, field, Some(through)),
                };
                out.push_str(&format!("        window: rules::Window::{variant} {{\n"));
                out.push_str(&format!("            seconds: {seconds},\n"));
                match through.and_then(|t| parent_time(app, entity, t.as_deref()?, field)) {
                    Some((key, parent)) => {
                        out.push_str(&layout::field_init(12, "field", &rust_str(&key)));
                        out.push('\n');
                        out.push_str("            parent: Some(rules::ParentTime {\n");
                        for (name, value) in parent {
                            out.push_str(&layout::field_init(16, name, &value));
                            out.push('\n');
                        }
                        out.push_str("            }),\n");
                    }
                    None => {
                        out.push_str(&layout::field_init(12, "field", &json(field)));
                        out.push('\n');
                        if through.is_some() {
                            out.push_str("            parent: None,\n");
                        }
                    }
                }
                out.push_str("        },\n");
            }
            _ => {}
        }
        out.push_str("    },\n};\n\n");
        names.push(name);
    }
    out.push_str(
        "/// The rules checked against the record as stored and as it would be written, before\n\
         /// every create, update and delete.\n",
    );
    out.push_str(&layout::array(
        0,
        "const CHANGE_RULES: &[rules::ChangeRule] = &[",
        &names,
        "];",
    ));
    Some(out)
}

/// A window's time on the record `through` points at: the key it is put under in the
/// record's JSON (`order_id.placed_at`) and the `rules::ParentTime` fields.
fn parent_time(
    app: &App,
    entity: &Entity,
    through: &str,
    field: &str,
) -> Option<(String, [(&'static str, String); 4])> {
    let (reference, target) = app.referenced(entity, through)?;
    let time = target.field(field)?;
    Some((
        format!("{}.{}", reference.json, time.json),
        [
            ("reference", rust_str(&reference.json)),
            ("table", rust_str(&target.table)),
            ("column", rust_str(&time.column)),
            ("date", (time.ty == FieldType::Date).to_string()),
        ],
    ))
}

/// `(field, op, value)` of a condition on the entity's own field, as Rust expressions.
fn condition_literal(
    entity: &Entity,
    condition: &Condition,
) -> Option<(String, &'static str, String)> {
    let [field] = condition.path.as_slice() else {
        return None;
    };
    let field = entity.field(field)?;
    let op = match condition.op {
        CompareOp::Eq => "Eq",
        CompareOp::Ne => "Ne",
        CompareOp::Lt => "Lt",
        CompareOp::Le => "Le",
        CompareOp::Gt => "Gt",
        CompareOp::Ge => "Ge",
    };
    let value = match &condition.value {
        Value::Text(text) | Value::Enum(text) => {
            format!("rules::Literal::Text({})", rust_str(text))
        }
        Value::Integer(n) | Value::Money(n) => format!("rules::Literal::Integer({n})"),
        Value::Decimal(x) => format!("rules::Literal::Decimal({})", rust_f64(*x)),
        Value::Bool(b) => format!("rules::Literal::Bool({b})"),
        Value::Empty => "rules::Literal::Empty".to_owned(),
        Value::Now => return None,
    };
    Some((rust_str(&field.json), op, value))
}

/// `const RULES: &[rules::RowRule] = &[...];`, laid out as rustfmt does; `None` when the
/// entity has no such rules.
fn row_rules_const(app: &App, entity: &Entity) -> Option<String> {
    let mut checks: Vec<(&Rule, String, String, RuleSql)> = entity
        .rules
        .iter()
        .filter(|r| is_row_rule(r))
        .map(|rule| {
            let doc = format!("/// Line {}, `{}`: {}", rule.line, rule.code, rule.message);
            (
                rule,
                rule.code.to_uppercase(),
                doc,
                rule_sql(app, entity, rule),
            )
        })
        .collect();
    checks.extend(held_limits(app, entity));
    if checks.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut names = Vec::new();
    for (rule, name, doc, (lock, violated, fields)) in checks {
        let fields: Vec<String> = fields.iter().map(|f| rust_str(f)).collect();
        out.push_str(&format!(
            "{doc}\nconst {name}: rules::RowRule = rules::RowRule {{\n"
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
type RuleSql = (Option<String>, String, Vec<String>);

/// The limits of other entities whose condition looks at this entity's fields (`at most 3
/// per owner when owner.plan = free`), checked when a row of this entity is written: a
/// change that makes the condition hold for a row already holding more is refused, so the
/// limit stays true and not just for new rows. No lock is needed: on PostgreSQL the update
/// itself locks the row, which the limit's own check locks too; SQLite holds the write lock.
fn held_limits<'a>(app: &'a App, entity: &Entity) -> Vec<(&'a Rule, String, String, RuleSql)> {
    let mut out = Vec::new();
    for child in &app.entities {
        for rule in &child.rules {
            let RuleKind::Limit {
                max,
                per,
                also_per,
                when,
            } = &rule.kind
            else {
                continue;
            };
            // The fields of this row the limit reads: its most, a condition's field.
            let mut read: Vec<&str> = Vec::new();
            if let LimitMax::Field(field) = max {
                read.push(field);
            }
            if let Some(condition) = when
                && let [reference, field] = condition.path.as_slice()
                && reference == per
            {
                read.push(field);
            }
            let Some(per_field) = child.field(per) else {
                continue;
            };
            let FieldType::Reference { entity: target, .. } = &per_field.ty else {
                continue;
            };
            if *target != entity.name || read.is_empty() {
                continue;
            }
            let holds = when
                .as_ref()
                .map_or("1 = 1".to_owned(), |c| condition_sql(app, child, c, "o"));
            let Some(field) = read.first().and_then(|ident| entity.field(ident)) else {
                continue;
            };
            let max = match max {
                LimitMax::Count(n) => n.to_string(),
                LimitMax::Field(_) => format!("h.{}", field.column),
            };
            // `holds` looks through `o`'s reference: true exactly when this row (`h`) meets
            // the condition, since `o` references it.
            let violated = if also_per.is_empty() {
                format!(
                    "SELECT 1 FROM {parent} h WHERE h.id = $1 AND (SELECT COUNT(*) FROM {table} o \
                     WHERE o.{per_column} = h.id AND {holds}) > {max}",
                    parent = entity.table,
                    table = child.table,
                    per_column = per_field.column,
                )
            } else {
                // Counted per combination: any group of this row's children over the limit.
                let groups: Vec<String> = also_per
                    .iter()
                    .map(|p| {
                        child
                            .field(p)
                            .map_or(p.clone(), |f| format!("o.{}", f.column))
                    })
                    .collect();
                format!(
                    "SELECT 1 FROM {parent} h WHERE h.id = $1 AND EXISTS (SELECT 1 FROM {table} o \
                     WHERE o.{per_column} = h.id AND {holds} GROUP BY {} HAVING COUNT(*) > {max})",
                    groups.join(", "),
                    parent = entity.table,
                    table = child.table,
                    per_column = per_field.column,
                )
            };
            let doc = format!(
                "/// Line {}, `{}`: {}\n/// Checked when a {} changes too, so no change brings one over the limit.",
                rule.line, rule.code, rule.message, entity.words
            );
            let name = format!("{}_HELD", rule.code.to_uppercase());
            out.push((rule, name, doc, (None, violated, vec![field.json.clone()])));
        }
    }
    out
}

fn rule_sql(app: &App, entity: &Entity, rule: &Rule) -> RuleSql {
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
        RuleKind::Limit {
            max,
            per,
            also_per,
            when,
        } => {
            let per_column = column(per);
            let mut counted = format!("o.{per_column} = n.{per_column}");
            for also in also_per {
                let c = column(also);
                counted.push_str(&format!(" AND o.{c} = n.{c}"));
            }
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
            // A most read from the parent: an empty one compares as NULL, so nothing is over.
            let max = match max {
                LimitMax::Count(n) => n.to_string(),
                LimitMax::Field(field) => {
                    let parent_column = app
                        .entity(&entity_of_reference(entity, per))
                        .and_then(|p| p.field(field))
                        .map_or(field.clone(), |f| f.column.clone());
                    format!(
                        "(SELECT p.{parent_column} FROM {parent} p WHERE p.id = n.{per_column})"
                    )
                }
            };
            let violated = format!(
                "SELECT 1 FROM {table} n WHERE n.id = $1{applies} AND (SELECT COUNT(*) FROM {table} o \
                 WHERE {counted}) > {max}"
            );
            let fields = std::iter::once(per)
                .chain(also_per)
                .map(|p| json(p))
                .collect();
            (Some(lock), violated, fields)
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

/// The entity the reference field `ident` of `entity` names.
fn entity_of_reference(entity: &Entity, ident: &str) -> String {
    match entity.field(ident).map(|f| &f.ty) {
        Some(FieldType::Reference { entity, .. }) => entity.clone(),
        _ => String::new(),
    }
}
