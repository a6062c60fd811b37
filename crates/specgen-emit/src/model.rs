//! View models of the generated Rust code: everything a template prints, computed here.
//! Lines whose layout depends on the spec's names go through [`crate::layout`].

use specgen_ir::{App, CompareOp, Entity, Field, FieldType, Link, Rule, RuleKind, Value};

use crate::layout::{self, continued, wrap_sql};
use crate::names::{self, rust_f64, rust_str};
use crate::rules;
use crate::sql::{self, ConstraintKind};

/// The most ids a many-to-many link accepts in one request.
pub const MAX_LINKS: usize = 1000;

/// One entity's generated module (`src/http/<plural>.rs`).
#[derive(Debug, Clone)]
pub struct EntityView {
    /// Access rules, field rules and the owner (see [`crate::auth::EntityAccess`]).
    pub access: crate::auth::EntityAccess,
    /// The signature of `New<Entity>::from_json`.
    pub sig_new: String,
    /// The signature of `<Entity>Changes::from_json`.
    pub sig_changes: String,
    /// The signature of `shown`.
    pub sig_shown: String,
    /// `let new = New<Entity>::from_json(body, caller)?;` in the create handler, laid out.
    pub new_line: String,
    /// `let changes = <Entity>Changes::from_json(body, caller, owner)?;`, laid out.
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
    /// Whether the entity has rules checked inside the write transaction (limits, no overlap).
    pub has_row_rules: bool,
    /// `const RULES: &[rules::RowRule] = ...;` when `has_row_rules`.
    pub row_rules_const: String,
    /// Whether the entity has rules on how a record may change (immutability, transitions,
    /// time windows), checked before every create, update and delete.
    pub has_change_rules: bool,
    /// `const CHANGE_RULES: &[rules::ChangeRule] = ...;` when `has_change_rules`.
    pub change_rules_const: String,
    /// The `rules::check_new(..)?;`, `rules::check_update(..)?;` and
    /// `rules::check_delete(..)?;` statements of the handlers, laid out.
    pub check_new_line: String,
    pub check_update_line: String,
    pub check_delete_line: String,
    /// Whether deletes must find the record unchanged since it was checked (a time window
    /// on deletes).
    pub has_delete_window: bool,
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
    pub sig_insert: String,
    pub sig_update: String,
    pub sig_load_links: String,
    pub sig_save_links: String,
}

#[derive(Debug, Clone)]
pub struct FieldView {
    pub ident: String,
    pub json: String,
    pub doc: String,
    /// `pub <ident>: <type>,` in the record struct, laid out.
    pub decl: String,
    /// `pub <ident>: <change type>,` in `<Entity>Changes`.
    pub change_decl: String,
    /// `<ident>: db::get(row, "<column>")?,` in `from_row`.
    pub from_row: String,
    /// `<ident>: <from_new>,` in `into_<entity>`.
    pub init: String,
}

#[derive(Debug, Clone)]
pub struct LinkView {
    /// `row.<ident>.push(target);` in `load_links`, laid out.
    pub push: String,
    /// `.replace(transaction, row.id, &row.<ident>)` in `save_links`, laid out.
    pub replace: String,
    /// `<ident>: self.<ident>,` in `into_<entity>`.
    pub init: String,
    /// `pub <ident>: Vec<Uuid>,` laid out.
    pub decl: String,
    /// `pub <ident>: Option<Vec<Uuid>>,` laid out.
    pub change_decl: String,
    pub ident: String,
    pub json: String,
    pub doc: String,
    pub const_name: String,
    pub join_table: String,
    pub source_column: String,
    pub target_column: String,
}

#[derive(Debug, Clone)]
pub struct EnumView {
    pub name: String,
    pub field_json: String,
    pub line: u32,
    pub variants: Vec<VariantView>,
    pub values_const: String,
}

