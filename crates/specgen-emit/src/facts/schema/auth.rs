//! The tables of the sign-in subsystem: sessions, one-time codes and rate-limit counters.

use specgen_ir::{App, Entity};

use super::dialect::Dialect;
use super::table::Table;

/// The tables of the sign-in subsystem, created after the entities' tables (sessions and
/// codes reference the sign-in entity's table). Empty without a sign-in entity.
pub fn tables(app: &App, dialect: Dialect) -> Vec<Table> {
    let Some(entity) = app.auth_entity() else {
        return Vec::new();
    };
    vec![
        sessions_table(entity, dialect),
        codes_table(entity, dialect),
        rate_limits_table(dialect),
    ]
}

struct Types {
    id: &'static str,
    instant: &'static str,
    integer: &'static str,
    suffix: &'static str,
}

fn types(dialect: Dialect) -> Types {
    match dialect {
        Dialect::Sqlite => Types {
            id: "TEXT",
            instant: "TEXT",
            integer: "INTEGER",
            suffix: " STRICT",
        },
        Dialect::Postgres => Types {
            id: "UUID",
            instant: "TIMESTAMPTZ",
            integer: "BIGINT",
            suffix: "",
        },
    }
}

fn sessions_table(entity: &Entity, dialect: Dialect) -> Table {
    let t = types(dialect);
    let primary = match dialect {
        Dialect::Sqlite => "id TEXT NOT NULL PRIMARY KEY",
        Dialect::Postgres => "id UUID PRIMARY KEY",
    };
    let items = [
        primary.to_owned(),
        format!("user_id {} NOT NULL", t.id),
        "-- SHA-256 of the bearer token, lowercase hex. The token itself is never stored."
            .to_owned(),
        "token_hash TEXT NOT NULL".to_owned(),
        "-- Fixed at sign-in: the session lasts the spec's `session` lifetime, then ends."
            .to_owned(),
        format!("expires_at {} NOT NULL", t.instant),
        format!("created_at {} NOT NULL", t.instant),
        format!("updated_at {} NOT NULL", t.instant),
        "CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)".to_owned(),
        format!(
            "CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES {} (id) ON DELETE CASCADE",
            entity.table
        ),
    ];
    Table {
        comment: vec![
            format!(
                "-- Sign-in sessions of {}: one row per signed-in device. Signing out deletes",
                entity.plural_words
            ),
            "-- the row; deleting the account deletes its sessions. Kept in the database so every"
                .to_owned(),
            "-- replica accepts every session.".to_owned(),
        ],
        name: "sessions".to_owned(),
        items: with_commas(&items),
        suffix: t.suffix,
        after: vec![
            "CREATE INDEX sessions_user_id_idx ON sessions (user_id);".to_owned(),
            "CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);".to_owned(),
        ],
    }
}

fn codes_table(entity: &Entity, dialect: Dialect) -> Table {
    let t = types(dialect);
    let primary = match dialect {
        Dialect::Sqlite => "id TEXT NOT NULL PRIMARY KEY",
        Dialect::Postgres => "id UUID PRIMARY KEY",
    };
    let items = [
        primary.to_owned(),
        format!("user_id {} NOT NULL", t.id),
        "-- verify_email: a 6-digit code; reset_password: a 256-bit random token.".to_owned(),
        "purpose TEXT NOT NULL".to_owned(),
        "-- SHA-256 (lowercase hex) of the code, salted with the account id for 6-digit codes."
            .to_owned(),
        "code_hash TEXT NOT NULL".to_owned(),
        "-- Guesses so far; a verification code stops working after 5.".to_owned(),
        format!("attempts {} NOT NULL DEFAULT 0", t.integer),
        format!("expires_at {} NOT NULL", t.instant),
        format!("created_at {} NOT NULL", t.instant),
        format!("updated_at {} NOT NULL", t.instant),
        "-- One live code per account and purpose: a new code replaces the last one.".to_owned(),
        "CONSTRAINT auth_codes_user_id_purpose_key UNIQUE (user_id, purpose)".to_owned(),
        "CONSTRAINT auth_codes_purpose_check CHECK (purpose IN ('verify_email', 'reset_password'))"
            .to_owned(),
        format!(
            "CONSTRAINT auth_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES {} (id) ON DELETE CASCADE",
            entity.table
        ),
    ];
    Table {
        comment: vec![
            "-- One-time codes sent by email: email verification codes and password reset tokens."
                .to_owned(),
            "-- Only hashes are stored; a code is deleted when it is used.".to_owned(),
        ],
        name: "auth_codes".to_owned(),
        items: with_commas(&items),
        suffix: t.suffix,
        after: vec![
            "CREATE INDEX auth_codes_code_hash_idx ON auth_codes (code_hash);".to_owned(),
            "CREATE INDEX auth_codes_expires_at_idx ON auth_codes (expires_at);".to_owned(),
        ],
    }
}

fn rate_limits_table(dialect: Dialect) -> Table {
    let t = types(dialect);
    let items = [
        "-- SHA-256 (hex) of the limit's name and its subject (an email address or a client"
            .to_owned(),
        "-- address), so the table holds no addresses in the clear.".to_owned(),
        "key TEXT NOT NULL PRIMARY KEY".to_owned(),
        "-- Start of the current fixed window, in seconds since 1970 (UTC).".to_owned(),
        format!("window_start {} NOT NULL", t.integer),
        "-- Hits counted in that window.".to_owned(),
        format!("hits {} NOT NULL", t.integer),
        format!("updated_at {} NOT NULL", t.instant),
    ];
    Table {
        comment: vec![
            "-- Rate-limit counters of the sign-in endpoints: one row per limit and subject, updated"
                .to_owned(),
            "-- atomically with an UPSERT, so the limits hold across replicas. A counter, not a record:"
                .to_owned(),
            "-- no created_at.".to_owned(),
        ],
        name: "rate_limits".to_owned(),
        items: with_commas(&items),
        suffix: t.suffix,
        after: vec!["CREATE INDEX rate_limits_updated_at_idx ON rate_limits (updated_at);".to_owned()],
    }
}

/// Indents table items and puts commas after every definition but the last (comment lines
/// get none).
fn with_commas(items: &[String]) -> Vec<String> {
    let last = items.iter().rposition(|item| !item.starts_with("--"));
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let comma = if item.starts_with("--") || Some(i) == last {
                ""
            } else {
                ","
            };
            format!("    {item}{comma}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_skip_comments_and_the_last_item() {
        let items = [
            "a".to_owned(),
            "-- note".to_owned(),
            "b".to_owned(),
            "-- tail".to_owned(),
        ];
        assert_eq!(
            with_commas(&items),
            ["    a,", "    -- note", "    b", "    -- tail"]
        );
    }
}
