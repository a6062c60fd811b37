//! The entities' tables: columns, named constraints, indexes and join tables, in creation
//! order, for SQLite and PostgreSQL.

use specgen_ir::{App, CompareOp, Entity, Field, FieldType, OnDelete, RuleKind};

use super::dialect::{Dialect, column_type, default_sql};
use super::table::{Column, Constraint, ConstraintKind, Statement, Table, TableConstraint};
use super::triggers::{rule_triggers, trigger_message, triggers};
use crate::names::{self, sql_f64, sql_str};

/// The constraints of `entity`'s table.
pub fn constraints(entity: &Entity) -> Vec<Constraint> {
    let table = &entity.table;
    let mut out = Vec::new();
    for field in &entity.fields {
        if field.unique {
            out.push(Constraint {
                name: names::constraint(&[table, &field.column, "key"]),
                sqlite_message: Some(format!(
                    "UNIQUE constraint failed: {table}.{}",
                    field.column
                )),
                kind: ConstraintKind::Unique,
                fields: vec![field.json.clone()],
                message: format!("another {} has this {}", entity.words, field.name),
            });
        }
        if let FieldType::Reference { .. } = field.ty {
            out.push(Constraint {
                name: names::constraint(&[table, &field.column, "fkey"]),
                sqlite_message: None,
                kind: ConstraintKind::Reference,
                fields: vec![field.json.clone()],
                message: format!("the {} does not exist", field.name),
            });
        }
        if check_condition(field, Dialect::Postgres).is_some() {
            let name = names::constraint(&[table, &field.column, "check"]);
            out.push(Constraint {
                sqlite_message: Some(format!("CHECK constraint failed: {name}")),
                name,
                kind: ConstraintKind::Check,
                fields: vec![field.json.clone()],
                message: format!("the {} is outside the allowed values", field.name),
            });
        }
    }
    for rule in &entity.rules {
        match &rule.kind {
            RuleKind::Unique { fields } => {
                let columns: Vec<String> = fields
                    .iter()
                    .filter_map(|f| entity.field(f))
                    .map(|f| format!("{table}.{}", f.column))
                    .collect();
                out.push(Constraint {
                    name: rule.code.clone(),
                    sqlite_message: Some(format!(
                        "UNIQUE constraint failed: {}",
                        columns.join(", ")
                    )),
                    kind: ConstraintKind::Rule {
                        code: rule.code.clone(),
                        conflict: true,
                    },
                    fields: json_names(entity, fields),
                    message: rule.message.clone(),
                });
            }
            RuleKind::NoOverlap { start, end, per } => {
                let mut fields = per.clone();
                fields.extend([start.clone(), end.clone()]);
                out.push(Constraint {
                    name: rule.code.clone(),
                    sqlite_message: None,
                    kind: ConstraintKind::Rule {
                        code: rule.code.clone(),
                        conflict: true,
                    },
                    fields: json_names(entity, &fields),
                    message: rule.message.clone(),
                });
            }
            RuleKind::Immutable { .. } | RuleKind::Transitions { .. }
                if !rule_triggers(entity, rule, Dialect::Sqlite).is_empty() =>
            {
                let fields = match &rule.kind {
                    RuleKind::Transitions { field, .. } => vec![field.clone()],
                    RuleKind::Immutable { fields, .. } => fields.clone(),
                    _ => Vec::new(),
                };
                out.push(Constraint {
                    name: rule.code.clone(),
                    sqlite_message: Some(trigger_message(&rule.code)),
                    kind: ConstraintKind::Rule {
                        code: rule.code.clone(),
                        conflict: matches!(rule.kind, RuleKind::Transitions { .. }),
                    },
                    fields: json_names(entity, &fields),
                    message: rule.message.clone(),
                });
            }
            RuleKind::Compare { left, right, .. } if compare_sql(entity, &rule.kind).is_some() => {
                out.push(Constraint {
                    name: rule.code.clone(),
                    sqlite_message: Some(format!("CHECK constraint failed: {}", rule.code)),
                    kind: ConstraintKind::Rule {
                        code: rule.code.clone(),
                        conflict: false,
                    },
                    fields: json_names(entity, &[left.clone(), right.clone()]),
                    message: rule.message.clone(),
                });
            }
            _ => {}
        }
    }
    out
}

