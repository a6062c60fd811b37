//! Access: who-words (`members`, `anyone`, `signed-in users`, `the owner`) resolved to
//! [`specgen_ir::Who`], and each entity's `Access:` lines (sentences and annotations)
//! folded into its access rules and permissions, with the admin role always included.
//!
//! Depends on `cx`, `names` and `conditions` (the rows a condition grants: `published
//! posts`, `... while it is pending`); fields use `resolve_whos` for `visible to` and `set
//! by`, so this module must not depend on fields, rules or auth.

use specgen_diagnostics::{Diagnostic, Span, suggest};
use specgen_ir::{AccessRule, Action, CompareOp, Condition, FieldType, RowGrant, Value, Who};
use specgen_syntax::{AccessGrant, AccessWhenKind, ActionWord, FieldItemKind, Spanned};

use crate::cx::{Cx, list, sorted};
use crate::names::{self, key};

/// Who-words that mean anyone.
const ANYONE: &[&str] = &[
    "anyone",
    "everyone",
    "anybody",
    "everybody",
    "visitors",
    "guests",
    "the public",
    "public",
];
/// Who-words that mean any signed-in user (when no role has that name).
const SIGNED_IN: &[&str] = &[
    "signed-in users",
    "signed in users",
    "signed-in user",
    "signed in user",
    "any signed-in user",
    "logged-in users",
    "logged in users",
    "users",
    "user",
];
/// Who-words that mean the owner of the row.
const OWNER: &[&str] = &[
    "owner",
    "owners",
    "the owner",
    "the owners",
    "its owner",
    "their owner",
    "the row's owner",
];

