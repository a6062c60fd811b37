//! `specgen explain`: what specgen understood, back in plain language.
//!
//! A founder reads this to confirm the spec means what they meant: entities and fields,
//! every endpoint with who may call it, the access matrix (role x entity x action, the
//! same matrix the generated access tests check, via [`Permissions::decide`]) and every
//! rule with where it is enforced. Pure function of the IR: no I/O, deterministic.

use std::fmt::Write;

use specgen_ir::{
    Action, App, Caller, CompareOp, Condition, Database, Decision, Entity, Field, FieldType,
    LimitMax, OnDelete, Permissions, RuleKind, TimeWindow, Value, Who,
};

/// Render the explanation of `app` as plain text.
pub fn explain(app: &App) -> String {
    let mut out = String::new();
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let o = &mut out;
    let _ = writeln!(o, "{} ({})", app.title, app.name);
    if !app.description.is_empty() {
        let _ = writeln!(o, "{}", app.description.trim());
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "Database: {}", database_sentence(app.database));
    match &app.auth {
        Some(auth) => {
            let _ = writeln!(
                o,
                "Sign-in: {} accounts sign in with email and password{}; sessions last {}; passwords are {} to {} characters.",
                auth.entity,
                if auth.verify_email {
                    " after verifying their email address"
                } else {
                    ""
                },
                duration_words(auth.session_seconds),
                auth.password.min_length,
                auth.password.max_length,
            );
        }
        None => {
            let _ = writeln!(
                o,
                "Sign-in: none (no entity is marked {{auth}}); only anyone-access endpoints are reachable."
            );
        }
    }

    let _ = writeln!(o, "\nRoles");
    let width = app.roles.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for role in &app.roles {
        let mut notes = Vec::new();
        if role.is_default {
            notes.push("new accounts get this role");
        }
        if role.is_admin {
            notes.push("administrator: may do anything and change roles");
        }
        let desc = role.description.trim();
        let _ = write!(o, "  {:width$}  {}", role.name, desc);
        if !notes.is_empty() {
            let _ = write!(
                o,
                "{}({})",
                if desc.is_empty() { "" } else { " " },
                notes.join("; ")
            );
        }
        let _ = writeln!(o);
    }

    for entity in &app.entities {
        explain_entity(o, app, entity);
    }

    let _ = writeln!(o, "\nEndpoints");
    for entity in &app.entities {
        for (method, path, action) in endpoints(entity) {
            let _ = writeln!(
                o,
                "  {method:6} {path:<36} {:<28} {}",
                action_phrase(action, entity),
                who_list(entity.permissions.get(action), app, entity)
            );
        }
    }

    let rows = app.entities.iter().any(|e| !e.permissions.rows.is_empty());
    let legend = if rows {
        "all = every row, own = only rows that name the caller, rows = the rows that meet a \
         condition listed below (and those that name the caller), - = refused"
    } else {
        "all = every row, own = only rows that name the caller, - = refused"
    };
    let _ = writeln!(o, "\nAccess matrix ({legend})");
    for entity in &app.entities {
        access_matrix(o, app, entity);
    }

    let _ = writeln!(o, "\nRules");
    let mut any = false;
    for entity in &app.entities {
        if entity.rules.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(o, "  {}", entity.name);
        for rule in &entity.rules {
            let _ = writeln!(
                o,
                "    - {} [{}] (line {})",
                rule.message.trim(),
                rule.code,
                rule.line
            );
            let _ = writeln!(o, "      means: {}", rule_meaning(&rule.kind, entity, app));
            let place = match (rule.enforcement.database, rule.enforcement.service) {
                (true, true) => "database and service",
                (true, false) => "database",
                (false, true) => "service",
                (false, false) => "nowhere",
            };
            let _ = writeln!(
                o,
                "      enforced in: {place} ({})",
                rule.enforcement.mechanism
            );
        }
    }
    if !any {
        let _ = writeln!(o, "  (none)");
    }
    changes(o, app);
    out
}

