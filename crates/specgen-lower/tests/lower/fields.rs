//! Field lines and their types, one table row per line: what a field lowers to, or the
//! diagnostic it gets. The lines go under an `## Item` entity next to a sign-in entity.

use specgen_ir::{Entity, Who};

use crate::support::check_app;

const BASE: &str = "---
app: fields
---

## User {auth}
- email {email, unique}

## Studio
- name {text}

## Item
";

fn who(w: &Who) -> String {
    match w {
        Who::Anyone => "anyone".into(),
        Who::SignedIn => "signed-in".into(),
        Who::Role(r) => r.clone(),
        Who::Owner => "owner".into(),
        Who::Person(ident) => format!("person {ident}"),
        Who::Through(reference, person) => format!("through {reference}>{person}"),
    }
}

/// The item's first field (or link), compactly.
fn describe(item: &Entity) -> String {
    if let Some(f) = item.fields.first() {
        let mut s = format!("{}: {:?}", f.json, f.ty);
        for (on, word) in [
            (!f.required, "optional"),
            (f.unique, "unique"),
            (f.indexed, "indexed"),
            (f.read_only, "read-only"),
            (f.immutable, "immutable"),
            (f.owner, "owner"),
        ] {
            if on {
                s.push(' ');
                s.push_str(word);
            }
        }
        if let Some(d) = &f.default {
            s.push_str(&format!(" default={d:?}"));
        }
        if !f.visible_to.is_empty() {
            let v: Vec<String> = f.visible_to.iter().map(who).collect();
            s.push_str(&format!(" visible={}", v.join(",")));
        }
        return s;
    }
    match item.links.first() {
        Some(l) => format!(
            "link {}: {} via {}({}, {})",
            l.json, l.target, l.join_table, l.source_column, l.target_column
        ),
        None => "nothing".into(),
    }
}

/// Compile `spec`; `want` is a diagnostic (`error[code]`, `warning[code]`) it must report,
/// or what the `Item` entity's first field must lower to.
#[track_caller]
fn check_spec(spec: &str, want: &str) {
    check_app(spec, want, |app| {
        describe(app.entity("Item").unwrap_or_else(|| panic!("no Item")))
    });
}

/// `lines` are the item's field lines.
fn check(lines: &str, want: &str) {
    check_spec(&format!("{BASE}{lines}\n"), want);
}

#[test]
fn field_lines_lower_to_typed_fields() {
    let cases = [
        (
            "- title {text}",
            "title: Text { min_length: 0, max_length: 10000 }",
        ),
        (
            "- title {text, 1..80}",
            "title: Text { min_length: 1, max_length: 80 }",
        ),
        (
            "- title {text, ..20, optional}",
            "title: Text { min_length: 0, max_length: 20 } optional",
        ),
        (
            "- count {integer, 1..5, default 3}",
            "count: Integer { min: Some(1), max: Some(5) } default=Integer(3)",
        ),
        (
            "- ratio {decimal, 0..1}",
            "ratio: Decimal { min: Some(0.0), max: Some(1.0) }",
        ),
        (
            "- price {money, 0..$100, default 9.99}",
            "price: Money { min: Some(0), max: Some(10000) } default=Money(999)",
        ),
        (
            "- done {boolean, default yes}",
            "done: Boolean default=Bool(true)",
        ),
        ("- due {date, default today}", "due: Date default=Now"),
        ("- at {datetime}", "at: DateTime"),
        ("- contact {email, unique}", "contact: Email unique indexed"),
        ("- site {url, optional}", "site: Url optional"),
        ("- token {uuid, indexed}", "token: Uuid indexed"),
        ("- data {json, optional}", "data: Json optional"),
        (
            "- size {Small | Extra Large, default extra large}",
            "size: Enum { values: [\"small\", \"extra_large\"] } indexed default=Enum(\"extra_large\")",
        ),
        (
            "- studio {-> Studio}",
            "studio_id: Reference { entity: \"Studio\", on_delete: Restrict } indexed",
        ),
        (
            "- studio {-> Studio, optional, set empty}",
            "studio_id: Reference { entity: \"Studio\", on_delete: SetNull } optional indexed",
        ),
        (
            "- studio {-> Studio, cascade}",
            "studio_id: Reference { entity: \"Studio\", on_delete: Cascade } indexed",
        ),
        (
            "- owner {the signed-in user}",
            "owner_id: Reference { entity: \"User\", on_delete: Restrict } indexed owner",
        ),
        (
            "- note {text, visible to the owner}\n- owner {-> User, the signed-in user}",
            "note: Text { min_length: 0, max_length: 10000 } visible=admin,owner",
        ),
        (
            "- stock {integer, read-only, default 0}",
            "stock: Integer { min: None, max: None } read-only default=Integer(0)",
        ),
        (
            "- code {text, immutable}",
            "code: Text { min_length: 0, max_length: 10000 } immutable",
        ),
        (
            "- studios {many -> Studio}",
            "link studio_ids: Studio via item_studios(item_id, studio_id)",
        ),
        (
            "- type {text}",
            "type: Text { min_length: 0, max_length: 10000 }",
        ),
    ];
    for (lines, want) in cases {
        check(lines, want);
    }
}

