//! Every example in `examples/` compiles without diagnostics; its IR is snapshotted.

use crate::support::{compile_file, compile_text, render};

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

/// The example files (not the included ones in subfolders), sorted.
fn example_files() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "spec"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn examples_with_windows_line_endings_lower_to_the_same_ir() {
    let files = example_files();
    assert!(files.len() >= 4, "examples not found");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("include:") {
            continue; // includes need the other files; covered by the snapshot test
        }
        let plain = compile_text(&text);
        let windows = compile_text(&text.replace('\n', "\r\n"));
        assert!(
            windows.diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render(&windows)
        );
        let (Some(a), Some(b)) = (plain.app, windows.app) else {
            panic!("{} did not compile", path.display())
        };
        assert_eq!(meaning(&a), meaning(&b), "{}", path.display());
    }
}

/// Everything but spans and descriptions' exact whitespace, as text.
fn meaning(app: &specgen_ir::App) -> String {
    let mut out = String::new();
    for e in &app.entities {
        out.push_str(&format!("{} {} {:?}\n", e.name, e.table, e.permissions));
        for f in &e.fields {
            out.push_str(&format!(
                "  {} {:?} {} {:?}\n",
                f.ident, f.ty, f.description, f.default
            ));
        }
        for r in &e.rules {
            out.push_str(&format!("  {} {} {:?}\n", r.code, r.message, r.kind));
        }
    }
    out
}