#[derive(Debug, Clone)]
pub struct VariantView {
    pub ident: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct RuleView {
    pub line: u32,
    pub code: String,
    pub message: String,
    /// Where this version of the generated code enforces it.
    pub where_enforced: String,
}

#[derive(Debug, Clone)]
pub struct ListColumnView {
    pub name: String,
    pub column: String,
    /// `kind: list::Kind::..,` laid out.
    pub kind_line: String,
    pub nullable: bool,
    pub filter: bool,
    pub sort: bool,
}

#[derive(Debug, Clone)]
pub struct CompareView {
    pub line: u32,
    pub message: String,
    /// The `if` statement, indented.
    pub code: String,
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

        let create_fields: Vec<FieldView> = entity
            .fields
            .iter()
            .zip(&fields)
            .filter(|(f, _)| settable_on_create(f))
            .map(|(_, v)| v.clone())
            .collect();
        let mut create_reads = Vec::new();
        let mut create_unwraps = Vec::new();
        for field in &entity.fields {
            if !settable_on_create(field) {
                create_reads.push(refuse(field, "read_only", "is set by the server"));
                continue;
            }
            if field.owner {
                let args = vec![
                    "&mut fields".to_owned(),
                    rust_str(&field.json),
                    "caller".to_owned(),
                ];
                let head = format!("let {} = access::new_owner(", field.ident);
                create_reads.push(layout::call(8, &head, &args, ")?;"));
                continue;
            }
            let check = check_expr(entity, field);
            let json = rust_str(&field.json);
            let default = field
                .default
                .as_ref()
                .map(|d| default_expr(entity, field, d));
            let (method, args) = match (field.required, default) {
                (true, None) => ("required", vec![json, check]),
                (true, Some(default)) => ("required_or", vec![json, default, check]),
                (false, None) => ("optional", vec![json, check]),
                (false, Some(default)) => ("optional_or", vec![json, default, check]),
            };
            if field.required {
                create_unwraps.push(layout::let_some_else(8, &field.ident));
            }
            let read = layout::let_method_call(8, &field.ident, "fields", method, &args);
            create_reads.push(read);
        }
        for link in &entity.links {
            let args = vec![
                rust_str(&link.json),
                "Vec::new()".to_owned(),
                format!("check::ids({MAX_LINKS})"),
            ];
            let read = layout::let_method_call(8, &link.ident, "fields", "required_or", &args);
            create_reads.push(read);
            create_unwraps.push(layout::let_some_else(8, &link.ident));
        }
        let literal_fields: Vec<String> = create_fields
            .iter()
            .map(|f| f.ident.clone())
            .chain(links.iter().map(|l| l.ident.clone()))
            .collect();
        let create_literal = layout::struct_literal(8, "Ok(Self {", &literal_fields, "})");

        let update_fields: Vec<FieldView> = entity
            .fields
            .iter()
            .zip(&fields)
            .filter(|(f, _)| updatable(f))
            .map(|(_, v)| v.clone())
            .collect();
        let mut update_refusals = Vec::new();
        let mut update_inits = Vec::new();
        for field in &entity.fields {
            if updatable(field) && field.owner {
                let prefix = format!("{}: access::owner_change(", field.ident);
                let args = vec![
                    "&mut fields".to_owned(),
                    rust_str(&field.json),
                    "caller".to_owned(),
                ];
                update_inits.push(layout::call(12, &prefix, &args, "),"));
            } else if updatable(field) {
                let method = if field.required {
                    "change"
                } else {
                    "change_optional"
                };
                let prefix = format!("{}: ", field.ident);
                let args = vec![rust_str(&field.json), check_expr(entity, field)];
                update_inits.push(layout::method_call(
                    12, &prefix, "fields", method, &args, ",",
                ));
            } else if field.read_only && !field.owner {
                update_refusals.push(refuse(field, "read_only", "is set by the server"));
            } else {
                update_refusals.push(refuse(
                    field,
                    "immutable",
                    "cannot be changed after creation",
                ));
            }
        }
        for link in &entity.links {
            let prefix = format!("{}: ", link.ident);
            let args = vec![rust_str(&link.json), format!("check::ids({MAX_LINKS})")];
            update_inits.push(layout::method_call(
                12, &prefix, "fields", "change", &args, ",",
            ));
        }
        let update_literal = if update_inits.is_empty() {
            format!("        let changes = {}Changes {{}};", entity.name)
        } else {
            format!(
                "        let changes = {}Changes {{\n{}\n        }};",
                entity.name,
                update_inits.join("\n")
            )
        };
        let has_clearable = entity.fields.iter().any(|f| updatable(f) && !f.required);
        let apply_param = if update_inits.is_empty() {
            "_row".to_owned()
        } else {
            "row".to_owned()
        };