/// The renames and removals the spec records: what the next migration follows instead of
/// dropping data. Printed only when there are some.
fn changes(o: &mut String, app: &App) {
    let mut lines = Vec::new();
    for e in &app.entities {
        for was in &e.previous_tables {
            lines.push(format!(
                "{}: was the table {was}; its rows move to {} (line {})",
                e.name, e.table, e.line
            ));
        }
        for f in &e.fields {
            for was in &f.previous_columns {
                lines.push(format!(
                    "{}.{}: was the column {was}; its values move to {} (line {})",
                    e.name, f.name, f.column, f.line
                ));
            }
            for r in &f.value_renames {
                lines.push(format!(
                    "{}.{}: rows holding {} get {} (line {})",
                    e.name, f.name, r.from, r.to, f.line
                ));
            }
            for v in &f.removed_values {
                lines.push(format!(
                    "{}.{}: {v} is no longer accepted; the migration refuses to run while rows hold it (line {})",
                    e.name, f.name, f.line
                ));
            }
        }
        for l in &e.links {
            for was in &l.previous_join_tables {
                lines.push(format!(
                    "{}.{}: was the link table {was}; its rows move to {} (line {})",
                    e.name, l.name, l.join_table, l.line
                ));
            }
        }
        for r in &e.removed_fields {
            lines.push(format!(
                "{}.{}: removed; the next migration drops {} and its data (line {})",
                e.name,
                r.name,
                r.sql_names.join(" or "),
                r.line
            ));
        }
    }
    for r in &app.removed_entities {
        lines.push(format!(
            "{}: removed; the next migration drops {} and its rows (line {})",
            r.name,
            r.sql_names.join(" or "),
            r.line
        ));
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\nSchema changes the spec records (a name counts only if the repo's last build had it; `specgen plan` says what the next migration does)"
    );
    for line in lines {
        let _ = writeln!(o, "  - {line}");
    }
}

fn database_sentence(db: Database) -> &'static str {
    match db {
        Database::Sqlite => {
            "SQLite, embedded (nothing to install); the same app runs on PostgreSQL by setting DATABASE_URL and the `postgres` feature"
        }
        Database::Postgres => {
            "PostgreSQL; the same app runs on embedded SQLite for development with the default `sqlite` feature"
        }
    }
}

fn explain_entity(o: &mut String, app: &App, entity: &Entity) {
    let _ = writeln!(o);
    let _ = write!(
        o,
        "{} (table `{}`, {})",
        entity.name, entity.table, entity.route
    );
    if entity.is_auth {
        let _ = write!(o, ", the sign-in entity");
    }
    let _ = writeln!(o, " — line {}", entity.line);
    if !entity.description.trim().is_empty() {
        let _ = writeln!(o, "  {}", entity.description.trim());
    }
    let width = entity
        .fields
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    for field in &entity.fields {
        let _ = write!(
            o,
            "  - {:width$}  {}",
            field.name,
            field_summary(field, entity, app)
        );
        if !field.description.trim().is_empty() {
            let _ = write!(o, " — {}", field.description.trim());
        }
        let _ = writeln!(o);
    }
    for link in &entity.links {
        let _ = writeln!(
            o,
            "  - {:width$}  many {} (ids in `{}`, stored in table `{}`)",
            link.name,
            plural_of(app, &link.target),
            link.json,
            link.join_table
        );
    }
    if let Some(owner) = &entity.owner {
        let name = entity
            .field(owner)
            .map_or(owner.as_str(), |f| f.name.as_str());
        let _ = writeln!(
            o,
            "  Owner: `{name}` is set to the signed-in user on create, never from the request."
        );
    }
    for child in &entity.children {
        let child_plural = plural_of(app, &child.entity);
        let effect = match child.on_delete {
            OnDelete::Restrict => format!(
                "deleting a {} is refused while {child_plural} reference it",
                entity.words
            ),
            OnDelete::Cascade => format!("deleting a {} deletes its {child_plural}", entity.words),
            OnDelete::SetNull => format!(
                "deleting a {} clears the reference in its {child_plural}",
                entity.words
            ),
        };
        let _ = writeln!(
            o,
            "  Has many {child_plural} (through {}.{}); {effect}.",
            child.entity, child.field
        );
    }
}

