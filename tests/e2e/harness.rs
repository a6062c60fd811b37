//! What the end-to-end tests share: the example specs and the corpus of small specs,
//! running `specgen build`, reading a generated tree and running cargo in a generated
//! repository.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use std::{env, fs};

use crate::support::process::run;

/// Run only the example (or corpus spec) with this name (the spec's file stem), to debug one.
pub const ONLY_VAR: &str = "SPECGEN_E2E_ONLY";

/// The specgen workspace (the folder holding `examples/`).
pub fn workspace_root() -> PathBuf {
    // The test belongs to crates/specgen-cli.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// One `examples/*.spec`, or one spec of the corpus (`tests/e2e/specs/*.spec`).
pub struct Example {
    /// The file stem (`studio-bookings`); also the folder name the repo is generated into.
    pub name: String,
    /// Relative to the workspace root, as a user would type it (`examples/studio-bookings.spec`).
    pub spec: PathBuf,
}

/// Every example spec, sorted by name, narrowed to [`ONLY_VAR`] when that is set.
///
/// Panics when there is none: an end-to-end run over nothing proves nothing.
pub fn examples() -> Vec<Example> {
    let examples = specs_in("examples");
    match only() {
        // The name may be a corpus spec's, with no example to run.
        Some(only) => assert!(
            !examples.is_empty() || !corpus().is_empty(),
            "{ONLY_VAR}=`{only}` names no spec in examples/ or tests/e2e/specs/"
        ),
        None => assert!(!examples.is_empty(), "no *.spec in examples/"),
    }
    examples
}

/// The corpus of small specs no example covers (`tests/e2e/specs/*.spec`): each rule kind
/// alone, at its edge values (a limit of 1, one field to leave out, no `per`, an entity
/// with no rules, no sign-in). Sorted by name, narrowed to [`ONLY_VAR`] when that is set.
pub fn corpus() -> Vec<Example> {
    specs_in("tests/e2e/specs")
}

/// [`ONLY_VAR`], when set.
fn only() -> Option<String> {
    env::var(ONLY_VAR).ok().filter(|only| !only.is_empty())
}

/// The specs in `folder` (relative to the workspace root), sorted, narrowed to [`ONLY_VAR`].
fn specs_in(folder: &str) -> Vec<Example> {
    let dir = workspace_root().join(folder);
    let only = only();
    let mut examples: Vec<Example> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable spec folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "spec"))
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .expect("spec names are UTF-8")
                .to_owned();
            let file_name = path.file_name().expect("a file name").to_owned();
            Example {
                name,
                spec: Path::new(folder).join(file_name),
            }
        })
        .filter(|example| only.as_ref().is_none_or(|only| *only == example.name))
        .collect();
    examples.sort_by(|a, b| a.name.cmp(&b.name));
    examples
}

/// A temporary folder, removed on drop unless kept.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("specgen-e2e-")
        .tempdir()
        .expect("a temporary folder")
}

/// `specgen build <spec> -o <out>`, run from the workspace root like a user would; its
/// stdout when it succeeds.
pub fn specgen_build(spec: &Path, out: &Path) -> Result<String, String> {
    specgen("build", spec, out)
}

