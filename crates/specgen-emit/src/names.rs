//! The few names the IR does not decide (constraint and index names, enum variants) and
//! literal quoting for Rust and SQL.

use heck::ToUpperCamelCase;
use specgen_ir::{Entity, Field, FieldType};

/// PostgreSQL truncates identifiers to 63 bytes; longer names are shortened with a hash of
/// the full name so they stay unique and stable.
const MAX_IDENTIFIER: usize = 63;

/// A constraint or index name from its parts, shortened deterministically when too long.
pub fn constraint(parts: &[&str]) -> String {
    let name = parts.join("_");
    if name.len() <= MAX_IDENTIFIER {
        return name;
    }
    let hash = fnv1a(name.as_bytes());
    let mut cut = MAX_IDENTIFIER - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash:08x}", &name[..cut])
}

/// Names an entity module defines or imports, which an enumeration type must not take.
const TAKEN: &[&str] = &[
    "ApiError",
    "AppJson",
    "AppState",
    "Box",
    "Clone",
    "Copy",
    "DateTime",
    "DbPool",
    "DbRow",
    "Debug",
    "Default",
    "EntityId",
    "Eq",
    "Err",
    "FieldError",
    "Fields",
    "JsonObject",
    "ListQuery",
    "NaiveDate",
    "None",
    "Ok",
    "Option",
    "PartialEq",
    "Result",
    "Self",
    "Serialize",
    "Some",
    "StatusCode",
    "Stored",
    "String",
    "Utc",
    "Uuid",
    "Vec",
];

/// The Rust type of an enumeration field, defined in its entity's module: the field's name
/// (`Status`), or the entity's name then the field's (`BookingStatus`) when the short name
/// is taken in that module.
pub fn enum_type(entity: &Entity, field: &Field) -> String {
    let short = pascal(field);
    let own = [
        entity.name.clone(),
        format!("New{}", entity.name),
        format!("{}Changes", entity.name),
    ];
    let clashes = TAKEN.contains(&short.as_str())
        || own.contains(&short)
        || entity
            .fields
            .iter()
            .any(|other| other.ident != field.ident && is_enum(other) && pascal(other) == short);
    if clashes {
        format!("{}{short}", entity.name)
    } else {
        short
    }
}

fn pascal(field: &Field) -> String {
    field.ident.trim_end_matches('_').to_upper_camel_case()
}

/// The Rust variant of an enumeration value (`on_hold` -> `OnHold`).
pub fn enum_variant(value: &str) -> String {
    let name = value.to_upper_camel_case();
    match name.chars().next() {
        None => "Empty".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("V{name}"),
        Some(_) if name == "Self" => "Self_".to_owned(),
        Some(_) => name,
    }
}

/// Whether the field is an enumeration.
pub fn is_enum(field: &Field) -> bool {
    matches!(field.ty, FieldType::Enum { .. })
}

/// A Rust string literal.
pub fn rust_str(text: &str) -> String {
    format!("{text:?}")
}

/// A Rust `f64` literal.
pub fn rust_f64(value: f64) -> String {
    let text = format!("{value:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// An SQL string literal.
pub fn sql_str(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// An SQL number literal for a decimal bound.
pub fn sql_f64(value: f64) -> String {
    rust_f64(value)
}

/// 32-bit FNV-1a: a tiny stable hash (no randomness, unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_constraint_names_are_shortened_stably() {
        let long = "a".repeat(80);
        let name = constraint(&[&long, "key"]);
        assert_eq!(name.len(), MAX_IDENTIFIER);
        assert_eq!(name, constraint(&[&long, "key"]));
        assert_eq!(constraint(&["studios", "name", "key"]), "studios_name_key");
    }

    #[test]
    fn enum_variants_are_identifiers() {
        assert_eq!(enum_variant("on_hold"), "OnHold");
        assert_eq!(enum_variant("self"), "Self_");
        assert_eq!(enum_variant("2fa"), "V2fa");
    }
}
