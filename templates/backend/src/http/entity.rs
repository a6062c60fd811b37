// {{ header }}
//! {{ e.title }} (`{{ e.name }}`, {{ spec_file }} line {{ e.line }}){% if e.doc_lines.is_empty() %}.{% else %}:{% endif %}
{%- for line in e.doc_lines %}
//! {{ line }}
{%- endfor %}
//!
//! | Route | Action |
//! | --- | --- |
//! | `GET {{ e.route }}` | list, with filters and sorting |
//! | `POST {{ e.route }}` | create |
//! | `GET {{ e.route }}/{id}` | read |
//! | `PATCH {{ e.route }}/{id}` | update the fields given |
//! | `DELETE {{ e.route }}/{id}` | delete |
{%- if !e.rules.is_empty() %}
//!
//! Rules:
{%- for rule in e.rules %}
//! - line {{ rule.line }}, `{{ rule.code }}`: {{ rule.message }} ({{ rule.where_enforced }})
{%- endfor %}
{%- endif %}

use axum::extract;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use chrono::{{ e.chrono_import }};
use serde::Serialize;
use uuid::Uuid;

use crate::access;
{%- if e.is_auth %}
use crate::auth::accounts;
{%- endif %}
use crate::db::{self, DbPool, DbRow, Stored};
use crate::error::{{ e.error_import }};
use crate::hooks::{{ e.plural_snake }} as hooks;
use crate::http::extract::{AppJson, EntityId, ListQuery};
use crate::http::list;
use crate::rules::{self, WriteTx};
use crate::startup::AppState;
use crate::validation::{{ e.validation_import }};

/// The routes of {{ e.plural_words }}.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
{%- for line in e.route_lines %}
{{ line }}
{%- endfor %}
}

/// One {{ e.words }}, as stored and as answered ({{ spec_file }} line {{ e.line }}).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct {{ e.name }} {
    /// Unique and time-ordered (UUID v7); set by the server.
    pub id: Uuid,
{%- for f in e.fields %}
    /// {{ f.doc }}
{%- if f.ident != f.json %}
    #[serde(rename = "{{ f.json }}")]
{%- endif %}
{{ f.decl }}
{%- endfor %}
{%- for l in e.links %}
    /// {{ l.doc }}
{%- if l.ident != l.json %}
    #[serde(rename = "{{ l.json }}")]
{%- endif %}
{{ l.decl }}
{%- endfor %}
    /// When it was created (UTC); set by the server.
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC); set by the server.
    pub updated_at: DateTime<Utc>,
}

impl sqlx::FromRow<'_, DbRow> for {{ e.name }} {
    fn from_row(row: &DbRow) -> Result<Self, sqlx::Error> {
        Ok({{ e.name }} {
            id: db::get(row, "id")?,
{%- for f in e.fields %}
{{ f.from_row }}
{%- endfor %}
{%- for l in e.links %}
            {{ l.ident }}: Vec::new(),
{%- endfor %}
            created_at: db::get(row, "created_at")?,
            updated_at: db::get(row, "updated_at")?,
        })
    }
}
{%- for en in e.enums %}

/// The values of `{{ en.field_json }}` ({{ spec_file }} line {{ en.line }}).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum {{ en.name }} {
{%- for v in en.variants %}
    #[serde(rename = "{{ v.value }}")]
    {{ v.ident }},
{%- endfor %}
}

impl {{ en.name }} {
{{ en.values_const }}

    pub fn as_str(self) -> &'static str {
        match self {
{%- for v in en.variants %}
            Self::{{ v.ident }} => "{{ v.value }}",
{%- endfor %}
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
{%- for v in en.variants %}
            "{{ v.value }}" => Some(Self::{{ v.ident }}),
{%- endfor %}
            _ => None,
        }
    }

    /// Reads a request value.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, crate::validation::Problem> {
        check::one_of(value, &Self::VALUES, Self::parse)
    }
}

/// Stored as its text value; a CHECK constraint keeps the column to these values.
impl Stored for {{ en.name }} {
    type Repr = String;

    fn to_repr(&self) -> String {
        self.as_str().to_owned()
    }

    fn from_repr(repr: String) -> Result<Self, sqlx::error::BoxDynError> {
        Self::parse(&repr).ok_or_else(|| format!("not a known value: `{repr}`").into())
    }
}
{%- endfor %}

