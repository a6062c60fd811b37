//! The HTTP handlers emitter: one module per entity (`src/http/<plural>.rs`) with its
//! request parsing, SQL, access checks and rule checks, the router that mounts them
//! (`src/http/mod.rs`) and the developer's hooks (`src/hooks/<plural>.rs`).
//!
//! Everything a template prints is computed here; lines whose layout depends on the spec's
//! names go through [`crate::layout`]. Field views are in [`fields`], the constraint, rule
//! and reference checks in [`checks`], access in [`access`].

mod access;
mod body;
mod checks;
mod fields;
mod statements;

use askama::Template;
use specgen_ir::{App, Derived, Entity, FieldType, Rule};

use crate::facts::fields::{settable_on_create, updatable};
use crate::facts::rules::{enforcement, has_delete_window};
use crate::facts::text::{capitalize, prose_lines, with_article};
use crate::files::{Files, Headers};
use crate::layout::{self};
use crate::names::{self, rust_str};

use access::EntityAccess;
use body::{CreateCode, UpdateCode};
use checks::{CompareView, compare_views, constraints_const, reference_checks};
use fields::{
    EnumView, FieldView, LinkView, ListColumnView, enum_view, field_view, link_view, list_columns,
};
use statements::Statements;

/// Adds `src/http/mod.rs` (the router), the request extractors, the list machinery and
/// each entity's hooks. Each entity's own module is put together by the driver, which adds
/// the rules runtime's constants to `views` (see [`crate::emit`]).
pub(crate) fn add_files(out: &mut Files, headers: &Headers<'_>, views: &[EntityView]) {
    let header = headers.generated;
    let mut modules: Vec<String> = views
        .iter()
        .map(|e| e.plural_snake.clone())
        .chain(["extract".to_owned(), "list".to_owned()])
        .collect();
    modules.sort();
    out.add(
        "src/http/mod.rs",
        &HttpMod {
            header,
            entities: views,
            modules,
        },
    );
    out.add("src/http/extract.rs", &ExtractRs { header });
    out.add("src/http/list.rs", &ListRs { header });
    for entity in views {
        out.add_owned(
            &format!("src/hooks/{}.rs", entity.plural_snake),
            &HooksRs {
                header: headers.owned,
                e: entity,
                sig: HookSignatures::new(entity),
            },
        );
    }
}

/// One entity's generated module (`src/http/<plural>.rs`).
#[derive(Debug, Clone)]
pub struct EntityView {
    /// Access rules, field rules and the owner (see [`crate::auth::EntityAccess`]).
    pub access: EntityAccess,
    /// The signature of `New<Entity>::from_json`.
    pub sig_new: String,
    /// The signature of `<Entity>Changes::from_json`.
    pub sig_changes: String,
    /// The signature of `shown`.
    pub sig_shown: String,
    /// `let new = New<Entity>::from_json(body, caller)?;` in the create handler, laid out.
    pub new_line: String,
    /// `let changes = <Entity>Changes::from_json(body, caller, &people)?;`, laid out.
    pub changes_line: String,
    /// The handlers' name for one record: the entity's snake name, or `record` when that is
    /// long enough to push the handlers' lines past the width limit.
    pub var: String,
    /// The `.route(..)` lines of `router()`.
    pub route_lines: Vec<String>,
    pub name: String,
    pub title: String,
    pub snake: String,
    pub plural_snake: String,
    pub words: String,
    pub plural_words: String,
    /// "a booking" / "an order".
    pub article_words: String,
    pub table: String,
    pub route: String,
    pub line: u32,
    pub doc_lines: Vec<String>,
    pub fields: Vec<FieldView>,
    pub links: Vec<LinkView>,
    pub enums: Vec<EnumView>,
    pub rules: Vec<RuleView>,
    pub chrono_import: String,
    pub error_import: String,
    pub validation_import: String,
    pub create_fields: Vec<FieldView>,
    pub create_reads: Vec<String>,
    pub create_unwraps: Vec<String>,
    pub create_literal: String,
    pub update_fields: Vec<FieldView>,
    pub update_refusals: Vec<String>,
    pub update_literal: String,
    pub has_clearable: bool,
    pub apply_param: String,
    pub list_columns: Vec<ListColumnView>,
    pub constraints_const: String,
    /// The `rules::check_new(..)?;`, `rules::check_update(..)?;` and
    /// `rules::check_delete(..)?;` statements of the handlers, laid out.
    pub check_new_line: String,
    pub check_update_line: String,
    pub check_delete_line: String,
    /// Whether deletes must find the record unchanged since it was checked (a time window
    /// on deletes).
    pub has_delete_window: bool,
    /// Whether a time window reads a referenced record's time (`rules::with_parent_times`).
    pub parent_times: bool,
    /// Whether a person the record names may change who it names (`Scope::keeps`).
    pub hands_over: bool,
    /// Whether this is the sign-in entity: deleting an account must leave an admin.
    pub is_auth: bool,
    pub select_lines: Vec<String>,
    pub select_one_lines: Vec<String>,
    pub insert_lines: Vec<String>,
    pub update_lines: Vec<String>,
    pub binds: Vec<String>,
    pub update_binds: Vec<String>,
    pub compares: Vec<CompareView>,
    pub references: Vec<String>,
    pub sig_fetch: String,
    pub sig_check_rules: String,
    pub sig_check_references: String,
    /// `pub(crate) const READABLE: access::Readable = ...;` when a reference elsewhere may
    /// name one of these records.
    pub readable_const: Option<String>,
    /// The `rules::CopyFrom` constants and the `derive` function, when fields are copied
    /// from referenced records.
    pub derive: Option<String>,
    pub sig_insert: String,
    pub sig_update: String,
    pub sig_load_links: String,
    pub sig_save_links: String,
}

