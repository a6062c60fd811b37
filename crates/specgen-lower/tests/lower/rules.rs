//! Rule lines, one table row per line: the rule's code and message, or the diagnostic
//! it gets. `sentences.rs` has the table of what each annotation means.

use crate::support::{compile_text, render};

const BASE: &str = "---
app: rules
---

## User {auth}
- email {email, unique}
- plan {free | pro, default free}
- data {json, optional}

## Booking
- owner {-> User, the signed-in user}
- starts at {datetime}
- ends at {datetime}
- quantity {integer}
- stock {integer}
- total {money}
- status {draft | confirmed | cancelled, default draft}
- extra {json, optional}
- flag {boolean}
";

/// Compile BASE with `line` under the booking's `Rules:`; `want` is a diagnostic, or the
/// first rule's `code: message`.
fn check(line: &str, want: &str) {
    let compiled = compile_text(&format!("{BASE}\nRules:\n- {line}\n"));
    let rendered = render(&compiled);
    if want.starts_with("error[") {
        assert!(
            rendered.contains(want),
            "{line}: expected {want}, got\n{rendered}"
        );
        return;
    }
    let Some(app) = compiled.app else {
        panic!("{line} was refused:\n{rendered}")
    };
    let rule = app
        .entity("Booking")
        .and_then(|e| e.rules.first())
        .unwrap_or_else(|| panic!("{line}: no rule"));
    assert_eq!(format!("{}: {}", rule.code, rule.message), want, "{line}");
}

#[test]
fn rules_get_codes_and_messages() {
    let cases = [
        (
            "{no overlap: starts at..ends at}",
            "booking_no_overlap: bookings must not overlap",
        ),
        (
            "{no overlap: starts at..ends at per owner}",
            "booking_no_overlap: bookings with the same owner must not overlap",
        ),
        (
            "{at most 3 per owner}",
            "booking_limit_per_owner: at most 3 bookings per owner",
        ),
        (
            "{delete within 2 days of created}",
            "booking_delete_window: bookings can only be deleted within 2 days of created at",
        ),
        (
            "{update, delete only before starts at}",
            "booking_update_delete_window: bookings can only be changed or deleted before starts at",
        ),
        (
            "{create, update only more than 24 hours before starts at}",
            "booking_create_update_window: bookings can only be created or changed more than 1 day before starts at",
        ),
        (
            "{cancel until 2 hours before starts at}",
            "booking_delete_window: bookings can only be deleted more than 2 hours before starts at",
        ),
        (
            "{change at least 30 minutes before starts at}",
            "booking_update_window: bookings can only be changed more than 30 minutes before starts at",
        ),
        (
            "{create, delete only before owner.created}",
            "booking_create_delete_window: bookings can only be created or deleted before the owner's created at",
        ),
        (
            "{ends at after starts at}",
            "booking_ends_at_gt_starts_at: ends at must be after starts at",
        ),
        (
            "{quantity <= stock}",
            "booking_quantity_le_stock: quantity must be at most stock",
        ),
        (
            "{immutable: total}",
            "booking_total_immutable: total cannot change after creation",
        ),
        (
            "{total is immutable once status = confirmed}",
            "booking_total_immutable: total cannot change any more",
        ),
        (
            "{status: draft -> confirmed}",
            "booking_status_transitions: status can only change along the allowed transitions",
        ),
        (
            "{unique: owner, starts at}",
            "booking_owner_id_starts_at_unique: another booking already has the same owner and starts at",
        ),
        (
            "Own words {unique: starts at}.",
            "booking_starts_at_unique: Own words.",
        ),
    ];
    for (line, want) in cases {
        check(line, want);
    }
}

#[test]
fn rule_lines_that_cannot_hold_are_errors() {
    let cases = [
        (
            "{no overlap: starts at..starts at}",
            "error[invalid_rule_field]",
        ),
        ("{unique: total, total}", "error[invalid_rule_field]"),
        ("{unique: extra}", "error[invalid_rule_field]"),
        ("{at most 0 per owner}", "error[impossible_range]"),
        (
            "{at most 2 per owner when owner.plan = gold}",
            "error[unknown_enum_value]",
        ),
        (
            "{at most 2 per owner when quantity.plan = free}",
            "error[invalid_condition]",
        ),
        (
            "{at most 2 per owner when status > draft}",
            "error[invalid_condition]",
        ),
        (
            "{at most 2 per owner when quantity = lots}",
            "error[invalid_condition]",
        ),
        (
            "{at most 2 per owner when flag = maybe}",
            "error[invalid_condition]",
        ),
        (
            "{at most 2 per owner when owner.data = x}",
            "error[invalid_condition]",
        ),
        (
            "{total is immutable once owner.plan = pro}",
            "error[invalid_condition]",
        ),
        (
            "{create within 2 days of created}",
            "error[invalid_window_action]",
        ),
        (
            "{create only more than 2 hours before created}",
            "error[invalid_window_action]",
        ),
        (
            "{delete only more than 2 fortnights before created}",
            "error[unknown_time_unit]",
        ),
        ("{status: draft -> draft}", "error[invalid_transitions]"),
        (
            "{status: draft -> confirmed, draft -> confirmed}",
            "error[duplicate_transition]",
        ),
        (
            "{status: draft -> confirmed, starts confirmed}",
            "error[conflicting_initial]",
        ),
        (
            "{status: draft -> confirmed by wizards}",
            "error[unknown_role]",
        ),
        ("{ends at after total}", "error[incompatible_compare]"),
        ("{quantity < quantity}", "error[incompatible_compare]"),
        ("{unique: wibble}", "error[unknown_field]"),
    ];
    for (line, want) in cases {
        check(line, want);
    }
}