/// A checked request to create {{ e.article_words }}: the body of `POST {{ e.route }}`.
{%- if e.create_fields.is_empty() && e.links.is_empty() %}
#[derive(Debug, Clone, PartialEq)]
pub struct New{{ e.name }} {}
{%- else %}
#[derive(Debug, Clone, PartialEq)]
pub struct New{{ e.name }} {
{%- for f in e.create_fields %}
{{ f.decl }}
{%- endfor %}
{%- for l in e.links %}
{{ l.decl }}
{%- endfor %}
}
{%- endif %}

impl New{{ e.name }} {
    /// Reads a request body from `caller`, reporting every problem at once (422).
{{ e.sig_new }}
        let mut fields = Fields::new(body);
        refuse_server_fields(&mut fields);
{%- if e.access.has_settable %}
        // The creator owns the new record; the people it will name are nobody yet.
        let people: access::People<'_> = {{ e.access.new_people }};
        access::refuse_unsettable(&mut fields, SETTABLE, caller, people);
{%- endif %}
{%- for line in e.create_reads %}
{{ line }}
{%- endfor %}
{%- for line in e.create_unwraps %}
{{ line }}
{%- endfor %}
        fields.finish()?;
{{ e.create_literal }}
    }

    /// The row to insert: a new id, the current time, and defaults for server-set fields.
    pub fn into_{{ e.snake }}(self) -> {{ e.name }} {
        let now = db::now();
        {{ e.name }} {
            id: Uuid::now_v7(),
{%- for f in e.fields %}
{{ f.init }}
{%- endfor %}
{%- for l in e.links %}
{{ l.init }}
{%- endfor %}
            created_at: now,
            updated_at: now,
        }
    }
}

/// A checked partial update: the body of `PATCH {{ e.route }}/{id}`. `None` leaves a field as
/// it is{% if e.has_clearable %}; `Some(None)` empties an optional field{% endif %}.
{%- if e.update_fields.is_empty() && e.links.is_empty() %}
#[derive(Debug, Clone, Default, PartialEq)]
pub struct {{ e.name }}Changes {}
{%- else %}
#[derive(Debug, Clone, Default, PartialEq)]
pub struct {{ e.name }}Changes {
{%- for f in e.update_fields %}
{{ f.change_decl }}
{%- endfor %}
{%- for l in e.links %}
{{ l.change_decl }}
{%- endfor %}
}
{%- endif %}

impl {{ e.name }}Changes {
    /// Reads a request body from `caller` for a record that names `people`, reporting every
    /// problem at once (422).
{{ e.sig_changes }}
        let mut fields = Fields::new(body);
        refuse_server_fields(&mut fields);
{%- if e.access.has_settable %}
        access::refuse_unsettable(&mut fields, SETTABLE, caller, people);
{%- endif %}
{%- for line in e.update_refusals %}
{{ line }}
{%- endfor %}
{{ e.update_literal }}
        fields.finish()?;
        Ok(changes)
    }

    /// Applies the changes to a stored {{ e.words }}.
    pub fn apply_to(self, {{ e.apply_param }}: &mut {{ e.name }}) {
{%- for f in e.update_fields %}
        if let Some(value) = self.{{ f.ident }} {
            row.{{ f.ident }} = value;
        }
{%- endfor %}
{%- for l in e.links %}
        if let Some(value) = self.{{ l.ident }} {
            row.{{ l.ident }} = value;
        }
{%- endfor %}
    }
}

/// `id`, `created_at` and `updated_at` are the server's: refused in request bodies.
fn refuse_server_fields(fields: &mut Fields) {
    for name in ["id", "created_at", "updated_at"] {
        fields.refuse(name, "read_only", "is set by the server");
    }
}

/// The columns clients may filter (`?field=value`) or sort (`?sort=field,-field`) lists on.
const LIST_COLUMNS: &[list::ListColumn] = &[
{%- for c in e.list_columns %}
    list::ListColumn {
        name: "{{ c.name }}",
        column: "{{ c.column }}",
{{ c.kind_line }}
        nullable: {{ c.nullable }},
        filter: {{ c.filter }},
        sort: {{ c.sort }},
    },
{%- endfor %}
];

/// How violations of the table's named constraints are answered.
pub(crate) {{ e.constraints_const }}

{{ e.access.doc }}
{{ e.access.access_const }}

/// Fields only some callers may see (`visible to`): others get records without them.
{{ e.access.visible_const }}

{%- if e.access.has_settable %}

