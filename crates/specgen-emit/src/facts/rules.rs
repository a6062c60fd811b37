//! Which runtime check each rule kind needs, and how the generated code enforces it (for
//! the README and module docs).

use specgen_ir::{App, CompareOp, Condition, Entity, FieldType, Rule, RuleKind, TimeWindow, Value};

use crate::facts::schema;

/// Whether the rule is checked by the generated code inside the write transaction.
pub fn is_row_rule(rule: &Rule) -> bool {
    matches!(
        rule.kind,
        RuleKind::Limit { .. } | RuleKind::NoOverlap { .. }
    )
}

/// Whether the rule is checked by the generated code against the record before and after.
pub fn is_change_rule(rule: &Rule) -> bool {
    matches!(
        rule.kind,
        RuleKind::Immutable { .. } | RuleKind::Transitions { .. } | RuleKind::Window { .. }
    )
}

/// Whether an entity's deletes are checked against the record as stored: a time window on
/// deletes, or a delete granted only on rows that meet a condition. Its deletes are then
/// conditional on the record being unchanged since the check read it.
pub fn has_delete_window(entity: &Entity) -> bool {
    let delete = specgen_ir::Action::Delete;
    entity.rules.iter().any(|rule| match &rule.kind {
        RuleKind::Window { actions, .. } => actions.contains(&delete),
        _ => false,
    }) || entity
        .permissions
        .rows
        .iter()
        .any(|grant| grant.actions.contains(&delete))
}

/// How the generated code enforces a rule, for docs and the README.
pub fn enforcement(rule: &Rule) -> String {
    match &rule.kind {
        RuleKind::Compare { .. } => {
            "checked by the service before writing (422) and by a CHECK constraint".to_owned()
        }
        RuleKind::Unique { .. } => "UNIQUE constraint; a violation is answered with 409".to_owned(),
        RuleKind::NoOverlap { .. } => "PostgreSQL: an exclusion constraint (`btree_gist`); \
             SQLite: checked inside the write transaction, which holds the write lock \
             (`BEGIN IMMEDIATE`); a violation is answered with 409"
            .to_owned(),
        RuleKind::Limit { .. } => "checked inside the write transaction; PostgreSQL first locks \
             the row it counts per (`FOR NO KEY UPDATE`), SQLite holds the write lock \
             (`BEGIN IMMEDIATE`); a violation is answered with 409. A condition on the counted-per \
             record is checked again when that record changes"
            .to_owned(),
        RuleKind::Immutable { .. } => "a BEFORE UPDATE trigger, and the service checks the stored \
             record first (422); the update only writes if the record is unchanged since it was read"
            .to_owned(),
        RuleKind::Transitions { .. } => "BEFORE INSERT and UPDATE triggers, and the service checks \
             the stored record first (409), with who may make each change; the update only writes \
             if the record is unchanged since it was read"
            .to_owned(),
        RuleKind::Window { .. } => "checked by the service against the stored record and the \
             server's clock (409); the write only goes through if the record is unchanged since \
             it was read"
            .to_owned(),
    }
}

/// Whether a time window of the entity is measured on a referenced record's time
/// (`only before order.placed at`), which the service reads before the checks.
pub fn has_parent_window(entity: &Entity) -> bool {
    entity.rules.iter().any(|rule| {
        matches!(
            &rule.kind,
            RuleKind::Window {
                window: TimeWindow::Before {
                    through: Some(_),
                    ..
                },
                ..
            }
        )
    })
}

/// A condition on the row `alias`, looking through one reference when the path says so.
pub fn condition_sql(app: &App, entity: &Entity, condition: &Condition, alias: &str) -> String {
    let op = match condition.op {
        CompareOp::Eq => "=",
        other => other.symbol(),
    };
    // `is empty` / `is set`: `IS NULL` / `IS NOT NULL` stand where `op value` would.
    let test = |value: String| match (&condition.value, condition.op) {
        (Value::Empty, CompareOp::Eq) => "IS NULL".to_owned(),
        (Value::Empty, _) => "IS NOT NULL".to_owned(),
        _ => format!("{op} {value}"),
    };
    match condition.path.as_slice() {
        [field] => {
            let f = entity.field(field);
            let column = f.map_or(field.clone(), |f| f.column.clone());
            let value = f
                .and_then(|f| schema::literal(&f.ty, &condition.value))
                .unwrap_or_default();
            format!("{alias}.{column} {}", test(value))
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
                    schema::literal(&f.ty, &condition.value).unwrap_or_default(),
                ),
                None => (String::new(), field.clone(), String::new()),
            };
            format!(
                "EXISTS (SELECT 1 FROM {table} p WHERE p.id = {alias}.{ref_column} AND p.{column} \
                 {})",
                test(value)
            )
        }
        _ => "TRUE".to_owned(),
    }
}
