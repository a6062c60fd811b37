//! Checks an entity module runs before writing: the constraint table the error mapping
//! reads, comparison rules, and that every reference points at an existing record.

use specgen_ir::{App, CompareOp, Entity, Field, FieldType, RuleKind};

use crate::facts::schema::{self, ConstraintKind};
use crate::layout;
use crate::names::rust_str;

#[derive(Debug, Clone)]
pub struct CompareView {
    pub line: u32,
    pub message: String,
    /// The `if` statement, indented.
    pub code: String,
}

pub(super) fn constraints_const(entity: &Entity) -> String {
    let constraints = schema::constraints(entity);
    if constraints.is_empty() {
        return "const CONSTRAINTS: &[error::Constraint] = &[];".to_owned();
    }
    // rustfmt writes an array of one struct literal as `&[error::Constraint {` .. `}];`,
    // the fields one level less indented.
    let single = constraints.len() == 1;
    let (open, inner) = if single {
        (
            "const CONSTRAINTS: &[error::Constraint] = &[error::Constraint {\n",
            4,
        )
    } else {
        ("const CONSTRAINTS: &[error::Constraint] = &[\n", 8)
    };
    let pad = |n: usize| " ".repeat(n);
    let mut out = String::from(open);
    for c in constraints {
        let violation = match &c.kind {
            ConstraintKind::Unique => "violation: error::Violation::Unique,".to_owned(),
            ConstraintKind::Reference => "violation: error::Violation::Reference,".to_owned(),
            ConstraintKind::Check => "violation: error::Violation::Check,".to_owned(),
            ConstraintKind::Rule { code, conflict } => {
                let status = if *conflict {
                    "StatusCode::CONFLICT"
                } else {
                    "StatusCode::UNPROCESSABLE_ENTITY"
                };
                layout::struct_literal(
                    inner,
                    "violation: error::Violation::Rule {",
                    &[
                        format!("code: {}", rust_str(code)),
                        format!("status: {status}"),
                    ],
                    "},",
                )
                .trim_start()
                .to_owned()
            }
        };
        let sqlite = match &c.sqlite_message {
            Some(message) => format!("Some({})", rust_str(message)),
            None => "None".to_owned(),
        };
        let fields: Vec<String> = c.fields.iter().map(|f| rust_str(f)).collect();
        if !single {
            out.push_str("    error::Constraint {\n");
        }
        out.push_str(&format!("{}name: {},\n", pad(inner), rust_str(&c.name)));
        let sqlite_line = format!("sqlite_message: {sqlite},");
        if layout::fits(inner, &[&sqlite_line]) {
            out.push_str(&format!("{}{sqlite_line}\n", pad(inner)));
        } else {
            out.push_str(&format!(
                "{}sqlite_message: Some(\n{}{},\n{}),\n",
                pad(inner),
                pad(inner + 4),
                &sqlite[5..sqlite.len() - 1],
                pad(inner)
            ));
        }
        out.push_str(&format!("{}{violation}\n", pad(inner)));
        out.push_str(&layout::array(inner, "fields: &[", &fields, "],"));
        out.push('\n');
        out.push_str(&layout::field_init(inner, "message", &rust_str(&c.message)));
        out.push('\n');
        if !single {
            out.push_str("    },\n");
        }
    }
    out.push_str(if single { "}];" } else { "];" });
    out
}

