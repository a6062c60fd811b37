//! Data checks inside a migration: before a migration makes a column required or adds a
//! constraint, it counts the existing rows that would break it, and when there are any it
//! stops with a message that names the constraint and the count. The migration runs in one
//! transaction, so a failed check leaves the database as it was.
//!
//! PostgreSQL raises from a `DO` block. SQLite has no procedural statements, so a
//! migration that checks creates a temporary table whose insert trigger raises the
//! inserted message ([`SQLITE_SETUP`]); a check inserts a row only when rows break it.

use crate::facts::schema::{Column, Dialect, TableConstraint};

/// One check: rows of `relation` (a table, or on SQLite the rows a rebuilt table will get)
/// that break a rule the migration is about to add.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Guard {
    /// What the count is over: a table name or a parenthesized `SELECT ... AS name`.
    pub relation: String,
    /// The table's name, for the message.
    pub table: String,
    pub test: Test,
    /// What breaks and what to do, after "N rows of TABLE ".
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
    /// Rows where the predicate is true.
    Rows(String),
    /// Groups of rows sharing the values of these columns (none of them NULL).
    Duplicates(Vec<String>),
}

/// Creates SQLite's check mechanism: a temporary table whose rows are errors.
pub(super) const SQLITE_SETUP: &str = "\
CREATE TEMP TABLE specgen_guard (problem TEXT NOT NULL);
CREATE TEMP TRIGGER specgen_guard_raise BEFORE INSERT ON specgen_guard
BEGIN
    SELECT RAISE(ABORT, NEW.problem);
END;";

/// Removes SQLite's check mechanism at the end of the migration.
pub(super) const SQLITE_TEARDOWN: &str = "DROP TABLE temp.specgen_guard;";

impl Guard {
    /// The guard for a column that becomes required.
    pub fn not_null(relation: &str, table: &str, column: &Column) -> Guard {
        Guard {
            relation: relation.to_owned(),
            table: table.to_owned(),
            test: Test::Rows(format!("{} IS NULL", column.name)),
            problem: format!(
                "have no {0}, which is now required: give the field a default in the spec, \
                 or fill {0} in those rows, then migrate again",
                column.name
            ),
        }
    }

    /// The guard for a constraint about to be added, when existing rows can break it
    /// (`None` for an exclusion constraint: PostgreSQL names it when it fails).
    pub fn constraint(relation: &str, table: &str, c: &TableConstraint) -> Option<Guard> {
        let body = c.body.trim();
        let test = if let Some(check) = body.strip_prefix("CHECK ") {
            Test::Rows(format!("NOT {check}"))
        } else if let Some(rest) = body
            .strip_prefix("UNIQUE ")
            .or_else(|| body.strip_prefix("PRIMARY KEY "))
        {
            Test::Duplicates(column_list(rest)?)
        } else if let Some(rest) = body.strip_prefix("FOREIGN KEY ") {
            let columns = column_list(rest)?;
            let target = c.references.as_deref()?;
            let [column] = columns.as_slice() else {
                return None;
            };
            Test::Rows(format!(
                "{column} IS NOT NULL AND {column} NOT IN (SELECT id FROM {target})"
            ))
        } else {
            return None;
        };
        let what = match &test {
            Test::Duplicates(_) => "share values that",
            Test::Rows(_) => "break",
        };
        Some(Guard {
            relation: relation.to_owned(),
            table: table.to_owned(),
            test,
            problem: format!(
                "{what} {}: change those rows, or the spec, then migrate again",
                if what == "break" {
                    c.name.clone()
                } else {
                    format!("must be unique ({})", c.name)
                }
            ),
        })
    }

    /// The query counting the rows (or groups) that break the rule.
    fn count(&self) -> String {
        match &self.test {
            Test::Rows(predicate) => {
                format!("SELECT count(*) FROM {} WHERE {predicate}", self.relation)
            }
            Test::Duplicates(columns) => format!(
                "SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1) AS duplicates",
                self.relation,
                columns
                    .iter()
                    .map(|c| format!("{c} IS NOT NULL"))
                    .collect::<Vec<_>>()
                    .join(" AND "),
                columns.join(", ")
            ),
        }
    }

    /// The check as SQL: fails the migration when the count is not zero.
    pub fn sql(&self, migration: &str, dialect: Dialect) -> String {
        let unit = match self.test {
            Test::Rows(_) => "rows",
            Test::Duplicates(_) => "groups of rows",
        };
        match dialect {
            Dialect::Postgres => format!(
                "DO $$\nDECLARE n bigint;\nBEGIN\n    {};\n    IF n > 0 THEN\n        RAISE EXCEPTION 'migration {migration}: % {unit} of {} {}', n;\n    END IF;\nEND $$;",
                self.count().replacen("count(*)", "count(*) INTO n", 1),
                self.table,
                self.problem.replace('%', "%%").replace('\'', "''"),
            ),
            Dialect::Sqlite => format!(
                "INSERT INTO specgen_guard (problem)\nSELECT 'migration {migration}: ' || n || ' {unit} of {} {}'\nFROM ({}) WHERE n > 0;",
                self.table,
                self.problem.replace('\'', "''"),
                self.count().replacen("count(*)", "count(*) AS n", 1),
            ),
        }
    }
}

/// SQLite's last check after its table rebuilds: every foreign key still finds its row.
pub(super) fn sqlite_foreign_key_check(migration: &str) -> String {
    format!(
        "INSERT INTO specgen_guard (problem)\n\
         SELECT 'migration {migration}: ' || count(*) || ' rows of ' || \"table\" || ' reference a row that does not exist'\n\
         FROM pragma_foreign_key_check GROUP BY \"table\" LIMIT 1;"
    )
}

/// `(a, b) ...` -> `["a", "b"]`.
fn column_list(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('(')?;
    let inner = &inner[..inner.find(')')?];
    Some(inner.split(',').map(|c| c.trim().to_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_key_guard_counts_orphans() {
        let fk = TableConstraint::new(
            "bookings_room_id_fkey",
            "FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE RESTRICT",
        )
        .references("rooms");
        let guard = Guard::constraint("bookings", "bookings", &fk).unwrap();
        assert_eq!(
            guard.test,
            Test::Rows("room_id IS NOT NULL AND room_id NOT IN (SELECT id FROM rooms)".into())
        );
    }

    #[test]
    fn a_unique_guard_counts_duplicate_groups() {
        let unique = TableConstraint::new("rooms_name_key", "UNIQUE (name, city)");
        let guard = Guard::constraint("rooms", "rooms", &unique).unwrap();
        assert_eq!(
            guard.test,
            Test::Duplicates(vec!["name".into(), "city".into()])
        );
        assert!(
            guard
                .sql("0002_x", Dialect::Sqlite)
                .contains("HAVING count(*) > 1")
        );
    }

    #[test]
    fn an_exclusion_constraint_has_no_guard() {
        let ex = TableConstraint::new("no_overlap", "EXCLUDE USING gist (room_id WITH =)");
        assert_eq!(Guard::constraint("t", "t", &ex), None);
    }
}