/// The tables of `app` in creation order: a table comes after the tables it references
/// (where cycles allow), join tables after both of their tables.
pub fn tables(app: &App, dialect: Dialect) -> Vec<Table> {
    let order = creation_order(app);
    let mut tables: Vec<Table> = order
        .iter()
        .map(|&index| entity_table(app, &app.entities[index], dialect))
        .collect();
    for &index in &order {
        let entity = &app.entities[index];
        for link in &entity.links {
            tables.push(join_table(app, entity, link, dialect));
        }
    }
    tables
}

/// The CHECK condition of a field's own constraint, if it has one.
pub fn check_condition(field: &Field, dialect: Dialect) -> Option<String> {
    let column = &field.column;
    let length = match dialect {
        Dialect::Sqlite => "length",
        Dialect::Postgres => "char_length",
    };
    match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => Some(if *min_length > 0 {
            format!("{length}({column}) BETWEEN {min_length} AND {max_length}")
        } else {
            format!("{length}({column}) <= {max_length}")
        }),
        FieldType::Email => Some(format!("{length}({column}) <= 254")),
        FieldType::Url => Some(format!("{length}({column}) <= 2048")),
        FieldType::Integer { min, max } | FieldType::Money { min, max } => range(
            column,
            min.map(|v| v.to_string()),
            max.map(|v| v.to_string()),
        ),
        FieldType::Decimal { min, max } => range(column, min.map(sql_f64), max.map(sql_f64)),
        FieldType::Enum { values } => {
            let values: Vec<String> = values.iter().map(|v| sql_str(v)).collect();
            Some(format!("{column} IN ({})", values.join(", ")))
        }
        FieldType::Boolean if dialect == Dialect::Sqlite => Some(format!("{column} IN (0, 1)")),
        FieldType::Json if dialect == Dialect::Sqlite => Some(format!("json_valid({column})")),
        _ => None,
    }
}

/// The SQL condition of a `Compare` rule whose fields exist.
pub fn compare_sql(entity: &Entity, kind: &RuleKind) -> Option<String> {
    let RuleKind::Compare { left, op, right } = kind else {
        return None;
    };
    let left = entity.field(left)?;
    let right = entity.field(right)?;
    Some(format!("{} {} {}", left.column, op_sql(*op), right.column))
}

fn op_sql(op: CompareOp) -> &'static str {
    op.symbol()
}

fn range(column: &str, min: Option<String>, max: Option<String>) -> Option<String> {
    match (min, max) {
        (Some(min), Some(max)) => Some(format!("{column} BETWEEN {min} AND {max}")),
        (Some(min), None) => Some(format!("{column} >= {min}")),
        (None, Some(max)) => Some(format!("{column} <= {max}")),
        (None, None) => None,
    }
}

fn json_names(entity: &Entity, idents: &[String]) -> Vec<String> {
    idents
        .iter()
        .filter_map(|i| entity.field(i))
        .map(|f| f.json.clone())
        .collect()
}

/// Entities in spec order, moved after the entities they reference when that is possible.
fn creation_order(app: &App) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::new();
    let mut remaining: Vec<usize> = (0..app.entities.len()).collect();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|&i| {
            references(&app.entities[i]).iter().all(|target| {
                *target == app.entities[i].name
                    || order.iter().any(|&done| app.entities[done].name == *target)
                    || app.entity(target).is_none()
            })
        });
        // A cycle: take the first remaining entity; its forward references are added later.
        let next = remaining.remove(ready.unwrap_or(0));
        order.push(next);
    }
    order
}

fn references(entity: &Entity) -> Vec<String> {
    entity
        .fields
        .iter()
        .filter_map(|f| match &f.ty {
            FieldType::Reference { entity, .. } => Some(entity.clone()),
            _ => None,
        })
        .collect()
}