/// Fields only some callers may set (`set by`): others are refused (422, `forbidden`).
{{ e.access.settable_const }}
{%- endif %}

{%- if let Some(readable) = e.readable_const %}

{{ readable }}
{%- endif %}
{%- if r.has_row_rules %}

{{ r.row_rules_const }}
{%- endif %}
{%- if r.has_change_rules %}

{{ r.change_rules_const }}
{%- endif %}

{%- for l in e.links %}

/// The join table of `{{ l.json }}`.
const {{ l.const_name }}: db::JoinTable = db::JoinTable {
    table: "{{ l.join_table }}",
    source: "{{ l.source_column }}",
    target: "{{ l.target_column }}",
};
{%- endfor %}

const SELECT: &str = "\
{%- for line in e.select_lines %}
    {{ line }}
{%- endfor %}";

const SELECT_ONE: &str = "\
{%- for line in e.select_one_lines %}
    {{ line }}
{%- endfor %}";

const INSERT: &str = "\
{%- for line in e.insert_lines %}
    {{ line }}
{%- endfor %}";

/// Writes every column; the `updated_at` condition makes a concurrent change fail instead of
/// being overwritten.
const UPDATE: &str = "\
{%- for line in e.update_lines %}
    {{ line }}
{%- endfor %}";
{% if e.has_delete_window %}
/// Deletes only the record as the checks read it (a time window, a condition on the rows the
/// caller may delete): a concurrent change makes the delete fail (409) instead of slipping
/// past the check.
const DELETE: &str = "DELETE FROM {{ e.table }} WHERE id = $1 AND updated_at = $2";
{%- else %}
const DELETE: &str = "DELETE FROM {{ e.table }} WHERE id = $1";
{%- endif %}

/// `GET {{ e.route }}`: lists the {{ e.plural_words }} the caller may see ({{ spec_file }} line {{ e.line }}).
async fn list_{{ e.plural_snake }}(
    extract::State(state): extract::State<AppState>,
    access::MaybeAuthUser(caller): access::MaybeAuthUser,
    ListQuery(query): ListQuery,
) -> Result<AppJson<list::Page<serde_json::Value>>, ApiError> {
    let caller = caller.as_ref();
    let scope = ACCESS.list.check(caller)?;
    let mut request = list::ListRequest::parse(&query, LIST_COLUMNS)?;
    request.refuse_columns(&access::unsearchable(VISIBLE, caller))?;
    request.only(scope);
{%- if e.links.is_empty() %}
    let rows = request.fetch(&state.db, SELECT).await?;
{%- else %}
    let mut rows = request.fetch(&state.db, SELECT).await?;
    load_links(&state.db, &mut rows).await?;
{%- endif %}
    let page = request.page(rows)?;
    Ok(AppJson(page.map(|row| shown(&row, caller))))
}

