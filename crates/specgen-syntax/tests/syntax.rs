//! The syntax stage on its own: structure, spans and recovery.

use specgen_diagnostics::FileId;
use specgen_syntax::{AccessGrant, FieldItemKind, RuleSpec, Section, parse};

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