fn plural_of(app: &App, entity: &str) -> String {
    app.entity(entity)
        .map_or_else(|| entity.to_string(), |e| e.plural_words.clone())
}

fn field_summary(field: &Field, entity: &Entity, app: &App) -> String {
    let mut parts = vec![type_words(&field.ty, app)];
    if let Some(role) = &field.required_role {
        parts.push(format!(
            "must be an account with the role {role} when a request sets it (one without it is answered as missing)"
        ));
    }
    parts.push(if field.required {
        "required".into()
    } else {
        "optional".into()
    });
    if let Some(default) = &field.default {
        parts.push(format!("default {}", value_words(default)));
    }
    if field.unique {
        parts.push("unique".into());
    }
    if field.owner {
        parts.push("owner".into());
    }
    if let Some(specgen_ir::Derived::Copy {
        reference,
        field: source,
    }) = &field.derived
    {
        // In the spec's words: `the product's price`, from the reference's name.
        let via = entity.field(reference);
        let target = via.and_then(|v| match &v.ty {
            FieldType::Reference { entity, .. } => app.entity(entity),
            _ => None,
        });
        let via = via.map_or(reference.as_str(), |v| v.name.as_str());
        let source = target
            .and_then(|t| t.field(source))
            .map_or(source.as_str(), |f| f.name.as_str());
        parts.push(format!(
            "copied from the {via}'s {source} when created or when its {via} changes"
        ));
    } else if field.read_only {
        parts.push("read-only (set by the server)".into());
    } else if field.immutable {
        parts.push("cannot change after creation".into());
    }
    if !field.visible_to.is_empty() {
        parts.push(format!(
            "visible to {}",
            who_list(&field.visible_to, app, entity)
        ));
    }
    if !field.settable_by.is_empty() {
        parts.push(format!(
            "set by {}",
            who_list(&field.settable_by, app, entity)
        ));
    }
    parts.join(", ")
}

fn range_words<T: std::fmt::Display>(min: Option<T>, max: Option<T>, unit: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!(" {a} to {b}{unit}"),
        (Some(a), None) => format!(" at least {a}{unit}"),
        (None, Some(b)) => format!(" at most {b}{unit}"),
        (None, None) => String::new(),
    }
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    )
}

fn type_words(ty: &FieldType, app: &App) -> String {
    match ty {
        FieldType::Text {
            min_length,
            max_length,
        } => {
            format!("text, {min_length} to {max_length} characters")
        }
        FieldType::Integer { min, max } => format!("whole number{}", range_words(*min, *max, "")),
        FieldType::Decimal { min, max } => format!("decimal number{}", range_words(*min, *max, "")),
        FieldType::Money { min, max } => {
            format!(
                "money in cents{}",
                range_words(min.map(money), max.map(money), "")
            )
        }
        FieldType::Boolean => "yes/no".into(),
        FieldType::Date => "date".into(),
        FieldType::DateTime => "date and time (UTC)".into(),
        FieldType::Email => "email address".into(),
        FieldType::Url => "web address (http or https)".into(),
        FieldType::Uuid => "UUID".into(),
        FieldType::Json => "JSON document".into(),
        FieldType::Enum { values } => format!("one of {}", values.join(" | ")),
        FieldType::Reference { entity, on_delete } => {
            let words = app
                .entity(entity)
                .map_or(entity.as_str(), |e| e.words.as_str());
            let effect = match on_delete {
                OnDelete::Restrict => "",
                OnDelete::Cascade => "; deleted with it",
                OnDelete::SetNull => "; cleared when it is deleted",
            };
            format!("a {words}{effect}")
        }
    }
}

fn value_words(value: &Value) -> String {
    match value {
        Value::Text(s) => format!("\"{s}\""),
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Money(c) => money(*c),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Enum(e) => e.clone(),
        Value::Now => "now".into(),
        Value::Empty => "empty".into(),
    }
}

