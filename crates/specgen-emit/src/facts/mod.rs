//! The bottom layer of the emitter: facts about the app that more than one emitter needs,
//! each defined once here so that every emitted file agrees (what a client may send on
//! create and on update, who may do what, how each rule is enforced, the environment
//! settings, the sign-in subsystem's names, and the database schema).
//!
//! Facts are pure functions of the IR (and, for the schema, of the database dialect).
//! This layer depends only on `specgen_ir` and the printing helpers ([`crate::names`],
//! [`crate::layout`]); it never imports an emitter. Emitters depend on it and on the IR,
//! never on each other (see `docs/ARCHITECTURE.md`, "Layering").

pub mod access;
pub mod auth;
pub mod fields;
pub mod rules;
pub mod schema;
pub mod settings;
pub mod text;
