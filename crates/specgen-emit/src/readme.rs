//! The generated README and `.env.example`: how to run the app, its settings, every
//! endpoint, every field's constraints and where each rule is enforced.

use askama::Template;
use specgen_ir::{Action, App, Entity, Field, FieldType, OnDelete, Value};

use crate::facts::access::{field_rule_words, who_may};
use crate::facts::auth::AuthFacts;
use crate::facts::fields::{derived_words, settable_on_create};
use crate::facts::rules::enforcement;
use crate::facts::settings::{Setting, settings};
use crate::facts::text::{capitalize, prose_lines, with_article};
use crate::files::Files;

/// Adds the README (`generated` is its header line) and `.env.example`.
pub(crate) fn add_files(
    out: &mut Files,
    app: &App,
    auth: Option<&AuthFacts>,
    header: &str,
    default_database_url: &str,
) {
    out.add(
        ".env.example",
        &EnvExample {
            header,
            settings: settings(app, default_database_url),
        },
    );
    out.add(
        "README.md",
        &ReadmeMd::new(app, auth, header, default_database_url),
    );
}

#[derive(Template)]
#[template(path = "backend/.env.example", escape = "none")]
struct EnvExample<'a> {
    header: &'a str,
    settings: Vec<Setting>,
}

#[derive(Template)]
#[template(path = "backend/README.md")]
struct ReadmeMd<'a> {
    header: &'a str,
    title: &'a str,
    name: &'a str,
    spec_file: &'a str,
    description: Vec<String>,
    default_database_url: &'a str,
    /// The spec says `database: postgres`.
    postgres_in_production: bool,
    settings: Vec<Setting>,
    /// The sign-in subsystem, when the spec has a sign-in entity.
    auth: Option<AuthFacts>,
    entities: Vec<EntityDoc>,
    rules: Vec<RuleDoc>,
}

/// One resource's section of the README.
#[derive(Debug, Clone)]
struct EntityDoc {
    title: String,
    name: String,
    line: u32,
    description: String,
    route: String,
    plural_snake: String,
    fields: Vec<FieldDoc>,
    filters: String,
    sorts: String,
    on_delete: Vec<String>,
    /// Who may list, create, read, update and delete (see `facts::access::who_may`).
    who_list: String,
    who_create: String,
    who_read: String,
    who_update: String,
    who_delete: String,
}

#[derive(Debug, Clone)]
struct FieldDoc {
    json: String,
    ty: String,
    required: String,
    notes: String,
}

#[derive(Debug, Clone)]
struct RuleDoc {
    entity: String,
    line: u32,
    message: String,
    code: String,
    enforced: String,
}

impl<'a> ReadmeMd<'a> {
    fn new(
        app: &'a App,
        auth: Option<&AuthFacts>,
        header: &'a str,
        default_database_url: &'a str,
    ) -> ReadmeMd<'a> {
        let entities = app.entities.iter().map(|e| entity_doc(app, e)).collect();
        let rules = app
            .entities
            .iter()
            .flat_map(|e| {
                e.rules.iter().map(move |r| RuleDoc {
                    entity: e.name.clone(),
                    line: r.line,
                    message: cell(&r.message),
                    code: r.code.clone(),
                    enforced: cell(&enforcement(r)),
                })
            })
            .collect();
        ReadmeMd {
            header,
            title: &app.title,
            name: &app.name,
            spec_file: &app.spec_file,
            description: prose_lines(&app.description),
            default_database_url,
            postgres_in_production: app.database == specgen_ir::Database::Postgres,
            settings: settings(app, default_database_url),
            auth: auth.cloned(),
            entities,
            rules,
        }
    }
}

