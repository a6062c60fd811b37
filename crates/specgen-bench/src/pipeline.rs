//! Timing specgen's in-process pipeline: `specgen_lower::compile`, then `specgen_emit::emit`
//! (a first build), or `specgen_emit::plan` and `specgen_emit::emit_planned` over the history
//! an earlier build left (a rebuild that writes a migration). No file is written; what is
//! timed is what `specgen build` does before it touches the disk.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use specgen_diagnostics::render;
use specgen_emit::{EmitOptions, History, OutputFile, SCHEMA_RECORD};

/// Runs of the pipeline per figure, after one warm-up run; the median is reported.
const RUNS: usize = 21;

pub struct Timed {
    /// The median of [`RUNS`] runs.
    pub median: Duration,
    /// What the pipeline produced (identical on every run).
    pub files: Vec<OutputFile>,
}

/// Times the pipeline on `spec` (relative to `root`, as a user would type it). Files are
/// read from disk once, in the warm-up run, and then served from memory: the figure is the
/// compiler's, not the disk's.
pub fn time_file(root: &Path, spec: &Path) -> Result<Timed, String> {
    let loader = CachingLoader::new(root);
    time(&loader, &spec.to_string_lossy())
}

/// Times the pipeline on a spec given as text, named `name`.
pub fn time_text(root: &Path, name: &str, text: &str) -> Result<Timed, String> {
    let loader = CachingLoader::new(root);
    loader
        .cache
        .borrow_mut()
        .insert(root.join(name), text.to_owned());
    time(&loader, name)
}

/// Times a rebuild from `new`, a changed version of the spec `old` whose first build the
/// repo holds: compiling, planning the migration (diffing both databases' schemas) and
/// emitting every file. Fails unless the rebuild writes a migration.
pub fn time_rebuild(root: &Path, name: &str, old: &str, new: &str) -> Result<Timed, String> {
    let loader = CachingLoader::new(root);
    loader
        .cache
        .borrow_mut()
        .insert(root.join(name), old.to_owned());
    let mut history = History::default();
    for file in run_once(&loader, name, None)? {
        if file.path == SCHEMA_RECORD {
            history.schema_json = file.contents;
        } else if file.path.starts_with("migrations/") && file.path.ends_with(".sql") {
            history.last_version = 1;
            history.migrations.push((file.path, file.contents));
        }
    }
    loader
        .cache
        .borrow_mut()
        .insert(root.join(name), new.to_owned());
    let timed = time_with(&loader, name, Some(&history))?;
    if !timed
        .files
        .iter()
        .any(|f| f.path.starts_with("migrations/sqlite/0002_"))
    {
        return Err(format!("the changed {name} wrote no migration"));
    }
    Ok(timed)
}

fn time(loader: &CachingLoader, spec: &str) -> Result<Timed, String> {
    time_with(loader, spec, None)
}

fn time_with(
    loader: &CachingLoader,
    spec: &str,
    history: Option<&History>,
) -> Result<Timed, String> {
    let files = run_once(loader, spec, history)?;
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let files = run_once(loader, spec, history);
            let took = started.elapsed();
            drop(files);
            took
        })
        .collect();
    runs.sort();
    Ok(Timed {
        median: runs[RUNS / 2],
        files,
    })
}

/// One `specgen build` minus the writing; an error lists the spec's diagnostics.
fn run_once(
    loader: &CachingLoader,
    spec: &str,
    history: Option<&History>,
) -> Result<Vec<OutputFile>, String> {
    let compiled = specgen_lower::compile(spec, loader);
    let app = match compiled.app {
        Some(app) if !compiled.diagnostics.iter().any(|d| d.is_error()) => app,
        _ => {
            let text = render::human(&compiled.sources, &compiled.diagnostics, false);
            return Err(format!("{spec} does not compile:\n{text}"));
        }
    };
    let options = EmitOptions {
        specgen_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let plan = specgen_emit::plan(&app, &options, history).map_err(|e| e.to_string())?;
    if !plan.refusals.is_empty() {
        let text = render::human(&compiled.sources, &plan.refusals, false);
        return Err(format!("{spec}: the schema change is refused:\n{text}"));
    }
    Ok(specgen_emit::emit_planned(&app, &options, &plan))
}

/// Reads spec files like `specgen build` does (includes relative to the including file,
/// the root spec relative to the working directory, here `root`) and keeps them in memory.
struct CachingLoader {
    root: PathBuf,
    cache: RefCell<BTreeMap<PathBuf, String>>,
}

impl CachingLoader {
    fn new(root: &Path) -> CachingLoader {
        CachingLoader {
            root: root.to_owned(),
            cache: RefCell::default(),
        }
    }
}

impl specgen_lower::Loader for CachingLoader {
    fn load(&self, path: &str, from: Option<&str>) -> Result<(String, String), String> {
        let relative = match from.and_then(|from| Path::new(from).parent()) {
            Some(dir) if !Path::new(path).is_absolute() => dir.join(path),
            _ => PathBuf::from(path),
        };
        let display = relative.to_string_lossy().into_owned();
        let absolute = self.root.join(&relative);
        let mut cache = self.cache.borrow_mut();
        if let Some(text) = cache.get(&absolute) {
            return Ok((display, text.clone()));
        }
        let text =
            fs::read_to_string(&absolute).map_err(|e| format!("cannot read `{display}`: {e}"))?;
        cache.insert(absolute, text.clone());
        Ok((display, text))
    }
}