pub(super) fn compare_views(app: &App, entity: &Entity) -> Vec<CompareView> {
    let _ = app;
    entity
        .rules
        .iter()
        .filter_map(|rule| {
            let RuleKind::Compare { left, op, right } = &rule.kind else {
                return None;
            };
            let (left, right) = (entity.field(left)?, entity.field(right)?);
            let failing = negate(*op);
            let push = layout::nested_call(
                8,
                "violations.push(",
                "FieldError::new(",
                &[rust_str(&left.json), rust_str(&rule.code), rust_str(&rule.message)],
                "));",
            );
            let condition = format!("if row.{} {failing} row.{} {{", left.ident, right.ident);
            let code = if left.required && right.required && layout::fits(4, &[&condition]) {
                format!("    {condition}\n{push}\n    }}")
            } else if left.required && right.required {
                format!(
                    "    let left = &row.{};\n    let right = &row.{};\n    if left {failing} right {{\n{push}\n    }}",
                    left.ident, right.ident
                )
            } else {
                let side = |f: &Field| {
                    if f.required {
                        format!("Some(&row.{})", f.ident)
                    } else {
                        format!("row.{}.as_ref()", f.ident)
                    }
                };
                format!(
                    "    let left = {};\n    let right = {};\n    if let (Some(left), Some(right)) = (left, right)\n        && left {failing} right\n    {{\n{push}\n    }}",
                    side(left),
                    side(right)
                )
            };
            Some(CompareView { line: rule.line, message: rule.message.clone(), code })
        })
        .collect()
}

/// The Rust operator that holds exactly when `op` fails (values are never NaN).
fn negate(op: CompareOp) -> &'static str {
    match op.negated() {
        CompareOp::Eq => "==",
        CompareOp::Ne => "!=",
        other => other.symbol(),
    }
}

/// The checks of `check_references`: every reference the request sets must name a record
/// the caller may read (`access::readable`), which answers exactly as a missing record does
/// for one they may not. On update (`before` is the stored record) only the references the
/// request changes are checked: a record may keep pointing at one its owner cannot see. The
/// owner field only has to name an existing account. A reference with a role
/// (`-> User with role doctor`) must also name an account with that role.
pub(super) fn reference_checks(app: &App, entity: &Entity) -> Vec<String> {
    let mut out = Vec::new();
    for field in &entity.fields {
        let FieldType::Reference { entity: target, .. } = &field.ty else {
            continue;
        };
        let Some(target) = app.entity(target) else {
            continue;
        };
        // `-> User with role doctor`: the account must have the role too, and one without it
        // is answered as a missing one.
        let (readable, message) = match &field.required_role {
            Some(role) => (
                format!(
                    "&super::{}::READABLE.with_role({})",
                    target.plural_snake,
                    rust_str(role)
                ),
                format!("no {} with the role {role} has this id", target.words),
            ),
            None => (
                format!("&super::{}::READABLE", target.plural_snake),
                format!("no {} has this id", target.words),
            ),
        };
        let args = [
            rust_str(&field.json),
            rust_str("not_found"),
            rust_str(&message),
        ];
        let push = layout::nested_call(8, "missing.push(", "FieldError::new(", &args, "));");
        let ident = &field.ident;
        if field.owner {
            // The owner is the caller, or an account an admin names: it must exist, and
            // a caller may always name themselves, even without reading accounts.
            let table = rust_str(&target.table);
            let exists = format!("!db::exists(pool, {table}, id).await?");
            out.push(if field.required {
                format!("    let id = row.{ident};\n    if {exists} {{\n{push}\n    }}")
            } else {
                format!(
                    "    if let Some(id) = row.{ident}\n        && {exists}\n    {{\n{push}\n    }}"
                )
            });
        } else if field.required {
            let body = format!("before.{ident} != id");
            let changed = let_changed(4, &body, &body);
            let check = if_readable(4, &readable, "id");
            out.push(format!(
                "    let id = row.{ident};\n{changed}\n{check}\n{push}\n    }}"
            ));
        } else {
            let changed = unchanged_check(8, "&& ", &format!("before.{ident} != Some(id)"), "");
            let call = readable_call(8, "&& !", &readable, "id");
            out.push(format!(
                "    if let Some(id) = row.{ident}\n{changed}\n{call}\n    {{\n{push}\n    }}"
            ));
        }
    }
    for link in &entity.links {
        let Some(target) = app.entity(&link.target) else {
            continue;
        };
        let readable = format!("&super::{}::READABLE", target.plural_snake);
        let message = format!(
            "format!(\"no {} has the id {{id}}\")",
            target.words.replace('"', "\\\"")
        );
        let args = [rust_str(&link.json), rust_str("not_found"), message];
        let push = layout::nested_call(12, "missing.push(", "FieldError::new(", &args, "));");
        let ident = &link.ident;
        // In a block, a chain wider than 60 columns gets one line per call, as rustfmt does.
        let chain = format!("before.{ident}.contains(id)");
        let block = if chain.len() > 60 {
            format!("!before\n{p}.{ident}\n{p}.contains(id)", p = pad(16))
        } else {
            format!("!{chain}")
        };
        let changed = let_changed(8, &format!("!{chain}"), &block);
        let check = if_readable(8, &readable, "*id");
        out.push(format!(
            "    for id in &row.{} {{\n{changed}\n{check}\n{push}\n        }}\n    }}",
            link.ident
        ));
    }
    out
}

