//! Renames and removals, one table row per snippet: the old SQL names the IR records for
//! the migration (previous tables, columns and join tables, value renames, tombstones), or
//! the diagnostic the snippet gets.

use specgen_ir::App;

use crate::support::check_app;

const FRONT: &str = "---\napp: changes\n---\n\n## Tag\n- name {text}\n\n";

/// What the spec records about the app's past, compactly: per entity its previous tables
/// and tombstones, per field its previous columns, value renames and removed values (and
/// the values still allowed), per link its previous join tables; then removed entities.
fn changes(app: &App) -> String {
    let mut out: Vec<String> = Vec::new();
    for e in &app.entities {
        let mut parts = Vec::new();
        if !e.previous_tables.is_empty() {
            parts.push(format!("was {}", e.previous_tables.join(",")));
        }
        for r in &e.removed_fields {
            parts.push(format!(
                "removed {}@{} {}",
                r.name,
                r.line,
                r.sql_names.join(",")
            ));
        }
        for f in &e.fields {
            if !f.previous_columns.is_empty() {
                parts.push(format!("{} was {}", f.column, f.previous_columns.join(",")));
            }
            if !f.value_renames.is_empty() || !f.removed_values.is_empty() {
                let renames: Vec<String> = f
                    .value_renames
                    .iter()
                    .map(|r| format!("{}->{}", r.from, r.to))
                    .collect();
                let values = match &f.ty {
                    specgen_ir::FieldType::Enum { values } => values.join("|"),
                    _ => String::new(),
                };
                parts.push(format!(
                    "{} {values} renamed [{}] removed [{}]",
                    f.column,
                    renames.join(","),
                    f.removed_values.join(",")
                ));
            }
        }
        for l in &e.links {
            if !l.previous_join_tables.is_empty() {
                parts.push(format!(
                    "{} was {}",
                    l.join_table,
                    l.previous_join_tables.join(",")
                ));
            }
        }
        if !parts.is_empty() {
            out.push(format!("{}: {}", e.name, parts.join("; ")));
        }
    }
    for r in &app.removed_entities {
        out.push(format!(
            "removed {}@{} {}",
            r.name,
            r.line,
            r.sql_names.join(",")
        ));
    }
    if app.entities.iter().any(|e| e.name == "Studio") {
        out.push("Studio is an entity".into());
    }
    out.join("\n")
}

#[track_caller]
fn check(spec: &str, want: &str) {
    check_app(&format!("{FRONT}{spec}"), want, changes);
}

#[test]
fn renames_and_removals_fill_the_ir() {
    let cases = [
        // Nothing said: nothing recorded.
        ("## Room\n- name {text}\n", ""),
        // Entity renames, newest first; tables as the entity's own is computed.
        (
            "## Room {was Studio, was Order Space}\n- name {text}\n",
            "Room: was studios,order_spaces",
        ),
        ("## Room {was Order}\n- name {text}\n", "Room: was orders"),
        ("## Room {was Person}\n- name {text}\n", "Room: was people"),
        ("## Room {WAS studio}\n- name {text}\n", "Room: was studios"),
        // Field renames: the column as the field's own (reserved words escaped).
        (
            "## Room\n- size {integer, 1..50, was capacity}\n",
            "Room: size was capacity",
        ),
        (
            "## Room\n- rank {integer, was order, was sort key}\n",
            "Room: rank was order_,sort_key",
        ),
        // A reference's old column gets the same `_id` as its current one.
        (
            "## Room\n- venue {-> Tag, was studio}\n",
            "Room: venue_id was studio_id",
        ),
        (
            "## Room\n- venue {-> Tag, was studio id}\n",
            "Room: venue_id was studio_id",
        ),
        // A link's old join tables: its old names, and the entity's.
        (
            "## Room\n- tags {many -> Tag, was labels}\n",
            "Room: room_tags was room_labels",
        ),
        (
            "## Room {was Studio}\n- tags {many -> Tag}\n",
            "Room: was studios; room_tags was studio_tags",
        ),
        (
            "## Room {was Studio}\n- tags {many -> Tag, was labels}\n",
            "Room: was studios; room_tags was room_labels,studio_tags,studio_labels",
        ),
        // Enumeration values renamed and removed; removed ones are not allowed.
        (
            "## Room\n- state {draft | live (was published) | archived (removed)}\n",
            "Room: state draft|live renamed [published->live] removed [archived]",
        ),
        (
            "## Room\n- state {Draft | In Review (was Pending Review) | old (removed), default draft}\n",
            "Room: state draft|in_review renamed [pending_review->in_review] removed [old]",
        ),
        // Tombstones: a field or link line, and an entity heading.
        (
            "## Room\n- name {text}\n- notes {removed}\n",
            "Room: removed notes@10 notes,notes_id,room_notes",
        ),
        (
            "## Room\n- name {text}\n- owner id {removed}\n",
            "Room: removed owner id@10 owner_id,room_owner_id",
        ),
        (
            "## Room\n- name {text}\n\n## Studio {removed}\nIt became Room.\n",
            "removed Studio@11 studios",
        ),
        (
            "## Order {removed}\n\n## Room\n- name {text}\n",
            "removed Order@8 orders",
        ),
        // A renamed entity may give its old name to a new one.
        (
            "## Room {was Studio}\n- name {text}\n\n## Studio\n- name {text}\n",
            "Room: was studios\nStudio is an entity",
        ),
    ];
    for (spec, want) in cases {
        check(spec, want);
    }
}

