//! Who-words and access lines, one table row per case: who a word resolves to (through
//! a field's `visible to`), what an access line under an entity grants, or the
//! diagnostic either gets. `sentences.rs` has the table of sentence forms.

use specgen_ir::{Entity, Who};

use crate::support::check_app;

const BASE: &str = "---
app: access
---

## Roles
- member: signs up
- team lead: leads
- admin: staff

## User {auth}
- email {email, unique}

## Studio
- name {text}
- manager {-> User, optional}

## Booking
- owner {-> User, the signed-in user}
- note {text, optional}
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

/// The who-words of a list, alphabetically.
fn names(v: &[Who]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(who).collect();
    out.sort();
    out
}

/// Compile `spec`; `want` is a diagnostic, or what `show` says of the `Booking`.
#[track_caller]
fn check(spec: &str, want: &str, show: fn(&Entity) -> String) {
    check_app(spec, want, |app| {
        show(
            app.entity("Booking")
                .unwrap_or_else(|| panic!("no Booking")),
        )
    });
}

fn visible(e: &Entity) -> String {
    let f = e.field("note").unwrap_or_else(|| panic!("no note"));
    names(&f.visible_to).join(",")
}

fn permissions(e: &Entity) -> String {
    let p = &e.permissions;
    let show = |v: &[Who]| names(v).join("+");
    format!(
        "list={} read={} create={} update={} delete={}",
        show(&p.list),
        show(&p.read),
        show(&p.create),
        show(&p.update),
        show(&p.delete)
    )
}

#[test]
fn who_words_resolve_to_roles_and_kinds() {
    let cases = [
        ("members", "admin,member"),
        ("a member", "admin,member"),
        ("every team lead", "admin,team_lead"),
        ("team leads and members", "admin,member,team_lead"),
        ("the owner", "admin,owner"),
        ("its owner", "admin,owner"),
        ("signed-in users", "admin,signed-in"),
        ("logged in users", "admin,signed-in"),
        ("anyone", "admin,anyone"),
        ("the public", "admin,anyone"),
        ("admins", "admin"),
        ("membres", "error[unknown_role]"),
        ("wizards", "error[unknown_role]"),
    ];
    for (words, want) in cases {
        let spec = BASE.replace(
            "- note {text, optional}",
            &format!("- note {{text, optional, visible to {words}}}"),
        );
        check(&spec, want, visible);
    }
}

#[test]
fn access_lines_fold_into_permissions() {
    let cases = [
        (
            "",
            "list=admin read=admin create=admin update=admin delete=admin",
        ),
        (
            "- Anyone can read bookings.\n- Members can create bookings.",
            "list=admin read=admin+anyone create=admin+member update=admin delete=admin",
        ),
        (
            "- The owner can read, change and delete a booking.",
            "list=admin read=admin+owner create=admin update=admin+owner delete=admin+owner",
        ),
        (
            "- Owners can manage bookings.",
            "list=admin+owner read=admin+owner create=admin update=admin+owner delete=admin+owner",
        ),
        (
            "- The owner can create bookings.",
            "error[owner_cannot_create]",
        ),
        ("- Anyone can read studios.", "error[access_wrong_entity]"),
        (
            "- Members can read their bookings.",
            "error[access_not_understood]",
        ),
        (
            "- Members can read bookings today.",
            "error[access_not_understood]",
        ),
        ("- Wizards can read bookings.", "error[unknown_role]"),
    ];
    for (lines, want) in cases {
        let spec = if lines.is_empty() {
            BASE.to_string()
        } else {
            format!("{BASE}\nAccess:\n{lines}\n")
        };
        check(&spec, want, permissions);
    }
}

/// People named in a record: a reference to the sign-in entity, by its field name.
#[test]
fn people_named_in_a_booking_get_the_bookings_that_name_them() {
    let spec = BASE.replace(
        "- note {text, optional}",
        "- note {text, optional}\n- coach {-> User, optional}\n- team lead {-> User, optional}\n- studio {-> Studio}\n- guests {many -> User}",
    );
    let cases = [
        (
            "- The coach can list, read and change bookings.",
            "list=admin+person coach_id read=admin+person coach_id create=admin update=admin+person coach_id delete=admin",
        ),
        (
            "- The coach can list and read their bookings.",
            "list=admin+person coach_id read=admin+person coach_id create=admin update=admin delete=admin",
        ),
        // `the team lead` is the field; `team leads` the role.
        (
            "- The team lead can read bookings.\n- Team leads can list bookings.",
            "list=admin+team_lead read=admin+person team_lead_id create=admin update=admin delete=admin",
        ),
        (
            "- The owner and the coach can delete a booking.",
            "list=admin read=admin create=admin update=admin delete=admin+owner+person coach_id",
        ),
        (
            "- The coach can create bookings.",
            "error[person_cannot_create]",
        ),
        ("- The studio can read bookings.", "error[not_a_person]"),
        (
            "- The studio's manager can list and read bookings.",
            "list=admin+through studio_id>manager_id read=admin+through studio_id>manager_id create=admin update=admin delete=admin",
        ),
        (
            "- The manager of the studio can delete a booking.",
            "list=admin read=admin create=admin update=admin delete=admin+through studio_id>manager_id",
        ),
        (
            "- The studio's name can read bookings.",
            "error[not_a_person]",
        ),
        (
            "- The venue's manager can read bookings.",
            "error[unknown_role]",
        ),
        ("- The guests can read bookings.", "error[not_a_person]"),
        (
            "- Members can read their bookings.",
            "error[access_not_understood]",
        ),
    ];
    for (lines, want) in cases {
        check(&format!("{spec}\nAccess:\n{lines}\n"), want, permissions);
    }
}

#[test]
fn access_that_needs_what_the_spec_lacks() {
    let no_auth = "---\napp: access\n---\n\n## Booking\n- note {text}\n\nAccess:\n";
    let no_owner = BASE.replace("- owner {-> User, the signed-in user}\n", "");
    let cases = [
        (
            format!("{no_auth}- Members can read bookings.\n"),
            "error[access_needs_sign_in]",
        ),
        (
            format!("{no_auth}- Signed-in users can read bookings.\n"),
            "error[access_needs_sign_in]",
        ),
        (
            format!("{no_auth}- Anyone can read bookings.\n"),
            "list=admin read=admin+anyone create=admin update=admin delete=admin",
        ),
        (
            format!("{no_owner}\nAccess:\n- The owner can read bookings.\n"),
            "error[owner_without_owner_field]",
        ),
    ];
    for (spec, want) in cases {
        check(&spec, want, permissions);
    }
}
