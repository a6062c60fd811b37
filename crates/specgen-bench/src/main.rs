//! `specgen-bench`: how fast specgen compiles specs, and how fast what it generates builds.
//!
//! ```sh
//! cargo run -p specgen-bench --release -- [--skip-cargo]
//! cargo run -p specgen-bench --release -- load
//! ```
//!
//! Prints one table: the in-process pipeline (`specgen_lower::compile` then
//! `specgen_emit::emit`) for every `examples/*.spec` and for a synthetic 100-entity spec,
//! the rebuild of that spec after a change to every entity (planning and writing its
//! migration: `specgen build` on a repo that holds the first build), then (unless `--skip-cargo`) the cold and incremental `cargo build` of the largest
//! generated repository, beside the cold build of a hello-world crate as the machine's
//! baseline. Each figure has its target and the ratio to it (below 1.00 is within target).
//!
//! `load` instead runs a generated backend in release mode under `wrk` (see `load.rs`):
//! req/s, p50/p99 and peak memory for an authenticated read, a list of 20 and a sign-in
//! storm, beside `GET /health` as the baseline of the same run.

mod builds;
mod load;
mod pipeline;
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use std::{env, fs};

const USAGE: &str = "\
usage: cargo run -p specgen-bench --release -- [--skip-cargo]
       cargo run -p specgen-bench --release -- load

  --skip-cargo   time only the specgen pipeline, not the builds of a generated repository
  load           load a generated backend (release, SQLite) with wrk: req/s, p50/p99, memory";

/// The pipeline must stay interactive on a 100-entity spec.
const PIPELINE_TARGET: Duration = Duration::from_millis(100);
/// A fresh clone of a generated repository builds in about a minute on 2 cores.
const COLD_BUILD_TARGET: Duration = Duration::from_secs(75);
/// Editing one file and rebuilding feels instant.
const INCREMENTAL_BUILD_TARGET: Duration = Duration::from_secs(3);

/// Entities in the synthetic spec.
const SYNTHETIC_ENTITIES: usize = 100;

fn main() -> ExitCode {
    let mut skip_cargo = false;
    for arg in env::args().skip(1) {
        match arg.as_str() {
            "--skip-cargo" => skip_cargo = true,
            "load" => {
                return match load::run(&workspace_root()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(error) => {
                        eprintln!("error: {error}");
                        ExitCode::FAILURE
                    }
                };
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unexpected argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(skip_cargo) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One line of the report.
struct Row {
    figure: String,
    measured: Duration,
    target: Option<Duration>,
}

fn run(skip_cargo: bool) -> Result<(), String> {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; pipeline figures are only meaningful with --release");
    }
    let root = workspace_root();
    let mut rows = Vec::new();

    // The largest generated repository is the one whose build is timed.
    let mut largest: Option<(String, Vec<specgen_emit::OutputFile>)> = None;
    for spec in example_specs(&root)? {
        let name = spec.display().to_string();
        eprintln!("timing the pipeline on {name}");
        let timed = pipeline::time_file(&root, &spec)?;
        rows.push(Row {
            figure: format!("pipeline: {name}"),
            measured: timed.median,
            target: Some(PIPELINE_TARGET),
        });
        let size = |files: &[specgen_emit::OutputFile]| -> usize {
            files.iter().map(|file| file.contents.len()).sum()
        };
        if largest
            .as_ref()
            .is_none_or(|(_, files)| size(files) < size(&timed.files))
        {
            largest = Some((name, timed.files));
        }
    }

    eprintln!("timing the pipeline on a synthetic {SYNTHETIC_ENTITIES}-entity spec");
    let synthetic = pipeline::time_text(
        &root,
        "synthetic.spec",
        &synthetic::synthetic_spec(SYNTHETIC_ENTITIES),
    )?;
    rows.push(Row {
        figure: format!("pipeline: synthetic {SYNTHETIC_ENTITIES} entities"),
        measured: synthetic.median,
        target: Some(PIPELINE_TARGET),
    });

    eprintln!("timing a rebuild of the synthetic spec with every entity changed (a migration)");
    let rebuild = pipeline::time_rebuild(
        &root,
        "synthetic.spec",
        &synthetic::synthetic_spec(SYNTHETIC_ENTITIES),
        &synthetic::changed_synthetic_spec(SYNTHETIC_ENTITIES),
    )?;
    rows.push(Row {
        figure: format!(
            "rebuild with a migration: synthetic {SYNTHETIC_ENTITIES} entities, all changed"
        ),
        measured: rebuild.median,
        target: Some(PIPELINE_TARGET),
    });

    let mut baseline = None;
    if !skip_cargo {
        let (name, files) = largest.ok_or("no example spec to generate a repository from")?;
        eprintln!("timing cargo builds of the repository generated from {name} (minutes)");
        let timed = builds::time_builds(&files)?;
        rows.push(Row {
            figure: "machine baseline: hello-world cold cargo build".to_owned(),
            measured: timed.baseline_cold,
            target: None,
        });
        rows.push(Row {
            figure: format!("generated repo cold cargo build ({name})"),
            measured: timed.cold,
            target: Some(COLD_BUILD_TARGET),
        });
        rows.push(Row {
            figure: format!("incremental cargo build after editing {}", timed.edited),
            measured: timed.incremental,
            target: Some(INCREMENTAL_BUILD_TARGET),
        });
        baseline = Some((timed.cold, timed.baseline_cold));
    }

    print_table(&rows);
    if let Some((cold, hello)) = baseline {
        println!(
            "\ncold build of the generated repo = {:.0} x the hello-world cold build on this machine",
            cold.as_secs_f64() / hello.as_secs_f64()
        );
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    let width = rows.iter().map(|row| row.figure.len()).max().unwrap_or(0);
    println!(
        "\n{:width$}  {:>10}  {:>10}  {:>6}",
        "figure", "measured", "target", "ratio"
    );
    for row in rows {
        let (target, ratio) = match row.target {
            Some(target) => (
                format_duration(target),
                format!("{:.2}", row.measured.as_secs_f64() / target.as_secs_f64()),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        let over = if row.target.is_some_and(|target| row.measured > target) {
            "  over target"
        } else {
            ""
        };
        println!(
            "{:width$}  {:>10}  {:>10}  {:>6}{over}",
            row.figure,
            format_duration(row.measured),
            target,
            ratio
        );
    }
}

fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds >= 1.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{:.2} ms", seconds * 1000.0)
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `examples/*.spec`, relative to the workspace root, sorted.
fn example_specs(root: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = root.join("examples");
    let mut specs: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".spec"))
        .map(|name| Path::new("examples").join(name))
        .collect();
    specs.sort();
    Ok(specs)
}
