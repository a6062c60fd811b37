//! The sentence patterns, one table row per sentence: what each access line grants and
//! what each rule annotation means. Also the pluralizer, which names every route.

use specgen_ir::{Entity, RuleKind, Who};
use specgen_lower::names::{pluralize, singularize};

use crate::support::{compile_text, render};

const BASE: &str = "---
app: sentences
---

## Roles
- member: everyone who signs up
- editor: edits bookings
- admin: staff

## User {auth}
- email {email, unique}
- plan {free | pro, default free}

## Studio
- name {text}
- seats {integer, 1..500, optional}

## Booking
- studio {-> Studio}
- owner {-> User, the signed-in user}
- starts at {datetime}
- ends at {datetime}
- day {date}
- status {draft | confirmed | cancelled, default draft}
- quantity {integer}
- stock {integer}
- total {money}
- returned at {datetime, optional}
";

/// Compile a spec that must have no errors.
fn app_of(text: &str) -> specgen_ir::App {
    let compiled = compile_text(text);
    match compiled.app {
        Some(app) => app,
        None => panic!("{}", render(&compiled)),
    }
}

/// Compile BASE with extra lines under the booking's `Access:` or `Rules:`.
fn booking(access: &str, rules: &str) -> Result<Entity, String> {
    let text = format!("{BASE}\nAccess:\n- {access}\n\nRules:\n- {rules}\n");
    let text = text
        .replace("Access:\n- \n", "")
        .replace("Rules:\n- \n", "");
    let compiled = compile_text(&text);
    match compiled.app {
        Some(app) => app
            .entity("Booking")
            .cloned()
            .ok_or_else(|| "no Booking".to_string()),
        None => Err(render(&compiled)),
    }
}

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

/// `who,who: action,action` for the first access line.
fn grant(entity: &Entity) -> String {
    let Some(rule) = entity.access.first() else {
        return "nothing".into();
    };
    let whos: Vec<String> = rule.who.iter().map(who).collect();
    let actions: Vec<&str> = rule.actions.iter().map(|a| a.as_str()).collect();
    format!("{}: {}", whos.join(","), actions.join(","))
}

#[test]
fn access_sentences_grant_what_they_say() {
    let cases = [
        ("Anyone can list and read bookings.", "anyone: list,read"),
        ("Everyone can see bookings.", "anyone: read"),
        ("Signed-in users can list bookings.", "signed-in: list"),
        ("Users can view a booking.", "signed-in: read"),
        ("Members can create bookings.", "member: create"),
        (
            "Members and editors can create, change and delete bookings.",
            "editor,member: create,update,delete",
        ),
        (
            "Members, editors and admins can add bookings.",
            "admin,editor,member: create",
        ),
        ("A member can edit a booking.", "member: update"),
        (
            "Editors can update or remove any booking.",
            "editor: update,delete",
        ),
        (
            "The owner can read, change and cancel a booking.",
            "owner: read,update,delete",
        ),
        (
            "Admins can do anything.",
            "admin: list,read,create,update,delete",
        ),
        (
            "Editors can manage bookings.",
            "editor: list,read,create,update,delete",
        ),
        ("Editors may browse bookings", "editor: list"),
        (
            "Owners look after their bookings {read, update, delete: owner}.",
            "owner: read,update,delete",
        ),
        (
            "Mixed {list, read: anyone; create: members}.",
            "anyone,member: list,read,create",
        ),
        (
            "Explicit wins over prose: anyone can delete {read: editors}.",
            "editor: read",
        ),
        (
            "Editors can do everything with bookings {all: editors}.",
            "editor: list,read,create,update,delete",
        ),
    ];
    for (line, want) in cases {
        match booking(line, "") {
            Ok(e) => assert_eq!(grant(&e), want, "{line}"),
            Err(diags) => panic!("{line} was not understood:\n{diags}"),
        }
    }
}

#[test]
fn access_annotations_fold_into_permissions_with_admins() {
    let e = booking("Mixed {list, read: anyone; create: members}.", "")
        .unwrap_or_else(|d| panic!("{d}"));
    let names = |v: &[Who]| v.iter().map(who).collect::<Vec<_>>().join(",");
    assert_eq!(names(&e.permissions.list), "anyone,admin");
    assert_eq!(names(&e.permissions.create), "admin,member");
    assert_eq!(names(&e.permissions.delete), "admin");
}