#[derive(Debug, Clone)]
pub struct RuleView {
    pub line: u32,
    pub code: String,
    pub message: String,
    /// Where this version of the generated code enforces it.
    pub where_enforced: String,
}

impl EntityView {
    pub fn new(app: &App, entity: &Entity) -> EntityView {
        let snake = entity.snake.clone();
        let fields: Vec<FieldView> = entity
            .fields
            .iter()
            .map(|f| field_view(entity, f))
            .collect();
        let links: Vec<LinkView> = entity.links.iter().map(|l| link_view(app, l)).collect();
        let enums = entity
            .fields
            .iter()
            .filter_map(|f| match &f.ty {
                FieldType::Enum { values } => Some(enum_view(entity, f, values)),
                _ => None,
            })
            .collect();

        let create = CreateCode::new(app, entity, &fields, &links);
        let update = UpdateCode::new(app, entity, &fields);

        let compares = compare_views(app, entity);
        let references = reference_checks(app, entity);
        let uses_field_error = !compares.is_empty() || !references.is_empty();
        let uses_check = entity
            .fields
            .iter()
            .any(|f| !f.owner && (settable_on_create(f) || updatable(f)))
            || !entity.links.is_empty()
            || entity.fields.iter().any(names::is_enum);
        let has_date = entity
            .fields
            .iter()
            .any(|f| matches!(f.ty, FieldType::Date));

        let statements = Statements::new(entity);

        let name = &entity.name;
        let sig = |head: &str, params: &[&str], tail: &str| {
            let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
            layout::signature(0, head, &params, tail)
        };
        let row = format!("row: &{name}");
        let var = if snake.len() <= 20 {
            snake.clone()
        } else {
            "record".to_owned()
        };
        // A window measured on a referenced record's time reads it first.
        let parent_times = crate::facts::rules::has_parent_window(entity);
        let timed = |name: &str, record: &str| {
            if !parent_times {
                return (String::new(), record.to_owned());
            }
            let line = layout::call(
                4,
                &format!("let {name} = rules::with_parent_times("),
                &[
                    "&state.db".to_owned(),
                    record.to_owned(),
                    "CHANGE_RULES".to_owned(),
                ],
                ").await?;",
            )
            .replace("\n    ).await?;", "\n    )\n    .await?;");
            (format!("{line}\n"), format!("&{name}"))
        };
        let (before, new) = timed("new_times", &format!("&{var}"));
        let check_new_line = before
            + &layout::call(
                4,
                "rules::check_new(",
                &[new, "CHANGE_RULES".to_owned()],
                ")?;",
            );
        let (before, stored) = timed("stored_times", "&current");
        let check_update_line = before
            + &layout::call(
                4,
                "rules::check_update(",
                &[
                    stored,
                    format!("&{var}"),
                    "caller".to_owned(),
                    "&people".to_owned(),
                    "CHANGE_RULES".to_owned(),
                ],
                ")?;",
            );
        let (before, stored) = timed("stored_times", &format!("&{var}"));
        let check_delete_line = before
            + &layout::call(
                4,
                "rules::check_delete(",
                &[stored, "CHANGE_RULES".to_owned()],
                ")?;",
            );
        let item_route = format!("{}/{{id}}", entity.route);
        let route_lines = [
            (&entity.route, format!("get(list_{})", entity.plural_snake)),
            (&entity.route, format!("post(create_{snake})")),
            (&item_route, format!("get(read_{snake})")),
            (&item_route, format!("patch(update_{snake})")),
            (&item_route, format!("delete(delete_{snake})")),
        ]
        .into_iter()
        .map(|(route, handler)| layout::call(8, ".route(", &[rust_str(route), handler], ")"))
        .collect();
        let access = EntityAccess::new(app, entity);
        // Owner fields only need to exist; any other reference is checked against the caller.
        let checks_access = entity
            .fields
            .iter()
            .any(|f| !f.owner && matches!(f.ty, FieldType::Reference { .. }))
            || !entity.links.is_empty();
        let has_owner_field = entity.fields.iter().any(|f| f.owner);
        let caller_used = access.has_settable || has_owner_field;
        let unused = |used: bool, name: &str| {
            if used {
                name.to_owned()
            } else {
                format!("_{name}")
            }
        };
        let sig_new = layout::signature(
            4,
            "pub fn from_json(",
            &[
                "body: JsonObject".to_owned(),
                format!(
                    "{}: Option<&access::AuthUser>",
                    unused(caller_used, "caller")
                ),
            ],
            ") -> Result<Self, ApiError> {",
        );
        let sig_changes = layout::signature(
            4,
            "pub fn from_json(",
            &[
                "body: JsonObject".to_owned(),
                format!(
                    "{}: Option<&access::AuthUser>",
                    unused(caller_used, "caller")
                ),
                format!(
                    "{}: access::People<'_>",
                    unused(access.has_settable, "people")
                ),
            ],
            ") -> Result<Self, ApiError> {",
        );
        let sig_shown = layout::signature(
            0,
            "fn shown(",
            &[
                format!("row: &{name}"),
                "caller: Option<&access::AuthUser>".to_owned(),
            ],
            ") -> serde_json::Value {",
        );
        // A `let` whose call does not fit goes to the next line, as rustfmt puts it.
        let let_line = |name: &str, call: String| {
            let head = format!("let {name} = ");
            if layout::fits(4, &[&head, &call]) {
                format!("    {head}{call}")
            } else {
                format!("    {}\n        {call}", head.trim_end())
            }
        };
        let new_line = let_line("new", format!("New{name}::from_json(body, caller)?;"));
        let changes_line = let_line(
            "changes",
            format!("{name}Changes::from_json(body, caller, &people)?;"),
        );
        EntityView {
            new_line,
            changes_line,
            access,
            sig_new,
            sig_changes,
            sig_shown,
            var,
            route_lines,
            name: name.clone(),
            title: capitalize(&entity.plural_words),
            snake: snake.clone(),
            plural_snake: entity.plural_snake.clone(),
            words: entity.words.clone(),
            plural_words: entity.plural_words.clone(),
            article_words: with_article(&entity.words),
            table: entity.table.clone(),
            route: entity.route.clone(),
            line: entity.line,
            doc_lines: prose_lines(&entity.description),
            fields,
            links,
            enums,
            rules: entity.rules.iter().map(rule_view).collect(),
            chrono_import: if has_date {
                "{DateTime, NaiveDate, Utc}"
            } else {
                "{DateTime, Utc}"
            }
            .to_owned(),
            error_import: if uses_field_error {
                "{self, ApiError, FieldError}"
            } else {
                "{self, ApiError}"
            }
            .to_owned(),
            validation_import: if uses_check {
                "{Fields, JsonObject, check}"
            } else {
                "{Fields, JsonObject}"
            }
            .to_owned(),
            create_fields: create.create_fields,
            create_reads: create.create_reads,
            create_unwraps: create.create_unwraps,
            create_literal: create.create_literal,
            update_fields: update.update_fields,
            update_refusals: update.update_refusals,
            update_literal: update.update_literal,
            has_clearable: update.has_clearable,
            apply_param: update.apply_param,
            list_columns: list_columns(entity),
            constraints_const: constraints_const(entity),
            check_new_line,
            check_update_line,
            check_delete_line,
            has_delete_window: has_delete_window(entity),
            parent_times,
            hands_over: !crate::facts::access::handed_over(entity).is_empty(),
            is_auth: entity.is_auth,
            select_lines: statements.select_lines,
            select_one_lines: statements.select_one_lines,
            insert_lines: statements.insert_lines,
            update_lines: statements.update_lines,
            binds: statements.binds,
            update_binds: statements.update_binds,
            compares,
            references,
            sig_fetch: sig(
                "pub async fn fetch(",
                &["pool: &DbPool", "id: Uuid"],
                &format!(") -> Result<Option<{name}>, sqlx::Error> {{"),
            ),
            sig_check_rules: sig("fn check_rules(", &[&row], ") -> Result<(), ApiError> {"),
            sig_check_references: sig(
                "async fn check_references(",
                &[
                    "pool: &DbPool",
                    &row,
                    &format!(
                        "{}: Option<&access::AuthUser>",
                        unused(checks_access, "caller")
                    ),
                    &format!("{}: Option<&{name}>", unused(checks_access, "before")),
                ],
                ") -> Result<(), ApiError> {",
            ),
            readable_const: is_referenced(app, entity).then(|| readable_const(entity)),
            derive: derive_code(app, entity),
            sig_insert: sig(
                "async fn insert(",
                &["transaction: &mut WriteTx", &row],
                ") -> Result<(), ApiError> {",
            ),
            sig_update: sig(
                "async fn update(",
                &["transaction: &mut WriteTx", &row, "seen: DateTime<Utc>"],
                ") -> Result<(), ApiError> {",
            ),
            sig_load_links: sig(
                "async fn load_links(",
                &["pool: &DbPool", &format!("rows: &mut [{name}]")],
                ") -> Result<(), sqlx::Error> {",
            ),
            sig_save_links: sig(
                "async fn save_links(",
                &["transaction: &mut sqlx::Transaction<'_, db::Db>", &row],
                ") -> Result<(), ApiError> {",
            ),
        }
    }
}

