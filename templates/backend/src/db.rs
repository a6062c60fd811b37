// {{ header }}
//! The database: one backend chosen at compile time, migrations, and how values are stored.
//!
//! The app is built for exactly one database: SQLite (the default feature, one file) or
//! PostgreSQL (`--no-default-features --features postgres`). Queries are plain SQL with `$1`
//! placeholders, which both understand, checked when they run: `cargo build` never needs a
//! database. Switching databases changes `DATABASE_URL` and the feature, never the code.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::query::QueryAs;
use sqlx::{AssertSqlSafe, Database, Decode, Encode, Row, SqlSafeStr, Type};
use uuid::Uuid;

#[cfg(all(feature = "sqlite", feature = "postgres"))]
compile_error!(
    "the `sqlite` and `postgres` features exclude each other: for PostgreSQL build with \
     `--no-default-features --features postgres`"
);
#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!(
    "choose a database: build with the default `sqlite` feature or with \
     `--no-default-features --features postgres`"
);

/// The database this build talks to.
#[cfg(feature = "sqlite")]
pub type Db = sqlx::Sqlite;
/// The database this build talks to.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
pub type Db = sqlx::Postgres;

pub type DbPool = sqlx::Pool<Db>;
pub type DbRow = <Db as Database>::Row;

/// Opens the pool. Creates the SQLite file (and its folder) when missing; every connection
/// enforces foreign keys and waits up to 5 s for a competing writer.
#[cfg(feature = "sqlite")]
pub async fn connect(url: &str) -> Result<DbPool, sqlx::Error> {
    use std::str::FromStr;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    if let Some(folder) = options.get_filename().parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder)?;
    }
    SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

/// Opens the pool.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
pub async fn connect(url: &str) -> Result<DbPool, sqlx::Error> {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
}

/// The migrations of this build's database, embedded by `build.rs` from
/// `migrations/sqlite/` or `migrations/postgres/`: `(version, description, sql)`.
const MIGRATIONS: &[(i64, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Applies pending migrations, each in its own transaction. Fails if an applied migration's
/// file has changed since: migrations are append-only.
///
/// On SQLite they run on one connection with foreign keys off (a pragma SQLite ignores
/// inside a transaction, so it is set before): a migration that rebuilds a table copies it,
/// drops the old one and renames the copy into place, as SQLite's documentation describes,
/// and that drop must neither cascade nor fail on the rows that reference the table. Such a
/// migration checks every foreign key itself before it commits. Foreign keys are turned back
/// on and the connection is closed afterwards, even when a migration fails: it is detached
/// from the pool first, so it is never handed back to it with foreign keys off.
pub async fn migrate(pool: &DbPool) -> Result<(), MigrateError> {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    let migrator = Migrator::with_migrations(migrations);
    #[cfg(feature = "sqlite")]
    {
        use sqlx::Connection;

        // Detached, the connection no longer counts against the pool, which opens others as
        // needed; dropped or closed, it is gone, whatever happens below.
        let mut connection = pool.acquire().await?.detach();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut connection)
            .await?;
        let migrated = migrator.run(&mut connection).await;
        // After a failed migration this runs once its transaction has been rolled back.
        let restored = sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut connection)
            .await;
        // Closing can only fail on a connection that is already gone: nothing to undo.
        let _ = connection.close().await;
        migrated?;
        restored?;
        Ok(())
    }
    #[cfg(not(feature = "sqlite"))]
    {
        migrator.run(pool).await
    }
}