/// `specgen <command> <spec> -o <out>` (`build` or `check`), run from the workspace root;
/// its stdout when it succeeds.
pub fn specgen(command: &str, spec: &Path, out: &Path) -> Result<String, String> {
    let mut specgen = Command::new(env!("CARGO_BIN_EXE_specgen"));
    specgen
        .arg(command)
        .arg(spec)
        .arg("-o")
        .arg(out)
        .current_dir(workspace_root());
    let output = run(&mut specgen)?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Every file under `dir` by relative path, with its bytes. Symlinks are read through.
pub fn read_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let bytes = fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                let relative = path.strip_prefix(root).expect("under the root").to_owned();
                files.insert(relative, bytes);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Says how two generated trees differ (missing files, extra files, the first differing
/// line of each changed file), or `None` when they are byte-identical.
pub fn tree_difference(
    first: &BTreeMap<PathBuf, Vec<u8>>,
    second: &BTreeMap<PathBuf, Vec<u8>>,
) -> Option<String> {
    let mut report = String::new();
    for path in first.keys().filter(|path| !second.contains_key(*path)) {
        report += &format!("- only in the first run: {}\n", path.display());
    }
    for path in second.keys().filter(|path| !first.contains_key(*path)) {
        report += &format!("- only in the second run: {}\n", path.display());
    }
    for (path, a) in first {
        let Some(b) = second.get(path) else { continue };
        if a == b {
            continue;
        }
        let a = String::from_utf8_lossy(a);
        let b = String::from_utf8_lossy(b);
        let (number, (line_a, line_b)) = a
            .lines()
            .chain(std::iter::repeat("<end of file>"))
            .zip(b.lines().chain(std::iter::repeat("<end of file>")))
            .enumerate()
            .find(|(_, (x, y))| x != y)
            .unwrap_or((0, ("<same lines>", "<different line endings>")));
        report += &format!(
            "- {} differs first at line {}:\n    first:  {line_a}\n    second: {line_b}\n",
            path.display(),
            number + 1
        );
    }
    (!report.is_empty()).then_some(report)
}

/// One cargo invocation in a generated repository.
pub struct CargoCheck {
    pub args: &'static [&'static str],
    /// Extra environment, on top of the shared target dir.
    pub env: Vec<(&'static str, OsString)>,
}

impl CargoCheck {
    pub fn new(args: &'static [&'static str]) -> CargoCheck {
        CargoCheck {
            args,
            env: Vec::new(),
        }
    }

    pub fn with_env(mut self, key: &'static str, value: impl AsRef<OsStr>) -> CargoCheck {
        self.env.push((key, value.as_ref().to_owned()));
        self
    }

    pub fn label(&self) -> String {
        format!("cargo {}", self.args.join(" "))
    }

    /// Runs the check in `repo` with `CARGO_TARGET_DIR=target_dir`, holding the lock of the
    /// repo's package (see [`package_lock`]). The error holds the command, its status and its
    /// full stderr and stdout.
    pub fn run(&self, repo: &Path, target_dir: &Path) -> Result<Duration, String> {
        let lock = package_lock(&package_name(repo)?);
        let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.run_holding_the_lock(repo, target_dir)
    }

    /// [`CargoCheck::run`] for a caller that holds the package's lock already.
    pub fn run_holding_the_lock(&self, repo: &Path, target_dir: &Path) -> Result<Duration, String> {
        let mut command = Command::new(cargo());
        command
            .args(self.args)
            .current_dir(repo)
            .env("CARGO_TARGET_DIR", target_dir)
            .env("CARGO_TERM_COLOR", "never")
            // Every generated repo is built once per run: incremental caches and full debug
            // info only fill the disk (a CI run once died of "No space left on device" with
            // them). Line tables keep panics' backtraces readable.
            .env("CARGO_INCREMENTAL", "0")
            .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
            // The generated tests pick their database from these; only the checks that
            // want one set it.
            .env_remove("TEST_DATABASE_URL")
            .env_remove("DATABASE_URL");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let started = Instant::now();
        run(&mut command)?;
        Ok(started.elapsed())
    }
}

/// The lock of one package name in the shared target folder. Two repos with the same
/// package (two versions of a history, or one built with `--features postgres`) write the
/// same `target/debug/<package>`: without it, one test's build replaces the binary another
/// test's `cargo test` is running. Packages with other names still build and test side by
/// side (cargo itself takes turns at the build folder).
pub fn package_lock(package: &str) -> Arc<Mutex<()>> {
    static LOCKS: Mutex<BTreeMap<String, Arc<Mutex<()>>>> = Mutex::new(BTreeMap::new());
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(locks.entry(package.to_owned()).or_default())
}

/// The package a generated repo's `Cargo.toml` names.
pub fn package_name(repo: &Path) -> Result<String, String> {
    let manifest = fs::read_to_string(repo.join("Cargo.toml"))
        .map_err(|e| format!("cannot read the generated Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|line| line.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .map(str::to_owned)
        .ok_or_else(|| "the generated Cargo.toml names no package".to_owned())
}

/// The cargo that runs this test, so generated repos build with the same toolchain.
fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A progress line on the real stderr, so it shows in CI logs even though the test
/// harness captures `eprintln!` of passing tests.
pub fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "e2e: {line}");
}
