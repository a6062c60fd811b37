//! Auth: the front matter's `auth:` settings matched with the entity marked `{auth}`,
//! the sign-in email field found and checked, and the warning when anyone can read every
//! user's email.
//!
//! Runs last, on top of everything: it reads fields and permissions, and depends on
//! `cx` and `settings`. Nothing but the driver `lower` may depend on it.

use specgen_diagnostics::Diagnostic;
use specgen_ir::{Action, Auth, Caller, Decision, FieldType};

use crate::cx::Cx;
use crate::settings::AuthSettings;

impl Cx<'_> {
    /// The auth settings to lower: those written (only when an entity is marked `{auth}`),
    /// or the defaults when an entity is marked but nothing is written.
    pub(crate) fn auth_settings(&mut self, settings: Option<AuthSettings>) -> Option<AuthSettings> {
        match (&settings, self.auth_idx) {
            (Some(_), None) => {
                if let Some(a) = &settings {
                    self.push(
                        Diagnostic::error(
                            "auth_without_entity",
                            a.span,
                            "`auth` is set but no entity is marked `{auth}`",
                        )
                        .with_hint(
                            "mark the entity people sign in as, for example `## User {auth}`",
                        ),
                    );
                }
                None
            }
            (Some(_), Some(_)) => settings,
            (None, Some(i)) => Some(AuthSettings::defaults(self.entities[i].span)),
            (None, None) => None,
        }
    }

    /// Anyone (not signed in) reading the sign-in entity would see every user's email.
    pub(crate) fn warn_public_email(&mut self, auth: &Auth) {
        let Some(idx) = self.auth_idx else { return };
        let e = &self.entities[idx];
        let public = [Action::List, Action::Read]
            .iter()
            .any(|a| e.permissions.decide(*a, Caller::Anonymous) != Decision::Deny);
        let Some(email) = e.field(&auth.email_field) else {
            return;
        };
        if public && email.visible_to.is_empty() {
            let span = email.span;
            let name = email.name.clone();
            self.push(
                Diagnostic::warning("public_email", span, format!("anyone, even without signing in, can read every `{name}`"))
                    .with_hint(format!("add `visible to the owner` to `{name}`, or grant list and read to signed-in users only")),
            );
        }
    }

    pub(crate) fn auth(&mut self, a: AuthSettings) -> Option<Auth> {
        let idx = self.auth_idx?;
        let e = &self.entities[idx];
        let email = e
            .fields
            .iter()
            .find(|f| f.ident == "email" && matches!(f.ty, FieldType::Email))
            .or_else(|| {
                e.fields
                    .iter()
                    .find(|f| matches!(f.ty, FieldType::Email) && f.unique)
            });
        match email {
            Some(f) if f.required => Some(Auth {
                entity: e.name.clone(),
                email_field: f.ident.clone(),
                methods: a.methods,
                verify_email: a.verify_email,
                session_seconds: a.session_seconds,
                password: a.password,
                span: e.span,
            }),
            Some(f) => {
                let span = f.span;
                self.push(
                    Diagnostic::error(
                        "auth_email_optional",
                        span,
                        "people sign in with this email, so it cannot be optional",
                    )
                    .with_hint("remove `optional`"),
                );
                None
            }
            None => {
                let span = e.span;
                self.push(
                    Diagnostic::error(
                        "auth_missing_email",
                        span,
                        format!("the sign-in entity `{}` has no email field", e.name),
                    )
                    .with_hint("add `- email {email, unique}`"),
                );
                None
            }
        }
    }
}
