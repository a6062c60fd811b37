// {{ header }}
//! Who may do what: the spec's access rules as data. Each resource module declares one
//! [`Access`] (and [`FieldRule`]s for fields only some callers may see or set) and checks it
//! in one place per action.
//!
//! specgen computes every [`Grant`] with the definition `specgen explain` prints
//! (`Permissions::decide`): deny by default; callers who are not signed in get an action
//! only when anyone may; a signed-in caller whose role is granted (admins always are) acts
//! on every record; other signed-in callers act on the records they own when the spec grants
//! the owner. Refusals are 401 for callers who are not signed in and 403 for signed-in ones.
//! A caller allowed only their own records gets 404 for other records, exactly as if those
//! did not exist (403 if they may read it but not do this), and lists show them only their
//! own.
{%- if !has_auth %}
//!
//! Nobody signs in to this app (its spec has no `{auth}` entity), so every request is
//! anonymous: an action is open to anyone or to nobody.
{%- endif %}

{% if has_auth -%}
use serde_json::Value;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

pub use crate::auth::{AuthUser, MaybeAuthUser, Role};
use crate::db::{DbPool, Stored};
use crate::error::ApiError;
use crate::validation::{Fields, check};
{%- else -%}
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::db::{DbPool, Stored};
use crate::error::ApiError;
use crate::validation::Fields;

/// A signed-in caller. There never is one: this app has no sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthUser {}

/// A role. This app has none: nobody signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {}

/// The caller of a request: always anonymous in this app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuthUser(None))
    }
}
{%- endif %}

/// What an allowed caller may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    All,
    /// Only the records this account owns.
    Own(Uuid),
}

impl Scope {
    /// Whether a record owned by `owner` is in scope (`None`: a record nobody owns).
    pub fn covers(self, owner: Option<Uuid>) -> bool {
        match self {
            Scope::All => true,
            Scope::Own(id) => owner == Some(id),
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
{%- if has_auth %}
            Some(user) if self.anyone || self.roles.contains(&user.role) => Some(Scope::All),
            Some(user) => self.owner.then_some(Scope::Own(user.id)),
{%- else %}
            Some(user) => match *user {},
{%- endif %}
        }
    }

    /// The caller's scope, or the refusal: 401 when not signed in, 403 when signed in.
    pub fn check(&self, caller: Option<&AuthUser>) -> Result<Scope, ApiError> {
        match (self.scope(caller), caller) {
            (Some(scope), _) => Ok(scope),
{%- if has_auth %}
            (None, None) => Err(ApiError::unauthorized(
                "sign in first and send `Authorization: Bearer <token>`",
            )),
{%- else %}
            (None, None) => Err(ApiError::unauthorized(
                "this app has no sign-in, and this is not open to anyone",
            )),
{%- endif %}
            (None, Some(_)) => Err(ApiError::forbidden("your role may not do this")),
        }
    }