/// `let changed = before.is_none_or(|before| <body>);`, laid out as rustfmt does: on one
/// line, else the call on the next line, else the closure's body in a block (`block`: the
/// body as laid out there).
fn let_changed(indent: usize, body: &str, block: &str) -> String {
    let call = format!("before.is_none_or(|before| {body})");
    if layout::fits(indent, &["let changed = ", &call, ";"]) {
        format!("{}let changed = {call};", pad(indent))
    } else if layout::fits(indent + 4, &[&call, ";"]) {
        format!("{}let changed =\n{}{call};", pad(indent), pad(indent + 4))
    } else {
        unchanged_check(indent, "let changed = ", block, ";")
    }
}

/// `<lead>before.is_none_or(|before| <body>)<tail>`: on one line when it fits, else with
/// the closure's body in a block.
pub(super) fn unchanged_check(indent: usize, lead: &str, body: &str, tail: &str) -> String {
    let call = format!("before.is_none_or(|before| {body})");
    if layout::fits(indent, &[lead, &call, tail]) {
        format!("{}{lead}{call}{tail}", pad(indent))
    } else {
        format!(
            "{}{lead}before.is_none_or(|before| {{\n{}{body}\n{}}}){tail}",
            pad(indent),
            pad(indent + 4),
            pad(indent)
        )
    }
}

/// `if changed && !access::readable(..).await? {`: on one line when it fits, else the
/// condition broken at `&&`.
fn if_readable(indent: usize, readable: &str, id: &str) -> String {
    let one_line = readable_call(0, "", readable, id);
    if !one_line.contains('\n') && layout::fits(indent, &["if changed && !", &one_line, " {"]) {
        return format!("{}if changed && !{one_line} {{", pad(indent));
    }
    format!(
        "{}if changed\n{}\n{}{{",
        pad(indent),
        readable_call(indent + 4, "&& !", readable, id),
        pad(indent)
    )
}

/// `<lead>access::readable(pool, <readable>, <id>, caller).await?` at `indent`: one line when
/// the arguments fit in 60 columns and the line in 100, else one argument per line with
/// `.await?` under the closing parenthesis.
fn readable_call(indent: usize, lead: &str, readable: &str, id: &str) -> String {
    let args = ["pool", readable, id, "caller"];
    let joined = args.join(", ");
    let line = format!("{lead}access::readable({joined}).await?");
    if joined.len() <= 60 && layout::fits(indent, &[&line]) {
        return format!("{}{line}", pad(indent));
    }
    let inner = pad(indent + 4);
    let args: String = args.iter().map(|a| format!("{inner}{a},\n")).collect();
    format!(
        "{}{lead}access::readable(\n{args}{})\n{}.await?",
        pad(indent),
        pad(indent),
        pad(indent)
    )
}

fn pad(indent: usize) -> String {
    " ".repeat(indent)
}