/// The current time as stored: UTC, whole microseconds (what both databases keep).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Whether the row `id` exists in `table`.
pub async fn exists(pool: &DbPool, table: &'static str, id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.to_repr())
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

/// How a Rust value is stored in a column of this build's database.
///
/// SQLite has no UUID, timestamp or JSON types: UUIDs are stored as lowercase hyphenated
/// TEXT, instants as fixed-width RFC 3339 UTC TEXT with microseconds
/// (`2030-01-31T18:00:00.000000Z`), so text order is time order and SQL comparisons are
/// right, and JSON as TEXT. PostgreSQL stores UUID, TIMESTAMPTZ and JSONB.
pub trait Stored: Sized {
    /// The type sqlx reads and writes for this value.
    type Repr: for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db> + Send + 'static;

    fn to_repr(&self) -> Self::Repr;

    fn from_repr(repr: Self::Repr) -> Result<Self, BoxDynError>;
}

/// The column `name` of `row`, decoded.
pub fn get<T: Stored>(row: &DbRow, name: &str) -> Result<T, sqlx::Error> {
    let repr: T::Repr = row.try_get(name)?;
    T::from_repr(repr).map_err(|source| sqlx::Error::ColumnDecode {
        index: name.to_owned(),
        source,
    })
}

impl Stored for String {
    type Repr = String;

    fn to_repr(&self) -> String {
        self.clone()
    }

    fn from_repr(repr: String) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

impl Stored for i64 {
    type Repr = i64;

    fn to_repr(&self) -> i64 {
        *self
    }

    fn from_repr(repr: i64) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

impl Stored for f64 {
    type Repr = f64;

    fn to_repr(&self) -> f64 {
        *self
    }

    fn from_repr(repr: f64) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

impl Stored for bool {
    type Repr = bool;

    fn to_repr(&self) -> bool {
        *self
    }

    fn from_repr(repr: bool) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

impl Stored for NaiveDate {
    type Repr = NaiveDate;

    fn to_repr(&self) -> NaiveDate {
        *self
    }

    fn from_repr(repr: NaiveDate) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

#[cfg(feature = "sqlite")]
impl Stored for Uuid {
    type Repr = uuid::fmt::Hyphenated;

    fn to_repr(&self) -> uuid::fmt::Hyphenated {
        self.hyphenated()
    }

    fn from_repr(repr: uuid::fmt::Hyphenated) -> Result<Self, BoxDynError> {
        Ok(repr.into_uuid())
    }
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
impl Stored for Uuid {
    type Repr = Uuid;

    fn to_repr(&self) -> Uuid {
        *self
    }

    fn from_repr(repr: Uuid) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

#[cfg(feature = "sqlite")]
impl Stored for DateTime<Utc> {
    type Repr = String;

    fn to_repr(&self) -> String {
        self.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }

    fn from_repr(repr: String) -> Result<Self, BoxDynError> {
        Ok(DateTime::parse_from_rfc3339(&repr)?.with_timezone(&Utc))
    }
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
impl Stored for DateTime<Utc> {
    type Repr = DateTime<Utc>;

    fn to_repr(&self) -> DateTime<Utc> {
        *self
    }

    fn from_repr(repr: DateTime<Utc>) -> Result<Self, BoxDynError> {
        Ok(repr)
    }
}

#[cfg(feature = "sqlite")]
impl Stored for serde_json::Value {
    type Repr = String;

    fn to_repr(&self) -> String {
        self.to_string()
    }

    fn from_repr(repr: String) -> Result<Self, BoxDynError> {
        Ok(serde_json::from_str(&repr)?)
    }
}

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
impl Stored for serde_json::Value {
    type Repr = sqlx::types::Json<serde_json::Value>;

    fn to_repr(&self) -> Self::Repr {
        sqlx::types::Json(self.clone())
    }

    fn from_repr(repr: Self::Repr) -> Result<Self, BoxDynError> {
        Ok(repr.0)
    }
}

/// A missing value is stored as NULL.
impl<T: Stored> Stored for Option<T> {
    type Repr = Option<T::Repr>;

    fn to_repr(&self) -> Self::Repr {
        self.as_ref().map(T::to_repr)
    }

    fn from_repr(repr: Self::Repr) -> Result<Self, BoxDynError> {
        repr.map(T::from_repr).transpose()
    }
}

/// A value bound to a query built at run time (list filters and cursors).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Integer(i64),
    Decimal(f64),
    Boolean(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Uuid(Uuid),
}

/// A `SELECT` built at run time, with its values still to bind.
pub type DynQueryAs<'q, T> = QueryAs<'q, Db, T, <Db as Database>::Arguments>;

/// Binds `values` in order.
pub fn bind_all<'q, T>(mut query: DynQueryAs<'q, T>, values: &[SqlValue]) -> DynQueryAs<'q, T> {
    for value in values {
        query = match value {
            SqlValue::Text(text) => query.bind(text.clone()),
            SqlValue::Integer(number) => query.bind(*number),
            SqlValue::Decimal(number) => query.bind(*number),
            SqlValue::Boolean(flag) => query.bind(*flag),
            SqlValue::Date(date) => query.bind(*date),
            SqlValue::DateTime(instant) => query.bind(instant.to_repr()),
            SqlValue::Uuid(id) => query.bind(id.to_repr()),
        };
    }
    query
}

/// A join table of a many-to-many link: `source` references the owning row, `target` the
/// linked one; both together are the primary key.
#[derive(Debug, Clone, Copy)]
pub struct JoinTable {
    pub table: &'static str,
    pub source: &'static str,
    pub target: &'static str,
}

impl JoinTable {
    /// The `(source, target)` pairs of the rows `sources`, ordered by target.
    pub async fn load(
        &self,
        pool: &DbPool,
        sources: &[Uuid],
    ) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=sources.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {source}, {target} FROM {table} WHERE {source} IN ({list}) ORDER BY {target}",
            source = self.source,
            target = self.target,
            table = self.table,
            list = placeholders.join(", "),
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in sources {
            query = query.bind(id.to_repr());
        }
        query
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| Ok((get(row, self.source)?, get(row, self.target)?)))
            .collect()
    }

    /// Makes `targets` the links of `source`.
    pub async fn replace(
        &self,
        transaction: &mut sqlx::Transaction<'_, Db>,
        source: Uuid,
        targets: &[Uuid],
    ) -> Result<(), sqlx::Error> {
        let delete = format!("DELETE FROM {} WHERE {} = $1", self.table, self.source);
        sqlx::query(AssertSqlSafe(delete))
            .bind(source.to_repr())
            .execute(&mut **transaction)
            .await?;
        let insert = format!(
            "INSERT INTO {} ({}, {}) VALUES ($1, $2)",
            self.table, self.source, self.target
        );
        for target in targets {
            sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(source.to_repr())
                .bind(target.to_repr())
                .execute(&mut **transaction)
                .await?;
        }
        Ok(())
    }
}