        let compares = compare_views(app, entity);
        let row_rules_const = rules::row_rules_const(app, entity);
        let change_rules_const = rules::change_rules_const(app, entity);
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

        let column_names: Vec<String> = std::iter::once("id".to_owned())
            .chain(entity.fields.iter().map(|f| f.column.clone()))
            .chain(["created_at".to_owned(), "updated_at".to_owned()])
            .collect();
        let select = wrap_sql(&format!("SELECT {}", column_names.join(", ")));
        let mut select_lines = continued(&select);
        end_line(&mut select_lines);
        select_lines.push(format!("FROM {}", entity.table));
        let mut select_one_lines = select_lines.clone();
        end_line(&mut select_one_lines);
        select_one_lines.push("WHERE id = $1".to_owned());
        let placeholders: Vec<String> = (1..=column_names.len()).map(|i| format!("${i}")).collect();
        let mut insert_lines = continued(&wrap_sql(&format!(
            "INSERT INTO {} ({})",
            entity.table,
            column_names.join(", ")
        )));
        end_line(&mut insert_lines);
        insert_lines.extend(continued(&wrap_sql(&format!(
            "VALUES ({})",
            placeholders.join(", ")
        ))));
        let mut sets: Vec<String> = entity
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{} = ${}", f.column, i + 2))
            .collect();
        let updated_at = entity.fields.len() + 2;
        sets.push(format!("updated_at = ${updated_at}"));
        let mut update_lines = continued(&wrap_sql(&format!(
            "UPDATE {} SET {}",
            entity.table,
            sets.join(", ")
        )));
        end_line(&mut update_lines);
        update_lines.push(format!(
            "WHERE id = $1 AND updated_at = ${}",
            updated_at + 1
        ));