#[test]
fn access_lines_that_are_not_understood_are_errors() {
    let cases = [
        ("Members should create bookings.", "access_not_understood"),
        ("Members can publish bookings.", "unknown_action"),
        ("Members can creat bookings.", "unknown_action"),
        ("Membres can create bookings.", "unknown_role"),
        ("Anyone can list studios.", "access_wrong_entity"),
        (
            "Members can change their own bookings.",
            "access_not_understood",
        ),
        (
            "Anyone can list bookings on weekends.",
            "access_not_understood",
        ),
        ("The owner can create bookings.", "owner_cannot_create"),
        (
            "Editors can approve bookings {approve: editors}.",
            "unknown_action",
        ),
        ("Broken {read owner}.", "access_not_understood"),
    ];
    for (line, code) in cases {
        match booking(line, "") {
            Ok(e) => panic!("{line} was accepted as {}", grant(&e)),
            Err(diags) => assert!(
                diags.contains(&format!("error[{code}]")),
                "{line}: expected {code}, got\n{diags}"
            ),
        }
    }
}

/// A compact text form of a rule kind.
fn kind(k: &RuleKind) -> String {
    match k {
        RuleKind::Limit {
            max,
            per,
            also_per,
            when,
        } => {
            let when = when
                .as_ref()
                .map(|c| format!(" when {} {} {:?}", c.path.join("."), c.op.symbol(), c.value))
                .unwrap_or_default();
            let also: String = also_per.iter().map(|p| format!(" per {p}")).collect();
            let max = match max {
                specgen_ir::LimitMax::Count(n) => n.to_string(),
                specgen_ir::LimitMax::Field(field) => format!("<{field}>"),
            };
            format!("limit {max} per {per}{also}{when}")
        }
        RuleKind::NoOverlap { start, end, per } => {
            format!("no overlap {start}..{end} per {}", per.join(","))
        }
        RuleKind::Window { actions, window } => {
            let acts: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
            format!("window {} {window:?}", acts.join(","))
        }
        RuleKind::Compare { left, op, right } => format!("compare {left} {} {right}", op.symbol()),
        RuleKind::Immutable { fields, once } => {
            let once = once
                .as_ref()
                .map(|c| format!(" once {} {} {:?}", c.path.join("."), c.op.symbol(), c.value))
                .unwrap_or_default();
            format!("immutable {}{once}", fields.join(","))
        }
        RuleKind::Transitions {
            field,
            initial,
            transitions,
        } => {
            let t: Vec<String> = transitions
                .iter()
                .map(|t| {
                    let by: Vec<String> = t.by.iter().map(who).collect();
                    if by.is_empty() {
                        format!("{}->{}", t.from, t.to)
                    } else {
                        format!("{}->{} by {}", t.from, t.to, by.join("+"))
                    }
                })
                .collect();
            format!("transitions {field} [{}] starts {initial:?}", t.join(", "))
        }
        RuleKind::Unique { fields } => format!("unique {}", fields.join(",")),
    }
}

