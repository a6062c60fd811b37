//! The generated tests that a person a record names, who may change it because it names
//! them, cannot hand it to someone else (`Scope::keeps` in the generated `access.rs`).

use heck::ToSnakeCase;
use specgen_ir::{Action, App, Caller, Decision, Entity, Who};

use crate::facts::access::handed_over;
use crate::names::rust_str;

/// One `check_not_handed_over` test: a caller of `role` named in `field` (its JSON name).
#[derive(Debug, Clone)]
pub struct HandoverTest {
    pub test_name: String,
    pub role: String,
    pub field: String,
}

/// The handover tests of `entity`: one per field of [`handed_over`] that the spec lets its
/// person change (no `set by`), for a role that may change the entity's records only as a
/// person they name, and through a grant that holds in every row state.
pub fn handover_tests(app: &App, entity: &Entity) -> Vec<HandoverTest> {
    let admin = app.admin_role().map(|r| r.name.as_str());
    let people = entity.permissions.people(Action::Update);
    handed_over(entity)
        .into_iter()
        .filter(|field| field.settable_by.is_empty())
        .filter(|field| people.contains(&&Who::Person(field.ident.clone())))
        .filter_map(|field| {
            let role = app.roles.iter().map(|r| r.name.as_str()).find(|role| {
                Some(*role) != admin
                    && field.required_role.as_deref().is_none_or(|r| r == *role)
                    && entity
                        .permissions
                        .decide(Action::Update, Caller::Signed(role))
                        != Decision::All
            })?;
            Some(HandoverTest {
                test_name: format!(
                    "{}_stay_with_their_{}",
                    entity.plural_snake,
                    field.name.to_snake_case()
                ),
                role: role.to_owned(),
                field: rust_str(&field.json),
            })
        })
        .collect()
}