impl Cx<'_> {
    /// Resolve who-words of a field rule or a transition (`visible to`, `set by`, `by`):
    /// as [`Cx::resolve_whos`], but a parent's person is refused, since those checks run
    /// on the record in hand without reading its parent.
    pub(crate) fn resolve_field_whos(
        &mut self,
        ei: usize,
        words: &[Spanned<String>],
    ) -> Option<Vec<Who>> {
        let whos = self.resolve_whos(ei, words)?;
        let mut ok = true;
        for (who, w) in whos.iter().zip(words) {
            if let Who::Through(..) = who {
                self.push(
                    Diagnostic::error("unsupported_parent_person", w.span, format!("`{}` cannot be given a field or a transition yet, only actions", w.value))
                        .with_hint("grant the actions in an access line (`The event's organizer can read tickets.`), or name a person of this record"),
                );
                ok = false;
            }
        }
        ok.then_some(whos)
    }

    /// Resolve who-words; `None` when one of them is not understood (reported).
    pub(crate) fn resolve_whos(
        &mut self,
        ei: usize,
        words: &[Spanned<String>],
    ) -> Option<Vec<Who>> {
        let mut out = Vec::new();
        let mut ok = true;
        for w in words {
            match self.resolve_who(ei, w) {
                Some(who) => out.push(who),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn resolve_who(&mut self, ei: usize, w: &Spanned<String>) -> Option<Who> {
        let lower = w.value.to_lowercase();
        let k = key(&lower);
        // "The doctor" names the row's doctor field before any role called doctor: a
        // founder writes "doctors" for the role.
        let named = ["the ", "its ", "their "]
            .iter()
            .find_map(|article| lower.strip_prefix(article))
            .and_then(|rest| self.person_field(ei, rest));
        if let Some(who) = named {
            return self.needs_auth(w, who);
        }
        if let Some(who) = self.parent_person(ei, w, &lower) {
            return match who {
                Ok(who) => self.needs_auth(w, who),
                Err(d) => {
                    self.push(*d);
                    None
                }
            };
        }
        if let Some(&i) = self.role_keys.get(&k) {
            return self.needs_auth(w, Who::Role(self.roles[i].name.clone()));
        }
        let trimmed = lower
            .trim_start_matches("the ")
            .trim_start_matches("any ")
            .trim_start_matches("all ")
            .trim_start_matches("every ")
            .trim_start_matches("each ")
            .trim_start_matches("an ")
            .trim_start_matches("a ");
        if let Some(&i) = self.role_keys.get(&key(trimmed)) {
            return self.needs_auth(w, Who::Role(self.roles[i].name.clone()));
        }
        if ANYONE.contains(&lower.as_str()) {
            return Some(Who::Anyone);
        }
        if SIGNED_IN.contains(&lower.as_str()) || SIGNED_IN.iter().any(|s| key(s) == k) {
            return self.needs_auth(w, Who::SignedIn);
        }
        if OWNER.contains(&lower.as_str()) {
            let e = &self.entities[ei];
            let declares_owner = self.sections[ei].fields.iter().any(|f| {
                f.items
                    .iter()
                    .any(|i| matches!(i.kind, FieldItemKind::Owner))
            });
            if e.owner.is_none() && !e.is_auth && !declares_owner {
                let auth = self
                    .auth_idx
                    .map(|a| self.entities[a].name.clone())
                    .unwrap_or_else(|| "User".into());
                self.push(
                    Diagnostic::error("owner_without_owner_field", w.span, format!("`{}` has no owner field", e.name))
                        .with_hint(format!("add a field that references the signed-in user, for example `- owner {{-> {auth}, the signed-in user}}`")),
                );
                return None;
            }
            return self.needs_auth(w, Who::Owner);
        }
        if let Some(who) = self.person_field(ei, &lower) {
            return self.needs_auth(w, who);
        }
        if let Some(d) = self.not_a_person(ei, w, &lower) {
            self.push(d);
            return None;
        }
        let mut candidates: Vec<String> =
            self.roles.iter().flat_map(|r| [r.plural.clone()]).collect();
        candidates.extend(["anyone", "signed-in users", "the owner"].map(String::from));
        candidates.extend(self.person_words(ei));
        let d = Diagnostic::error(
            "unknown_role",
            w.span,
            format!("unknown role `{}`", w.value),
        );
        let d = match suggest(&lower, candidates.iter().map(String::as_str)) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(format!(
                "the roles are {}; also `anyone`, `signed-in users` and `the owner`; add roles under `## Roles`",
                list(&self.roles.iter().map(|r| r.plural.as_str()).collect::<Vec<_>>())
            )),
        };
        self.push(d);
        None
    }

    /// The person a field of this entity names, when `words` is the name of a field that
    /// references the sign-in entity (one account, not a link): `Who::Owner` for the owner
    /// field, else `Who::Person` with the field's ident. Access runs before fields, so this
    /// reads the field lines and names the ident as the fields pass will.
    fn person_field(&self, ei: usize, words: &str) -> Option<Who> {
        let auth = self.auth_idx?;
        let wanted = key(words);
        let line = self.sections[ei]
            .fields
            .iter()
            .find(|f| key(&names::words(&f.name.value)) == wanted)?;
        let names_account = line.items.iter().any(|item| match &item.kind {
            FieldItemKind::Reference {
                many: false,
                target,
                ..
            } => self.entity_keys.get(&key(&target.value)) == Some(&auth),
            _ => false,
        });
        if !names_account {
            return None;
        }
        if line
            .items
            .iter()
            .any(|i| matches!(i.kind, FieldItemKind::Owner))
        {
            return Some(Who::Owner);
        }
        let snake = names::snake(&names::words(&line.name.value));
        Some(Who::Person(names::rust_ident(&names::reference_stem(
            &snake,
        ))))
    }

    /// A person of the record a reference points at: `the event's organizer`, `the
    /// organizer of the event`. `None` when the words have no such shape; an error when
    /// they do but name no reference or no person of its target.
    fn parent_person(
        &self,
        ei: usize,
        w: &Spanned<String>,
        lower: &str,
    ) -> Option<Result<Who, Box<Diagnostic>>> {
        let rest = ["the ", "its ", "their "]
            .iter()
            .find_map(|article| lower.strip_prefix(article))
            .unwrap_or(lower);
        let possessive = rest.contains("'s ");
        let (reference, person) = match rest.split_once("'s ") {
            Some((reference, person)) => (reference, person),
            None => {
                let (person, reference) = rest.split_once(" of ")?;
                (
                    reference
                        .trim_start_matches("the ")
                        .trim_start_matches("its ")
                        .trim_start_matches("their "),
                    person,
                )
            }
        };
        let line = self.sections[ei]
            .fields
            .iter()
            .find(|f| key(&names::words(&f.name.value)) == key(reference));
        let target = line.and_then(|line| {
            line.items.iter().find_map(|item| match &item.kind {
                FieldItemKind::Reference {
                    many: false,
                    target,
                    ..
                } => self.entity_keys.get(&key(&target.value)).copied(),
                _ => None,
            })
        });
        let (Some(line), Some(ti)) = (line, target) else {
            // `Heads of sales` may be a role; only `x's y` must be a reference.
            if !possessive {
                return None;
            }
            return Some(Err(Box::new(
                Diagnostic::error("unknown_role", w.span, format!("`{reference}` is not a reference of `{}`", self.entities[ei].name))
                    .with_hint(format!("a parent's person is `the <reference>'s <person>`, where the reference is a `-> Entity` field of `{}`: for example `The event's organizer can read tickets`", self.entities[ei].name)),
            )));
        };
        let stem = |name: &str| {
            names::rust_ident(&names::reference_stem(&names::snake(&names::words(name))))
        };
        let person = match self.person_field(ti, person) {
            Some(Who::Person(ident)) => ident,
            Some(Who::Owner) => {
                let owner = self.sections[ti].fields.iter().find(|f| {
                    f.items
                        .iter()
                        .any(|i| matches!(i.kind, FieldItemKind::Owner))
                })?;
                stem(&owner.name.value)
            }
            _ => {
                let target = &self.entities[ti];
                let people: Vec<String> = self
                    .person_words(ti)
                    .into_iter()
                    .map(|p| p.trim_start_matches("the ").to_owned())
                    .collect();
                let hint = if people.is_empty() {
                    format!(
                        "`{}` has no field that references the sign-in entity; add one, for example `- organizer {{-> User}}`",
                        target.name
                    )
                } else {
                    format!(
                        "the people of `{}` are {}",
                        target.name,
                        list(&people.iter().map(String::as_str).collect::<Vec<_>>())
                    )
                };
                return Some(Err(Box::new(
                    Diagnostic::error(
                        "not_a_person",
                        w.span,
                        format!(
                            "`{person}` is not a field of `{}` that names an account",
                            target.name
                        ),
                    )
                    .with_hint(hint),
                )));
            }
        };
        Some(Ok(Who::Through(stem(&line.name.value), person)))
    }

    /// `the doctor` for every field of this entity that names one account.
    fn person_words(&self, ei: usize) -> Vec<String> {
        self.sections[ei]
            .fields
            .iter()
            .map(|f| names::words(&f.name.value))
            .filter(|words| self.person_field(ei, words).is_some())
            .map(|words| format!("the {words}"))
            .collect()
    }

    /// The error for who-words that name a field of this entity which names no one account:
    /// a link, or a reference to another entity.
    fn not_a_person(&self, ei: usize, w: &Spanned<String>, lower: &str) -> Option<Diagnostic> {
        let words = ["the ", "its ", "their "]
            .iter()
            .find_map(|article| lower.strip_prefix(article))
            .unwrap_or(lower);
        let line = self.sections[ei]
            .fields
            .iter()
            .find(|f| key(&names::words(&f.name.value)) == key(words))?;
        let auth = self
            .auth_idx
            .map_or_else(|| "User".to_owned(), |a| self.entities[a].name.clone());
        let why = line.items.iter().find_map(|item| match &item.kind {
            FieldItemKind::Reference { many: true, .. } => {
                Some(format!("`{words}` is a many-to-many link, not one person"))
            }
            FieldItemKind::Reference { target, .. } => Some(format!(
                "`{words}` references `{}`, not the sign-in entity `{auth}`",
                target.value
            )),
            _ => None,
        });
        let why = why.unwrap_or_else(|| format!("`{words}` is not a reference to an account"));
        Some(
            Diagnostic::error("not_a_person", w.span, format!("{why}, so it names nobody who could be granted access"))
                .with_hint(format!("a person named in a record is a field like `- {words} {{-> {auth}}}`; or grant a role")),
        )
    }

    fn needs_auth(&mut self, w: &Spanned<String>, who: Who) -> Option<Who> {
        if self.auth_idx.is_none() {
            self.push(
                Diagnostic::error("access_needs_sign_in", w.span, format!("`{}` only makes sense when people sign in", w.value))
                    .with_hint("mark the entity people sign in as, for example `## User {auth}`, or grant this to `anyone`"),
            );
            return None;
        }
        Some(who)
    }

    pub(crate) fn access(&mut self, ei: usize) {
        let sec = self.sections[ei];
        let mut rules = Vec::new();
        for line in &sec.access {
            let Some(grant) = &line.grant else { continue };
            let mut whos = Vec::new();
            let mut actions = Vec::new();
            let mut ok = true;
            // The rows the line grants, when it names some: `published posts`, `... while
            // it is pending`.
            let mut rows: Option<(Condition, String)> = None;
            match grant {
                AccessGrant::Sentence {
                    who,
                    actions: acts,
                    object,
                    when,
                } => {
                    let resolved = self.resolve_whos(ei, who);
                    // "The member can read their loans": the possessive is the person's.
                    let people = resolved
                        .as_ref()
                        .is_some_and(|w| !w.is_empty() && w.iter().all(Who::is_person));
                    if let Some(object) = object {
                        match self.object_matches(ei, object, people) {
                            None => ok = false,
                            Some(None) => {}
                            Some(Some(value)) => match self.value_condition(ei, &value, false) {
                                Some(c) => rows = Some((c, value.value.to_lowercase())),
                                None => ok = false,
                            },
                        }
                    }
                    if let Some(when) = when {
                        let condition = match &when.kind {
                            AccessWhenKind::It { negated, value } => {
                                self.value_condition(ei, value, *negated)
                            }
                            AccessWhenKind::Condition(c) => self.condition(ei, c),
                        };
                        match (condition, &rows) {
                            (Some(_), Some(_)) => {
                                self.push(
                                    Diagnostic::error("access_not_understood", when.span, "an access line takes one condition")
                                        .with_hint("name the rows either before the entity (`published posts`) or after `while`, not both"),
                                );
                                ok = false;
                            }
                            (Some(c), None) => {
                                rows = Some((c, format!("while {}", when.text.to_lowercase())))
                            }
                            (None, _) => ok = false,
                        }
                    }
                    match resolved {
                        Some(w) => whos.extend(w.into_iter().map(|w| (w, acts.clone()))),
                        None => ok = false,
                    }
                }
                AccessGrant::Annotation(groups) => {
                    for g in groups {
                        match self.resolve_whos(ei, &g.who) {
                            Some(w) => whos.extend(w.into_iter().map(|w| (w, g.actions.clone()))),
                            None => ok = false,
                        }
                    }
                }
            }
            if !ok {
                continue;
            }
            let mut who_list = Vec::new();
            for (who, acts) in whos {
                for a in &acts {
                    let expanded: Vec<Action> = match a.value {
                        ActionWord::List => vec![Action::List],
                        ActionWord::Read => vec![Action::Read],
                        ActionWord::Create => vec![Action::Create],
                        ActionWord::Update => vec![Action::Update],
                        ActionWord::Delete => vec![Action::Delete],
                        ActionWord::All => Action::ALL.to_vec(),
                    };
                    for action in expanded {
                        if rows.is_some() && action == Action::Create {
                            if a.value == ActionWord::Create {
                                self.push(
                                    Diagnostic::error("condition_on_create", a.span, "a condition on the rows cannot grant `create`: the row does not exist yet")
                                        .with_hint("grant `create` in a line of its own; to limit what a new row may hold, write a rule under `Rules:`"),
                                );
                                ok = false;
                            }
                            continue;
                        }
                        if who.is_person() && action == Action::Create {
                            if a.value == ActionWord::Create {
                                let d = match &who {
                                    Who::Person(_) => Diagnostic::error("person_cannot_create", a.span, "the people a row names cannot create it: the row does not exist yet")
                                        .with_hint("grant `create` to a role or to signed-in users; whoever creates the row names the person in it"),
                                    _ => Diagnostic::error("owner_cannot_create", a.span, "`the owner` cannot create: a row has no owner before it exists")
                                        .with_hint("grant `create` to a role or to signed-in users; whoever creates a row becomes its owner"),
                                };
                                self.push(d);
                                ok = false;
                            }
                            continue;
                        }
                        if rows.is_none() {
                            let perms = self.entities[ei].permissions.get_mut(action);
                            perms.push(who.clone());
                        }
                        actions.push(action);
                    }
                }
                who_list.push(who);
            }
            if !ok {
                continue;
            }
            let line_no = self.line(line.span);
            let (who_list, actions) = (sorted(who_list), sorted(actions));
            if let Some((when, words)) = rows {
                self.entities[ei].permissions.rows.push(RowGrant {
                    actions: actions.clone(),
                    who: who_list.clone(),
                    when,
                    words,
                });
            }
            rules.push(AccessRule {
                text: line.text.clone(),
                who: who_list,
                actions,
                span: line.span,
                line: line_no,
            });
        }
        let admin = self.admin_who();
        let e = &mut self.entities[ei];
        e.access = rules;
        for action in Action::ALL {
            let list = e.permissions.get_mut(action);
            if let Some(a) = &admin {
                list.push(a.clone());
            }
            let v = std::mem::take(list);
            *list = sorted(v);
        }
    }

    /// Whether the words after the actions name this entity (`bookings`, `a booking`).
    /// `people`: every caller of the line is a person of the row, so `their loans` means
    /// the loans that name them, which the grant already says.
    /// `None` when they do not (reported); `Some(Some(words))` when a value comes first
    /// (`published posts`): the rows that hold it.
    fn object_matches(
        &mut self,
        ei: usize,
        object: &Spanned<String>,
        people: bool,
    ) -> Option<Option<Spanned<String>>> {
        let lower = object.value.to_lowercase();
        let mut words: Vec<&str> = lower.split_whitespace().collect();
        if people && words.first().is_some_and(|w| ["their", "own"].contains(w)) {
            words.remove(0);
            if words.first() == Some(&"own") {
                words.remove(0);
            }
        }
        if words
            .first()
            .is_some_and(|w| ["their", "his", "her", "its", "my", "own", "your"].contains(w))
        {
            self.push(
                Diagnostic::error(
                    "access_not_understood",
                    object.span,
                    format!("`{}` is not understood in an access line", object.value),
                )
                .with_hint(format!(
                    "for rows someone owns, write `The owner can <actions> {}.`",
                    self.entities[ei].plural_words
                )),
            );
            return None;
        }
        if words
            .first()
            .is_some_and(|w| ["a", "an", "the", "any", "all", "every", "each", "other"].contains(w))
        {
            words.remove(0);
        }
        let k = key(&words.join(" "));
        let e = &self.entities[ei];
        if k == key(&e.words) || k == key(&e.plural_words) || k == key(&e.name) {
            return Some(None);
        }
        // `published posts`, `in review posts`: a value, then the entity.
        let names_entity = |k: &str| k == key(&e.words) || k == key(&e.plural_words);
        if let Some(n) = (1..words.len()).find(|&n| names_entity(&key(&words[n..].join(" ")))) {
            let value = words[..n].join(" ");
            let offset = object.value.to_lowercase().find(&value).unwrap_or(0) as u32;
            let span = Span {
                file: object.span.file,
                start: object.span.start + offset,
                end: object.span.start + offset + value.len() as u32,
            };
            return Some(Some(Spanned::new(value, span)));
        }
        let other = self
            .entity_keys
            .get(&k)
            .or_else(|| self.plural_keys.get(&k))
            .copied();
        let e_words = e.words.clone();
        let e_plural = e.plural_words.clone();
        let d = match other {
            Some(o) => Diagnostic::error("access_wrong_entity", object.span, format!("this access line is under `{}` but talks about `{}`", self.entities[ei].name, object.value))
                .with_hint(format!("move it to the `## {}` section", heck::ToTitleCase::to_title_case(self.entities[o].words.as_str()))),
            None => Diagnostic::error("access_not_understood", object.span, format!("`{}` is not understood here", object.value))
                .with_hint(format!("after the actions, name this entity (`{e_plural}` or `a {e_words}`) and end the sentence; conditions belong in an annotation or under `Rules:`")),
        };
        self.push(d);
        None
    }

    /// The condition that a row holds `value`: one of the values of an enumeration field
    /// (`published`, `a draft`), or a boolean field's name (`archived`); `negated` for `it
    /// is not ...`. `None` when no field or several fields fit (reported).
    fn value_condition(
        &mut self,
        ei: usize,
        value: &Spanned<String>,
        negated: bool,
    ) -> Option<Condition> {
        let words = value.value.to_lowercase();
        let words = words
            .strip_prefix("a ")
            .or_else(|| words.strip_prefix("an "))
            .unwrap_or(&words);
        let k = key(words);
        let e = &self.entities[ei];
        let op = if negated {
            CompareOp::Ne
        } else {
            CompareOp::Eq
        };
        let mut found: Vec<(String, Condition)> = Vec::new();
        for f in &e.fields {
            match &f.ty {
                FieldType::Enum { values } => {
                    if let Some(v) = values.iter().find(|v| key(v) == k) {
                        found.push((
                            f.name.clone(),
                            Condition {
                                path: vec![f.ident.clone()],
                                op,
                                value: Value::Enum(v.clone()),
                            },
                        ));
                    }
                }
                FieldType::Boolean if key(&f.name) == k => found.push((
                    f.name.clone(),
                    Condition {
                        path: vec![f.ident.clone()],
                        op: CompareOp::Eq,
                        value: Value::Bool(!negated),
                    },
                )),
                _ => {}
            }
        }
        match found.len() {
            1 => found.pop().map(|(_, c)| c),
            0 => {
                let mut values: Vec<String> = e
                    .fields
                    .iter()
                    .flat_map(|f| match &f.ty {
                        FieldType::Enum { values } => {
                            values.iter().map(|v| v.replace('_', " ")).collect()
                        }
                        FieldType::Boolean => vec![f.name.clone()],
                        _ => Vec::new(),
                    })
                    .collect();
                // Drop repeats (two enumerations may share a value), keeping spec order.
                let mut seen = std::collections::BTreeSet::new();
                values.retain(|v| seen.insert(v.clone()));
                let hint = if values.is_empty() {
                    format!(
                        "`{}` has no enumeration or boolean field to say it with; write a condition after `while`: `while <field> = <value>`",
                        e.name
                    )
                } else {
                    format!(
                        "the values of `{}` are {}; or write a condition after `while`: `while <field> = <value>`",
                        e.name,
                        list(&values.iter().map(String::as_str).collect::<Vec<_>>())
                    )
                };
                self.push(
                    Diagnostic::error(
                        "unknown_value",
                        value.span,
                        format!("`{words}` is not a value of any field of `{}`", e.name),
                    )
                    .with_hint(hint),
                );
                None
            }
            _ => {
                let fields: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
                self.push(
                    Diagnostic::error(
                        "ambiguous_condition",
                        value.span,
                        format!("`{words}` is a value of {}", list(&fields)),
                    )
                    .with_hint(format!("say which: `while {} = {words}`", fields[0])),
                );
                None
            }
        }
    }
}
