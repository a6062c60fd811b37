//! Which runtime check each rule kind needs, and how the generated code enforces it (for
//! the README and module docs).

use specgen_ir::{Entity, Rule, RuleKind};

/// Whether the rule is checked by the generated code inside the write transaction.
pub fn is_row_rule(rule: &Rule) -> bool {
    matches!(
        rule.kind,
        RuleKind::Limit { .. } | RuleKind::NoOverlap { .. }
    )
}

/// Whether the rule is checked by the generated code against the record before and after.
pub fn is_change_rule(rule: &Rule) -> bool {
    matches!(
        rule.kind,
        RuleKind::Immutable { .. } | RuleKind::Transitions { .. } | RuleKind::Window { .. }
    )
}

/// Whether an entity has a time window on deletes (its deletes are then conditional on the
/// record being unchanged since the check read it).
pub fn has_delete_window(entity: &Entity) -> bool {
    entity.rules.iter().any(|rule| match &rule.kind {
        RuleKind::Window { actions, .. } => actions.contains(&specgen_ir::Action::Delete),
        _ => false,
    })
}

/// How the generated code enforces a rule, for docs and the README.
pub fn enforcement(rule: &Rule) -> String {
    match &rule.kind {
        RuleKind::Compare { .. } => {
            "checked by the service before writing (422) and by a CHECK constraint".to_owned()
        }
        RuleKind::Unique { .. } => "UNIQUE constraint; a violation is answered with 409".to_owned(),
        RuleKind::NoOverlap { .. } => "PostgreSQL: an exclusion constraint (`btree_gist`); \
             SQLite: checked inside the write transaction, which holds the write lock \
             (`BEGIN IMMEDIATE`); a violation is answered with 409"
            .to_owned(),
        RuleKind::Limit { .. } => "checked inside the write transaction; PostgreSQL first locks \
             the row it counts per (`FOR NO KEY UPDATE`), SQLite holds the write lock \
             (`BEGIN IMMEDIATE`); a violation is answered with 409. A condition on the counted-per \
             record is checked again when that record changes"
            .to_owned(),
        RuleKind::Immutable { .. } => "a BEFORE UPDATE trigger, and the service checks the stored \
             record first (422); the update only writes if the record is unchanged since it was read"
            .to_owned(),
        RuleKind::Transitions { .. } => "BEFORE INSERT and UPDATE triggers, and the service checks \
             the stored record first (409), with who may make each change; the update only writes \
             if the record is unchanged since it was read"
            .to_owned(),
        RuleKind::Window { .. } => "checked by the service against the stored record and the \
             server's clock (409); the write only goes through if the record is unchanged since \
             it was read"
            .to_owned(),
    }
}
