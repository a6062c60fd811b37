//! Helpers shared by the top-level test binaries. A binary includes them with
//! `#[path = "../support/mod.rs"] mod support;`.

pub mod postgres;
pub mod process;
