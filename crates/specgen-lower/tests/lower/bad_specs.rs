//! Every spec in `tests/bad-specs/` fails with the diagnostics in its snapshot.
//!
//! One file per problem class; several hold more than one problem to show that all of
//! them are reported in one run.

use crate::support::{compile_file, render};

#[test]
fn bad_specs_report_every_problem() {
    insta::glob!("../../../../tests/bad-specs", "*.spec", |path| {
        let compiled = compile_file(path);
        assert!(
            compiled.app.is_none(),
            "{} compiled but should not",
            path.display()
        );
        assert!(
            compiled.diagnostics.iter().any(|d| d.is_error()),
            "{} has no error",
            path.display()
        );
        insta::assert_snapshot!(render(&compiled));
    });
}
