//! What a client may send for each field: on create, on update, and how many ids a
//! many-to-many link takes. The handlers, the OpenAPI document and the generated tests all
//! read these, so the document describes exactly what the server accepts.

use specgen_ir::{App, Derived, Entity, Field, FieldType};

/// The most ids a many-to-many link accepts in one request.
pub const MAX_LINKS: usize = 1000;

/// Whether clients send the field when creating. Server-set fields need a value without
/// them: a default, or empty. Derived fields (`copied from`) never come from a client.
pub fn settable_on_create(field: &Field) -> bool {
    if field.derived.is_some() {
        return false;
    }
    let server_set = field.read_only && !field.owner;
    let has_value_without_client = field.default.is_some() || !field.required;
    !(server_set && has_value_without_client)
}

/// Whether the server answers `required` when a create body leaves the field out: a
/// required field a client sets, with no default. Never the owner field (the server sets it
/// to the signed-in caller) nor a server-set one.
pub fn required_on_create(field: &Field) -> bool {
    settable_on_create(field) && !field.owner && field.required && field.default.is_none()
}

/// Whether clients may change the field after creation. The owner field only changes when
/// an admin hands the record to another account (`access::owner_change`).
pub fn updatable(field: &Field) -> bool {
    !field.immutable && !field.read_only
}

/// Where a derived field's value comes from, in words (`copied from the product's price
/// when the record is created or its product changes`); `None` for a field clients set.
pub fn derived_words(app: &App, entity: &Entity, field: &Field) -> Option<String> {
    let Derived::Copy {
        reference,
        field: source,
    } = field.derived.as_ref()?;
    let via = entity.field(reference)?;
    let source = match &via.ty {
        FieldType::Reference { entity: target, .. } => app
            .entity(target)
            .and_then(|t| t.field(source))
            .map_or(source.replace('_', " "), |f| f.name.clone()),
        _ => source.replace('_', " "),
    };
    Some(format!(
        "copied from the {}'s {source} when the record is created or its {} changes",
        via.name, via.name
    ))
}
