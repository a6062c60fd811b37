//! The syntax stage on its own: structure, spans and recovery.

use specgen_diagnostics::FileId;
use specgen_syntax::{AccessGrant, FieldItemKind, RuleSpec, Section, ValueNote, parse};

const SPEC: &str = "---
app: demo
---

# Demo
What it is.

## Roles
- member {default}: everyone
- admin: staff

## Booking
A booking.
- starts at {datetime}
- note {text, optional, max 500, default \"{none}\"}: a note that
  continues on the next line
- studio {-> Studio}

Access:
- Members can create bookings.
- The owner can read a booking {read: owner}.

Rules:
- Never overlap {no overlap: starts at..ends at per studio}.
";

#[test]
fn a_spec_parses_into_sections_with_spans() {
    let parsed = parse(FileId(0), SPEC);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let file = parsed.file;
    assert_eq!(file.title.map(|t| t.value), Some("Demo".to_string()));
    assert_eq!(file.description, "What it is.");
    assert_eq!(file.front_matter.map(|f| f.entries.len()), Some(1));
    let [Section::Roles(roles), Section::Entity(booking)] = file.sections.as_slice() else {
        panic!("sections: {:?}", file.sections)
    };
    assert_eq!(roles.roles[0].markers[0].value, "default");
    assert_eq!(booking.name.value, "Booking");
    assert_eq!(
        &SPEC[booking.name.span.start as usize..booking.name.span.end as usize],
        "Booking"
    );
    assert_eq!(booking.fields.len(), 3);
    let note = &booking.fields[1];
    assert_eq!(note.description, "a note that continues on the next line");
    for item in &note.items {
        let text = &SPEC[item.span.start as usize..item.span.end as usize];
        assert!(
            !text.starts_with(' ') && !text.ends_with(' ') && !text.contains(','),
            "item span `{text}`"
        );
    }
    assert!(
        matches!(&note.items[3].kind, FieldItemKind::Default(d) if d.value == specgen_syntax::Literal::Quoted("{none}".into()))
    );
    assert!(matches!(
        booking.access[0].grant,
        Some(AccessGrant::Sentence { .. })
    ));
    assert!(matches!(
        booking.access[1].grant,
        Some(AccessGrant::Annotation(_))
    ));
    assert_eq!(booking.access[1].text, "The owner can read a booking.");
    assert!(matches!(
        booking.rules[0].rule,
        Some(RuleSpec::NoOverlap { .. })
    ));
}

#[test]
fn a_bad_line_does_not_hide_later_problems() {
    let text = "## A\n- x {text\n- y\n\nAccess:\n- Nobody knows.\n\nRules:\n- Whatever.\n\n## B\n- z {}\nAccess:\n- Anyone can frobnicate bs.\n";
    let parsed = parse(FileId(0), text);
    let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "unclosed_annotation",
            "missing_annotation",
            "access_not_understood",
            "rule_not_understood",
            "unknown_action"
        ]
    );
    assert_eq!(
        parsed.file.sections.len(),
        2,
        "both sections are still read"
    );
}

#[test]
fn windows_line_endings_parse_like_unix_ones() {
    let parsed = parse(FileId(0), &SPEC.replace('\n', "\r\n"));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let Some(Section::Entity(booking)) = parsed.file.sections.get(1) else {
        panic!("no entity")
    };
    assert_eq!(booking.name.value, "Booking");
    assert_eq!(
        booking.fields[1].description,
        "a note that continues on the next line"
    );
}

#[test]
fn renames_and_removals_parse_with_spans() {
    let text = "## Room {was Studio, was Order Space}\n- size {integer, was capacity}\n- notes {removed}\n- state {draft | live (was Published) | old (removed) | x (kept)}\n- y {text, was}\n\n## Gone {removed}\n";
    let parsed = parse(FileId(0), text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let at = |span: specgen_diagnostics::Span| &text[span.start as usize..span.end as usize];
    let [Section::Entity(room), Section::Entity(gone)] = parsed.file.sections.as_slice() else {
        panic!("sections: {:?}", parsed.file.sections)
    };
    assert!(room.markers.is_empty());
    let names: Vec<&str> = room
        .previous
        .iter()
        .map(|p| at(p.name.as_ref().map_or(p.span, |n| n.span)))
        .collect();
    assert_eq!(names, ["Studio", "Order Space"]);
    assert_eq!(at(room.previous[1].span), "was Order Space");
    assert!(
        matches!(&room.fields[0].items[1].kind, FieldItemKind::Was(Some(n)) if n.value == "capacity" && at(n.span) == "capacity")
    );
    assert!(matches!(
        room.fields[1].items[0].kind,
        FieldItemKind::Removed
    ));
    let FieldItemKind::Enum(values) = &room.fields[2].items[0].kind else {
        panic!("{:?}", room.fields[2].items)
    };
    assert_eq!(values.len(), 4);
    assert!(values[0].note.is_none());
    assert!(
        matches!(&values[1].note, Some(n) if matches!(&n.value, ValueNote::Was(Some(old)) if old.value == "Published") && at(n.span) == "(was Published)")
    );
    assert!(matches!(&values[2].note, Some(n) if n.value == ValueNote::Removed));
    assert!(matches!(&values[3].note, Some(n) if n.value == ValueNote::Unknown("kept".into())));
    assert!(matches!(
        room.fields[3].items[1].kind,
        FieldItemKind::Was(None)
    ));
    assert_eq!(gone.markers[0].value, "removed");
}
