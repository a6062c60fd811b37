//! The next migration, decided: the differ's result for both databases ([`diff`]), the
//! spec's renames and removals ([`super::intent`]), and what comes of them: the migration's
//! name, its SQL for SQLite and PostgreSQL, the plan in plain words, and the changes the spec
//! does not allow, as located diagnostics.
//!
//! Nothing is guessed. A table or column that disappears without `removed`, or a type
//! change that could lose values, is refused; a rename happens only where the spec says
//! `was`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use specgen_diagnostics::{Diagnostic, FileId, Span};
use specgen_ir::App;

use crate::facts::schema::diff::{self, Diff, Intent, Refusal, TableDiff};
use crate::facts::schema::{Dialect, SCHEMA_FORMAT, Schema, Schemas};

use super::{alter, intent};

/// What a repo already holds: the schema record and the migrations specgen wrote before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// `migrations/schema.json` as the last build wrote it.
    pub schema_json: String,
    /// Migrations specgen wrote before, `(path in the repo, contents as written)`; they are
    /// written again byte for byte.
    pub migrations: Vec<(String, String)>,
    /// The highest version among every migration file in the repo's two folders, specgen's
    /// and hand-written ones: the next migration comes after it.
    pub last_version: u32,
}

/// The next migration, or why there is none.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The schema record this build writes (`migrations/schema.json`): the spec's schema,
    /// or the last build's when the plan refuses.
    pub(crate) record: String,
    /// Migrations written before, again.
    pub(crate) past: Vec<(String, String)>,
    /// The migration this build adds (`None`: the schema did not change, or a first build).
    pub migration: Option<Migration>,
    /// True when the repo has no schema record: this build writes `0001_initial.sql`.
    pub initial: bool,
    /// Changes the spec does not allow; while there is one, nothing may be written.
    pub refusals: Vec<Diagnostic>,
    /// The plan in plain words.
    pub text: String,
}

/// A new migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// `0002_add_bookings_band_name`.
    pub name: String,
    pub sqlite: String,
    pub postgres: String,
}

/// Why a repo's history cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryError(pub String);

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HistoryError {}

/// Decides the next migration of `app` over `history` (`None`: a first build).
pub fn plan(app: &App, history: Option<&History>, header: &str) -> Result<Plan, HistoryError> {
    let mut schemas = Schemas::of(app);
    schemas.generated_by = format!(
        "{header} The schema the migrations produce: specgen reads it to write the next \
         migration. Do not edit it."
    );
    let record = schemas.to_json();
    let Some(history) = history else {
        return Ok(Plan {
            text: format!(
                "First build: migrations/*/0001_initial.sql creates the {} tables of the spec.\n",
                schemas.postgres.tables.len()
            ),
            record,
            past: Vec::new(),
            migration: None,
            initial: true,
            refusals: Vec::new(),
        });
    };
    let old: Schemas = serde_json::from_str(&history.schema_json).map_err(|e| {
        HistoryError(format!(
            "migrations/schema.json is not a schema record specgen can read ({e}); restore it \
             from version control: it records what the repo's migrations produce"
        ))
    })?;
    if old.format > SCHEMA_FORMAT {
        return Err(HistoryError(format!(
            "migrations/schema.json was written by a newer specgen (format {}, this one reads \
             up to {SCHEMA_FORMAT}); upgrade specgen",
            old.format
        )));
    }
    let sqlite_intent = intent::intent(app, &old.sqlite);
    let postgres_intent = intent::intent(app, &old.postgres);
    let sqlite = diff::diff(&old.sqlite, &schemas.sqlite, &sqlite_intent);
    let postgres = diff::diff(&old.postgres, &schemas.postgres, &postgres_intent);
    let mut refusals = refusals(app, &postgres, &sqlite);
    refusals.extend(values_gone(app, &old.postgres, &postgres_intent));
    let mut plan = Plan {
        record,
        past: history.migrations.clone(),
        migration: None,
        initial: false,
        refusals,
        text: String::new(),
    };
    if !plan.refusals.is_empty() {
        plan.record = history.schema_json.clone();
        plan.text = format!(
            "No migration: the spec changes the schema in {} way{} it does not say how to make \
             without losing data (see the errors).\n",
            plan.refusals.len(),
            if plan.refusals.len() == 1 { "" } else { "s" }
        );
        return Ok(plan);
    }
    if sqlite.is_empty() && postgres.is_empty() {
        plan.text = "No schema change: no migration is written.\n".to_owned();
        return Ok(plan);
    }
    let mut changes = changes(&postgres, &postgres_intent);
    changes.extend(values_removed(app, &old.postgres, &postgres_intent));
    let name = format!("{:04}_{}", history.last_version + 1, slug(&changes));
    let describe = |dialect: &str| {
        let mut out = format!(
            "-- {header}\n-- Migration {name} on {dialect}: written by specgen, append-only (see \
             migrations/README.md).\n-- It runs in one transaction: when a data check fails, the \
             database is left as it was.\n--\n"
        );
        for change in &changes {
            let _ = writeln!(out, "-- - {}", change.words);
        }
        out.push('\n');
        out
    };
    plan.migration = Some(Migration {
        sqlite: describe("SQLite")
            + &alter::statements(&sqlite, &sqlite_intent, &name, Dialect::Sqlite),
        postgres: describe("PostgreSQL")
            + &alter::statements(&postgres, &postgres_intent, &name, Dialect::Postgres),
        name: name.clone(),
    });
    plan.text = plan_text(&name, &changes);
    Ok(plan)
}