fn rule_view(rule: &Rule) -> RuleView {
    RuleView {
        line: rule.line,
        code: rule.code.clone(),
        message: rule.message.clone(),
        where_enforced: enforcement(rule),
    }
}

/// The signatures of an entity's hook functions (user-owned `src/hooks/<plural>.rs`).
#[derive(Debug, Clone)]
pub struct HookSignatures {
    pub before_create: String,
    pub before_update: String,
    pub before_delete: String,
}

impl HookSignatures {
    pub fn new(entity: &EntityView) -> HookSignatures {
        let (name, snake) = (&entity.name, &entity.snake);
        let tail = ") -> Result<(), ApiError> {";
        let sig = |head: &str, params: Vec<String>| layout::signature(0, head, &params, tail);
        HookSignatures {
            before_create: sig(
                "pub async fn before_create(",
                vec![
                    "_state: &AppState".to_owned(),
                    format!("_{snake}: &mut {name}"),
                ],
            ),
            before_update: sig(
                "pub async fn before_update(",
                vec![
                    "_state: &AppState".to_owned(),
                    format!("_current: &{name}"),
                    format!("_{snake}: &mut {name}"),
                ],
            ),
            before_delete: sig(
                "pub async fn before_delete(",
                vec!["_state: &AppState".to_owned(), format!("_{snake}: &{name}")],
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "backend/src/http/mod.rs")]
struct HttpMod<'a> {
    header: &'a str,
    entities: &'a [EntityView],
    modules: Vec<String>,
}

#[derive(Template)]
#[template(path = "backend/src/http/extract.rs")]
struct ExtractRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/http/list.rs")]
struct ListRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/hooks/entity.rs")]
struct HooksRs<'a> {
    header: &'a str,
    e: &'a EntityView,
    sig: HookSignatures,
}

