//! Timing `cargo build` of a generated repository, cold and incremental, beside a
//! hello-world crate as the machine's baseline.

use std::env;
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use specgen_emit::OutputFile;

pub struct BuildTimes {
    /// Cold debug build of a hello-world crate with no dependencies.
    pub baseline_cold: Duration,
    /// Cold debug build of the generated repository (dependencies downloaded beforehand).
    pub cold: Duration,
    /// Rebuild after appending a comment line to [`BuildTimes::edited`].
    pub incremental: Duration,
    /// The generated source file that was edited, relative to the repository.
    pub edited: String,
}

/// Writes `files` into a temporary repository and times its builds, each with a fresh
/// target dir. Downloads happen before the clock starts (`cargo fetch`).
pub fn time_builds(files: &[OutputFile]) -> Result<BuildTimes, String> {
    let scratch = tempfile::Builder::new()
        .prefix("specgen-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;

    let hello = scratch.path().join("hello");
    write_file(
        &hello.join("Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )?;
    write_file(
        &hello.join("src/main.rs"),
        "fn main() {\n    println!(\"Hello, world!\");\n}\n",
    )?;
    let baseline_cold = cargo(&hello, &scratch.path().join("hello-target"), "build")?;

    let repo = scratch.path().join("repo");
    for file in files {
        write_file(&repo.join(&file.path), &file.contents)?;
    }
    let target = scratch.path().join("repo-target");
    cargo(&repo, &target, "fetch")?;
    let cold = cargo(&repo, &target, "build")?;

    let edited = edited_source(files)?;
    let mut source = OpenOptions::new()
        .append(true)
        .open(repo.join(&edited))
        .map_err(|e| format!("cannot open {edited}: {e}"))?;
    source
        .write_all(b"// edited by specgen-bench\n")
        .map_err(|e| format!("cannot edit {edited}: {e}"))?;
    drop(source);
    let incremental = cargo(&repo, &target, "build")?;

    Ok(BuildTimes {
        baseline_cold,
        cold,
        incremental,
        edited,
    })
}

/// The source file a developer is most likely to touch: the first resource module under
/// `src/http/`, else the library root, else any Rust file under `src/`.
fn edited_source(files: &[OutputFile]) -> Result<String, String> {
    let rust_sources = || {
        files
            .iter()
            .map(|file| file.path.as_str())
            .filter(|path| path.starts_with("src/") && path.ends_with(".rs"))
    };
    rust_sources()
        .find(|path| path.starts_with("src/http/") && !path.ends_with("/mod.rs"))
        .or_else(|| rust_sources().find(|path| *path == "src/lib.rs"))
        .or_else(|| rust_sources().next())
        .map(str::to_owned)
        .ok_or_else(|| "the generated repository has no Rust source under src/".to_owned())
}

pub(crate) fn write_file(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Runs `cargo <subcommand>` in `dir` with `CARGO_TARGET_DIR=target`; returns how long it took.
fn cargo(dir: &Path, target: &Path, subcommand: &str) -> Result<Duration, String> {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let started = Instant::now();
    let output = Command::new(program)
        .arg(subcommand)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let took = started.elapsed();
    if output.status.success() {
        Ok(took)
    } else {
        Err(format!(
            "`cargo {subcommand}` in {} failed ({}):\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