/// `POST {{ e.route }}`: creates {{ e.article_words }} ({{ spec_file }} line {{ e.line }}).
async fn create_{{ e.snake }}(
    extract::State(state): extract::State<AppState>,
    access::MaybeAuthUser(caller): access::MaybeAuthUser,
    AppJson(body): AppJson<JsonObject>,
) -> Result<(StatusCode, AppJson<serde_json::Value>), ApiError> {
    let caller = caller.as_ref();
    ACCESS.create.check(caller)?;
{{ e.new_line }}
    let mut {{ e.var }} = new.into_{{ e.snake }}();
    hooks::before_create(&state, &mut {{ e.var }}).await?;
{%- if !e.compares.is_empty() %}
    check_rules(&{{ e.var }})?;
{%- endif %}
{%- if r.has_change_rules && !e.parent_times %}
{{ e.check_new_line }}
{%- endif %}
{%- if !e.references.is_empty() %}
    check_references(&state.db, &{{ e.var }}, caller, None).await?;
{%- endif %}
{%- if r.has_change_rules && e.parent_times %}
    // After the references: a window on a referenced record's time must not tell a caller
    // anything of a record they may not read.
{{ e.check_new_line }}
{%- endif %}
    let mut transaction = rules::begin_write(&state.db).await?;
{%- if e.derive.is_some() %}
    derive(&mut transaction, &mut {{ e.var }}, None).await?;
{%- endif %}
    insert(&mut transaction, &{{ e.var }}).await?;
{%- if r.has_row_rules %}
    rules::check(&mut transaction, {{ e.var }}.id, RULES).await?;
{%- endif %}
    transaction.commit().await?;
    let created = shown(&{{ e.var }}, caller);
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `GET {{ e.route }}/{id}`: reads one {{ e.words }} ({{ spec_file }} line {{ e.line }}). A caller
/// allowed only their own gets 404 for others', as if they did not exist.
async fn read_{{ e.snake }}(
    extract::State(state): extract::State<AppState>,
    access::MaybeAuthUser(caller): access::MaybeAuthUser,
    EntityId(id): EntityId,
) -> Result<AppJson<serde_json::Value>, ApiError> {
    let caller = caller.as_ref();
    let scope = ACCESS.read.check(caller)?;
    let {{ e.var }} = fetch(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let people = people_of(&{{ e.var }});
    let row = access::Row {
        table: "{{ e.table }}",
        id,
        people: &people,
    };
    if !scope.reaches(&state.db, &row).await? {
        return Err(ApiError::NotFound);
    }
    Ok(AppJson(shown(&{{ e.var }}, caller)))
}

/// `PATCH {{ e.route }}/{id}`: changes the fields given ({{ spec_file }} line {{ e.line }}).
async fn update_{{ e.snake }}(
    extract::State(state): extract::State<AppState>,
    access::MaybeAuthUser(caller): access::MaybeAuthUser,
    EntityId(id): EntityId,
    AppJson(body): AppJson<JsonObject>,
) -> Result<AppJson<serde_json::Value>, ApiError> {
    let caller = caller.as_ref();
    let scope = ACCESS.update.check(caller)?;
    let current = fetch(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let people = people_of(&current);
    let row = access::Row {
        table: "{{ e.table }}",
        id,
        people: &people,
    };
    ACCESS.within(&state.db, scope, caller, &row).await?;
{{ e.changes_line }}
    let mut {{ e.var }} = current.clone();
    changes.apply_to(&mut {{ e.var }});
{%- if e.hands_over %}
    let people_after = people_of(&{{ e.var }});
    scope.keeps(&state.db, &row, &people_after).await?;
{%- endif %}
    {{ e.var }}.updated_at = db::now();
    hooks::before_update(&state, &current, &mut {{ e.var }}).await?;
{%- if !e.compares.is_empty() %}
    check_rules(&{{ e.var }})?;
{%- endif %}
{%- if r.has_change_rules %}
{{ e.check_update_line }}
{%- endif %}
{%- if !e.references.is_empty() %}
    check_references(&state.db, &{{ e.var }}, caller, Some(&current)).await?;
{%- endif %}
    let mut transaction = rules::begin_write(&state.db).await?;
{%- if e.derive.is_some() %}
    derive(&mut transaction, &mut {{ e.var }}, Some(&current)).await?;
{%- endif %}
    update(&mut transaction, &{{ e.var }}, current.updated_at).await?;
{%- if r.has_row_rules %}
    rules::check(&mut transaction, {{ e.var }}.id, RULES).await?;
{%- endif %}
    transaction.commit().await?;
    Ok(AppJson(shown(&{{ e.var }}, caller)))
}

/// `DELETE {{ e.route }}/{id}`: deletes one {{ e.words }} ({{ spec_file }} line {{ e.line }}).
async fn delete_{{ e.snake }}(
    extract::State(state): extract::State<AppState>,
    access::MaybeAuthUser(caller): access::MaybeAuthUser,
    EntityId(id): EntityId,
) -> Result<StatusCode, ApiError> {
    let caller = caller.as_ref();
    let scope = ACCESS.delete.check(caller)?;
    let {{ e.var }} = fetch(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let people = people_of(&{{ e.var }});
    let row = access::Row {
        table: "{{ e.table }}",
        id,
        people: &people,
    };
    ACCESS.within(&state.db, scope, caller, &row).await?;
    hooks::before_delete(&state, &{{ e.var }}).await?;
{%- if r.has_change_rules %}
{{ e.check_delete_line }}
{%- endif %}
{%- if e.is_auth %}
    // The last admin's account stays (409): someone must be able to manage the app. The
    // check and the delete run in one transaction that holds the admins' rows.
    let mut transaction = rules::begin_write(&state.db).await?;
    if accounts::is_last_admin(&mut transaction, id).await? {
        return Err(accounts::last_admin_refusal("id"));
    }
{%- endif %}
    let result = sqlx::query(DELETE)
        .bind(id.to_repr())
{%- if e.has_delete_window %}
        .bind({{ e.var }}.updated_at.to_repr())
{%- endif %}
{%- if e.is_auth %}
        .execute(&mut *transaction)
{%- else %}
        .execute(&state.db)
{%- endif %}
        .await
        .map_err(|error| ApiError::from_delete(error, CONSTRAINTS))?;
    if result.rows_affected() == 0 {
{%- if e.has_delete_window %}
        return Err(ApiError::changed_meanwhile());
{%- else %}
        return Err(ApiError::NotFound);
{%- endif %}
    }
{%- if e.is_auth %}
    transaction.commit().await?;
{%- endif %}
    Ok(StatusCode::NO_CONTENT)
}

/// The accounts a {{ e.words }} names, by column: {{ e.access.people_doc }}.
{{ e.access.people_of }}

/// A {{ e.words }} as `caller` may see it: without the fields only others may see.
{{ e.sig_shown }}
    let json = serde_json::to_value(row).expect("a record serializes to a JSON object");
    access::redact(json, VISIBLE, caller, &people_of(row))
}

/// The {{ e.words }} `id`, if it exists.
{{ e.sig_fetch }}
{%- if e.links.is_empty() %}
    sqlx::query_as(SELECT_ONE)
        .bind(id.to_repr())
        .fetch_optional(pool)
        .await
{%- else %}
    let row: Option<{{ e.name }}> = sqlx::query_as(SELECT_ONE)
        .bind(id.to_repr())
        .fetch_optional(pool)
        .await?;
    let mut rows: Vec<{{ e.name }}> = row.into_iter().collect();
    load_links(pool, &mut rows).await?;
    Ok(rows.pop())
{%- endif %}
}
{%- if !e.compares.is_empty() %}

/// Checks the rules the service enforces before writing (422 `rule_violated`).
{{ e.sig_check_rules }}
    let mut violations = Vec::new();
{%- for c in e.compares %}
    // {{ spec_file }} line {{ c.line }}: {{ c.message }}
{{ c.code }}
{%- endfor %}
    ApiError::check_rules(violations)
}
{%- endif %}
{%- if !e.references.is_empty() %}

{% if let Some(derive) = e.derive -%}
{{ derive }}

{% endif -%}
/// Every reference the request sets must name a record the caller may read (422 listing
/// each one that does not, with the same answer for a hidden record as for a missing one).
/// On update (`before`), only the references the request changes are checked.
{{ e.sig_check_references }}
    let mut missing = Vec::new();
{%- for check in e.references %}
{{ check }}
{%- endfor %}
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(missing))
    }
}
{%- endif %}

