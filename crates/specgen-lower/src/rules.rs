//! Rules: each `Rules:` line's annotation (no overlap, limits, time windows, comparisons,
//! immutability, transitions, unique) checked and turned into a [`specgen_ir::Rule`] with
//! a stable code, a message and how it is enforced; and the comparisons written on field
//! lines, which become compare rules.
//!
//! Limits are lowered by `limits`, the pass below. Depends on `cx`, `names`, `access` (who
//! may make a transition), `conditions` (field names, comparability, `when`/`once`) and
//! `limits`; it must not depend on auth or the driver.

use std::collections::BTreeSet;

use specgen_diagnostics::{Diagnostic, suggest};
use specgen_ir::{Action, Enforcement, FieldType, Rule, RuleKind, TimeWindow, Transition, Value};
use specgen_syntax::{ActionWord, ConditionAst, Op, RuleSpec, Spanned, TransitionAst, WindowAst};

use crate::conditions::{FieldCompare, compare_op};
use crate::cx::{Cx, Resolved, list, sorted};
use crate::limits::LoweredRule;
use crate::names;

fn op_code(op: Op) -> &'static str {
    match op {
        Op::Eq => "eq",
        Op::Ne => "ne",
        Op::Lt => "lt",
        Op::Le => "le",
        Op::Gt => "gt",
        Op::Ge => "ge",
    }
}

/// Words for a comparison in a message, by the type compared.
fn op_words(op: Op, ty: &FieldType) -> &'static str {
    let time = matches!(ty, FieldType::Date | FieldType::DateTime);
    match (op, time) {
        (Op::Gt, true) => "after",
        (Op::Lt, true) => "before",
        (Op::Ge, true) => "on or after",
        (Op::Le, true) => "on or before",
        (Op::Gt, false) => "greater than",
        (Op::Lt, false) => "less than",
        (Op::Ge, false) => "at least",
        (Op::Le, false) => "at most",
        (Op::Eq, _) => "equal to",
        (Op::Ne, _) => "different from",
    }
}

fn enforcement_check() -> Enforcement {
    Enforcement {
        database: true,
        service: true,
        mechanism: "CHECK constraint; the service checks first to answer 422 with this message"
            .into(),
    }
}

