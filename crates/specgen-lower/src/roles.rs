//! Roles: the `## Roles` section (or the default member/admin pair when there is none),
//! its markers (`{default}`, `{admin}`) and the index of role names and plurals that
//! access lines resolve against.
//!
//! Depends only on `cx` and `names`; it must not depend on entities, fields, access or
//! rules (roles are resolved first, before any entity is known).

use std::collections::HashMap;

use specgen_diagnostics::{Diagnostic, Span, suggest};
use specgen_ir::Role;
use specgen_syntax::RolesSection;

use crate::cx::Cx;
use crate::names::{self, key, pluralize};

/// Role names that would make sentences ambiguous.
const RESERVED_ROLE_NAMES: &[&str] = &["anyone", "everyone", "owner", "nobody", "signed_in_user"];

impl Cx<'_> {
    pub(crate) fn roles(&mut self, sections: &[&RolesSection], root_span: Span) {
        if sections.len() > 1 {
            for extra in &sections[1..] {
                let d = Diagnostic::error(
                    "duplicate_roles_section",
                    extra.heading,
                    "the roles are already listed in another `## Roles` section",
                )
                .with_label(sections[0].heading, "first `## Roles` here")
                .with_hint("list every role in one `## Roles` section");
                self.push(d);
            }
        }
        let Some(section) = sections.first() else {
            self.roles = vec![
                Role {
                    name: "member".into(),
                    plural: "members".into(),
                    description: "Everyone who signs up.".into(),
                    is_default: true,
                    is_admin: false,
                    span: root_span,
                    line: 0,
                },
                Role {
                    name: "admin".into(),
                    plural: "admins".into(),
                    description: "Staff with full access.".into(),
                    is_default: false,
                    is_admin: true,
                    span: root_span,
                    line: 0,
                },
            ];
            self.index_roles();
            self.admin = Some("admin".into());
            return;
        };
        let mut default_marked: Option<(usize, Span)> = None;
        let mut admin_marked: Option<(usize, Span)> = None;
        let mut seen: HashMap<String, Span> = HashMap::new();
        for line in &section.roles {
            if let Some(d) = names::too_long(
                "role name",
                &line.name.value,
                line.name.span,
                "a role's name is a word or two, like `editor`; say more in its description after `:`",
            ) {
                self.push(d);
                continue;
            }
            let words = names::words(&line.name.value);
            let snake = names::snake(&words);
            if !names::is_valid_snake(&snake) {
                self.push(
                    Diagnostic::error("invalid_name", line.name.span, format!("`{}` is not a usable role name", line.name.value))
                        .with_hint("use words made of letters a-z and digits, starting with a letter, for example `editor`"),
                );
                continue;
            }
            if RESERVED_ROLE_NAMES.contains(&snake.as_str()) {
                self.push(
                    Diagnostic::error("reserved_name", line.name.span, format!("`{}` cannot be a role name: it already means something in access lines", line.name.value))
                        .with_hint("choose another name, for example `member` or `customer`"),
                );
                continue;
            }
            if let Some(first) = seen.get(&snake) {
                let d = Diagnostic::error(
                    "duplicate_role",
                    line.name.span,
                    format!("the role `{words}` is listed twice"),
                )
                .with_label(*first, "first listed here")
                .with_hint("remove one of the two lines");
                self.push(d);
                continue;
            }
            seen.insert(snake.clone(), line.name.span);
            let idx = self.roles.len();
            for m in &line.markers {
                match m.value.as_str() {
                    "default" => match default_marked {
                        Some((_, first)) => self.push(
                            Diagnostic::error(
                                "duplicate_default_role",
                                m.span,
                                "only one role can be the default",
                            )
                            .with_label(first, "already marked `{default}` here")
                            .with_hint("keep `{default}` on the role new sign-ups get"),
                        ),
                        None => default_marked = Some((idx, m.span)),
                    },
                    "admin" => match admin_marked {
                        Some((_, first)) => self.push(
                            Diagnostic::error(
                                "duplicate_admin_role",
                                m.span,
                                "only one role can be the admin role",
                            )
                            .with_label(first, "already marked `{admin}` here")
                            .with_hint("keep `{admin}` on one role"),
                        ),
                        None => admin_marked = Some((idx, m.span)),
                    },
                    other => {
                        let d = Diagnostic::error(
                            "unknown_marker",
                            m.span,
                            format!("unknown role marker `{other}`"),
                        );
                        self.push(match suggest(other, ["default", "admin"]) {
                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                            None => d.with_hint("a role can be marked `{default}` (new sign-ups get it) or `{admin}` (full access)"),
                        });
                    }
                }
            }
            let line_no = self.line(line.span);
            self.roles.push(Role {
                name: snake,
                plural: pluralize(&words),
                description: line.description.clone(),
                is_default: false,
                is_admin: false,
                span: line.span,
                line: line_no,
            });
        }
        if self.roles.is_empty() {
            self.push(
                Diagnostic::error("missing_roles", section.heading, "the `## Roles` section lists no roles")
                    .with_hint("list roles as bullets, for example `- member: everyone who signs up` and `- admin: staff`"),
            );
            return;
        }
        let default = default_marked.map_or(0, |(i, _)| i);
        let admin = admin_marked
            .map(|(i, _)| i)
            .or_else(|| self.roles.iter().position(|r| r.name == "admin"));
        self.roles[default].is_default = true;
        match admin {
            Some(a) => {
                self.roles[a].is_admin = true;
                self.admin = Some(self.roles[a].name.clone());
                if a == default {
                    let span = self.roles[a].span;
                    self.push(
                        Diagnostic::error("default_role_is_admin", span, format!("the admin role `{}` would also be the default role of every new sign-up", self.roles[a].name))
                            .with_hint("list an ordinary role first (for example `- member: everyone who signs up`) or mark one `{default}`"),
                    );
                }
            }
            None => self.push(
                Diagnostic::error("missing_admin_role", section.heading, "no role is the admin role")
                    .with_hint("add `- admin: staff` or mark a role `{admin}`; admins can do anything and change roles"),
            ),
        }
        self.index_roles();
    }

    fn index_roles(&mut self) {
        for (i, r) in self.roles.iter().enumerate() {
            self.role_keys.insert(key(&r.name), i);
            self.role_keys.insert(key(&r.plural), i);
        }
    }
}
