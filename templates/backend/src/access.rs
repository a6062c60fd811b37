// {{ header }}
//! Who may do what: the spec's access rules as data. Each resource module declares one
//! [`Access`] (and [`FieldRule`]s for fields only some callers may see or set) and checks it
//! in one place per action.
//!
//! specgen computes every [`Grant`] with the definition `specgen explain` prints
//! (`Permissions::decide`): deny by default; callers who are not signed in get an action
//! only when anyone may; a signed-in caller whose role is granted (admins always are) acts
//! on every record; other signed-in callers act on the records that name them, when the spec
//! grants the owner or a person the record names ("The doctor can read an appointment").
//! Refusals are 401 for callers who are not signed in and 403 for signed-in ones. A caller
//! allowed only the records that name them gets 404 for other records, exactly as if those
//! did not exist (403 if they may read it but not do this), and lists show them only theirs:
//! the list query itself filters by the columns that name people.
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

/// The people a record names, as each resource's `people_of` reports them: for each column
/// that names an account (the owner column, or `id` on accounts, which own themselves; the
/// references to accounts the spec's access lines name), the account it holds, if any.
pub type People<'a> = &'a [(&'static str, Option<Uuid>)];

/// One way a record names a person who may act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    /// This column of the record holds the account (the owner column, `doctor_id`).
    Column(&'static str),
    /// This reference column names a record of `table` whose column `person` holds the
    /// account ("the event's organizer": `event_id`, `events`, `organizer_id`).
    Through {
        column: &'static str,
        table: &'static str,
        person: &'static str,
    },
}

impl Person {
    /// The SQL condition that a record (its columns unqualified) names the account bound
    /// at `placeholder`. Every column it reads is indexed: references always are.
    pub fn sql(&self, placeholder: &str) -> String {
        match self {
            Person::Column(column) => format!("{column} = {placeholder}"),
            Person::Through {
                column,
                table,
                person,
            } => format!("{column} IN (SELECT id FROM {table} WHERE {person} = {placeholder})"),
        }
    }
}

/// A stored record whose access is being decided: its table, id and the people it names.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub table: &'static str,
    pub id: Uuid,
    pub people: People<'a>,
}

/// A narrower grant: its callers may act on the records that meet a condition ("Anyone
/// can read published posts": `posts.status = 'published'`, for anyone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// The condition, in SQL on the record's columns (qualified by its table name).
    pub when: &'static str,
    /// Callers who are not signed in may, on those records.
    pub anyone: bool,
    /// Signed-in callers with these roles may, on those records.
    pub roles: &'static [Role],
    /// Other signed-in callers may, on those of them that name them in one of these ways.
    pub people: &'static [Person],
}

impl Rows {
    /// The same callers as a [`Grant`] of their own.
    const fn grant(&self) -> Grant {
        Grant {
            anyone: self.anyone,
            roles: self.roles,
            people: self.people,
            rows: &[],
        }
    }
}

/// What an allowed caller may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    All,
    /// Only some records: those that name the caller (`caller`: their account and role,
    /// `None` when not signed in) in one of the ways `people` lists, and those that meet a
    /// condition of `rows` that grants this caller.
    Some {
        caller: Option<(Uuid, Role)>,
        people: &'static [Person],
        rows: &'static [Rows],
    },
}

impl Scope {
    /// Whether a record that names `people` is in scope, as far as the record shows: the
    /// people of a record it references, and conditions, are not in it (see
    /// [`Scope::reaches`]).
    pub fn covers(self, people: People<'_>) -> bool {
        match self {
            Scope::All => true,
            Scope::Some {
                caller: Some((id, _)),
                people: granted,
                ..
            } => people.iter().any(|(column, person)| {
                *person == Some(id) && granted.contains(&Person::Column(column))
            }),
            Scope::Some { caller: None, .. } => false,
        }
    }