fn past(actions: &[Action]) -> String {
    actions
        .iter()
        .map(|a| match a {
            Action::Update => "changed",
            Action::Delete => "deleted",
            Action::Create => "created",
            Action::Read => "read",
            Action::List => "listed",
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn human_seconds(s: u64) -> String {
    let (n, unit) = if s.is_multiple_of(604_800) {
        (s / 604_800, "week")
    } else if s.is_multiple_of(86_400) {
        (s / 86_400, "day")
    } else if s.is_multiple_of(3600) {
        (s / 3600, "hour")
    } else {
        (s / 60, "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

impl Cx<'_> {
    /// Field-level comparisons (`ends at {datetime, after starts at}`) become rules.
    pub(crate) fn field_compare_rules(&mut self, ei: usize, compares: Vec<FieldCompare>) {
        for FieldCompare {
            field: fi,
            op,
            other,
            at,
        } in compares
        {
            let left = self.entities[ei].fields[fi].clone();
            let Some(right) = self.resolve_field(ei, &other) else {
                continue;
            };
            if !self.check_compare(
                &Resolved {
                    ident: left.ident.clone(),
                    name: left.name.clone(),
                    ty: left.ty.clone(),
                    required: left.required,
                },
                &right,
                at,
            ) {
                continue;
            }
            let message = format!(
                "{} must be {} {}",
                left.name,
                op_words(op, &left.ty),
                right.name
            );
            let code = self.rule_code(
                ei,
                &format!("{}_{}_{}", left.ident, op_code(op), right.ident),
            );
            let line = self.line(at);
            self.entities[ei].rules.push(Rule {
                code,
                message,
                kind: RuleKind::Compare {
                    left: left.ident.clone(),
                    op: compare_op(op),
                    right: right.ident,
                },
                enforcement: enforcement_check(),
                span: at,
                line,
            });
        }
    }

    fn rule_code(&mut self, ei: usize, suffix: &str) -> String {
        let base = format!("{}_{}", names::snake(&self.entities[ei].words), suffix);
        let base = if base.len() > 55 {
            let cut = base
                .char_indices()
                .take_while(|(i, _)| *i < 46)
                .map(|(_, c)| c)
                .collect::<String>();
            format!("{}_{:08x}", cut.trim_end_matches('_'), names::fnv(&base))
        } else {
            base
        };
        let mut code = base.clone();
        let mut n = 2;
        while self.rule_codes.contains(&code) {
            code = format!("{base}_{n}");
            n += 1;
        }
        self.rule_codes.insert(code.clone());
        code
    }

    pub(crate) fn rules(&mut self, ei: usize) {
        let sec = self.sections[ei];
        for line in &sec.rules {
            let Some(spec) = &line.rule else { continue };
            let Some((kind, suffix, synthesized, enforcement)) = self.rule(ei, spec) else {
                continue;
            };
            let code = self.rule_code(ei, &suffix);
            let message = if line.text.is_empty() {
                synthesized
            } else {
                line.text.clone()
            };
            let line_no = self.line(line.span);
            self.entities[ei].rules.push(Rule {
                code,
                message,
                kind,
                enforcement,
                span: line.span,
                line: line_no,
            });
        }
    }

    /// Check one rule annotation and lower it.
    fn rule(&mut self, ei: usize, spec: &RuleSpec) -> Option<LoweredRule> {
        match spec {
            RuleSpec::NoOverlap { start, end, per } => self.no_overlap_rule(ei, start, end, per),
            RuleSpec::Limit {
                max,
                per,
                also_per,
                when,
            } => self.limit_rule(ei, max, (per, also_per), when),
            RuleSpec::Window { actions, window } => self.window_rule(ei, actions, window),
            RuleSpec::Compare { left, op, right } => self.compare_rule(ei, left, *op, right),
            RuleSpec::Immutable { fields, once } => self.immutable_rule(ei, fields, once),
            RuleSpec::Transitions {
                field,
                initial,
                transitions,
            } => self.transitions_rule(ei, field, initial, transitions),
            RuleSpec::Unique { fields } => self.unique_rule(ei, fields),
        }
    }

    /// `no overlap: starts at..ends at per studio`: two time fields bound a range that must not
    /// overlap another row's (with the same `per` fields).
    fn no_overlap_rule(
        &mut self,
        ei: usize,
        start: &Spanned<String>,
        end: &Spanned<String>,
        per: &[Spanned<String>],
    ) -> Option<LoweredRule> {
        let plural = self.entities[ei].plural_words.clone();
        let s = self.resolve_field(ei, start);
        let e = self.resolve_field(ei, end);
        let p: Vec<Option<Resolved>> = per.iter().map(|f| self.resolve_field(ei, f)).collect();
        let (s, e) = (s?, e?);
        let p: Vec<Resolved> = p.into_iter().collect::<Option<_>>()?;
        let time_like = |t: &FieldType| matches!(t, FieldType::Date | FieldType::DateTime);
        for (r, at) in [(&s, start.span), (&e, end.span)] {
            if !time_like(&r.ty) {
                self.push(
                    Diagnostic::error("invalid_rule_field", at, format!("`{}` is not a date or datetime, so it cannot bound a range", r.name))
                        .with_hint("no overlap compares two date or datetime fields: `{no overlap: starts at..ends at per studio}`"),
                );
                return None;
            }
        }
        if std::mem::discriminant(&s.ty) != std::mem::discriminant(&e.ty) || s.ident == e.ident {
            self.push(
                Diagnostic::error("invalid_rule_field", start.span.to(end.span), "the start and the end of a range must be two different fields of the same type")
                    .with_hint("use two datetime fields, for example `starts at..ends at`"),
            );
            return None;
        }
        let per_words: Vec<String> = p.iter().map(|r| r.name.clone()).collect();
        let msg = if per_words.is_empty() {
            format!("{plural} must not overlap")
        } else {
            format!(
                "{plural} with the same {} must not overlap",
                per_words.join(" and ")
            )
        };
        Some((
            RuleKind::NoOverlap { start: s.ident, end: e.ident, per: p.into_iter().map(|r| r.ident).collect() },
            "no_overlap".into(),
            msg,
            Enforcement {
                database: false,
                service: true,
                mechanism: "PostgreSQL: exclusion constraint (btree_gist); SQLite: checked inside a write transaction that takes the write lock first (BEGIN IMMEDIATE)".into(),
            },
        ))
    }

    /// `delete within 24 hours of created`, `update only before starts at`.
    fn window_rule(
        &mut self,
        ei: usize,
        actions: &[Spanned<ActionWord>],
        window: &WindowAst,
    ) -> Option<LoweredRule> {
        let plural = self.entities[ei].plural_words.clone();
        let mut acts = Vec::new();
        for a in actions {
            match a.value {
                ActionWord::Update => acts.push(Action::Update),
                ActionWord::Delete => acts.push(Action::Delete),
                ActionWord::Create if matches!(window, WindowAst::Before { .. }) => {
                    acts.push(Action::Create)
                }
                ActionWord::Create => {
                    self.push(
                        Diagnostic::error(
                            "invalid_window_action",
                            a.span,
                            "a window on create is measured before a time the new record names, not within a time after it",
                        )
                        .with_hint("write `{create only more than 2 hours before starts at}`"),
                    );
                    return None;
                }
                _ => {
                    self.push(
                        Diagnostic::error("invalid_window_action", a.span, "a time window applies to creating, changing or deleting")
                            .with_hint("use `create`, `update` or `delete`, for example `{delete within 24 hours of created}`"),
                    );
                    return None;
                }
            }
        }
        let acts = sorted(acts);
        let creates = acts.contains(&Action::Create);
        let (w, field_name) = match window {
            WindowAst::Within { seconds, field } => {
                let f = self.time_field(ei, field)?;
                (
                    TimeWindow::Within {
                        seconds: *seconds,
                        field: f.ident.clone(),
                    },
                    f.name,
                )
            }
            WindowAst::Before {
                seconds,
                through: None,
                field,
            } => {
                let f = self.time_field(ei, field)?;
                if creates && matches!(f.ident.as_str(), "created_at" | "updated_at") {
                    self.push(
                        Diagnostic::error(
                            "invalid_window_action",
                            field.span,
                            format!("`{}` is set by the server when a record is created, so a window on create cannot be measured before it", f.name),
                        )
                        .with_hint("measure it before a date or datetime field the request sets, such as `starts at`"),
                    );
                    return None;
                }
                (
                    TimeWindow::Before {
                        field: f.ident.clone(),
                        seconds: *seconds,
                        through: None,
                    },
                    f.name,
                )
            }
            WindowAst::Before {
                seconds,
                through: Some(through),
                field,
            } => {
                let (r, target) = self.through_reference(
                    ei,
                    (through, field),
                    "invalid_rule_field",
                    "measure from a field of a `-> Entity` field's record, for example `order.placed at`",
                )?;
                let f = self.time_field(target, field)?;
                (
                    TimeWindow::Before {
                        field: f.ident.clone(),
                        seconds: *seconds,
                        through: Some(r.ident.clone()),
                    },
                    format!("the {}'s {}", r.name, f.name),
                )
            }
        };
        let verbs = acts
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join("_");
        let msg = match &w {
            TimeWindow::Within { seconds, .. } => format!(
                "{plural} can only be {} within {} of {field_name}",
                past(&acts),
                human_seconds(*seconds)
            ),
            TimeWindow::Before { seconds: 0, .. } => {
                format!("{plural} can only be {} before {field_name}", past(&acts))
            }
            TimeWindow::Before { seconds, .. } => format!(
                "{plural} can only be {} more than {} before {field_name}",
                past(&acts),
                human_seconds(*seconds)
            ),
        };
        let mechanism = if acts == [Action::Create] {
            "service check of the new record against the server's clock before the insert (409)"
        } else if creates {
            "service check before the write (409), of a new record as sent and of a stored one \
             as stored; a change or delete only goes through if the record is unchanged since \
             it was read"
        } else {
            "service check of the stored record before the write (409); \
             the write only goes through if the record is unchanged since it was read"
        };
        Some((
            RuleKind::Window {
                actions: acts,
                window: w,
            },
            format!("{verbs}_window"),
            msg,
            Enforcement {
                database: false,
                service: true,
                mechanism: mechanism.into(),
            },
        ))
    }

    /// `ends at after starts at`: two comparable fields of the row.
    fn compare_rule(
        &mut self,
        ei: usize,
        left: &Spanned<String>,
        op: Op,
        right: &Spanned<String>,
    ) -> Option<LoweredRule> {
        let l = self.resolve_field(ei, left);
        let r = self.resolve_field(ei, right);
        let (l, r) = (l?, r?);
        if !self.check_compare(&l, &r, left.span.to(right.span)) {
            return None;
        }
        let msg = format!("{} must be {} {}", l.name, op_words(op, &l.ty), r.name);
        Some((
            RuleKind::Compare {
                left: l.ident.clone(),
                op: compare_op(op),
                right: r.ident.clone(),
            },
            format!("{}_{}_{}", l.ident, op_code(op), r.ident),
            msg,
            enforcement_check(),
        ))
    }

    /// `immutable: total`, `... once status = paid`: fields that cannot change (after a
    /// condition holds).
    fn immutable_rule(
        &mut self,
        ei: usize,
        fields: &[Spanned<String>],
        once: &Option<ConditionAst>,
    ) -> Option<LoweredRule> {
        let resolved: Vec<Option<Resolved>> =
            fields.iter().map(|f| self.resolve_field(ei, f)).collect();
        let resolved: Vec<Resolved> = resolved.into_iter().collect::<Option<_>>()?;
        let cond = match once {
            Some(c) => Some(self.condition(ei, c)?),
            None => None,
        };
        if let (Some(c), Some(ast)) = (&cond, once)
            && c.path.len() > 1
        {
            self.push(
                Diagnostic::error(
                    "invalid_condition",
                    ast.span,
                    "`immutable once` looks at the record's own fields",
                )
                .with_hint("name a field of this entity, for example `once status = shipped`"),
            );
            return None;
        }
        let names_joined = resolved
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
            .join(" and ");
        let msg = match &cond {
            Some(_) => format!("{names_joined} cannot change any more"),
            None => format!("{names_joined} cannot change after creation"),
        };
        let idents: Vec<String> = resolved.into_iter().map(|r| r.ident).collect();
        let enforcement = Enforcement {
            database: true,
            service: true,
            mechanism: "BEFORE UPDATE trigger; the service checks the stored record first \
                        to answer 422 with this message, and the update only goes through \
                        if the record is unchanged since it was read"
                .into(),
        };
        Some((
            RuleKind::Immutable {
                fields: idents.clone(),
                once: cond,
            },
            format!("{}_immutable", idents.join("_")),
            msg,
            enforcement,
        ))
    }

    /// `status: draft -> published by editors, starts draft`: the allowed changes of an
    /// enumeration, and who may make them.
    fn transitions_rule(
        &mut self,
        ei: usize,
        field: &Spanned<String>,
        initial: &Option<Spanned<String>>,
        transitions: &[TransitionAst],
    ) -> Option<LoweredRule> {
        let f = self.resolve_field(ei, field)?;
        let FieldType::Enum { values } = &f.ty else {
            self.push(
                Diagnostic::error(
                    "invalid_transitions",
                    field.span,
                    format!("`{}` is not an enumeration, so it has no states", f.name),
                )
                .with_hint(
                    "transitions apply to a field like `- status {draft | published | archived}`",
                ),
            );
            return None;
        };
        let values = values.clone();
        let mut ok = true;
        let check = |cx: &mut Self, v: &Spanned<String>| -> Option<String> {
            let s = names::snake(&v.value);
            if values.contains(&s) {
                return Some(s);
            }
            let d = Diagnostic::error(
                "unknown_enum_value",
                v.span,
                format!("`{}` is not a value of `{}`", v.value, f.name),
            );
            cx.push(match suggest(&s, values.iter().map(String::as_str)) {
                Some(x) => d.with_hint(format!("did you mean `{x}`?")),
                None => d.with_hint(format!(
                    "the values are {}",
                    list(&values.iter().map(String::as_str).collect::<Vec<_>>())
                )),
            });
            None
        };
        let init = match initial {
            Some(i) => check(self, i),
            None => None,
        };
        if initial.is_some() && init.is_none() {
            ok = false;
        }
        let mut out: Vec<Transition> = Vec::new();
        for t in transitions {
            let from = check(self, &t.from);
            let to = check(self, &t.to);
            let by = self.resolve_field_whos(ei, &t.by);
            match (from, to, by) {
                (Some(from), Some(to), Some(by)) => {
                    if from == to {
                        self.push(
                            Diagnostic::error(
                                "invalid_transitions",
                                t.span,
                                format!("`{from} -> {to}` does not change anything"),
                            )
                            .with_hint("list transitions between different values"),
                        );
                        ok = false;
                        continue;
                    }
                    if out.iter().any(|o| o.from == from && o.to == to) {
                        self.push(
                            Diagnostic::error("duplicate_transition", t.span, format!("`{from} -> {to}` is listed twice"))
                                .with_hint("list each transition once; put several roles after one `by`, joined by `and`"),
                        );
                        ok = false;
                        continue;
                    }
                    let by = if by.is_empty() {
                        by
                    } else {
                        sorted(by.into_iter().chain(self.admin_who()).collect())
                    };
                    out.push(Transition { from, to, by });
                }
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        if let (Some(init), Some(def)) = (&init, self.field_default(ei, &f.ident))
            && Value::Enum(init.clone()) != def
        {
            let span = initial.as_ref().map_or(field.span, |i| i.span);
            self.push(
                Diagnostic::error(
                    "conflicting_initial",
                    span,
                    format!(
                        "`{}` starts as `{init}` here but its default is different",
                        f.name
                    ),
                )
                .with_hint("make the field's default the same value, or remove one of them"),
            );
            return None;
        }
        // `starts X` without a default makes X the default, so the column, the API
        // docs and new records all agree.
        if let Some(init) = &init
            && let Some(field) = self.entities[ei]
                .fields
                .iter_mut()
                .find(|x| x.ident == f.ident && x.default.is_none())
        {
            field.default = Some(Value::Enum(init.clone()));
        }
        Some((
            RuleKind::Transitions {
                field: f.ident.clone(),
                initial: init,
                transitions: out,
            },
            format!("{}_transitions", f.ident),
            format!("{} can only change along the allowed transitions", f.name),
            Enforcement {
                database: true,
                service: true,
                mechanism: "BEFORE INSERT and UPDATE triggers; the service checks the stored \
                            record first to answer 409 with this message, and checks who may \
                            make each change (the database does not know the caller); the \
                            update only goes through if the record is unchanged since it was read"
                    .into(),
            },
        ))
    }

    /// `unique: studio, starts at`: no two rows share these values.
    fn unique_rule(&mut self, ei: usize, fields: &[Spanned<String>]) -> Option<LoweredRule> {
        let resolved: Vec<Option<Resolved>> =
            fields.iter().map(|f| self.resolve_field(ei, f)).collect();
        let resolved: Vec<Resolved> = resolved.into_iter().collect::<Option<_>>()?;
        let mut seen = BTreeSet::new();
        for (r, f) in resolved.iter().zip(fields) {
            if !seen.insert(r.ident.clone()) {
                self.push(
                    Diagnostic::error(
                        "invalid_rule_field",
                        f.span,
                        format!("`{}` is listed twice", r.name),
                    )
                    .with_hint("list each field once"),
                );
                return None;
            }
            if matches!(r.ty, FieldType::Json) {
                self.push(
                    Diagnostic::error(
                        "invalid_rule_field",
                        f.span,
                        format!("`{}` is json and cannot be part of a unique rule", r.name),
                    )
                    .with_hint("use other fields"),
                );
                return None;
            }
        }
        let names_joined = resolved
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
            .join(" and ");
        let idents: Vec<String> = resolved.into_iter().map(|r| r.ident).collect();
        Some((
            RuleKind::Unique {
                fields: idents.clone(),
            },
            format!("{}_unique", idents.join("_")),
            format!(
                "another {} already has the same {names_joined}",
                self.entities[ei].words
            ),
            Enforcement {
                database: true,
                service: true,
                mechanism:
                    "UNIQUE constraint; the service checks first to answer 409 with this message"
                        .into(),
            },
        ))
    }

    fn field_default(&self, ei: usize, ident: &str) -> Option<Value> {
        self.entities[ei]
            .field(ident)
            .and_then(|f| f.default.clone())
    }

    fn time_field(&mut self, ei: usize, name: &Spanned<String>) -> Option<Resolved> {
        let f = self.resolve_field(ei, name)?;
        if !matches!(f.ty, FieldType::Date | FieldType::DateTime) {
            self.push(
                Diagnostic::error(
                    "invalid_rule_field",
                    name.span,
                    format!("`{}` is not a date or datetime", f.name),
                )
                .with_hint(
                    "a time window is measured from a date or datetime field, or from `created`",
                ),
            );
            return None;
        }
        Some(f)
    }

    // ------------------------------------------------------------------ auth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_words() {
        assert_eq!(human_seconds(86_400), "1 day");
        assert_eq!(human_seconds(3600 * 24 * 2), "2 days");
        assert_eq!(human_seconds(3600 * 5), "5 hours");
        assert_eq!(human_seconds(1_209_600), "2 weeks");
    }
}
