//! The spec language's syntax: text in, a syntax tree with spans out.
//!
//! [`parse`] reads one file. It never panics and never stops at the first problem: the
//! document is split into lines first, then every bullet is parsed on its own, so a bad
//! line is reported and the lines after it are still checked. Meaning (which entity a
//! name refers to, whether a word is a known type) is decided later, by `specgen-lower`.
//!
//! The grammar is `src/spec.pest` (pest). pest types never leave this crate.

pub mod ast;
mod front_matter;
mod parser;
pub mod patterns;

pub use ast::*;
pub use parser::{Parsed, parse};
