//! CLI integration tests: run the real `specgen` binary in a temp folder.
//!
//! One small builder (`specgen(args).file(..).run()`) makes each test a few lines.
//! Explain output of every example is snapshotted so a reviewer sees its change in a diff.

mod migrations;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Cmd {
    args: Vec<String>,
    files: Vec<(String, String)>,
    dir: Option<PathBuf>,
}

fn specgen(args: &[&str]) -> Cmd {
    Cmd {
        args: args.iter().map(|s| s.to_string()).collect(),
        files: Vec::new(),
        dir: None,
    }
}

impl Cmd {
    /// Write a file (relative to the working folder) before running.
    fn file(mut self, path: &str, contents: &str) -> Cmd {
        self.files.push((path.into(), contents.into()));
        self
    }

    /// Run in this folder instead of a fresh temp one.
    fn in_dir(mut self, dir: &Path) -> Cmd {
        self.dir = Some(dir.to_path_buf());
        self
    }

    fn run(self) -> Run {
        let temp;
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                temp = tempfile::tempdir().unwrap();
                temp.path().to_path_buf()
            }
        };
        for (path, contents) in &self.files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, contents).unwrap();
        }
        let out = Command::new(env!("CARGO_BIN_EXE_specgen"))
            .args(&self.args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn examples() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(workspace().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "spec"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 4, "expected at least four example specs");
    specs
}

const BROKEN: &str =
    "---\napp: broken\n---\n\n# Broken\n\n## Thing\n- size {integr}\n- color {text, 9..2}\n";

#[test]
fn every_example_validates() {
    for spec in examples() {
        let run = specgen(&["validate", spec.to_str().unwrap()])
            .run()
            .expect(0);
        assert!(run.stdout.starts_with("ok: "), "{}", run.stdout);
    }
}

#[test]
fn explain_of_every_example_is_snapshotted() {
    for spec in examples() {
        let run = specgen(&["explain", spec.to_str().unwrap()])
            .run()
            .expect(0);
        let name = spec.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("explain-{name}"), run.stdout);
    }
}

