//! Tests of the whole front end: text in, IR or diagnostics out.
//!
//! One binary; each module is one kind of test and most are data-driven: adding a case
//! is adding a file (`examples/*.spec`, `tests/bad-specs/*.spec`) or a line in a table.

mod access;
mod bad_specs;
mod changes;
mod codes;
mod examples;
mod fields;
mod includes;
mod names;
mod no_panic;
mod rules;
mod sentences;
mod support;
