//! Includes, one table row per set of files: the entities the app ends up with (in the
//! order the files were read), or the diagnostic loading them gets.

use std::collections::BTreeMap;

use specgen_lower::{MemoryLoader, compile};

use crate::support::render;

const ROOT: &str =
    "---\napp: inc\ninclude: [billing.spec]\n---\n\n## User {auth}\n- email {email, unique}\n";

/// Compile `app.spec` among `files`; `want` is a diagnostic or the entity names.
fn check(files: &[(&str, &str)], want: &str) {
    let files: BTreeMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let compiled = compile("app.spec", &MemoryLoader(files.clone()));
    let rendered = render(&compiled);
    if want.starts_with("error[") {
        assert!(
            rendered.contains(want),
            "{files:?}\nexpected {want}, got\n{rendered}"
        );
        return;
    }
    let Some(app) = compiled.app else {
        panic!("{files:?}\nwas refused:\n{rendered}")
    };
    let names: Vec<&str> = app.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.join(","), want, "{files:?}");
}

#[test]
fn includes_are_read_once_depth_first() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("app.spec", ROOT),
                ("billing.spec", "## Invoice\n- n {integer}\n"),
            ],
            "User,Invoice",
        ),
        (
            &[
                (
                    "app.spec",
                    &ROOT.replace("[billing.spec]", "[a/b.spec, c.spec]"),
                ),
                (
                    "a/b.spec",
                    "---\ninclude: [../c.spec, d.spec]\n---\n## B\n- n {integer}\n",
                ),
                ("a/d.spec", "## D\n- n {integer}\n"),
                ("c.spec", "## C\n- n {integer}\n"),
            ],
            "User,B,C,D",
        ),
        (
            &[
                ("app.spec", &ROOT.replace("[billing.spec]", "billing.spec")),
                ("billing.spec", "## Invoice\n- n {integer}\n"),
            ],
            "User,Invoice",
        ),
        (&[("app.spec", &ROOT.replace("[billing.spec]", ""))], "User"),
        (&[("app.spec", ROOT)], "error[include_not_found]"),
        (&[("elsewhere.spec", ROOT)], "error[file_not_found]"),
        (
            &[
                ("app.spec", ROOT),
                (
                    "billing.spec",
                    "---\ninclude: [app.spec]\n---\n## Invoice\n- n {integer}\n",
                ),
            ],
            "error[include_cycle]",
        ),
        (
            &[("app.spec", &ROOT.replace("[billing.spec]", "5"))],
            "error[invalid_front_matter_value]",
        ),
        (
            &[("app.spec", &ROOT.replace("[billing.spec]", "[5]"))],
            "error[invalid_front_matter_value]",
        ),
        (
            &[
                ("app.spec", ROOT),
                (
                    "billing.spec",
                    "---\ndatabase: sqlite\n---\n## Invoice\n- n {integer}\n",
                ),
            ],
            "error[front_matter_in_include]",
        ),
    ];
    for (files, want) in cases {
        check(files, want);
    }
}