        let binds: Vec<String> = std::iter::once("id".to_owned())
            .chain(entity.fields.iter().map(|f| f.ident.clone()))
            .chain(["created_at".to_owned(), "updated_at".to_owned()])
            .map(|field| layout::bind(8, &field))
            .collect();
        let update_binds: Vec<String> = entity
            .fields
            .iter()
            .map(|f| f.ident.clone())
            .chain(["updated_at".to_owned()])
            .map(|field| layout::bind(8, &field))
            .collect();

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
        let check_new_line = layout::call(
            4,
            "rules::check_new(",
            &[format!("&{var}"), "CHANGE_RULES".to_owned()],
            ")?;",
        );
        let check_update_line = layout::call(
            4,
            "rules::check_update(",
            &[
                "&current".to_owned(),
                format!("&{var}"),
                "caller".to_owned(),
                "owner".to_owned(),
                "CHANGE_RULES".to_owned(),
            ],
            ")?;",
        );
        let check_delete_line = layout::call(
            4,
            "rules::check_delete(",
            &[format!("&{var}"), "CHANGE_RULES".to_owned()],
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
        let access = crate::auth::EntityAccess::new(app, entity);
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
                format!("{}: Option<Uuid>", unused(access.has_settable, "owner")),
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
            format!("{name}Changes::from_json(body, caller, owner)?;"),
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
            create_fields,
            create_reads,
            create_unwraps,
            create_literal,
            update_fields,
            update_refusals,
            update_literal,
            has_clearable,
            apply_param,
            list_columns: list_columns(entity),
            constraints_const: constraints_const(entity),
            has_row_rules: row_rules_const.is_some(),
            row_rules_const: row_rules_const.unwrap_or_default(),
            has_change_rules: change_rules_const.is_some(),
            change_rules_const: change_rules_const.unwrap_or_default(),
            check_new_line,
            check_update_line,
            check_delete_line,
            has_delete_window: rules::has_delete_window(entity),
            select_lines,
            select_one_lines,
            insert_lines,
            update_lines,
            binds,
            update_binds,
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
                &["pool: &DbPool", &row],
                ") -> Result<(), ApiError> {",
            ),
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

/// Whether clients send the field when creating. Server-set fields need a value without
/// them: a default, or empty.
pub fn settable_on_create(field: &Field) -> bool {
    let server_set = field.read_only && !field.owner;
    let has_value_without_client = field.default.is_some() || !field.required;
    !(server_set && has_value_without_client)
}

/// Whether clients may change the field after creation. The owner field only changes when
/// an admin hands the record to another account (`access::owner_change`).
pub fn updatable(field: &Field) -> bool {
    !field.immutable && !field.read_only
}

/// The Rust type of a field's value (without `Option`).
pub fn base_type(entity: &Entity, field: &Field) -> String {
    match &field.ty {
        FieldType::Text { .. } | FieldType::Email | FieldType::Url => "String".to_owned(),
        FieldType::Integer { .. } | FieldType::Money { .. } => "i64".to_owned(),
        FieldType::Decimal { .. } => "f64".to_owned(),
        FieldType::Boolean => "bool".to_owned(),
        FieldType::Date => "NaiveDate".to_owned(),
        FieldType::DateTime => "DateTime<Utc>".to_owned(),
        FieldType::Uuid | FieldType::Reference { .. } => "Uuid".to_owned(),
        FieldType::Json => "serde_json::Value".to_owned(),
        FieldType::Enum { .. } => names::enum_type(entity, field),
    }
}

/// Lowercase first letter to uppercase.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "a booking", "an order".
pub fn with_article(words: &str) -> String {
    let vowel = words
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {words}", if vowel { "an" } else { "a" })
}

/// Non-empty, trimmed lines of prose.
pub fn prose_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
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

fn rule_view(rule: &Rule) -> RuleView {
    RuleView {
        line: rule.line,
        code: rule.code.clone(),
        message: rule.message.clone(),
        where_enforced: enforcement(rule),
    }
}

fn field_view(entity: &Entity, field: &Field) -> FieldView {
    let base = base_type(entity, field);
    let rust_type = if field.required {
        base.clone()
    } else {
        format!("Option<{base}>")
    };
    let change_type = if field.required {
        format!("Option<{base}>")
    } else {
        format!("Option<Option<{base}>>")
    };
    let from_new = if settable_on_create(field) {
        format!("self.{}", field.ident)
    } else {
        match &field.default {
            Some(default) if field.required => default_expr(entity, field, default),
            Some(default) => format!("Some({})", default_expr(entity, field, default)),
            None => "None".to_owned(),
        }
    };
    let decl = format!("pub {}", field.ident);
    let get_args = ["row".to_owned(), rust_str(&field.column)];
    FieldView {
        ident: field.ident.clone(),
        json: field.json.clone(),
        doc: field_doc(field),
        decl: layout::field_decl(4, &decl, &rust_type),
        change_decl: layout::field_decl(4, &decl, &change_type),
        from_row: layout::call(12, &format!("{}: db::get(", field.ident), &get_args, ")?,"),
        init: match from_new.strip_prefix("self.") {
            Some(own) => layout::self_field_init(12, &field.ident, own),
            None => layout::field_init(12, &field.ident, &from_new),
        },
    }
}

fn field_doc(field: &Field) -> String {
    let mut doc = format!("{} (line {})", field.name, field.line);
    let description = prose_lines(&field.description).join(" ");
    if !description.is_empty() {
        doc.push_str(": ");
        doc.push_str(&description);
    }
    if let FieldType::Money { .. } = field.ty {
        doc.push_str(if description.is_empty() {
            ": in cents"
        } else {
            " (in cents)"
        });
    }
    if !doc.ends_with('.') {
        doc.push('.');
    }
    doc
}

fn link_view(app: &App, link: &Link) -> LinkView {
    let target = app
        .entity(&link.target)
        .map_or(link.target.clone(), |t| t.plural_words.clone());
    let decl = format!("pub {}", link.ident);
    LinkView {
        init: layout::self_field_init(12, &link.ident, &link.ident),
        push: layout::field_method_call(12, "row", &link.ident, "push(target)", ";"),
        replace: layout::call(
            8,
            ".replace(",
            &[
                "transaction".to_owned(),
                "row.id".to_owned(),
                format!("&row.{}", link.ident),
            ],
            ")",
        ),
        decl: layout::field_decl(4, &decl, "Vec<Uuid>"),
        change_decl: layout::field_decl(4, &decl, "Option<Vec<Uuid>>"),
        ident: link.ident.clone(),
        json: link.json.clone(),
        doc: format!(
            "{} (line {}): ids of the linked {target}.",
            link.name, link.line
        ),
        const_name: format!("{}_LINK", link.ident.trim_end_matches('_').to_uppercase()),
        join_table: link.join_table.clone(),
        source_column: link.source_column.clone(),
        target_column: link.target_column.clone(),
    }
}

fn enum_view(entity: &Entity, field: &Field, values: &[String]) -> EnumView {
    let name = names::enum_type(entity, field);
    let quoted: Vec<String> = values.iter().map(|v| rust_str(v)).collect();
    let head = format!("pub const VALUES: [&str; {}] = [", values.len());
    EnumView {
        name,
        field_json: field.json.clone(),
        line: field.line,
        variants: values
            .iter()
            .map(|v| VariantView {
                ident: names::enum_variant(v),
                value: v.clone(),
            })
            .collect(),
        values_const: layout::array(4, &head, &quoted, "];"),
    }
}

fn refuse(field: &Field, code: &str, message: &str) -> String {
    let args = vec![rust_str(&field.json), rust_str(code), rust_str(message)];
    layout::method_call(8, "", "fields", "refuse", &args, ";")
}

/// The check of a field's value: a function of `check`, or a constructor taking its bounds.
fn check_expr(entity: &Entity, field: &Field) -> String {
    let bound = |b: Option<i64>| b.map_or("None".to_owned(), |b| format!("Some({b})"));
    let bound_f =
        |b: Option<f64>| b.map_or("None".to_owned(), |b| format!("Some({})", rust_f64(b)));
    match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => {
            format!("check::text({min_length}, {max_length})")
        }
        FieldType::Email => "check::email".to_owned(),
        FieldType::Url => "check::url".to_owned(),
        FieldType::Integer { min, max } | FieldType::Money { min, max } => {
            format!("check::integer({}, {})", bound(*min), bound(*max))
        }
        FieldType::Decimal { min, max } => {
            format!("check::decimal({}, {})", bound_f(*min), bound_f(*max))
        }
        FieldType::Boolean => "check::boolean".to_owned(),
        FieldType::Date => "check::date".to_owned(),
        FieldType::DateTime => "check::datetime".to_owned(),
        FieldType::Uuid | FieldType::Reference { .. } => "check::uuid".to_owned(),
        FieldType::Json => "check::json".to_owned(),
        FieldType::Enum { .. } => format!("{}::from_json", names::enum_type(entity, field)),
    }
}

/// A default value as a Rust expression of the field's type.
pub fn default_expr(entity: &Entity, field: &Field, value: &Value) -> String {
    match (value, &field.ty) {
        (Value::Now, FieldType::Date) => "db::now().date_naive()".to_owned(),
        (Value::Now, _) => "db::now()".to_owned(),
        (Value::Text(text) | Value::Enum(text), FieldType::Enum { .. }) => {
            format!(
                "{}::{}",
                names::enum_type(entity, field),
                names::enum_variant(text)
            )
        }
        (Value::Text(text) | Value::Enum(text), _) => format!("{}.to_owned()", rust_str(text)),
        (Value::Integer(n) | Value::Money(n), FieldType::Decimal { .. }) => rust_f64(*n as f64),
        (Value::Integer(n) | Value::Money(n), _) => n.to_string(),
        (Value::Decimal(n), _) => rust_f64(*n),
        (Value::Bool(b), _) => b.to_string(),
    }
}

fn list_columns(entity: &Entity) -> Vec<ListColumnView> {
    let mut columns: Vec<ListColumnView> = entity
        .fields
        .iter()
        .filter(|f| f.filterable || f.sortable)
        .filter_map(|f| {
            let kind = match &f.ty {
                FieldType::Text { .. } | FieldType::Url => "list::Kind::Text".to_owned(),
                FieldType::Email => "list::Kind::Email".to_owned(),
                FieldType::Integer { .. } | FieldType::Money { .. } => {
                    "list::Kind::Integer".to_owned()
                }
                FieldType::Decimal { .. } => "list::Kind::Decimal".to_owned(),
                FieldType::Boolean => "list::Kind::Boolean".to_owned(),
                FieldType::Date => "list::Kind::Date".to_owned(),
                FieldType::DateTime => "list::Kind::DateTime".to_owned(),
                FieldType::Uuid | FieldType::Reference { .. } => "list::Kind::Uuid".to_owned(),
                FieldType::Enum { .. } => {
                    format!("list::Kind::Enum(&{}::VALUES)", names::enum_type(entity, f))
                }
                FieldType::Json => return None,
            };
            Some(ListColumnView {
                name: f.json.clone(),
                column: f.column.clone(),
                kind_line: kind_line(&kind),
                nullable: !f.required,
                filter: f.filterable,
                sort: f.sortable,
            })
        })
        .collect();
    for implicit in ["created_at", "updated_at"] {
        columns.push(ListColumnView {
            name: implicit.to_owned(),
            column: implicit.to_owned(),
            kind_line: kind_line("list::Kind::DateTime"),
            nullable: false,
            filter: false,
            sort: true,
        });
    }
    columns
}

/// `kind: <kind>,`, breaking an enumeration's values path onto its own line when long.
fn kind_line(kind: &str) -> String {
    match kind
        .strip_prefix("list::Kind::Enum(")
        .and_then(|k| k.strip_suffix(')'))
    {
        Some(values) => layout::call(8, "kind: list::Kind::Enum(", &[values.to_owned()], "),"),
        None => format!("        kind: {kind},"),
    }
}

fn constraints_const(entity: &Entity) -> String {
    let constraints = sql::constraints(entity);
    if constraints.is_empty() {
        return "const CONSTRAINTS: &[error::Constraint] = &[];".to_owned();
    }
    let mut out = String::from("const CONSTRAINTS: &[error::Constraint] = &[\n");
    for c in constraints {
        let violation = match &c.kind {
            ConstraintKind::Unique => "violation: error::Violation::Unique,".to_owned(),
            ConstraintKind::Reference => "violation: error::Violation::Reference,".to_owned(),
            ConstraintKind::Check => "violation: error::Violation::Check,".to_owned(),
            ConstraintKind::Rule { code, conflict } => {
                let status = if *conflict {
                    "StatusCode::CONFLICT"
                } else {
                    "StatusCode::UNPROCESSABLE_ENTITY"
                };
                layout::struct_literal(
                    8,
                    "violation: error::Violation::Rule {",
                    &[
                        format!("code: {}", rust_str(code)),
                        format!("status: {status}"),
                    ],
                    "},",
                )
                .trim_start()
                .to_owned()
            }
        };
        let sqlite = match &c.sqlite_message {
            Some(message) => format!("Some({})", rust_str(message)),
            None => "None".to_owned(),
        };
        let fields: Vec<String> = c.fields.iter().map(|f| rust_str(f)).collect();
        out.push_str("    error::Constraint {\n");
        out.push_str(&format!("        name: {},\n", rust_str(&c.name)));
        let sqlite_line = format!("sqlite_message: {sqlite},");
        if layout::fits(8, &[&sqlite_line]) {
            out.push_str(&format!("        {sqlite_line}\n"));
        } else {
            out.push_str(&format!(
                "        sqlite_message: Some(\n            {},\n        ),\n",
                &sqlite[5..sqlite.len() - 1]
            ));
        }
        out.push_str(&format!("        {violation}\n"));
        out.push_str(&layout::array(8, "fields: &[", &fields, "],"));
        out.push('\n');
        out.push_str(&layout::field_init(8, "message", &rust_str(&c.message)));
        out.push('\n');
        out.push_str("    },\n");
    }
    out.push_str("];");
    out
}

fn compare_views(app: &App, entity: &Entity) -> Vec<CompareView> {
    let _ = app;
    entity
        .rules
        .iter()
        .filter_map(|rule| {
            let RuleKind::Compare { left, op, right } = &rule.kind else {
                return None;
            };
            let (left, right) = (entity.field(left)?, entity.field(right)?);
            let failing = negate(*op);
            let push = layout::nested_call(
                8,
                "violations.push(",
                "FieldError::new(",
                &[rust_str(&left.json), rust_str(&rule.code), rust_str(&rule.message)],
                "));",
            );
            let condition = format!("if row.{} {failing} row.{} {{", left.ident, right.ident);
            let code = if left.required && right.required && layout::fits(4, &[&condition]) {
                format!("    {condition}\n{push}\n    }}")
            } else if left.required && right.required {
                format!(
                    "    let left = &row.{};\n    let right = &row.{};\n    if left {failing} right {{\n{push}\n    }}",
                    left.ident, right.ident
                )
            } else {
                let side = |f: &Field| {
                    if f.required {
                        format!("Some(&row.{})", f.ident)
                    } else {
                        format!("row.{}.as_ref()", f.ident)
                    }
                };
                format!(
                    "    let left = {};\n    let right = {};\n    if let (Some(left), Some(right)) = (left, right)\n        && left {failing} right\n    {{\n{push}\n    }}",
                    side(left),
                    side(right)
                )
            };
            Some(CompareView { line: rule.line, message: rule.message.clone(), code })
        })
        .collect()
}

/// The Rust operator that holds exactly when `op` fails (values are never NaN).
fn negate(op: CompareOp) -> &'static str {
    match op.negated() {
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
        other => other.symbol(),
    }
}

