//! Every example in `examples/` compiles without diagnostics; its IR is snapshotted.

use crate::support::{compile_file, render};

#[test]
fn examples_lower_to_the_expected_ir() {
    insta::glob!("../../../../examples", "*.spec", |path| {
        let compiled = compile_file(path);
        assert!(
            compiled.diagnostics.is_empty(),
            "{} has diagnostics:\n{}",
            path.display(),
            render(&compiled)
        );
        let Some(app) = compiled.app else {
            panic!("{} produced no app", path.display())
        };
        insta::assert_yaml_snapshot!(app);
    });
}