/// One change, for the plan and the migration's name.
#[derive(Debug, Clone)]
struct Change {
    /// Plain words: "rename column rooms.capacity to size; its values are kept".
    words: String,
    /// The migration name's part: `rename_rooms_capacity_to_size`.
    slug: String,
    /// Why old replicas still running break, when they do.
    rolling: Option<String>,
    /// What existing rows must satisfy, checked in the migration.
    check: Option<String>,
    /// A constraint, index or trigger that follows a column change: not named in the
    /// migration's name.
    minor: bool,
}

impl Change {
    fn new(words: String, slug: String) -> Change {
        Change {
            words,
            slug,
            rolling: None,
            check: None,
            minor: false,
        }
    }

    fn minor(mut self) -> Change {
        self.minor = true;
        self
    }

    fn rolling(mut self, why: String) -> Change {
        self.rolling = Some(why);
        self
    }

    fn check(mut self, what: String) -> Change {
        self.check = Some(what);
        self
    }
}

fn changes(d: &Diff, intent: &Intent) -> Vec<Change> {
    let mut out = Vec::new();
    for t in d.altered.iter().filter(|t| t.renamed()) {
        out.push(
            Change::new(
                format!(
                    "rename table {} to {}; every row is kept",
                    t.old.name, t.new.name
                ),
                format!("rename_{}_to_{}", t.old.name, t.new.name),
            )
            .rolling(format!(
                "old replicas still read and write {}, which no longer exists",
                t.old.name
            )),
        );
    }
    for t in &d.created {
        out.push(Change::new(
            format!("create table {}", t.name),
            format!("create_{}", t.name),
        ));
    }
    for t in &d.altered {
        table_changes(&mut out, t, intent);
    }
    for t in &d.dropped {
        out.push(
            Change::new(
                format!(
                    "drop table {} and every row in it (the spec says `removed`)",
                    t.name
                ),
                format!("drop_{}", t.name),
            )
            .rolling(format!(
                "old replicas still read and write {}, which no longer exists",
                t.name
            )),
        );
    }
    if d.add_btree_gist {
        out.push(Change::new(
            "enable the btree_gist extension (no-overlap rules)".to_owned(),
            "enable_btree_gist".to_owned(),
        ));
    }
    out
}