    /// The SQL condition (on unqualified or table-qualified columns) that a record is in
    /// scope; `None` for every record. `bind` binds the caller's id and returns its
    /// placeholder: each caller of this numbers placeholders its own way.
    pub fn condition(self, bind: &mut dyn FnMut(Uuid) -> String) -> Option<String> {
        let Scope::Some {
            caller,
            people,
            rows,
        } = self
        else {
            return None;
        };
        let mut alternatives = Vec::new();
        if let Some((id, _)) = caller {
            alternatives.extend(people.iter().map(|p| p.sql(&bind(id))));
        }
        for granted in rows {
            match granted.grant().scope_of(caller) {
                None => {}
                Some(Scope::All) => alternatives.push(format!("({})", granted.when)),
                Some(narrower) => {
                    if let Some(named) = narrower.condition(bind) {
                        alternatives.push(format!("(({}) AND {named})", granted.when));
                    }
                }
            }
        }
        Some(match alternatives.as_slice() {
            [] => "1 = 0".to_owned(),
            [one] => one.clone(),
            many => format!("({})", many.join(" OR ")),
        })
    }

    /// `Ok` unless a change hands the stored record `row` to someone else: the caller is in
    /// scope as one of the people it names, and the record as changed (`after`, in the same
    /// order) names another account in their place, while no condition of the scope reaches
    /// it either. Then 403: a doctor who may change an appointment because it names them
    /// may not make it another doctor's. Letting go (emptying the field) is not handing
    /// over, and whoever may change the record anyway (a role, its owner) still may.
    pub async fn keeps(
        self,
        pool: &DbPool,
        row: &Row<'_>,
        after: People<'_>,
    ) -> Result<(), ApiError> {
        let Scope::Some {
            caller: caller @ Some((id, _)),
            people,
            rows,
        } = self
        else {
            return Ok(());
        };
        let handed = row
            .people
            .iter()
            .zip(after)
            .any(|((column, was), (_, now))| {
                *was == Some(id)
                    && people.contains(&Person::Column(column))
                    && now.is_some_and(|now| now != id)
            });
        if !handed || self.covers(after) {
            return Ok(());
        }
        // Through a condition alone (`reaches` asks the database only when there is one).
        let conditions = Scope::Some {
            caller,
            people: &[],
            rows,
        };
        if conditions.reaches(pool, row).await? {
            return Ok(());
        }
        Err(ApiError::forbidden(
            "you may change this record as one of the people it names, not hand it to someone else",
        ))
    }

    /// Whether the stored record `row` is in scope, asking the database when the record
    /// itself does not show it (people of a record it references, conditions).
    pub async fn reaches(self, pool: &DbPool, row: &Row<'_>) -> Result<bool, sqlx::Error> {
        if self.covers(row.people) {
            return Ok(true);
        }
        let asks = match self {
            Scope::All => false,
            Scope::Some { people, rows, .. } => {
                !rows.is_empty() || people.iter().any(|p| matches!(p, Person::Through { .. }))
            }
        };
        if !asks {
            return Ok(false);
        }
        // `$1` is the record's id; one placeholder per use of the caller's id follows.
        let mut ids = Vec::new();
        let Some(condition) = self.condition(&mut |id| {
            ids.push(id);
            format!("${}", ids.len() + 1)
        }) else {
            return Ok(true);
        };
        let sql = format!("SELECT 1 FROM {} WHERE id = $1 AND {condition}", row.table);
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(row.id.to_repr());
        for id in ids {
            query = query.bind(id.to_repr());
        }
        Ok(query.fetch_optional(pool).await?.is_some())
    }
}

/// Who may perform one action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Callers who are not signed in may, on every record (and so may everyone else).
    pub anyone: bool,
    /// Signed-in callers with these roles may, on every record.
    pub roles: &'static [Role],
    /// Other signed-in callers may, on the records that name them in one of these ways
    /// (the owner column; references to accounts the spec names in an access line; people
    /// of a referenced record, "the event's organizer").
    pub people: &'static [Person],
    /// And callers may act on the records that meet a condition one of these grants them.
    pub rows: &'static [Rows],
}

