//! Reading a request body: the code of `New<Entity>::from_json` (create) and
//! `<Entity>Changes::from_json` (update), field by field: what each field requires, its
//! default, and the fields a client may not send (who may send which is
//! [`Senders`], the definition the OpenAPI document describes too).

use specgen_ir::{App, Entity};

use super::fields::{FieldView, LinkView, check_expr, default_expr, refuse};
use crate::facts::access::Senders;
use crate::facts::fields::{MAX_LINKS, required_on_create, settable_on_create, updatable};
use crate::layout;
use crate::names::rust_str;

/// The create side: the fields a client sends and how each one is read.
pub(super) struct CreateCode {
    pub create_fields: Vec<FieldView>,
    pub create_reads: Vec<String>,
    pub create_unwraps: Vec<String>,
    pub create_literal: String,
}

impl CreateCode {
    pub fn new(app: &App, entity: &Entity, fields: &[FieldView], links: &[LinkView]) -> CreateCode {
        let create_fields: Vec<FieldView> = entity
            .fields
            .iter()
            .zip(fields)
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
            if Senders::of(app, entity, field) == Senders::Admins {
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
            let (method, args) = match default {
                None if required_on_create(field) => ("required", vec![json, check]),
                None => ("optional", vec![json, check]),
                Some(default) if field.required => ("required_or", vec![json, default, check]),
                Some(default) => ("optional_or", vec![json, default, check]),
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
        CreateCode {
            create_fields,
            create_reads,
            create_unwraps,
            create_literal,
        }
    }
}

/// The update side: the fields a client may change, and the ones it may not send.
pub(super) struct UpdateCode {
    pub update_fields: Vec<FieldView>,
    pub update_refusals: Vec<String>,
    pub update_literal: String,
    pub has_clearable: bool,
    pub apply_param: String,
}

impl UpdateCode {
    pub fn new(app: &App, entity: &Entity, fields: &[FieldView]) -> UpdateCode {
        let update_fields: Vec<FieldView> = entity
            .fields
            .iter()
            .zip(fields)
            .filter(|(f, _)| updatable(f))
            .map(|(_, v)| v.clone())
            .collect();
        let mut update_refusals = Vec::new();
        let mut update_inits = Vec::new();
        for field in &entity.fields {
            if updatable(field) && Senders::of(app, entity, field) == Senders::Admins {
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
        UpdateCode {
            update_fields,
            update_refusals,
            update_literal,
            has_clearable,
            apply_param,
        }
    }
}