fn entity_doc(app: &App, entity: &Entity) -> EntityDoc {
    let fields = entity
        .fields
        .iter()
        .map(|f| field_doc(app, entity, f))
        .collect::<Vec<_>>();
    let mut fields = fields;
    for link in &entity.links {
        let target = app
            .entity(&link.target)
            .map_or(link.target.clone(), |t| t.name.clone());
        fields.push(FieldDoc {
            json: link.json.clone(),
            ty: format!("list of {target} ids"),
            required: "no (default `[]`)".to_owned(),
            notes: format!("many-to-many, line {}", link.line),
        });
    }
    let names = |pick: fn(&Field) -> bool| {
        let list: Vec<String> = entity
            .fields
            .iter()
            .filter(|f| pick(f) && !matches!(f.ty, FieldType::Json))
            .map(|f| format!("`{}`", f.json))
            .collect();
        list
    };
    let filters = names(|f| f.filterable);
    let mut sorts = names(|f| f.sortable);
    sorts.extend(["`created_at`".to_owned(), "`updated_at`".to_owned()]);
    let on_delete = entity
        .children
        .iter()
        .filter_map(|child| {
            let other = app.entity(&child.entity)?;
            let field = other.field(&child.field)?;
            let effect = match child.on_delete {
                OnDelete::Restrict => "is refused with 409 while",
                OnDelete::Cascade => "also deletes",
                OnDelete::SetNull => "empties `{field}` of",
            }
            .replace("{field}", &field.json);
            Some(format!(
                "Deleting {} {effect} {} reference it (`{}.{}`).",
                with_article(&entity.words),
                other.plural_words,
                other.name,
                field.json
            ))
        })
        .collect();
    EntityDoc {
        title: capitalize(&entity.plural_words),
        name: entity.name.clone(),
        line: entity.line,
        description: prose_lines(&entity.description).join(" "),
        route: entity.route.clone(),
        plural_snake: entity.plural_snake.clone(),
        fields,
        filters: if filters.is_empty() {
            "none".to_owned()
        } else {
            filters.join(", ")
        },
        sorts: sorts.join(", "),
        on_delete,
        who_list: who_may(app, entity, Action::List),
        who_create: who_may(app, entity, Action::Create),
        who_read: who_may(app, entity, Action::Read),
        who_update: who_may(app, entity, Action::Update),
        who_delete: who_may(app, entity, Action::Delete),
    }
}

fn field_doc(app: &App, entity: &Entity, field: &Field) -> FieldDoc {
    let ty = match &field.ty {
        FieldType::Text {
            min_length,
            max_length,
        } => {
            format!("text, {min_length} to {max_length} characters")
        }
        FieldType::Integer { min, max } => format!("integer{}", bounds(*min, *max)),
        FieldType::Decimal { min, max } => {
            format!(
                "number{}",
                bounds(min.map(|v| v.to_string()), max.map(|v| v.to_string()))
            )
        }
        FieldType::Money { min, max } => format!("money in cents{}", bounds(*min, *max)),
        FieldType::Boolean => "boolean".to_owned(),
        FieldType::Date => "date (`YYYY-MM-DD`)".to_owned(),
        FieldType::DateTime => "date-time (RFC 3339, stored in UTC)".to_owned(),
        FieldType::Email => "email (stored lowercased)".to_owned(),
        FieldType::Url => "http(s) URL".to_owned(),
        FieldType::Uuid => "UUID".to_owned(),
        FieldType::Json => "any JSON".to_owned(),
        FieldType::Enum { values } => {
            let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
            format!("one of {}", values.join(", "))
        }
        FieldType::Reference { entity, .. } => {
            let name = app
                .entity(entity)
                .map_or(entity.as_str(), |e| e.name.as_str());
            format!("{name} id")
        }
    };
    let required = match (&field.default, field.required) {
        (Some(default), _) => format!("no (default {})", default_md(default)),
        (None, true) if field.owner => "no: the signed-in user".to_owned(),
        (None, true) if settable_on_create(field) => "yes".to_owned(),
        (None, true) => "set by the server".to_owned(),
        (None, false) => "no".to_owned(),
    };
    let mut notes = Vec::new();
    if field.unique {
        notes.push("unique".to_owned());
    }
    if field.owner {
        notes.push(
            "owner: the signed-in user who creates it; only admins set or change it".to_owned(),
        );
    } else if field.immutable {
        notes.push("cannot change after creation".to_owned());
    }
    if let Some(words) = derived_words(app, entity, field) {
        notes.push(format!("read-only, {words}"));
    } else if field.read_only && !field.owner {
        notes.push("read-only".to_owned());
    }
    if let Some(who) = field_rule_words(app, entity, &field.visible_to) {
        notes.push(format!("visible to {who} only"));
    }
    if let Some(who) = field_rule_words(app, entity, &field.settable_by) {
        notes.push(format!("set by {who} only"));
    }
    let description = prose_lines(&field.description).join(" ");
    if !description.is_empty() {
        notes.push(cell(&description));
    }
    notes.push(format!("line {}", field.line));
    FieldDoc {
        json: field.json.clone(),
        ty,
        required,
        notes: notes.join("; "),
    }
}

fn bounds<T: std::fmt::Display>(min: Option<T>, max: Option<T>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!(", {min} to {max}"),
        (Some(min), None) => format!(", at least {min}"),
        (None, Some(max)) => format!(", at most {max}"),
        (None, None) => String::new(),
    }
}

fn default_md(value: &Value) -> String {
    match value {
        Value::Text(t) | Value::Enum(t) => format!("`{t}`"),
        Value::Integer(n) | Value::Money(n) => format!("`{n}`"),
        Value::Decimal(n) => format!("`{n}`"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Now => "the current time".to_owned(),
        Value::Empty => "empty".to_owned(),
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