fn table_changes(out: &mut Vec<Change>, t: &TableDiff, intent: &Intent) {
    let table = &t.new.name;
    for (new, old) in t.changed_columns() {
        if new.name != old.name {
            out.push(
                Change::new(
                    format!(
                        "rename column {table}.{} to {}; its values are kept",
                        old.name, new.name
                    ),
                    format!("rename_{table}_{}_to_{}", old.name, new.name),
                )
                .rolling(format!(
                    "old replicas still read and write {table}.{}, which no longer exists",
                    old.name
                )),
            );
        }
        if new.sql_type != old.sql_type {
            out.push(Change::new(
                format!(
                    "convert {table}.{} from {} to {}; every value converts",
                    new.name, old.sql_type, new.sql_type
                ),
                format!("change_{table}_{}", new.name),
            ));
        }
        if new.not_null && !old.not_null {
            let change = Change::new(
                format!("make {table}.{} required", new.name),
                format!("require_{table}_{}", new.name),
            );
            out.push(match &new.default {
                Some(d) => change.check(format!(
                    "rows of {table} with no {} get its default {d}",
                    new.name
                )),
                None => change.check(format!(
                    "every row of {table} must have a {}: the migration stops and counts the \
                     rows that have none",
                    new.name
                )),
            });
        } else if old.not_null && !new.not_null {
            out.push(Change::new(
                format!("make {table}.{} optional", new.name),
                format!("relax_{table}_{}", new.name),
            ));
        }
        if new.default != old.default {
            out.push(Change::new(
                format!(
                    "change the default of {table}.{} to {}",
                    new.name,
                    new.default.as_deref().unwrap_or("none")
                ),
                format!("change_{table}_{}_default", new.name),
            ));
        }
    }
    for (new, old) in &t.columns {
        if old.is_none() {
            continue;
        }
        if let Some(renames) = intent.value_renames.get(&(table.clone(), new.name.clone())) {
            for (from, to) in renames {
                out.push(
                    Change::new(
                        format!("rows of {table} whose {} is {from} get {to}", new.name),
                        format!("rename_{table}_{}_{from}", new.name),
                    )
                    .rolling(format!(
                        "old replicas still write {from} into {table}.{}, which the new \
                         constraint refuses",
                        new.name
                    )),
                );
            }
        }
    }
    for new in t.added_columns() {
        let (how, check, rolling) = match (&new.default, new.not_null) {
            (Some(d), _) => (format!("existing rows get {d}"), None, None),
            (None, false) => ("existing rows have no value".to_owned(), None, None),
            (None, true) => (
                "required, with no default".to_owned(),
                Some(format!(
                    "{table} must be empty: a new required field with no default cannot be \
                     filled (give it a default, or add it optional first)"
                )),
                Some(format!(
                    "old replicas insert rows into {table} without {}",
                    new.name
                )),
            ),
        };
        let mut change = Change::new(
            format!("add column {table}.{} ({how})", new.name),
            format!("add_{table}_{}", new.name),
        );
        change.check = check;
        change.rolling = rolling;
        out.push(change);
    }
    for c in &t.dropped_columns {
        out.push(
            Change::new(
                format!(
                    "drop column {table}.{} and its values (the spec says `removed`)",
                    c.name
                ),
                format!("drop_{table}_{}", c.name),
            )
            .rolling(format!(
                "old replicas still read and write {table}.{}, which no longer exists",
                c.name
            )),
        );
    }
    let added: BTreeSet<&str> = t
        .added_constraints
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    for c in &t.dropped_constraints {
        if !added.contains(c.name.as_str()) {
            out.push(
                Change::new(
                    format!("drop constraint {}", c.name),
                    format!("drop_{}", c.name),
                )
                .minor(),
            );
        }
    }
    for c in &t.added_constraints {
        let verb = if t.dropped_constraints.iter().any(|d| d.name == c.name) {
            "change"
        } else {
            "add"
        };
        out.push(
            Change::new(
                format!("{verb} constraint {} ({})", c.name, c.body),
                format!("{verb}_{}", c.name),
            )
            .check(format!(
                "existing rows of {table} must satisfy {}: the migration stops and counts \
                 the rows that do not",
                c.name
            ))
            .minor(),
        );
    }
    for (verb, list) in [("drop", &t.dropped_indexes), ("create", &t.added_indexes)] {
        for index in list {
            out.push(
                Change::new(
                    format!("{verb} index {}", index.name),
                    format!("{verb}_{}", index.name),
                )
                .minor(),
            );
        }
    }
    for (verb, list) in [("drop", &t.dropped_triggers), ("create", &t.added_triggers)] {
        for trigger in list {
            out.push(
                Change::new(
                    format!("{verb} rule trigger {}", trigger.name),
                    format!("{verb}_{}", trigger.name),
                )
                .minor(),
            );
        }
    }
}

/// The migration name's description: the first change, and `_and_more` when there are
/// others (constraints, indexes and triggers count only when nothing else changes).
fn slug(changes: &[Change]) -> String {
    let major: Vec<&Change> = changes.iter().filter(|c| !c.minor).collect();
    let named = if major.is_empty() {
        changes.iter().collect()
    } else {
        major
    };
    let Some(first) = named.first() else {
        return "change_schema".to_owned();
    };
    let mut slug: String = first.slug.chars().take(60).collect();
    slug = slug.trim_end_matches('_').to_owned();
    if named.len() > 1 {
        slug.push_str("_and_more");
    }
    slug
}