impl Grant {
    /// The caller's scope, or `None` when the caller may not.
    pub fn scope(&self, caller: Option<&AuthUser>) -> Option<Scope> {
{%- if has_auth %}
        self.scope_of(caller.map(|user| (user.id, user.role)))
{%- else %}
        match caller {
            None => self.scope_of(None),
            Some(user) => match *user {},
        }
{%- endif %}
    }

    /// [`Grant::scope`] for a caller's account and role.
    fn scope_of(&self, caller: Option<(Uuid, Role)>) -> Option<Scope> {
        let everything = match caller {
            None => self.anyone,
{%- if has_auth %}
            Some((_, role)) => self.anyone || self.roles.contains(&role),
{%- else %}
            Some((_, role)) => match role {},
{%- endif %}
        };
        if everything {
            return Some(Scope::All);
        }
        let named = caller.is_some() && !self.people.is_empty();
        let rows = self
            .rows
            .iter()
            .any(|granted| granted.grant().scope_of(caller).is_some());
        (named || rows).then_some(Scope::Some {
            caller,
            people: self.people,
            rows: self.rows,
        })
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

    /// Whether the caller may, on a record that names `people` (field rules and
    /// transitions, which never grant people of a referenced record or rows).
    pub fn allows(&self, caller: Option<&AuthUser>, people: People<'_>) -> bool {
        self.scope(caller).is_some_and(|scope| scope.covers(people))
    }

    /// Whether the caller may, on the stored record `row`.
    pub async fn reaches(
        &self,
        pool: &DbPool,
        caller: Option<&AuthUser>,
        row: &Row<'_>,
    ) -> Result<bool, sqlx::Error> {
        match self.scope(caller) {
            None => Ok(false),
            Some(scope) => scope.reaches(pool, row).await,
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

impl Access {
    /// `Ok` when `scope` covers the stored record `row`. Otherwise the refusal: 403 when
    /// the caller may read the record anyway, else 404, as if it did not exist.
    pub async fn within(
        &self,
        pool: &DbPool,
        scope: Scope,
        caller: Option<&AuthUser>,
        row: &Row<'_>,
    ) -> Result<(), ApiError> {
        if scope.reaches(pool, row).await? {
            Ok(())
        } else if self.read.reaches(pool, caller, row).await? {
            Err(ApiError::forbidden("you may read it but not do this"))
        } else {
            Err(ApiError::NotFound)
        }
    }
}

/// A resource a reference may name: its table and who may read it. A reference a caller
/// sets must name a record that caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readable {
    pub table: &'static str,
    pub read: Grant,
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
    let Some(scope) = target.read.scope(caller) else {
        return Ok(false);
    };
    // `$1` is the record's id; the caller's id as often as the scope needs it, then the role.
    let mut binds = Vec::new();
    let mut sql = format!("SELECT 1 FROM {} WHERE id = $1", target.table);
    if let Some(condition) = scope.condition(&mut |id| {
        binds.push(id);
        format!("${}", binds.len() + 1)
    }) {
        sql += &format!(" AND {condition}");
    }
    if target.role.is_some() {
        sql += &format!(" AND role = ${}", binds.len() + 2);
    }
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(id.to_repr());
    for id in binds {
        query = query.bind(id.to_repr());
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

/// The fields of `rules` the caller may not have, on a record that names `people`.
pub fn denied(
    rules: &[FieldRule],
    caller: Option<&AuthUser>,
    people: People<'_>,
) -> Vec<&'static str> {
    rules
        .iter()
        .filter(|rule| !rule.grant.allows(caller, people))
        .map(|rule| rule.field)
        .collect()
}

/// `record` (a JSON object) without the fields the caller may not see.
pub fn redact(
    mut record: Value,
    visible: &[FieldRule],
    caller: Option<&AuthUser>,
    people: People<'_>,
) -> Value {
    if let Some(object) = record.as_object_mut() {
        for field in denied(visible, caller, people) {
            object.remove(field);
        }
    }
    record
}

/// The fields of `visible` a caller may not filter or sort a list by: seeing a field on
/// their own records does not let them search everyone's by it.
pub fn unsearchable(visible: &[FieldRule], caller: Option<&AuthUser>) -> Vec<&'static str> {
    denied(visible, caller, &[])
}

/// Refuses (`forbidden`) the fields of `settable` the caller may not set on a record that
/// names `people`.
pub fn refuse_unsettable(
    fields: &mut Fields,
    settable: &[FieldRule],
    caller: Option<&AuthUser>,
    people: People<'_>,
) {
    for field in denied(settable, caller, people) {
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
        people: &[],
        rows: &[],
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
            people: &[],
            rows: &[],
        };
        assert_eq!(anyone.scope(None), Some(Scope::All));
        assert_eq!(ADMIN_ONLY.scope(None), None);
        assert!(matches!(
            ADMIN_ONLY.check(None),
            Err(ApiError::Unauthorized(_))
        ));
    }

    #[test]
    fn granted_roles_get_everything_and_people_the_records_that_name_them() {
        let admin = user(Role::ADMIN);
        assert_eq!(ADMIN_ONLY.scope(Some(&admin)), Some(Scope::All));
        let people = Grant {
            people: &[Person::Column("owner_id"), Person::Column("named_id")],
            ..ADMIN_ONLY
        };
        for role in Role::ALL.into_iter().filter(|role| *role != Role::ADMIN) {
            let caller = user(role);
            let other = Some(Uuid::now_v7());
            assert_eq!(
                people.scope(Some(&caller)),
                Some(Scope::Some {
                    caller: Some((caller.id, role)),
                    people: people.people,
                    rows: &[],
                })
            );
            assert!(people.allows(Some(&caller), &[("owner_id", Some(caller.id))]));
            assert!(people.allows(
                Some(&caller),
                &[("owner_id", other), ("named_id", Some(caller.id))]
            ));
            // A column the grant does not name grants nothing.
            assert!(!people.allows(Some(&caller), &[("other_id", Some(caller.id))]));
            assert!(!people.allows(Some(&caller), &[("owner_id", other)]));
            assert!(!people.allows(Some(&caller), &[("owner_id", None)]));
            assert!(matches!(
                ADMIN_ONLY.check(Some(&caller)),
                Err(ApiError::Forbidden(_))
            ));
        }
    }

    #[test]
    fn rows_grant_the_records_that_meet_their_condition() {
        const PUBLISHED: Grant = Grant {
            people: &[Person::Column("owner_id")],
            rows: &[Rows {
                when: "posts.status = 'published'",
                anyone: true,
                roles: &[],
                people: &[],
            }],
            ..ADMIN_ONLY
        };
        let anonymous = PUBLISHED.scope(None).expect("anyone may, on some records");
        assert_eq!(
            anonymous.condition(&mut |_| unreachable!("no caller to bind")),
            Some("(posts.status = 'published')".to_owned())
        );
        assert!(!anonymous.covers(&[("owner_id", None)]));
        if let Some(role) = Role::ALL.into_iter().find(|role| *role != Role::ADMIN) {
            let caller = user(role);
            let scope = PUBLISHED.scope(Some(&caller)).expect("some records");
            assert_eq!(
                scope.condition(&mut |_| "$2".to_owned()),
                Some("(owner_id = $2 OR (posts.status = 'published'))".to_owned())
            );
        }
        // A condition that grants only people needs a signed-in caller.
        const MINE_WHILE_OPEN: Grant = Grant {
            rows: &[Rows {
                when: "status = 'open'",
                anyone: false,
                roles: &[],
                people: &[Person::Column("owner_id")],
            }],
            ..ADMIN_ONLY
        };
        assert_eq!(MINE_WHILE_OPEN.scope(None), None);
    }

    #[test]
    fn hidden_fields_are_removed() {
        let rules = [FieldRule {
            field: "secret",
            grant: ADMIN_ONLY,
        }];
        let record = serde_json::json!({ "id": 1, "secret": 2 });
        let redacted = redact(record.clone(), &rules, None, &[]);
        assert_eq!(redacted, serde_json::json!({ "id": 1 }));
        let admin = user(Role::ADMIN);
        assert_eq!(redact(record.clone(), &rules, Some(&admin), &[]), record);
    }
}
{%- endif %}
