//! What a client may send for each field: on create, on update, and how many ids a
//! many-to-many link takes. The handlers, the OpenAPI document and the generated tests all
//! read these, so the document describes exactly what the server accepts.

use specgen_ir::Field;

/// The most ids a many-to-many link accepts in one request.
pub const MAX_LINKS: usize = 1000;

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