fn plan_text(name: &str, changes: &[Change]) -> String {
    let mut out = format!(
        "Next migration: {name}.sql, for SQLite and PostgreSQL, in one transaction each.\n\nIt \
         will:\n"
    );
    for c in changes {
        let _ = writeln!(out, "  - {}", c.words);
    }
    let dropped = changes
        .iter()
        .any(|c| c.words.starts_with("drop table") || c.words.starts_with("drop column"));
    out.push_str(if dropped {
        "\nData kept: every row of every table, with its id, except what the spec removes \
         (listed above).\n"
    } else {
        "\nData kept: every row of every table, with its id and values.\n"
    });
    let checks: Vec<&str> = changes.iter().filter_map(|c| c.check.as_deref()).collect();
    if !checks.is_empty() {
        out.push_str(
            "\nChecked inside the migration (when rows do not fit, it fails with the count and \
             leaves the database as it was):\n",
        );
        for c in checks {
            let _ = writeln!(out, "  - {c}");
        }
    }
    let rolling: Vec<&str> = changes
        .iter()
        .filter_map(|c| c.rolling.as_deref())
        .collect();
    if rolling.is_empty() {
        out.push_str(
            "\nRolling deploy: safe; replicas of the previous version keep working while it \
             runs.\n",
        );
    } else {
        out.push_str(
            "\nBreaks a rolling deploy (the generated code reads every column by name):\n",
        );
        for r in rolling {
            let _ = writeln!(out, "  - {r}");
        }
        out.push_str(
            "  Stop the old replicas before migrating, or make the change in two releases: add \
             the new field or entity (optional, or with a default) and deploy; once no old \
             replica runs, remove the old one with `removed` and deploy again.\n",
        );
    }
    out
}

// ---------------------------------------------------------------- refusals

/// The refusals of both databases as located diagnostics, one per change.
fn refusals(app: &App, postgres: &Diff, sqlite: &Diff) -> Vec<Diagnostic> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (refusal, d) in postgres
        .refusals
        .iter()
        .map(|r| (r, postgres))
        .chain(sqlite.refusals.iter().map(|r| (r, sqlite)))
    {
        let key = match refusal {
            Refusal::TableGone { table } => format!("table {table}"),
            Refusal::ColumnGone { table, column } | Refusal::TypeChange { table, column, .. } => {
                format!("column {table}.{column}")
            }
        };
        if seen.insert(key) {
            out.push(diagnostic(app, refusal, d));
        }
    }
    out
}

/// Where a message about the whole spec points: its first line.
fn spec_start() -> Span {
    Span::new(FileId(0), 0, 0)
}

fn diagnostic(app: &App, refusal: &Refusal, d: &Diff) -> Diagnostic {
    match refusal {
        Refusal::TableGone { table } => {
            let mut diag = Diagnostic::error(
                "table_removed_silently",
                spec_start(),
                format!(
                    "the table `{table}` of the last build has no entity or link in the spec; \
                     dropping it would delete its rows"
                ),
            )
            .with_hint(format!(
                "if it was renamed, add `was <old name>` to the new entity's heading (`## Room \
                 {{was Studio}}`) or link; to delete `{table}` and its rows, keep a line for it \
                 with `removed` (`## <old name> {{removed}}`, or `- <link> {{removed}}`)"
            ));
            for t in &d.created {
                if let Some(e) = app.entities.iter().find(|e| e.table == t.name) {
                    diag = diag.with_label(
                        e.span,
                        format!("is `{table}` this entity, renamed? say `{{was ...}}` here"),
                    );
                }
            }
            diag
        }
        Refusal::ColumnGone { table, column } => {
            let entity = app.entities.iter().find(|e| e.table == *table);
            let candidate = d
                .altered
                .iter()
                .find(|t| t.new.name == *table)
                .and_then(|t| {
                    let old = t.old.columns.iter().find(|c| c.name == *column)?;
                    t.added_columns()
                        .find(|c| c.sql_type == old.sql_type)
                        .map(|c| c.name.clone())
                })
                .and_then(|new| entity?.fields.iter().find(|f| f.column == new));
            let span = candidate
                .map(|f| f.span)
                .or(entity.map(|e| e.span))
                .unwrap_or_else(spec_start);
            let mut diag = Diagnostic::error(
                "column_removed_silently",
                span,
                format!(
                    "the column `{column}` of `{table}` is not in the spec any more; dropping it \
                     would delete its values"
                ),
            );
            diag = match candidate {
                Some(f) => diag.with_hint(format!(
                    "if `{}` is `{column}` renamed, add `was {column}` to its braces; to delete \
                     the column and its values, add the line `- {column} {{removed}}`",
                    f.name
                )),
                None => diag.with_hint(format!(
                    "if a field was renamed, add `was {column}` to its braces; to delete the \
                     column and its values, add the line `- {column} {{removed}}` to this entity"
                )),
            };
            diag
        }
        Refusal::TypeChange {
            table,
            column,
            from,
            to,
        } => {
            let entity = app.entities.iter().find(|e| e.table == *table);
            let field = entity.and_then(|e| e.fields.iter().find(|f| f.column == *column));
            let span = field
                .map(|f| f.span)
                .or(entity.map(|e| e.span))
                .unwrap_or_else(spec_start);
            Diagnostic::error(
                "unsafe_type_change",
                span,
                format!(
                    "`{column}` of `{table}` changes from {from} to {to}, which could lose or \
                     garble the values it holds"
                ),
            )
            .with_hint(
                "keep the type (an integer may become a decimal), or add a new field of the \
                 new type and remove this one with `removed` once its values are no longer \
                 needed",
            )
        }
    }
}

