//! Triggers that keep immutability and transition rules in the database, and the one
//! PostgreSQL function they raise through.

use specgen_ir::{App, CompareOp, Entity, FieldType, OnDelete, Rule, RuleKind, Value};

use super::dialect::{Dialect, default_sql};
use super::table::Statement;
use crate::names::{self, sql_str};

/// Whether the PostgreSQL schema needs the `rule_violated()` trigger function.
pub fn needs_rule_function(app: &App) -> bool {
    app.entities
        .iter()
        .any(|e| !triggers(e, Dialect::Postgres).is_empty())
}

/// The PostgreSQL function every rule trigger runs: it raises a check violation named after
/// the rule (its first argument), which the app maps to the rule's answer by name.
pub const RULE_FUNCTION: &str = "\
CREATE FUNCTION rule_violated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rule violated: %', TG_ARGV[0]
        USING ERRCODE = 'check_violation', CONSTRAINT = TG_ARGV[0];
END;
$$;";

/// What SQLite reports when a rule trigger refuses a write.
pub fn trigger_message(code: &str) -> String {
    format!("rule violated: {code}")
}

/// The triggers that keep an entity's immutability and transition rules in the database.
pub(super) fn triggers(entity: &Entity, dialect: Dialect) -> Vec<Statement> {
    entity
        .rules
        .iter()
        .flat_map(|rule| rule_triggers(entity, rule, dialect))
        .collect()
}

/// `BEFORE` triggers that refuse what a rule forbids, whatever writes to the table: a change
/// of an immutable column (once the stored row meets the condition), a change of status
/// outside the allowed transitions, or a new row that does not start at the initial status.
/// Who may make a transition is the service's to check: the database does not know the caller.
pub(super) fn rule_triggers(entity: &Entity, rule: &Rule, dialect: Dialect) -> Vec<Statement> {
    let column = |ident: &str| entity.field(ident).map(|f| f.column.clone());
    let differs = |c: &str| match dialect {
        Dialect::Sqlite => format!("NEW.{c} IS NOT OLD.{c}"),
        Dialect::Postgres => format!("NEW.{c} IS DISTINCT FROM OLD.{c}"),
    };
    let mut out = Vec::new();
    match &rule.kind {
        RuleKind::Immutable { fields, once } => {
            let Some(fields) = fields
                .iter()
                .map(|f| entity.field(f))
                .collect::<Option<Vec<_>>>()
            else {
                return out;
            };
            // A reference emptied because its target was deleted (`set empty`) is the
            // database's own doing, not a change of the record: let it through.
            let changed: Vec<String> = fields
                .iter()
                .map(|f| match f.ty {
                    FieldType::Reference {
                        on_delete: OnDelete::SetNull,
                        ..
                    } => format!("({} AND NEW.{} IS NOT NULL)", differs(&f.column), f.column),
                    _ => differs(&f.column),
                })
                .collect();
            let mut when = if changed.len() == 1 {
                changed[0].clone()
            } else {
                format!("(\n        {}\n    )", changed.join("\n        OR "))
            };
            if let Some(condition) = once {
                let [ident] = condition.path.as_slice() else {
                    return out;
                };
                let Some(field) = entity.field(ident) else {
                    return out;
                };
                let test = match (&condition.value, condition.op) {
                    (Value::Empty, CompareOp::Eq) => "IS NULL".to_owned(),
                    (Value::Empty, _) => "IS NOT NULL".to_owned(),
                    (value, op) => {
                        let Some(value) = default_sql(&field.ty, value, dialect) else {
                            return out;
                        };
                        format!("{} {value}", op.symbol())
                    }
                };
                when = format!("OLD.{} {test} AND {when}", field.column);
            }
            out.push(trigger(entity, rule, &rule.code, "UPDATE", &when, dialect));
        }
        RuleKind::Transitions {
            field,
            initial,
            transitions,
        } => {
            let Some(c) = column(field) else {
                return out;
            };
            let allowed: Vec<String> = transitions
                .iter()
                .map(|t| {
                    format!(
                        "(OLD.{c} = {} AND NEW.{c} = {})",
                        sql_str(&t.from),
                        sql_str(&t.to)
                    )
                })
                .collect();
            let when = if allowed.is_empty() {
                format!("NEW.{c} <> OLD.{c}")
            } else {
                format!(
                    "NEW.{c} <> OLD.{c} AND NOT (\n        {}\n    )",
                    allowed.join("\n        OR ")
                )
            };
            out.push(trigger(entity, rule, &rule.code, "UPDATE", &when, dialect));
            if let Some(initial) = initial {
                let name = names::constraint(&[&rule.code, "initial"]);
                let when = format!("NEW.{c} <> {}", sql_str(initial));
                out.push(trigger(entity, rule, &name, "INSERT", &when, dialect));
            }
        }
        _ => {}
    }
    out
}

/// One `BEFORE <event>` row trigger named `name` that refuses the write when `when` holds.
fn trigger(
    entity: &Entity,
    rule: &Rule,
    name: &str,
    event: &str,
    when: &str,
    dialect: Dialect,
) -> Statement {
    let table = &entity.table;
    let head = format!("CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW");
    let sql = match dialect {
        Dialect::Sqlite => format!(
            "{head}\n    WHEN {when}\nBEGIN\n    SELECT RAISE(ABORT, {});\nEND;",
            sql_str(&trigger_message(&rule.code))
        ),
        Dialect::Postgres => format!(
            "{head}\n    WHEN ({when})\n    EXECUTE FUNCTION rule_violated({});",
            sql_str(&rule.code)
        ),
    };
    Statement {
        name: name.to_owned(),
        sql,
        comment: vec![format!("-- line {}: {}", rule.line, rule.message)],
    }
}