    /// Whether the caller may, on a record owned by `owner`.
    pub fn allows(&self, caller: Option<&AuthUser>, owner: Option<Uuid>) -> bool {
        self.scope(caller).is_some_and(|scope| scope.covers(owner))
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

impl Access {
    /// `Ok` when `scope` covers a record owned by `owner`. Otherwise the refusal: 403 when the
    /// caller may read the record anyway, else 404, as if it did not exist.
    pub fn within(
        &self,
        scope: Scope,
        caller: Option<&AuthUser>,
        owner: Option<Uuid>,
    ) -> Result<(), ApiError> {
        if scope.covers(owner) {
            Ok(())
        } else if self.read.allows(caller, owner) {
            Err(ApiError::forbidden("only its owner may do this"))
        } else {
            Err(ApiError::NotFound)
        }
    }
}

/// A resource a reference may name: its table, who may read it and how to find a record's
/// owner. A reference a caller sets must name a record that caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readable {
    pub table: &'static str,
    pub read: Grant,
    /// The column that names a record's owner (`None`: records nobody owns).
    pub owner_column: Option<&'static str>,
    /// The role the account must have (`-> User with role doctor`); only on accounts.
    pub role: Option<&'static str>,
}

impl Readable {
    /// The same records, narrowed to accounts with the stored role `role`.
    pub const fn with_role(self, role: &'static str) -> Readable {
        Readable {
            role: Some(role),
            ..self
        }
    }
}

/// Whether the record `id` of `target` exists and `caller` may read it (and, for a
/// reference that names a role, has that role). A record the caller may not read answers
/// exactly as a missing one does, so a caller can neither attach their records to someone
/// else's nor learn which ids exist.
pub async fn readable(
    pool: &DbPool,
    target: &Readable,
    id: Uuid,
    caller: Option<&AuthUser>,
) -> Result<bool, sqlx::Error> {
    let owner = match (target.read.scope(caller), target.owner_column) {
        (None, _) | (Some(Scope::Own(_)), None) => return Ok(false),
        (Some(Scope::All), _) => None,
        (Some(Scope::Own(owner)), Some(column)) => Some((column, owner)),
    };
    let mut sql = format!("SELECT 1 FROM {} WHERE id = $1", target.table);
    if let Some((column, _)) = owner {
        sql += &format!(" AND {column} = $2");
    }
    if target.role.is_some() {
        sql += &format!(" AND role = ${}", if owner.is_some() { 3 } else { 2 });
    }
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(id.to_repr());
    if let Some((_, owner)) = owner {
        query = query.bind(owner.to_repr());
    }
    if let Some(role) = target.role {
        query = query.bind(role);
    }
    Ok(query.fetch_optional(pool).await?.is_some())
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

/// The fields of `visible` a caller may not filter or sort a list by: seeing a field on
/// their own records does not let them search everyone's by it.
pub fn unsearchable(visible: &[FieldRule], caller: Option<&AuthUser>) -> Vec<&'static str> {
    denied(visible, caller, None)
}

/// Refuses (`forbidden`) the fields of `settable` the caller may not set on a record owned
/// by `owner`.
pub fn refuse_unsettable(
    fields: &mut Fields,
    settable: &[FieldRule],
    caller: Option<&AuthUser>,
    owner: Option<Uuid>,
) {
    for field in denied(settable, caller, owner) {
        fields.refuse(field, "forbidden", "your role may not set this field");
    }
}
{%- if has_auth %}

/// Reads the owner of a new record: the signed-in caller. Admins may give the record to
/// another account by naming it in `field`; anyone else sending the field is refused
/// (`read_only`). 401 when nobody is signed in: a new record must belong to someone.
pub fn new_owner(
    fields: &mut Fields,
    field: &str,
    caller: Option<&AuthUser>,
) -> Result<Uuid, ApiError> {
    let Some(caller) = caller else {
        return Err(ApiError::unauthorized(
            "sign in first: a new record belongs to whoever creates it",
        ));
    };
    if caller.role == Role::ADMIN {
        return Ok(fields.optional(field, check::uuid).unwrap_or(caller.id));
    }
    fields.refuse(field, "read_only", "is set to the signed-in user");
    Ok(caller.id)
}

/// Reads a change of the owner field: admins may hand a record to another account; anyone
/// else sending it is refused (`read_only`).
pub fn owner_change(fields: &mut Fields, field: &str, caller: Option<&AuthUser>) -> Option<Uuid> {
    if caller.is_some_and(|caller| caller.role == Role::ADMIN) {
        return fields.change(field, check::uuid);
    }
    fields.refuse(
        field,
        "read_only",
        "is the user who created it; only admins change it",
    );
    None
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
        assert!(matches!(
            ADMIN_ONLY.check(None),
            Err(ApiError::Unauthorized(_))
        ));
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
            assert!(!owners.allows(Some(&caller), None));
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
{%- endif %}