fn entity_table(app: &App, entity: &Entity, dialect: Dialect) -> Table {
    let table = &entity.table;
    let mut columns = vec![id_column(dialect)];
    for field in &entity.fields {
        let mut column = Column::new(
            &field.column,
            column_type(&field.ty, dialect),
            field.required,
        );
        column.default = field
            .default
            .as_ref()
            .and_then(|d| default_sql(&field.ty, d, dialect));
        column.comment = vec![field_comment(field)];
        columns.push(column);
    }
    let instant = match dialect {
        Dialect::Sqlite => "TEXT",
        Dialect::Postgres => "TIMESTAMPTZ",
    };
    if entity.is_auth {
        let default_role = app.default_role().map_or("member", |r| r.name.as_str());
        columns.push(Column::new("password_hash", "TEXT", false).comment(&[
            "-- Sign-in (src/auth): the argon2id password hash (NULL until a password is set),",
            "-- the role, and when the email address was verified.",
        ]));
        columns.push(Column::new("role", "TEXT", true).default(sql_str(default_role)));
        columns.push(Column::new("email_verified_at", instant, false));
    }
    columns.push(Column::new("created_at", instant, true));
    columns.push(Column::new("updated_at", instant, true));

    let mut constraints = Vec::new();
    let mut indexes = Vec::new();
    for field in &entity.fields {
        if field.unique {
            let name = names::constraint(&[table, &field.column, "key"]);
            constraints.push(TableConstraint::new(
                &name,
                format!("UNIQUE ({})", field.column),
            ));
        }
        if let FieldType::Reference {
            entity: target,
            on_delete,
        } = &field.ty
        {
            let Some(target) = app.entity(target) else {
                continue;
            };
            let name = names::constraint(&[table, &field.column, "fkey"]);
            let body = format!(
                "FOREIGN KEY ({}) REFERENCES {} (id) ON DELETE {}",
                field.column,
                target.table,
                on_delete_sql(*on_delete)
            );
            constraints.push(TableConstraint::new(&name, body).references(&target.table));
        }
        if let Some(condition) = check_condition(field, dialect) {
            let name = names::constraint(&[table, &field.column, "check"]);
            constraints.push(TableConstraint::new(&name, format!("CHECK ({condition})")));
        }
        if field.indexed && !field.unique {
            let name = names::constraint(&[table, &field.column, "idx"]);
            indexes.push(index(&name, table, &field.column));
        }
    }
    if entity.is_auth {
        let roles: Vec<String> = app.roles.iter().map(|r| sql_str(&r.name)).collect();
        let name = names::constraint(&[table, "role", "check"]);
        constraints.push(TableConstraint::new(
            &name,
            format!("CHECK (role IN ({}))", roles.join(", ")),
        ));
    }
    for rule in &entity.rules {
        let comment = || vec![format!("-- line {}: {}", rule.line, rule.message)];
        match &rule.kind {
            RuleKind::Unique { fields } => {
                let columns: Vec<&str> = fields
                    .iter()
                    .filter_map(|f| entity.field(f))
                    .map(|f| f.column.as_str())
                    .collect();
                constraints.push(TableConstraint::new(
                    &rule.code,
                    format!("UNIQUE ({})", columns.join(", ")),
                ));
            }
            RuleKind::NoOverlap { start, end, per } if dialect == Dialect::Postgres => {
                let column = |ident: &str| {
                    entity
                        .field(ident)
                        .map_or(ident.to_owned(), |f| f.column.clone())
                };
                let range = match entity.field(start).map(|f| &f.ty) {
                    Some(FieldType::Date) => "daterange",
                    _ => "tstzrange",
                };
                let mut parts: Vec<String> = per
                    .iter()
                    .map(|p| format!("{} WITH =", column(p)))
                    .collect();
                parts.push(format!(
                    "{range}({}, {}, '[)') WITH &&",
                    column(start),
                    column(end)
                ));
                constraints.push(
                    TableConstraint::new(
                        &rule.code,
                        format!("EXCLUDE USING gist ({})", parts.join(", ")),
                    )
                    .comment(comment()),
                );
            }
            RuleKind::Compare { .. } => {
                if let Some(condition) = compare_sql(entity, &rule.kind) {
                    constraints.push(
                        TableConstraint::new(&rule.code, format!("CHECK ({condition})"))
                            .comment(comment()),
                    );
                }
            }
            _ => {}
        }
    }
    let name = names::constraint(&[table, "created_at", "idx"]);
    indexes.push(index(&name, table, "created_at, id"));

    let mut comment = vec![format!(
        "-- {} ({}, line {}).",
        entity.plural_words, entity.name, entity.line
    )];
    comment.extend(
        entity
            .description
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("-- {}", l.trim())),
    );
    Table {
        name: table.clone(),
        comment,
        strict: dialect == Dialect::Sqlite,
        columns,
        constraints,
        indexes,
        triggers: triggers(entity, dialect),
    }
}