/// Inserts the row{% if !e.links.is_empty() %} and its links{% endif %} in the caller's transaction.
{{ e.sig_insert }}
    sqlx::query(INSERT)
{%- for b in e.binds %}
{{ b }}
{%- endfor %}
        .execute(&mut **transaction)
        .await
        .map_err(|error| ApiError::from_db(error, CONSTRAINTS))?;
{%- if !e.links.is_empty() %}
    save_links(transaction, row).await?;
{%- endif %}
    Ok(())
}

/// Writes the row{% if !e.links.is_empty() %} and its links{% endif %} unless it changed since it was read at `seen` (409).
{{ e.sig_update }}
    let result = sqlx::query(UPDATE)
        .bind(row.id.to_repr())
{%- for b in e.update_binds %}
{{ b }}
{%- endfor %}
        .bind(seen.to_repr())
        .execute(&mut **transaction)
        .await
        .map_err(|error| ApiError::from_db(error, CONSTRAINTS))?;
    if result.rows_affected() == 0 {
        return Err(ApiError::changed_meanwhile());
    }
{%- if !e.links.is_empty() %}
    save_links(transaction, row).await?;
{%- endif %}
    Ok(())
}
{%- if !e.links.is_empty() %}

/// Fills in the linked ids of `rows`, one query per link.
{{ e.sig_load_links }}
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
{%- for l in e.links %}
    let join = {{ l.const_name }};
    for (id, target) in join.load(pool, &ids).await? {
        if let Some(row) = rows.iter_mut().find(|row| row.id == id) {
{{ l.push }}
        }
    }
{%- endfor %}
    Ok(())
}

/// Replaces the join table rows of `row` with its linked ids.
{{ e.sig_save_links }}
{%- for l in e.links %}
    {{ l.const_name }}
{{ l.replace }}
        .await
        .map_err(|error| ApiError::from_db(error, CONSTRAINTS))?;
{%- endfor %}
    Ok(())
}
{%- endif %}