#[test]
fn field_lines_that_are_wrong_are_errors() {
    let cases = [
        ("- 1st {text}", "error[invalid_name]"),
        ("- created at {datetime}", "error[reserved_field_name]"),
        ("- title {text}\n- Title {text}", "error[duplicate_field]"),
        ("- kind {self | other}", "error[reserved_name]"),
        ("- kind {1a | b}", "error[invalid_name]"),
        ("- kind {a | b | a}", "error[duplicate_enum_value]"),
        ("- title {text, 1..5, 2..6}", "error[duplicate_option]"),
        (
            "- n {integer, default 1, default 2}",
            "error[duplicate_option]",
        ),
        ("- n {integer, text}", "error[conflicting_types]"),
        (
            "- n {integer, optional, required}",
            "error[conflicting_options]",
        ),
        (
            "- owner {-> User, the signed-in user, optional}",
            "error[conflicting_options]",
        ),
        (
            "- owner {-> Studio, the signed-in user}",
            "error[owner_not_auth_entity]",
        ),
        (
            "- owner {the signed-in user}\n- boss {the signed-in user}",
            "error[duplicate_owner]",
        ),
        (
            "- owner {the signed-in user, default x}",
            "error[default_not_allowed]",
        ),
        ("- site {url, default x}", "error[default_not_allowed]"),
        (
            "- studios {many -> Studio, optional}",
            "error[option_not_allowed]",
        ),
        ("- n {integer, cascade}", "error[option_not_allowed]"),
        ("- done {boolean, unique}", "error[option_not_allowed]"),
        (
            "- studio {-> Studio, set empty}",
            "error[set_empty_on_required]",
        ),
        ("- title {optional}", "error[missing_type]"),
        ("- kind {a | b, 1..2}", "error[range_not_allowed]"),
        ("- done {boolean, 1..2}", "error[range_not_allowed]"),
        (
            "- stock {integer, read-only}",
            "error[read_only_without_default]",
        ),
        ("- studio {-> Studoi}", "error[unknown_entity]"),
        ("- title {string}", "error[unknown_type]"),
        ("- title {txt}", "error[unknown_type]"),
        ("- title {wibble}", "error[unknown_type]"),
        ("- title {text, uniqe}", "error[unknown_field_option]"),
        ("- title {text, wibble}", "error[unknown_field_option]"),
        ("- title {text, 5..2}", "error[impossible_range]"),
        ("- n {integer, 5..2}", "error[impossible_range]"),
        ("- title {text, $1..5}", "error[invalid_number]"),
        ("- title {text, 1.5..5}", "error[invalid_number]"),
        ("- title {text, -1..5}", "error[negative_length]"),
        ("- price {money, 0..1.234}", "error[invalid_money]"),
        ("- n {integer, default many}", "error[default_wrong_type]"),
        (
            "- n {integer, 1..5, default 9}",
            "error[default_out_of_range]",
        ),
        ("- kind {a | b, default c}", "error[default_not_in_enum]"),
    ];
    for (lines, want) in cases {
        check(lines, want);
    }
}

#[test]
fn fields_that_need_a_sign_in_entity() {
    let no_auth = "---\napp: fields\n---\n\n## Item\n";
    let cases = [
        ("- owner {the signed-in user}", "error[owner_without_auth]"),
        (
            "- owner {-> Item, the signed-in user}",
            "error[owner_without_auth]",
        ),
        (
            "- title {text}",
            "title: Text { min_length: 0, max_length: 10000 }",
        ),
    ];
    for (lines, want) in cases {
        check_spec(&format!("{no_auth}{lines}\n"), want);
    }
}