fn reference_checks(app: &App, entity: &Entity) -> Vec<String> {
    let mut out = Vec::new();
    for field in &entity.fields {
        let FieldType::Reference { entity: target, .. } = &field.ty else {
            continue;
        };
        let Some(target) = app.entity(target) else {
            continue;
        };
        let table = rust_str(&target.table);
        let message = rust_str(&format!("no {} has this id", target.words));
        let args = [rust_str(&field.json), rust_str("not_found"), message];
        let push = layout::nested_call(8, "missing.push(", "FieldError::new(", &args, "));");
        if field.required {
            out.push(format!(
                "    let id = row.{};\n    if !db::exists(pool, {table}, id).await? {{\n{push}\n    }}",
                field.ident
            ));
        } else {
            out.push(format!(
                "    if let Some(id) = row.{}\n        && !db::exists(pool, {table}, id).await?\n    {{\n{push}\n    }}",
                field.ident
            ));
        }
    }
    for link in &entity.links {
        let Some(target) = app.entity(&link.target) else {
            continue;
        };
        let table = rust_str(&target.table);
        let message = format!(
            "format!(\"no {} has the id {{id}}\")",
            target.words.replace('"', "\\\"")
        );
        let args = [rust_str(&link.json), rust_str("not_found"), message];
        let push = layout::nested_call(12, "missing.push(", "FieldError::new(", &args, "));");
        out.push(format!(
            "    for id in &row.{} {{\n        if !db::exists(pool, {table}, *id).await? {{\n{push}\n        }}\n    }}",
            link.ident
        ));
    }
    out
}

/// Ends the last line with ` \\` so the next clause continues the string.
fn end_line(lines: &mut [String]) {
    if let Some(last) = lines.last_mut() {
        last.push_str(" \\");
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