#[test]
fn rule_annotations_mean_what_they_say() {
    let cases = [
        (
            "No clashes {no overlap: starts at..ends at per studio}.",
            "no overlap starts_at..ends_at per studio_id",
        ),
        (
            "No clashes at all {no overlapping starts at..ends at}.",
            "no overlap starts_at..ends_at per ",
        ),
        (
            "Free plan limit {at most 3 per owner when owner.plan = free}.",
            "limit 3 per owner_id when owner_id.plan = Enum(\"free\")",
        ),
        (
            "Three drafts {at most 3 bookings per studio when status is draft}.",
            "limit 3 per studio_id when status = Enum(\"draft\")",
        ),
        (
            "Two per pair {at most 2 per owner per studio}.",
            "limit 2 per owner_id per studio_id",
        ),
        (
            "Seats {at most studio.seats per studio}.",
            "limit <seats> per studio_id",
        ),
        (
            "Seats {at most studio.seats bookings per studio when status is confirmed}.",
            "limit <seats> per studio_id when status = Enum(\"confirmed\")",
        ),
        (
            "One out {at most 1 per studio while returned at is empty}.",
            "limit 1 per studio_id when returned_at = Empty",
        ),
        (
            "Fixed once back {total is immutable once returned at is set}.",
            "immutable total once returned_at <> Empty",
        ),
        (
            "Fixed once back {total is immutable once returned at is not empty}.",
            "immutable total once returned_at <> Empty",
        ),
        (
            "Cancel early {delete within 24 hours of created}.",
            "window delete Within { seconds: 86400, field: \"created_at\" }",
        ),
        (
            "Edit before start {update, delete only before starts at}.",
            "window update,delete Before { field: \"starts_at\", seconds: 0, through: None }",
        ),
        (
            "Until start {change until starts at}.",
            "window update Before { field: \"starts_at\", seconds: 0, through: None }",
        ),
        (
            "Book ahead {create only more than 2 hours before starts at}.",
            "window create Before { field: \"starts_at\", seconds: 7200, through: None }",
        ),
        (
            "Settled {create, update only before owner.created}.",
            "window create,update Before { field: \"created_at\", seconds: 0, through: Some(\"owner_id\") }",
        ),
        (
            "Cancel in time {cancel until 1 day before starts at}.",
            "window delete Before { field: \"starts_at\", seconds: 86400, through: None }",
        ),
        (
            "Ends later {ends at after starts at}.",
            "compare ends_at > starts_at",
        ),
        (
            "Ends at must be after starts at.",
            "compare ends_at > starts_at",
        ),
        (
            "Enough stock {quantity <= stock}.",
            "compare quantity <= stock",
        ),
        (
            "At least {stock is at least quantity}.",
            "compare stock >= quantity",
        ),
        ("Fixed {immutable: total}.", "immutable total"),
        (
            "Fixed pair {immutable: total, quantity}.",
            "immutable total,quantity",
        ),
        (
            "Total is immutable once status = confirmed.",
            "immutable total once status = Enum(\"confirmed\")",
        ),
        (
            "Frozen {total and quantity are immutable once status != draft}.",
            "immutable total,quantity once status <> Enum(\"draft\")",
        ),
        (
            "Flow {status: draft -> confirmed by editors, confirmed -> cancelled, starts draft}.",
            "transitions status [draft->confirmed by admin+editor, confirmed->cancelled] starts Some(\"draft\")",
        ),
        (
            "Chain {status: draft -> confirmed -> cancelled}.",
            "transitions status [draft->confirmed, confirmed->cancelled] starts None",
        ),
        (
            "One per slot {unique: studio, starts at}.",
            "unique studio_id,starts_at",
        ),
        (
            "Studio and starts at are unique together.",
            "unique studio_id,starts_at",
        ),
        (
            "Backticks {unique: `day`, `starts at`}.",
            "unique day,starts_at",
        ),
    ];
    for (line, want) in cases {
        match booking("", line) {
            Ok(e) => {
                let Some(rule) = e.rules.first() else {
                    panic!("{line}: no rule")
                };
                assert_eq!(kind(&rule.kind), want, "{line}");
            }
            Err(diags) => panic!("{line} was not understood:\n{diags}"),
        }
    }
}

