//! Roles and entity headings, one table row per snippet: the roles or entity names it
//! lowers to, or the diagnostic it gets.

use specgen_ir::App;

use crate::support::check_app;

const FRONT: &str = "---\napp: names\n---\n\n";
const USER: &str = "## User {auth}\n- email {email, unique}\n";

/// Compile `spec`; `want` is a diagnostic it must report, or what `show` says of the app.
#[track_caller]
fn check(spec: &str, want: &str, show: fn(&App) -> String) {
    check_app(&format!("{FRONT}{spec}"), want, show);
}

/// `name` for each role, `*` after the default, `!` after the admin.
fn roles(app: &App) -> String {
    let names: Vec<String> = app
        .roles
        .iter()
        .map(|r| {
            let mut s = r.name.clone();
            if r.is_default {
                s.push('*');
            }
            if r.is_admin {
                s.push('!');
            }
            s
        })
        .collect();
    names.join(",")
}

/// `Name table route` for each entity, the sign-in one marked `{auth}`.
fn entities(app: &App) -> String {
    let names: Vec<String> = app
        .entities
        .iter()
        .map(|e| {
            let auth = if e.is_auth { " {auth}" } else { "" };
            format!("{} {} {}{auth}", e.name, e.table, e.route)
        })
        .collect();
    names.join("; ")
}

#[test]
fn roles_sections_lower_to_roles() {
    let cases = [
        ("", "member*,admin!"),
        (
            "## Roles\n- member: signs up\n- admin: staff\n",
            "member*,admin!",
        ),
        (
            "## Roles\n- reader: reads\n- editor: edits {default}\n- boss: runs it {admin}\n",
            "reader,editor*,boss!",
        ),
        (
            "## Roles\n- Team Lead: leads\n- admin: staff\n",
            "team_lead*,admin!",
        ),
        (
            "## Roles\n- member: a\n- admin: b\n\n## Roles\n- editor: c\n",
            "error[duplicate_roles_section]",
        ),
        ("## Roles\n- 9lives: a\n- admin: b\n", "error[invalid_name]"),
        ("## Roles\n- owner: a\n- admin: b\n", "error[reserved_name]"),
        (
            "## Roles\n- member: a\n- Member: b\n- admin: c\n",
            "error[duplicate_role]",
        ),
        (
            "## Roles\n- a: x {default}\n- b: y {default}\n- admin: z\n",
            "error[duplicate_default_role]",
        ),
        (
            "## Roles\n- a: x {admin}\n- b: y {admin}\n",
            "error[duplicate_admin_role]",
        ),
        (
            "## Roles\n- a: x {defualt}\n- admin: y\n",
            "error[unknown_marker]",
        ),
        ("## Roles\n", "error[missing_roles]"),
        (
            "## Roles\n- admin: staff\n- member: signs up\n",
            "error[default_role_is_admin]",
        ),
        (
            "## Roles\n- member: signs up\n- editor: edits\n",
            "error[missing_admin_role]",
        ),
    ];
    for (roles_section, want) in cases {
        check(&format!("{roles_section}\n{USER}"), want, roles);
    }
}

#[test]
fn entity_headings_lower_to_named_entities() {
    let cases = [
        (
            "## Studio\n- name {text}\n",
            "User users /api/users {auth}; Studio studios /api/studios",
        ),
        (
            "## Order Line\n- n {integer}\n",
            "User users /api/users {auth}; OrderLine order_lines /api/order-lines",
        ),
        (
            "## Person\n- n {integer}\n",
            "User users /api/users {auth}; Person people /api/people",
        ),
        (
            "## Order\n- n {integer}\n",
            "User users /api/users {auth}; Order orders /api/orders",
        ),
        ("## 3D\n- n {integer}\n", "error[invalid_name]"),
        ("## Result\n- n {integer}\n", "error[reserved_name]"),
        (
            "## Studio\n- n {integer}\n\n## studio\n- m {integer}\n",
            "error[duplicate_entity]",
        ),
        ("## Studios\n- n {integer}\n", "warning[plural_entity_name]"),
        (
            "## Account {auth}\n- email {email, unique}\n",
            "error[duplicate_auth_entity]",
        ),
        (
            "## Studio {private}\n- n {integer}\n",
            "error[unknown_marker]",
        ),
        ("## Studio\n- boss {-> Studioz}\n", "error[unknown_entity]"),
        (
            "## Tag\n- n {text}\n\n## Post\n- tags {many -> Tag}\n\n## Post Tag\n- n {text}\n",
            "error[name_collision]",
        ),
        ("## Studio\n- boss {-> Studios}\n", "error[unknown_entity]"),
    ];
    for (section, want) in cases {
        check(&format!("{USER}\n{section}"), want, entities);
    }
}
