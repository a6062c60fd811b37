//! Per-field views of an entity module: declarations, row reads, value checks, defaults,
//! enumerations, many-to-many links and the list endpoint's filter and sort columns.

use specgen_ir::{App, Entity, Field, FieldType, Link, Value};

use crate::facts::fields::settable_on_create;
use crate::facts::text::prose_lines;
use crate::layout;
use crate::names::{self, rust_f64, rust_str};

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
pub struct ListColumnView {
    pub name: String,
    pub column: String,
    /// `kind: list::Kind::..,` laid out.
    pub kind_line: String,
    pub nullable: bool,
    pub filter: bool,
    pub sort: bool,
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

pub(super) fn field_view(entity: &Entity, field: &Field) -> FieldView {
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
            // A derived value is set inside the write transaction (`derive`).
            None if field.required && field.derived.is_some() => "Default::default()".to_owned(),
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

pub(super) fn link_view(app: &App, link: &Link) -> LinkView {
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

pub(super) fn enum_view(entity: &Entity, field: &Field, values: &[String]) -> EnumView {
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

pub(super) fn refuse(field: &Field, code: &str, message: &str) -> String {
    let args = vec![rust_str(&field.json), rust_str(code), rust_str(message)];
    layout::method_call(8, "", "fields", "refuse", &args, ";")
}

/// The check of a field's value: a function of `check`, or a constructor taking its bounds.
pub(super) fn check_expr(entity: &Entity, field: &Field) -> String {
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
        // Lowering never makes it a default.
        (Value::Empty, _) => "None".to_owned(),
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

pub(super) fn list_columns(entity: &Entity) -> Vec<ListColumnView> {
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
