//! The entities' tables: columns, named constraints, indexes and join tables, in creation
//! order, for SQLite and PostgreSQL.

use specgen_ir::{App, CompareOp, Entity, Field, FieldType, OnDelete, RuleKind};

use super::dialect::{Dialect, column_type, default_sql};
use super::table::{Constraint, ConstraintKind, Table};
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
    let mut created: Vec<&str> = Vec::new();
    let mut tables = Vec::new();
    let mut deferred = Vec::new();
    for &index in &order {
        let entity = &app.entities[index];
        let (table, later) = entity_table(app, entity, dialect, &created);
        created.push(&entity.table);
        tables.push(table);
        deferred.extend(later);
    }
    for &index in &order {
        let entity = &app.entities[index];
        for link in &entity.links {
            tables.push(join_table(app, entity, link, dialect));
        }
    }
    if let Some(last) = tables.last_mut() {
        last.after.extend(deferred);
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

fn entity_table(
    app: &App,
    entity: &Entity,
    dialect: Dialect,
    created: &[&str],
) -> (Table, Vec<String>) {
    let table = &entity.table;
    let mut columns: Vec<(Vec<String>, String)> = Vec::new();
    let id_type = match dialect {
        Dialect::Sqlite => "TEXT NOT NULL PRIMARY KEY",
        Dialect::Postgres => "UUID PRIMARY KEY",
    };
    columns.push((Vec::new(), format!("id {id_type}")));
    for field in &entity.fields {
        let mut definition = format!("{} {}", field.column, column_type(&field.ty, dialect));
        if field.required {
            definition.push_str(" NOT NULL");
        }
        if let Some(default) = field
            .default
            .as_ref()
            .and_then(|d| default_sql(&field.ty, d, dialect))
        {
            definition.push_str(&format!(" DEFAULT {default}"));
        }
        columns.push((vec![field_comment(field)], definition));
    }
    let instant = match dialect {
        Dialect::Sqlite => "TEXT",
        Dialect::Postgres => "TIMESTAMPTZ",
    };
    if entity.is_auth {
        let default_role = app.default_role().map_or("member", |r| r.name.as_str());
        columns.push((
            vec![
                "-- Sign-in (src/auth): the argon2id password hash (NULL until a password is set),"
                    .to_owned(),
                "-- the role, and when the email address was verified.".to_owned(),
            ],
            "password_hash TEXT".to_owned(),
        ));
        columns.push((
            Vec::new(),
            format!("role TEXT NOT NULL DEFAULT {}", sql_str(default_role)),
        ));
        columns.push((Vec::new(), format!("email_verified_at {instant}")));
    }
    columns.push((Vec::new(), format!("created_at {instant} NOT NULL")));
    columns.push((Vec::new(), format!("updated_at {instant} NOT NULL")));

    let mut constraints: Vec<String> = Vec::new();
    let mut after = Vec::new();
    let mut deferred = Vec::new();
    for field in &entity.fields {
        if field.unique {
            let name = names::constraint(&[table, &field.column, "key"]);
            constraints.push(format!("CONSTRAINT {name} UNIQUE ({})", field.column));
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
            let clause = format!(
                "FOREIGN KEY ({}) REFERENCES {} (id) ON DELETE {}",
                field.column,
                target.table,
                on_delete_sql(*on_delete)
            );
            let later = dialect == Dialect::Postgres
                && target.name != entity.name
                && !created.contains(&target.table.as_str());
            if later {
                deferred.push(format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} {clause};"
                ));
            } else {
                constraints.push(format!("CONSTRAINT {name} {clause}"));
            }
        }
        if let Some(condition) = check_condition(field, dialect) {
            let name = names::constraint(&[table, &field.column, "check"]);
            constraints.push(format!("CONSTRAINT {name} CHECK ({condition})"));
        }
        if field.indexed && !field.unique {
            let name = names::constraint(&[table, &field.column, "idx"]);
            after.push(format!(
                "CREATE INDEX {name} ON {table} ({});",
                field.column
            ));
        }
    }
    if entity.is_auth {
        let roles: Vec<String> = app.roles.iter().map(|r| sql_str(&r.name)).collect();
        let name = names::constraint(&[table, "role", "check"]);
        constraints.push(format!(
            "CONSTRAINT {name} CHECK (role IN ({}))",
            roles.join(", ")
        ));
    }
    for rule in &entity.rules {
        match &rule.kind {
            RuleKind::Unique { fields } => {
                let columns: Vec<&str> = fields
                    .iter()
                    .filter_map(|f| entity.field(f))
                    .map(|f| f.column.as_str())
                    .collect();
                constraints.push(format!(
                    "CONSTRAINT {} UNIQUE ({})",
                    rule.code,
                    columns.join(", ")
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
                constraints.push(format!(
                    "-- line {}: {}\n    CONSTRAINT {} EXCLUDE USING gist ({})",
                    rule.line,
                    rule.message,
                    rule.code,
                    parts.join(", ")
                ));
            }
            RuleKind::Compare { .. } => {
                if let Some(condition) = compare_sql(entity, &rule.kind) {
                    constraints.push(format!(
                        "-- line {}: {}\n    CONSTRAINT {} CHECK ({condition})",
                        rule.line, rule.message, rule.code
                    ));
                }
            }
            _ => {}
        }
    }
    let name = names::constraint(&[table, "created_at", "idx"]);
    after.push(format!("CREATE INDEX {name} ON {table} (created_at, id);"));
    after.extend(triggers(entity, dialect));

    let mut items = Vec::new();
    let total = columns.len() + constraints.len();
    let mut position = 0;
    for (comments, definition) in columns {
        position += 1;
        items.extend(comments.into_iter().map(|c| format!("    {c}")));
        let comma = if position < total { "," } else { "" };
        items.push(format!("    {definition}{comma}"));
    }
    for constraint in constraints {
        position += 1;
        let comma = if position < total { "," } else { "" };
        items.push(format!("    {constraint}{comma}"));
    }

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
    let suffix = match dialect {
        Dialect::Sqlite => " STRICT",
        Dialect::Postgres => "",
    };
    (
        Table {
            comment,
            name: table.clone(),
            items,
            suffix,
            after,
        },
        deferred,
    )
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
    let items = vec![
        format!("    {} {id_type} NOT NULL,", link.source_column),
        format!("    {} {id_type} NOT NULL,", link.target_column),
        format!(
            "    CONSTRAINT {} PRIMARY KEY ({}, {}),",
            names::constraint(&[table, "pkey"]),
            link.source_column,
            link.target_column
        ),
        format!(
            "    CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} (id) ON DELETE CASCADE,",
            names::constraint(&[table, &link.source_column, "fkey"]),
            link.source_column,
            entity.table
        ),
        format!(
            "    CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {target} (id) ON DELETE CASCADE",
            names::constraint(&[table, &link.target_column, "fkey"]),
            link.target_column,
        ),
    ];
    let index = names::constraint(&[table, &link.target_column, "idx"]);
    Table {
        comment: vec![format!(
            "-- {} of {} (line {}): a many-to-many link; deleting either side removes the link.",
            link.name, entity.plural_words, link.line
        )],
        name: table.clone(),
        items,
        suffix: match dialect {
            Dialect::Sqlite => " STRICT",
            Dialect::Postgres => "",
        },
        after: vec![format!(
            "CREATE INDEX {index} ON {table} ({});",
            link.target_column
        )],
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