// ---------------------------------------------------------------- enumeration values

/// The values an enumeration column accepted in the last build (from its `IN (...)` check),
/// with the field it is now; `None` when the column is new or not an enumeration.
fn old_values<'a>(
    app: &'a App,
    old: &Schema,
    intent: &Intent,
) -> Vec<(&'a specgen_ir::Entity, &'a specgen_ir::Field, Vec<String>)> {
    let mut out = Vec::new();
    for e in &app.entities {
        let table = intent.table_renames.get(&e.table).unwrap_or(&e.table);
        let Some(before) = old.table(table) else {
            continue;
        };
        for f in &e.fields {
            if !matches!(f.ty, specgen_ir::FieldType::Enum { .. }) {
                continue;
            }
            let column = intent
                .column_renames
                .get(&(e.table.clone(), f.column.clone()))
                .unwrap_or(&f.column);
            let prefix = format!("CHECK ({column} IN (");
            let Some(list) = before
                .constraints
                .iter()
                .find_map(|c| c.body.strip_prefix(prefix.as_str()))
            else {
                continue;
            };
            let values = list
                .trim_end_matches(')')
                .split(',')
                .map(|v| v.trim().trim_matches('\'').replace("''", "'"))
                .filter(|v| !v.is_empty())
                .collect();
            out.push((e, f, values));
        }
    }
    out
}

/// Values the last build accepted that the spec neither lists, renames nor removes.
fn values_gone(app: &App, old: &Schema, intent: &Intent) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (e, f, values) in old_values(app, old, intent) {
        let specgen_ir::FieldType::Enum { values: now } = &f.ty else {
            continue;
        };
        for value in values {
            let said = now.contains(&value)
                || f.removed_values.contains(&value)
                || f.value_renames.iter().any(|r| r.from == value);
            if said {
                continue;
            }
            out.push(
                Diagnostic::error(
                    "value_removed_silently",
                    f.span,
                    format!(
                        "`{value}` was a value of `{}` in the last build and is not in the spec \
                         any more; rows of `{}` may hold it",
                        f.name, e.table
                    ),
                )
                .with_hint(format!(
                    "if it was renamed, write `(was {value})` after its new name; to stop \
                     accepting it, keep it in the list as `{value} (removed)` (the migration \
                     then refuses to run while rows hold it)"
                )),
            );
        }
    }
    out
}

/// The plan's words for values the spec removes.
fn values_removed(app: &App, old: &Schema, intent: &Intent) -> Vec<Change> {
    let mut out = Vec::new();
    for (e, f, values) in old_values(app, old, intent) {
        for value in values.iter().filter(|v| f.removed_values.contains(v)) {
            out.push(
                Change::new(
                    format!(
                        "stop accepting {value} in {}.{} (the spec says `removed`)",
                        e.table, f.column
                    ),
                    format!("remove_{}_{}_{value}", e.table, f.column),
                )
                .check(format!(
                    "no row of {} may still hold {value} in {}: the migration stops and \
                     counts the rows that do (change them first)",
                    e.table, f.column
                )),
            );
        }
    }
    out
}
