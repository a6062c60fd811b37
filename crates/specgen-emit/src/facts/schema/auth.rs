//! The tables of the sign-in subsystem: sessions, one-time codes and rate-limit counters.

use specgen_ir::{App, Entity};

use super::dialect::Dialect;
use super::entities::{id_column, index};
use super::table::{Column, Table, TableConstraint};

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
    strict: bool,
}

fn types(dialect: Dialect) -> Types {
    match dialect {
        Dialect::Sqlite => Types {
            id: "TEXT",
            instant: "TEXT",
            integer: "INTEGER",
            strict: true,
        },
        Dialect::Postgres => Types {
            id: "UUID",
            instant: "TIMESTAMPTZ",
            integer: "BIGINT",
            strict: false,
        },
    }
}

fn sessions_table(entity: &Entity, dialect: Dialect) -> Table {
    let t = types(dialect);
    Table {
        name: "sessions".to_owned(),
        comment: vec![
            format!(
                "-- Sign-in sessions of {}: one row per signed-in device. Signing out deletes",
                entity.plural_words
            ),
            "-- the row; deleting the account deletes its sessions. Kept in the database so every"
                .to_owned(),
            "-- replica accepts every session.".to_owned(),
        ],
        strict: t.strict,
        columns: vec![
            id_column(dialect),
            Column::new("user_id", t.id, true),
            Column::new("token_hash", "TEXT", true).comment(&[
                "-- SHA-256 of the bearer token, lowercase hex. The token itself is never stored.",
            ]),
            Column::new("expires_at", t.instant, true).comment(&[
                "-- Fixed at sign-in: the session lasts the spec's `session` lifetime, then ends.",
            ]),
            Column::new("created_at", t.instant, true),
            Column::new("updated_at", t.instant, true),
        ],
        constraints: vec![
            TableConstraint::new("sessions_token_hash_key", "UNIQUE (token_hash)"),
            user_reference("sessions_user_id_fkey", entity),
        ],
        indexes: vec![
            index("sessions_user_id_idx", "sessions", "user_id"),
            index("sessions_expires_at_idx", "sessions", "expires_at"),
        ],
        triggers: Vec::new(),
    }
}

fn codes_table(entity: &Entity, dialect: Dialect) -> Table {
    let t = types(dialect);
    Table {
        name: "auth_codes".to_owned(),
        comment: vec![
            "-- One-time codes sent by email: email verification codes and password reset tokens."
                .to_owned(),
            "-- Only hashes are stored; a code is deleted when it is used.".to_owned(),
        ],
        strict: t.strict,
        columns: vec![
            id_column(dialect),
            Column::new("user_id", t.id, true),
            Column::new("purpose", "TEXT", true).comment(&[
                "-- verify_email: a 6-digit code; reset_password: a 256-bit random token.",
            ]),
            Column::new("code_hash", "TEXT", true).comment(&[
                "-- SHA-256 (lowercase hex) of the code, salted with the account id for 6-digit codes.",
            ]),
            Column::new("attempts", t.integer, true)
                .default("0")
                .comment(&["-- Guesses so far; a verification code stops working after 5."]),
            Column::new("expires_at", t.instant, true),
            Column::new("created_at", t.instant, true),
            Column::new("updated_at", t.instant, true),
        ],
        constraints: vec![
            TableConstraint::new("auth_codes_user_id_purpose_key", "UNIQUE (user_id, purpose)")
                .comment(vec![
                    "-- One live code per account and purpose: a new code replaces the last one."
                        .to_owned(),
                ]),
            TableConstraint::new(
                "auth_codes_purpose_check",
                "CHECK (purpose IN ('verify_email', 'reset_password'))",
            ),
            user_reference("auth_codes_user_id_fkey", entity),
        ],
        indexes: vec![
            index("auth_codes_code_hash_idx", "auth_codes", "code_hash"),
            index("auth_codes_expires_at_idx", "auth_codes", "expires_at"),
        ],
        triggers: Vec::new(),
    }
}

fn rate_limits_table(dialect: Dialect) -> Table {
    let t = types(dialect);
    Table {
        name: "rate_limits".to_owned(),
        comment: vec![
            "-- Rate-limit counters of the sign-in endpoints: one row per limit and subject, updated"
                .to_owned(),
            "-- atomically with an UPSERT, so the limits hold across replicas. A counter, not a record:"
                .to_owned(),
            "-- no created_at.".to_owned(),
        ],
        strict: t.strict,
        columns: vec![
            Column::new("key", "TEXT", true).primary_key().comment(&[
                "-- SHA-256 (hex) of the limit's name and its subject (an email address or a client",
                "-- address), so the table holds no addresses in the clear.",
            ]),
            Column::new("window_start", t.integer, true).comment(&[
                "-- Start of the current fixed window, in seconds since 1970 (UTC).",
            ]),
            Column::new("hits", t.integer, true).comment(&["-- Hits counted in that window."]),
            Column::new("updated_at", t.instant, true),
        ],
        constraints: Vec::new(),
        indexes: vec![index("rate_limits_updated_at_idx", "rate_limits", "updated_at")],
        triggers: Vec::new(),
    }
}

/// A sign-in table's reference to the account: deleting the account deletes its rows.
fn user_reference(name: &str, entity: &Entity) -> TableConstraint {
    TableConstraint::new(
        name,
        format!(
            "FOREIGN KEY (user_id) REFERENCES {} (id) ON DELETE CASCADE",
            entity.table
        ),
    )
    .references(&entity.table)
}