#[test]
fn rule_codes_are_stable_and_unique() {
    let text = format!(
        "{BASE}\nRules:\n- a {{unique: studio, starts at}}.\n- b {{unique: studio, starts at}}.\n- c {{ends at after starts at}}.\n- d {{no overlap: starts at..ends at per studio}}.\n"
    );
    let app = app_of(&text);
    let codes: Vec<&str> = app
        .entity("Booking")
        .map(|e| e.rules.iter().map(|r| r.code.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        codes,
        [
            "booking_studio_id_starts_at_unique",
            "booking_studio_id_starts_at_unique_2",
            "booking_ends_at_gt_starts_at",
            "booking_no_overlap"
        ]
    );
}

#[test]
fn field_comparisons_become_rules_with_a_message() {
    let text = BASE.replace(
        "- ends at {datetime}",
        "- ends at {datetime, after starts at}",
    );
    let app = app_of(&text);
    let rule = app.entity("Booking").and_then(|e| e.rules.first()).cloned();
    let rule = rule.unwrap_or_else(|| panic!("no rule"));
    assert_eq!(rule.message, "ends at must be after starts at");
    assert_eq!(kind(&rule.kind), "compare ends_at > starts_at");
    assert!(rule.enforcement.database && rule.enforcement.service);
}

#[test]
fn rule_lines_that_are_not_understood_are_errors() {
    let cases = [
        ("Bookings never clash.", "rule_not_understood"),
        (
            "Wrong {overlap: starts at..ends at}.",
            "rule_not_understood",
        ),
        ("Typo {no overlap: starts at..end at}.", "unknown_field"),
        (
            "Not a time {no overlap: quantity..stock}.",
            "invalid_rule_field",
        ),
        ("Per text {at most 2 per status}.", "invalid_limit"),
        (
            "Bad value {at most 2 per owner when owner.plan = gold}.",
            "unknown_enum_value",
        ),
        (
            "Bad unit {delete within 3 moons of created}.",
            "unknown_time_unit",
        ),
        (
            "Bad field {delete within 3 days of quantity}.",
            "invalid_rule_field",
        ),
        (
            "Apples and pears {quantity < total}.",
            "incompatible_compare",
        ),
        ("Not an enum {quantity: a -> b}.", "invalid_transitions"),
        (
            "Bad state {status: draft -> shipped}.",
            "unknown_enum_value",
        ),
    ];
    for (line, code) in cases {
        match booking("", line) {
            Ok(e) => panic!(
                "{line} was accepted as {:?}",
                e.rules.first().map(|r| kind(&r.kind))
            ),
            Err(diags) => assert!(
                diags.contains(&format!("error[{code}]")),
                "{line}: expected {code}, got\n{diags}"
            ),
        }
    }
}

#[test]
fn plurals_name_routes_and_tables() {
    let cases = [
        ("person", "people"),
        ("category", "categories"),
        ("status", "statuses"),
        ("address", "addresses"),
        ("order line", "order lines"),
        ("box", "boxes"),
        ("company", "companies"),
        ("day", "days"),
        ("child", "children"),
        ("leaf", "leaves"),
        ("hero", "heroes"),
        ("studio", "studios"),
        ("analysis", "analyses"),
        ("news", "news"),
        ("house", "houses"),
        ("time entry", "time entries"),
    ];
    for (singular, plural) in cases {
        assert_eq!(pluralize(singular), plural, "plural of {singular}");
        assert_eq!(singularize(plural), singular, "singular of {plural}");
    }
}

#[test]
fn entity_names_are_decided_once() {
    let text = "---\napp: names\n---\n\n## Order Line\n- type {text}\n- order {text}\n\n## Person\n- name {text}\n\n## Category\n- name {text}\n";
    let app = app_of(text);
    let line = app
        .entity("OrderLine")
        .unwrap_or_else(|| panic!("no OrderLine"));
    assert_eq!(
        (
            line.snake.as_str(),
            line.plural_snake.as_str(),
            line.table.as_str(),
            line.route.as_str()
        ),
        (
            "order_line",
            "order_lines",
            "order_lines",
            "/api/order-lines"
        )
    );
    let ty = line.field("type_").unwrap_or_else(|| panic!("no type_"));
    assert_eq!((ty.json.as_str(), ty.column.as_str()), ("type", "type"));
    let order = line.field("order").unwrap_or_else(|| panic!("no order"));
    assert_eq!(
        (order.json.as_str(), order.column.as_str()),
        ("order", "order_")
    );
    assert_eq!(
        app.entity("Person").map(|e| e.route.as_str()),
        Some("/api/people")
    );
    assert_eq!(
        app.entity("Category").map(|e| e.table.as_str()),
        Some("categories")
    );
}

#[test]
fn a_missing_root_file_is_a_diagnostic() {
    let compiled = specgen_lower::compile("nowhere.spec", &specgen_lower::MemoryLoader::default());
    assert!(compiled.app.is_none());
    assert!(
        render(&compiled).contains("error[file_not_found]: cannot read `nowhere.spec`"),
        "{}",
        render(&compiled)
    );
}