#[test]
fn errors_are_all_reported_with_location_and_exit_1() {
    let run = specgen(&["validate", "broken.spec"])
        .file("broken.spec", BROKEN)
        .run()
        .expect(1);
    assert!(run.stderr.contains("broken.spec:8:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("broken.spec:9:"),
        "both errors in one run: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("integer"),
        "did-you-mean hint: {}",
        run.stderr
    );
}

#[test]
fn json_diagnostics_are_machine_readable() {
    let run = specgen(&["validate", "--format", "json", "broken.spec"])
        .file("broken.spec", BROKEN)
        .run()
        .expect(1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let items = value.as_array().expect("an array of diagnostics");
    assert!(items.len() >= 2);
    for d in items {
        assert!(
            d["line"].as_u64().is_some() && d["column"].as_u64().is_some(),
            "{d}"
        );
        assert!(d["code"].as_str().is_some_and(|c| !c.is_empty()), "{d}");
    }
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let run = specgen(&["validate", "missing.spec"]).run().expect(2);
    assert!(run.stderr.contains("missing.spec"), "{}", run.stderr);
    specgen(&["frobnicate"]).run().expect(2);
}

#[test]
fn new_writes_a_starter_that_validates_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    specgen(&["new", "Pet Sitting"])
        .in_dir(dir.path())
        .run()
        .expect(0);
    assert!(dir.path().join("pet-sitting.spec").is_file());
    specgen(&["validate", "pet-sitting.spec"])
        .in_dir(dir.path())
        .run()
        .expect(0);
    let again = specgen(&["new", "pet-sitting"])
        .in_dir(dir.path())
        .run()
        .expect(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn ir_prints_json_and_yaml() {
    let spec = workspace().join("examples/studio-bookings.spec");
    let json = specgen(&["ir", spec.to_str().unwrap()]).run().expect(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["name"], "studio-bookings");
    let yaml = specgen(&["ir", "--format", "yaml", spec.to_str().unwrap()])
        .run()
        .expect(0);
    assert!(
        yaml.stdout.contains("name: studio-bookings"),
        "{}",
        yaml.stdout
    );
}

#[test]
fn completions_are_generated() {
    let run = specgen(&["completions", "bash"]).run().expect(0);
    assert!(run.stdout.contains("specgen"));
}

#[test]
fn build_keeps_edits_and_check_detects_drift() {
    let dir = tempfile::tempdir().unwrap();
    let spec = workspace().join("examples/studio-bookings.spec");
    let text = std::fs::read_to_string(&spec).unwrap();
    let d = dir.path();
    let build = || specgen(&["build", "app.spec", "-o", "out"]).in_dir(d);

    let first = specgen(&["build", "app.spec", "-o", "out"])
        .file("app.spec", &text)
        .in_dir(d)
        .run()
        .expect(0);
    assert!(first.stdout.contains("created"), "{}", first.stdout);
    assert!(d.join("out/.specgen/manifest.json").is_file());
    assert!(d.join("out/.specgen/base/Cargo.toml").is_file());
    assert!(d.join("out/Cargo.toml").is_file());
    specgen(&["check", "app.spec", "-o", "out"])
        .in_dir(d)
        .run()
        .expect(0);

    // A file the developer added survives a rebuild.
    std::fs::write(d.join("out/NOTES.md"), "mine").unwrap();
    let second = build().run().expect(0);
    assert!(second.stdout.contains("0 created"), "{}", second.stdout);
    assert_eq!(
        std::fs::read_to_string(d.join("out/NOTES.md")).unwrap(),
        "mine"
    );

    // A hand edit to a generated file is kept, and is no drift while specgen's version of
    // the file stays the same.
    let cargo = d.join("out/Cargo.toml");
    let edited = std::fs::read_to_string(&cargo).unwrap() + "\n# my edit\n";
    std::fs::write(&cargo, &edited).unwrap();
    build().run().expect(0);
    assert_eq!(std::fs::read_to_string(&cargo).unwrap(), edited);
    specgen(&["check", "app.spec", "-o", "out"])
        .in_dir(d)
        .run()
        .expect(0);

    // A spec change is drift until rebuilt.
    let changed = text.replacen("# Studio Bookings", "# Studio Bookings Deluxe", 1);
    assert_ne!(
        changed, text,
        "the example's title line moved; update this test"
    );
    std::fs::write(d.join("app.spec"), changed).unwrap();
    let drift = specgen(&["check", "app.spec", "-o", "out"])
        .in_dir(d)
        .run()
        .expect(1);
    assert!(drift.stderr.contains("out of date"), "{}", drift.stderr);
}

#[test]
fn a_file_specgen_never_wrote_stops_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let spec = workspace().join("examples/studio-bookings.spec");
    let text = std::fs::read_to_string(&spec).unwrap();
    let run = specgen(&["build", "app.spec", "-o", "out"])
        .file("app.spec", &text)
        .file("out/Cargo.toml", "mine\n")
        .in_dir(dir.path())
        .run()
        .expect(1);
    assert!(run.stderr.contains("Cargo.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not generated by specgen"),
        "{}",
        run.stderr
    );
    assert_eq!(
        read_tree(&dir.path().join("out")).len(),
        1,
        "nothing written"
    );
}

/// A studio-bookings repository generated in a temp folder, and a changed spec for it.
struct Regen {
    dir: tempfile::TempDir,
    spec: String,
}

/// The handler line after which the merge tests add a line of their own: specgen's change
/// (a new field) leaves its surroundings alone.
const HANDLER_LINE: &str =
    "    let booking = fetch(&state.db, id).await?.ok_or(ApiError::NotFound)?;\n";
/// The field after which specgen adds the new one, so an edit right after it conflicts.
const NOTE_FIELD: &str = "    pub note: Option<String>,\n";
const HANDLERS: &str = "out/src/http/bookings.rs";

impl Regen {
    fn new() -> Regen {
        let dir = tempfile::tempdir().unwrap();
        let spec =
            std::fs::read_to_string(workspace().join("examples/studio-bookings.spec")).unwrap();
        specgen(&["build", "app.spec", "-o", "out"])
            .file("app.spec", &spec)
            .in_dir(dir.path())
            .run()
            .expect(0);
        Regen { dir, spec }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Insert `line` after the first occurrence of `after` in `rel`.
    fn edit(&self, rel: &str, after: &str, line: &str) {
        let text = self.read(rel);
        assert!(
            text.contains(after),
            "{rel} has no `{after}`; update this test"
        );
        std::fs::write(
            self.path(rel),
            text.replacen(after, &format!("{after}{line}"), 1),
        )
        .unwrap();
    }

    /// Add a field to bookings after their note (specgen changes the handlers, the tests,
    /// the migrations).
    fn add_field(&mut self, field: &str) {
        self.add_field_after("- note {text, optional, max 500}\n", field);
    }

    fn add_field_after(&mut self, after: &str, field: &str) {
        assert!(
            self.spec.contains(after),
            "the example changed; update this test"
        );
        self.spec = self.spec.replacen(after, &format!("{after}{field}\n"), 1);
        std::fs::write(self.path("app.spec"), &self.spec).unwrap();
    }

    fn run(&self, args: &[&str]) -> Cmd {
        let mut all = vec![args[0], "app.spec", "-o", "out"];
        all.extend(&args[1..]);
        specgen(&all).in_dir(self.dir.path())
    }
}

#[test]
fn rebuilding_after_a_spec_change_merges_edits_into_the_new_version() {
    let mut regen = Regen::new();
    regen.edit(
        HANDLERS,
        HANDLER_LINE,
        "    tracing::info!(%id, \"read\");\n",
    );
    regen.add_field("- band size {integer, 1..20, default 1}");
    let run = regen.run(&["build"]).run().expect(0);
    assert!(
        run.stdout.contains("merged src/http/bookings.rs"),
        "{}",
        run.stdout
    );
    let merged = regen.read(HANDLERS);
    assert!(
        merged.contains("tracing::info!(%id, \"read\");"),
        "the edit is kept"
    );
    assert!(
        merged.contains("pub band_size: i64,"),
        "specgen's change is in"
    );
    regen.run(&["check"]).run().expect(0);
}

#[test]
fn a_conflict_fails_build_and_check_marks_the_lines_and_loses_nothing() {
    let mut regen = Regen::new();
    regen.edit(
        HANDLERS,
        NOTE_FIELD,
        "    // where the band leaves its gear\n",
    );
    regen.add_field("- band size {integer, 1..20, default 1}");
    let run = regen.run(&["build"]).run().expect(1);
    let line = regen
        .read(HANDLERS)
        .lines()
        .position(|l| l == "<<<<<<< yours (edited)")
        .expect("a conflict marker")
        + 1;
    assert!(
        run.stderr
            .contains(&format!("src/http/bookings.rs:{line}: conflict")),
        "{}",
        run.stderr
    );
    let marked = regen.read(HANDLERS);
    for part in [
        "<<<<<<< yours (edited)\n",
        "    // where the band leaves its gear\n",
        "||||||| base\n",
        "=======\n",
        "    pub band_size: i64,\n",
        ">>>>>>> specgen (new)\n",
    ] {
        assert!(marked.contains(part), "no `{part}` in:\n{marked}");
    }
    let check = regen.run(&["check"]).run().expect(1);
    assert!(
        check.stderr.contains(&format!(
            "src/http/bookings.rs:{line}: unresolved conflict marker"
        )),
        "{}",
        check.stderr
    );
    // Rebuilding before resolving leaves the file alone and still fails.
    regen.run(&["build"]).run().expect(1);
    assert_eq!(regen.read(HANDLERS), marked);
}

#[test]
fn resolving_a_conflict_then_rebuilding_keeps_the_resolution() {
    let mut regen = Regen::new();
    regen.edit(
        HANDLERS,
        NOTE_FIELD,
        "    // where the band leaves its gear\n",
    );
    regen.add_field("- band size {integer, 1..20, default 1}");
    regen.run(&["build"]).run().expect(1);

    // Resolve as a developer would: keep both sides, drop the markers and the base.
    let mut resolved = String::new();
    let mut in_base = false;
    for line in regen.read(HANDLERS).split_inclusive('\n') {
        match line.trim_end() {
            "||||||| base" => in_base = true,
            "=======" if in_base => in_base = false,
            l if l.starts_with("<<<<<<< ") || l.starts_with(">>>>>>> ") => {}
            _ if in_base => {}
            _ => resolved.push_str(line),
        }
    }
    std::fs::write(regen.path(HANDLERS), &resolved).unwrap();

    let run = regen.run(&["build"]).run().expect(0);
    assert!(run.stdout.contains("0 with conflicts"), "{}", run.stdout);
    assert_eq!(regen.read(HANDLERS), resolved, "the resolution is kept");
    regen.run(&["check"]).run().expect(0);

    // The next spec change merges into the resolution against the base that build wrote.
    // (Added after the field the resolution is next to, so no generated line beside the
    // resolution changes: the doc comments name spec lines.)
    regen.add_field_after(
        "- band size {integer, 1..20, default 1}\n",
        "- gear {text, optional, max 200}",
    );
    regen.run(&["build"]).run().expect(0);
    let merged = regen.read(HANDLERS);
    assert!(
        merged.contains("// where the band leaves its gear"),
        "{merged}"
    );
    assert!(merged.contains("pub band_size: i64,"));
    assert!(merged.contains("pub gear: Option<String>,"));
    assert!(!merged.contains("<<<<<<<"));
    regen.run(&["check"]).run().expect(0);
}

#[test]
fn dry_run_says_what_a_build_would_do_and_writes_nothing() {
    let mut regen = Regen::new();
    regen.edit(
        HANDLERS,
        HANDLER_LINE,
        "    tracing::info!(%id, \"read\");\n",
    );
    regen.edit(
        "out/Dockerfile",
        "WORKDIR /build\n",
        "# mirrors are set on the runner\n",
    );
    regen.add_field("- band size {integer, 1..20, default 1}");
    let before = read_tree(regen.dir.path());
    let run = regen.run(&["build", "--dry-run"]).run().expect(0);
    assert_eq!(read_tree(regen.dir.path()), before, "nothing written");
    for line in [
        "merged      src/http/bookings.rs",
        "kept        Dockerfile",
        "kept        src/hooks/bookings.rs",
        // Migrations are append-only: the new field is a new migration.
        "unchanged   migrations/sqlite/0001_initial.sql",
        "created     migrations/sqlite/0002_add_bookings_band_size.sql",
        "unchanged   src/main.rs",
    ] {
        assert!(run.stdout.contains(line), "no `{line}` in:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("nothing written"), "{}", run.stdout);

    // A build that would conflict: the dry run says where, exits 1 and still writes nothing.
    regen.edit(
        HANDLERS,
        NOTE_FIELD,
        "    // where the band leaves its gear\n",
    );
    let before = read_tree(regen.dir.path());
    let run = regen.run(&["build", "--dry-run"]).run().expect(1);
    assert!(
        run.stdout.contains("conflict    src/http/bookings.rs"),
        "{}",
        run.stdout
    );
    assert_eq!(read_tree(regen.dir.path()), before, "nothing written");
}

#[test]
fn force_takes_specgen_version_and_backs_up_the_edit() {
    let mut regen = Regen::new();
    regen.edit(
        HANDLERS,
        NOTE_FIELD,
        "    // where the band leaves its gear\n",
    );
    let edited = regen.read(HANDLERS);
    regen.add_field("- band size {integer, 1..20, default 1}");
    let run = regen.run(&["build", "--force"]).run().expect(0);
    assert!(run.stderr.contains("bookings.rs.orig"), "{}", run.stderr);
    assert_eq!(regen.read("out/src/http/bookings.rs.orig"), edited);
    let forced = regen.read(HANDLERS);
    assert!(!forced.contains("gear") && forced.contains("pub band_size: i64,"));
    regen.run(&["check"]).run().expect(0);
}

/// Every file under `dir` with its bytes.
fn read_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_owned(), bytes);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
