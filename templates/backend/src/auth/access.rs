// {{ header }}
//! Who may do what: the spec's access rules as data. Each resource module declares one
//! [`Access`] (and [`FieldRule`]s for fields only some callers may see or set) and checks it
//! in one place per action.
//!
//! specgen computes every [`Grant`] with the same definition `specgen explain` prints
//! (`Permissions::decide`): deny by default; callers who are not signed in get an action
//! only when anyone may; a signed-in caller whose role is granted (admins always are) acts
//! on every record; other signed-in callers act on the records they own when the spec grants
//! the owner. Refusals are 401 for callers who are not signed in and 403 for signed-in ones.
//! A caller allowed only their own records gets 404 for any other record, exactly as if it
//! did not exist, and lists show them only their own.

use serde_json::Value;
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::ApiError;

/// What an allowed caller may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    All,
    /// Only the records this account owns.
    Own(Uuid),
}

impl Scope {
    /// Whether a record owned by `owner` is in scope.
    pub fn covers(self, owner: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Own(id) => id == owner,
        }
    }
}

/// Who may perform one action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Callers who are not signed in may, on every record (and so may everyone else).
    pub anyone: bool,
    /// Signed-in callers with these roles may, on every record.
    pub roles: &'static [Role],
    /// Other signed-in callers may, on the records they own.
    pub owner: bool,
}

impl Grant {
    /// The caller's scope, or `None` when the caller may not.
    pub fn scope(&self, caller: Option<&AuthUser>) -> Option<Scope> {
        match caller {
            None => self.anyone.then_some(Scope::All),
            Some(user) if self.anyone || self.roles.contains(&user.role) => Some(Scope::All),
            Some(user) => self.owner.then_some(Scope::Own(user.id)),
        }
    }

    /// The caller's scope, or the refusal: 401 when not signed in, 403 when signed in.
    pub fn check(&self, caller: Option<&AuthUser>) -> Result<Scope, ApiError> {
        match (self.scope(caller), caller) {
            (Some(scope), _) => Ok(scope),
            (None, None) => Err(ApiError::unauthorized(
                "sign in first and send `Authorization: Bearer <token>`",
            )),
            (None, Some(_)) => Err(ApiError::forbidden("your role may not do this")),
        }
    }

    /// Whether the caller may, on a record owned by `owner` (`None`: a record nobody owns).
    pub fn allows(&self, caller: Option<&AuthUser>, owner: Option<Uuid>) -> bool {
        match (self.scope(caller), owner) {
            (Some(Scope::All), _) => true,
            (Some(Scope::Own(id)), Some(owner)) => id == owner,
            _ => false,
        }
    }
}

/// Who may do what with one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub list: Grant,
    pub read: Grant,
    pub create: Grant,
    pub update: Grant,
    pub delete: Grant,
}

/// A field only some callers may see (`visible to`) or set (`set by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// The JSON property.
    pub field: &'static str,
    pub grant: Grant,
}

/// The fields of `rules` the caller may not have, on a record owned by `owner`.
pub fn denied(
    rules: &[FieldRule],
    caller: Option<&AuthUser>,
    owner: Option<Uuid>,
) -> Vec<&'static str> {
    rules
        .iter()
        .filter(|rule| !rule.grant.allows(caller, owner))
        .map(|rule| rule.field)
        .collect()
}

/// `record` (a JSON object) without the fields the caller may not see.
pub fn redact(
    mut record: Value,
    visible: &[FieldRule],
    caller: Option<&AuthUser>,
    owner: Option<Uuid>,
) -> Value {
    if let Some(object) = record.as_object_mut() {
        for field in denied(visible, caller, owner) {
            object.remove(field);
        }
    }
    record
}

/// The fields of `rules` a caller may not use to filter or sort a list: seeing a field on
/// their own records is not enough to search everyone's by it.
pub fn unsearchable(rules: &[FieldRule], caller: Option<&AuthUser>) -> Vec<&'static str> {
    denied(rules, caller, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN_ONLY: Grant = Grant {
        anyone: false,
        roles: &[Role::ADMIN],
        owner: false,
    };

    fn user(role: Role) -> AuthUser {
        AuthUser {
            id: Uuid::now_v7(),
            role,
            session_id: Uuid::now_v7(),
        }
    }

    #[test]
    fn anonymous_callers_get_only_what_anyone_may_do() {
        let anyone = Grant {
            anyone: true,
            roles: &[],
            owner: false,
        };
        assert_eq!(anyone.scope(None), Some(Scope::All));
        assert_eq!(ADMIN_ONLY.scope(None), None);
        assert!(matches!(ADMIN_ONLY.check(None), Err(ApiError::Unauthorized(_))));
    }

    #[test]
    fn granted_roles_get_everything_and_owners_their_own() {
        let admin = user(Role::ADMIN);
        assert_eq!(ADMIN_ONLY.scope(Some(&admin)), Some(Scope::All));
        let owners = Grant {
            owner: true,
            ..ADMIN_ONLY
        };
        for role in Role::ALL.into_iter().filter(|role| *role != Role::ADMIN) {
            let caller = user(role);
            assert_eq!(owners.scope(Some(&caller)), Some(Scope::Own(caller.id)));
            assert!(owners.allows(Some(&caller), Some(caller.id)));
            assert!(!owners.allows(Some(&caller), Some(Uuid::now_v7())));
            assert!(matches!(
                ADMIN_ONLY.check(Some(&caller)),
                Err(ApiError::Forbidden(_))
            ));
        }
    }

    #[test]
    fn hidden_fields_are_removed() {
        let rules = [FieldRule {
            field: "secret",
            grant: ADMIN_ONLY,
        }];
        let record = serde_json::json!({ "id": 1, "secret": 2 });
        let redacted = redact(record.clone(), &rules, None, None);
        assert_eq!(redacted, serde_json::json!({ "id": 1 }));
        let admin = user(Role::ADMIN);
        assert_eq!(redact(record.clone(), &rules, Some(&admin), None), record);
    }
}
