//! CLI integration tests: run the real `specgen` binary in a temp folder.
//!
//! One small builder (`specgen(args).file(..).run()`) makes each test a few lines.
//! Explain output of every example is snapshotted so a reviewer sees its change in a diff.

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
fn build_protects_edits_and_check_detects_drift() {
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

    // A hand edit to a generated file stops the build; nothing is lost.
    let cargo = d.join("out/Cargo.toml");
    let edited = std::fs::read_to_string(&cargo).unwrap() + "\n# my edit\n";
    std::fs::write(&cargo, &edited).unwrap();
    let blocked = build().run().expect(1);
    assert!(blocked.stderr.contains("Cargo.toml"), "{}", blocked.stderr);
    assert_eq!(std::fs::read_to_string(&cargo).unwrap(), edited);
    specgen(&["check", "app.spec", "-o", "out"])
        .in_dir(d)
        .run()
        .expect(1);

    // --force overwrites, keeping the edit in Cargo.toml.orig.
    build().args_push("--force").run().expect(0);
    assert_eq!(
        std::fs::read_to_string(d.join("out/Cargo.toml.orig")).unwrap(),
        edited
    );

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

impl Cmd {
    fn args_push(mut self, arg: &str) -> Cmd {
        self.args.push(arg.into());
        self
    }
}