/// The `id` column every entity table has: a UUID v7 primary key.
pub(super) fn id_column(dialect: Dialect) -> Column {
    match dialect {
        Dialect::Sqlite => Column::new("id", "TEXT", true).primary_key(),
        Dialect::Postgres => Column::new("id", "UUID", false).primary_key(),
    }
}

/// `CREATE INDEX <name> ON <table> (<columns>);`
pub(super) fn index(name: &str, table: &str, columns: &str) -> Statement {
    Statement {
        name: name.to_owned(),
        sql: format!("CREATE INDEX {name} ON {table} ({columns});"),
        comment: Vec::new(),
    }
}

fn join_table(app: &App, entity: &Entity, link: &specgen_ir::Link, dialect: Dialect) -> Table {
    let id_type = match dialect {
        Dialect::Sqlite => "TEXT",
        Dialect::Postgres => "UUID",
    };
    let table = &link.join_table;
    let target = app
        .entity(&link.target)
        .map_or(link.target.as_str(), |t| t.table.as_str());
    let reference = |column: &str, target: &str| {
        TableConstraint::new(
            &names::constraint(&[table, column, "fkey"]),
            format!("FOREIGN KEY ({column}) REFERENCES {target} (id) ON DELETE CASCADE"),
        )
        .references(target)
    };
    Table {
        name: table.clone(),
        comment: vec![format!(
            "-- {} of {} (line {}): a many-to-many link; deleting either side removes the link.",
            link.name, entity.plural_words, link.line
        )],
        strict: dialect == Dialect::Sqlite,
        columns: vec![
            Column::new(&link.source_column, id_type, true),
            Column::new(&link.target_column, id_type, true),
        ],
        constraints: vec![
            TableConstraint::new(
                &names::constraint(&[table, "pkey"]),
                format!(
                    "PRIMARY KEY ({}, {})",
                    link.source_column, link.target_column
                ),
            ),
            reference(&link.source_column, &entity.table),
            reference(&link.target_column, target),
        ],
        indexes: vec![index(
            &names::constraint(&[table, &link.target_column, "idx"]),
            table,
            &link.target_column,
        )],
        triggers: Vec::new(),
    }
}

fn field_comment(field: &Field) -> String {
    let what = match &field.ty {
        FieldType::Money { .. } => ": money in cents".to_owned(),
        FieldType::DateTime => ": UTC instant".to_owned(),
        FieldType::Email => ": email address, stored lowercased".to_owned(),
        FieldType::Reference { entity, on_delete } => {
            format!(
                ": -> {entity}, on delete {}",
                on_delete_sql(*on_delete).to_lowercase()
            )
        }
        _ => String::new(),
    };
    format!("-- {} (line {}){what}", field.name, field.line)
}

fn on_delete_sql(on_delete: OnDelete) -> &'static str {
    match on_delete {
        OnDelete::Restrict => "RESTRICT",
        OnDelete::Cascade => "CASCADE",
        OnDelete::SetNull => "SET NULL",
    }
}