/// Whether a link, or a reference other than an owner field, of any entity names `entity`:
/// those are checked against the caller's read access (`READABLE`).
fn is_referenced(app: &App, entity: &Entity) -> bool {
    app.entities.iter().any(|e| {
        e.links.iter().any(|l| l.target == entity.name)
            || e.fields.iter().any(|f| match &f.ty {
                FieldType::Reference { entity: target, .. } => !f.owner && *target == entity.name,
                _ => false,
            })
    })
}

/// The `READABLE` constant: the table, the read grant and the owner column that a
/// reference to this entity is checked against.
fn readable_const(entity: &Entity) -> String {
    let doc = layout::doc_comment(&format!(
        "What a reference to {} is checked against: a caller may only name one they may read.",
        with_article(&entity.words)
    ));
    format!(
        "{doc}\npub(crate) const READABLE: access::Readable = access::Readable {{\n{}\n    read: ACCESS.read,\n    role: None,\n}};",
        layout::field_init(4, "table", &rust_str(&entity.table))
    )
}

/// The copies of an entity's derived fields (`copied from product.price`): one
/// `rules::CopyFrom` constant each, and `derive`, which reads them inside the write
/// transaction when a record is created and whenever the reference a copy comes through
/// changes.
fn derive_code(app: &App, entity: &Entity) -> Option<String> {
    let mut consts = Vec::new();
    let mut body = Vec::new();
    for field in &entity.fields {
        let Some(Derived::Copy {
            reference,
            field: source,
        }) = &field.derived
        else {
            continue;
        };
        let via = entity.field(reference)?;
        let FieldType::Reference { entity: target, .. } = &via.ty else {
            continue;
        };
        let target = app.entity(target)?;
        let column = target
            .field(source)
            .map_or(source.as_str(), |f| f.column.as_str());
        let name = format!("{}_COPY", field.ident.trim_end_matches('_').to_uppercase());
        let doc = layout::doc_comment(&format!(
            "`{}` is copied from the {}'s `{}`.",
            field.json, via.name, source
        ));
        // rustfmt moves the literal under a head too long for one line, one level in.
        let head = format!("const {name}: rules::CopyFrom =");
        let (indent, open, close) = if layout::fits(0, &[&head, " rules::CopyFrom {"]) {
            (0, format!("{head} rules::CopyFrom {{"), "};".to_owned())
        } else {
            (
                4,
                format!("{head}\n    rules::CopyFrom {{"),
                "    };".to_owned(),
            )
        };
        let inits = [
            layout::field_init(indent + 4, "table", &rust_str(&target.table)),
            layout::field_init(indent + 4, "column", &rust_str(column)),
            layout::field_init(indent + 4, "reference", &rust_str(&via.json)),
            layout::field_init(
                indent + 4,
                "missing",
                &rust_str(&format!("no {} has this id", target.words)),
            ),
        ];
        consts.push(format!("{doc}\n{open}\n{}\n{close}", inits.join("\n")));
        let reference = &via.ident;
        let guard = checks::unchanged_check(
            4,
            "if ",
            &format!("before.{reference} != row.{reference}"),
            " {",
        );
        // `rules::copied` reads the column as the copy's own type: `Option<_>` for an
        // optional copy of a required source.
        let value = copy_call(8, &format!("row.{}", field.ident), &name, reference);
        body.push(format!("{guard}\n{value}\n    }}"));
    }
    if body.is_empty() {
        return None;
    }
    let signature = layout::signature(
        0,
        "async fn derive(",
        &[
            "transaction: &mut WriteTx".to_owned(),
            format!("row: &mut {}", entity.name),
            format!("before: Option<&{}>", entity.name),
        ],
        ") -> Result<(), ApiError> {",
    );
    Some(format!(
        "{}\n\n/// Sets the values this record copies from the records it references, read inside the\n/// write transaction: when it is created, and whenever the reference a copy comes through\n/// changes.\n{signature}\n{}\n    Ok(())\n}}",
        consts.join("\n\n"),
        body.join("\n")
    ))
}

/// `<target> = rules::copied(transaction, &<COPY>, row.<reference>).await?;` at `indent`,
/// laid out as rustfmt does: one line, else the call on the next line, else one argument
/// per line.
fn copy_call(indent: usize, target: &str, copy: &str, reference: &str) -> String {
    let args = [
        "transaction".to_owned(),
        format!("&{copy}"),
        format!("row.{reference}"),
    ];
    let joined = args.join(", ");
    let pad = " ".repeat(indent);
    let call = format!("rules::copied({joined}).await?");
    if joined.len() <= 60 && layout::fits(indent, &[target, " = ", &call, ";"]) {
        return format!("{pad}{target} = {call};");
    }
    if joined.len() <= 60 && layout::fits(indent + 4, &[&call, ";"]) {
        return format!("{pad}{target} =\n{pad}    {call};");
    }
    let args: String = args.iter().map(|a| format!("{pad}    {a},\n")).collect();
    format!("{pad}{target} = rules::copied(\n{args}{pad})\n{pad}.await?;")
}