fn endpoints(entity: &Entity) -> [(&'static str, String, Action); 5] {
    let r = &entity.route;
    [
        ("GET", r.clone(), Action::List),
        ("POST", r.clone(), Action::Create),
        ("GET", format!("{r}/{{id}}"), Action::Read),
        ("PATCH", format!("{r}/{{id}}"), Action::Update),
        ("DELETE", format!("{r}/{{id}}"), Action::Delete),
    ]
}

fn action_phrase(action: Action, entity: &Entity) -> String {
    match action {
        Action::List => format!("list {}", entity.plural_words),
        Action::Read => format!("read a {}", entity.words),
        Action::Create => format!("create a {}", entity.words),
        Action::Update => format!("change a {}", entity.words),
        Action::Delete => format!("delete a {}", entity.words),
    }
}

fn who_words(who: &Who, app: &App, entity: &Entity) -> String {
    match who {
        Who::Anyone => "anyone".into(),
        Who::SignedIn => "signed-in users".into(),
        Who::Role(r) => app
            .roles
            .iter()
            .find(|role| &role.name == r)
            .map_or_else(|| r.clone(), |role| role.plural.clone()),
        Who::Owner => "the owner".into(),
        Who::Person(ident) => format!("the {}", field_name(entity, ident)),
        Who::Through(reference, person) => {
            let parent = entity.field(reference).and_then(|f| match &f.ty {
                FieldType::Reference { entity, .. } => app.entity(entity),
                _ => None,
            });
            let person = parent.map_or(person.replace('_', " "), |p| field_name(p, person));
            format!("the {}'s {person}", field_name(entity, reference))
        }
    }
}

/// Who, in words, leaving out callers a broader entry already covers ("anyone" covers
/// every role, "signed-in users" every role and the owner).
fn who_list(who: &[Who], app: &App, entity: &Entity) -> String {
    if who.is_empty() {
        return "nobody".into();
    }
    if who.contains(&Who::Anyone) {
        return "anyone".into();
    }
    if who.contains(&Who::SignedIn) {
        return "signed-in users".into();
    }
    join_words(
        &who.iter()
            .map(|w| who_words(w, app, entity))
            .collect::<Vec<_>>(),
    )
}

fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn access_matrix(o: &mut String, app: &App, entity: &Entity) {
    let _ = writeln!(o, "  {}", entity.name);
    let mut callers: Vec<(String, Caller<'_>)> = vec![("anonymous".into(), Caller::Anonymous)];
    callers.extend(
        app.roles
            .iter()
            .map(|r| (r.name.clone(), Caller::Signed(&r.name))),
    );
    let width = callers
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let _ = write!(o, "    {:width$}", "");
    for action in Action::ALL {
        let _ = write!(o, "  {:6}", action.as_str());
    }
    let _ = writeln!(o);
    for (name, caller) in callers {
        let _ = write!(o, "    {name:width$}");
        for action in Action::ALL {
            let cell = cell(&entity.permissions, action, caller);
            let _ = write!(o, "  {cell:6}");
        }
        let _ = writeln!(o);
    }
    // Who "own" means, per action: the owner, or the people a row names.
    let mut owns: Vec<(Vec<&str>, String)> = Vec::new();
    for action in Action::ALL {
        let people = entity.permissions.people(action);
        if people.is_empty() || action == Action::Create {
            continue;
        }
        let people: Vec<Who> = people.into_iter().cloned().collect();
        let words = people_words(&people, app, entity);
        match owns.iter_mut().find(|(_, w)| *w == words) {
            Some((actions, _)) => actions.push(action.as_str()),
            None => owns.push((vec![action.as_str()], words)),
        }
    }
    for (actions, words) in owns {
        let _ = writeln!(
            o,
            "    own for {}: rows where the caller is {words}",
            actions.join(", ")
        );
    }
    // The grants of rows that meet a condition, and how they are kept.
    for grant in &entity.permissions.rows {
        let actions: Vec<&str> = grant.actions.iter().map(|a| a.as_str()).collect();
        let who = who_list(&grant.who, app, entity);
        let people = if grant.who.iter().all(Who::is_person) {
            " that name them"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "    rows for {}: {who}, on the rows{people} where {} (\"{}\")",
            actions.join(", "),
            condition_words(&grant.when, entity, app),
            grant.words
        );
    }
    if !entity.permissions.rows.is_empty() {
        let _ = writeln!(
            o,
            "    rows: lists filter by the condition in their query; read, change and delete test it on the stored row and answer 404 outside it"
        );
    }
}

/// The people of a row in words, joined with "or": "the owner or the doctor".
fn people_words(people: &[Who], app: &App, entity: &Entity) -> String {
    let words: Vec<String> = people
        .iter()
        .map(|w| match (w, entity.owner.as_ref()) {
            (Who::Owner, Some(owner)) => format!("the owner (`{}`)", field_name(entity, owner)),
            (Who::Owner, None) if entity.is_auth => "the account itself".to_owned(),
            _ => who_words(w, app, entity),
        })
        .collect();
    match words.as_slice() {
        [init @ .., last] if !init.is_empty() => format!("{} or {last}", init.join(", ")),
        _ => words.join(""),
    }
}

fn cell(perms: &Permissions, action: Action, caller: Caller<'_>) -> &'static str {
    match perms.decide(action, caller) {
        Decision::All => "all",
        Decision::Own => "own",
        Decision::Rows => "rows",
        Decision::Deny => "-",
    }
}

fn field_name(entity: &Entity, ident: &str) -> String {
    match entity.field(ident) {
        Some(f) => f.name.clone(),
        None => ident.replace('_', " "),
    }
}

fn condition_words(cond: &Condition, entity: &Entity, app: &App) -> String {
    let path = match cond.path.as_slice() {
        [one] => field_name(entity, one),
        [reference, rest @ ..] => {
            let target = entity.field(reference).and_then(|f| match &f.ty {
                FieldType::Reference { entity, .. } => app.entity(entity),
                _ => None,
            });
            let mut words = field_name(entity, reference);
            for part in rest {
                words.push_str("'s ");
                words.push_str(
                    &target.map_or_else(|| part.replace('_', " "), |t| field_name(t, part)),
                );
            }
            words
        }
        [] => String::new(),
    };
    match (&cond.value, cond.op) {
        (Value::Empty, CompareOp::Eq) => format!("{path} is empty"),
        (Value::Empty, _) => format!("{path} is set"),
        _ => format!(
            "{path} {} {}",
            op_words(cond.op, false),
            value_words(&cond.value)
        ),
    }
}

/// The comparison in words; `in_time` picks before/after over less/greater.
fn op_words(op: CompareOp, in_time: bool) -> &'static str {
    match (op, in_time) {
        (CompareOp::Eq, _) => "is",
        (CompareOp::Ne, _) => "is not",
        (CompareOp::Lt, true) => "is before",
        (CompareOp::Le, true) => "is on or before",
        (CompareOp::Gt, true) => "is after",
        (CompareOp::Ge, true) => "is on or after",
        (CompareOp::Lt, false) => "is less than",
        (CompareOp::Le, false) => "is at most",
        (CompareOp::Gt, false) => "is greater than",
        (CompareOp::Ge, false) => "is at least",
    }
}

fn is_time(entity: &Entity, ident: &str) -> bool {
    matches!(ident, "created_at" | "updated_at")
        || entity
            .field(ident)
            .is_some_and(|f| matches!(f.ty, FieldType::Date | FieldType::DateTime))
}

fn rule_meaning(kind: &RuleKind, entity: &Entity, app: &App) -> String {
    let f = |ident: &String| field_name(entity, ident);
    match kind {
        RuleKind::Limit {
            max,
            per,
            also_per,
            when,
        } => {
            let pers: Vec<String> = std::iter::once(per).chain(also_per).map(f).collect();
            let most = match max {
                LimitMax::Count(n) => n.to_string(),
                LimitMax::Field(field) => {
                    let parent = entity.field(per).and_then(|p| match &p.ty {
                        FieldType::Reference { entity, .. } => app.entity(entity),
                        _ => None,
                    });
                    let name = parent
                        .and_then(|p| p.field(field))
                        .map_or(field.clone(), |f| f.name.clone());
                    format!("the {}'s {name} in", f(per))
                }
            };
            let mut s = format!(
                "at most {most} {} per {}",
                entity.plural_words,
                pers.join(" and ")
            );
            if matches!(max, LimitMax::Field(_)) {
                s.push_str(" (no limit while it is empty)");
            }
            if let Some(cond) = when {
                s.push_str(&format!(", when {}", condition_words(cond, entity, app)));
            }
            s
        }
        RuleKind::NoOverlap { start, end, per } => {
            let per = per.iter().map(f).collect::<Vec<_>>();
            format!(
                "no two {} with the same {} have overlapping {}–{} ranges",
                entity.plural_words,
                join_words(&per),
                f(start),
                f(end)
            )
        }
        RuleKind::Window { actions, window } => {
            let acts = actions
                .iter()
                .map(|a| a.as_str().to_string())
                .collect::<Vec<_>>();
            match window {
                TimeWindow::Within { seconds, field } => format!(
                    "{} only within {} of {}",
                    join_words(&acts),
                    duration_words(*seconds),
                    f(field)
                ),
                TimeWindow::Before {
                    seconds,
                    field,
                    through,
                } => {
                    // `the order's placed at` for a time on the referenced record.
                    let time = match through {
                        Some(through) => {
                            let name = app
                                .referenced(entity, through)
                                .map_or(field.clone(), |(_, t)| field_name(t, field));
                            format!("the {}'s {name}", f(through))
                        }
                        None => f(field),
                    };
                    match seconds {
                        0 => format!("{} only before {time}", join_words(&acts)),
                        _ => format!(
                            "{} only more than {} before {time}",
                            join_words(&acts),
                            duration_words(*seconds)
                        ),
                    }
                }
            }
        }
        RuleKind::Compare { left, op, right } => {
            format!(
                "{} {} {}",
                f(left),
                op_words(*op, is_time(entity, left)),
                f(right)
            )
        }
        RuleKind::Immutable { fields, once } => {
            let names = fields.iter().map(f).collect::<Vec<_>>();
            match once {
                Some(cond) => format!(
                    "{} cannot change once {}",
                    join_words(&names),
                    condition_words(cond, entity, app)
                ),
                None => format!("{} cannot change after creation", join_words(&names)),
            }
        }
        RuleKind::Transitions {
            field,
            initial,
            transitions,
        } => {
            let mut parts = Vec::new();
            if let Some(initial) = initial {
                parts.push(format!("new {} start as {initial}", entity.plural_words));
            }
            for t in transitions {
                let by = if t.by.is_empty() {
                    String::new()
                } else {
                    format!(" (by {})", who_list(&t.by, app, entity))
                };
                parts.push(format!("{} → {}{by}", t.from, t.to));
            }
            format!("{} changes only as: {}", f(field), parts.join("; "))
        }
        RuleKind::Unique { fields } => {
            let names = fields.iter().map(f).collect::<Vec<_>>();
            format!(
                "no two {} share the same {}",
                entity.plural_words,
                join_words(&names)
            )
        }
    }
}

fn duration_words(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds.is_multiple_of(86_400) {
        plural(seconds / 86_400, "day")
    } else if seconds.is_multiple_of(3_600) {
        plural(seconds / 3_600, "hour")
    } else if seconds.is_multiple_of(60) {
        plural(seconds / 60, "minute")
    } else {
        plural(seconds, "second")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration_words(30 * 86_400), "30 days");
        assert_eq!(duration_words(86_400), "1 day");
        assert_eq!(duration_words(24 * 3_600 + 3_600), "25 hours");
        assert_eq!(duration_words(90), "90 seconds");
    }

    #[test]
    fn money_prints_major_units() {
        assert_eq!(money(1250), "12.50");
        assert_eq!(money(-5), "-0.05");
    }

    #[test]
    fn lists_join_like_a_sentence() {
        let w = |s: &[&str]| join_words(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(w(&["a"]), "a");
        assert_eq!(w(&["a", "b"]), "a and b");
        assert_eq!(w(&["a", "b", "c"]), "a, b and c");
    }
}