#[test]
fn renames_and_removals_that_are_wrong_are_errors() {
    let cases = [
        (
            "## Room {was}\n- name {text}\n",
            "error[missing_previous_name]",
        ),
        (
            "## Room\n- size {integer, was}\n",
            "error[missing_previous_name]",
        ),
        (
            "## Room\n- s {a | b (was)}\n",
            "error[missing_previous_name]",
        ),
        (
            "## Room\n- t {many -> Tag, was}\n",
            "error[missing_previous_name]",
        ),
        (
            "## Room {was room}\n- name {text}\n",
            "error[previous_name_is_current]",
        ),
        (
            "## Room\n- size {integer, was size}\n",
            "error[previous_name_is_current]",
        ),
        (
            "## Room\n- v {-> Tag, was v id}\n",
            "error[previous_name_is_current]",
        ),
        (
            "## Room\n- tags {many -> Tag, was tags}\n",
            "error[previous_name_is_current]",
        ),
        (
            "## Room\n- s {a | b (was b)}\n",
            "error[previous_name_is_current]",
        ),
        (
            "## Room\n- size {was capacity, removed}\n",
            "error[conflicting_options]",
        ),
        (
            "## Room\n- size {removed, integer}\n",
            "error[conflicting_options]",
        ),
        (
            "## Studio {removed, was Space}\n\n## Room\n- name {text}\n",
            "error[conflicting_options]",
        ),
        (
            "## Studio {removed, auth}\n\n## Room\n- name {text}\n",
            "error[conflicting_options]",
        ),
        (
            "## Studio {removed}\n- name {text}\n\n## Room\n- name {text}\n",
            "error[removed_entity_has_fields]",
        ),
        (
            "## Room {was Studio}\n- a {text}\n\n## Hall {was studio}\n- a {text}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room {was Studio}\n- a {text}\n\n## Studio {removed}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room\n- a {text, was b}\n- c {text, was b}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room\n- a {text, was b}\n- b {removed}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room\n- v {-> Tag, was studio}\n- studio {removed}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room\n- s {a (was x) | b (was x)}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room\n- s {a (was x) | x (removed)}\n",
            "error[duplicate_previous_name]",
        ),
        (
            "## Room\n- s {a | live (was a)}\n",
            "error[rename_from_current_value]",
        ),
        (
            "## Room\n- s {a (removed) | b (removed)}\n",
            "error[no_enum_values]",
        ),
        (
            "## Room\n- s {a | b (kept)}\n",
            "error[unknown_field_option]",
        ),
        (
            "## Room\n- s {a | b (removed) | b}\n",
            "error[duplicate_enum_value]",
        ),
        (
            "## Room\n- name {text}\n- name {removed}\n",
            "error[duplicate_field]",
        ),
        (
            "## Room\n- tags {removed}\n- tags {many -> Tag}\n",
            "error[duplicate_field]",
        ),
        (
            "## Room\n- name {text}\n\n## Room {removed}\n",
            "error[duplicate_entity]",
        ),
        (
            "## Room {removed}\n\n## Room\n- name {text}\n",
            "error[duplicate_entity]",
        ),
        (
            "## Studio {removed}\n\n## Room\n- s {-> Studio}\n",
            "is recorded as removed",
        ),
        (
            "## Room\n- size {integer, wass capacity}\n",
            "error[unknown_field_option]",
        ),
        (
            "## Room {removd}\n- name {text}\n",
            "did you mean `removed`?",
        ),
    ];
    for (spec, want) in cases {
        let spec = format!("{FRONT}{spec}");
        let compiled = crate::support::compile_text(&spec);
        let rendered = crate::support::render(&compiled);
        assert!(
            rendered.contains(want) && compiled.app.is_none(),
            "{spec}\nexpected {want}, got\n{rendered}"
        );
    }
}
