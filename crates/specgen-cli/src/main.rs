//! `specgen`: compile a plain-language app spec into a complete Rust backend repository.
//!
//! This crate is the only part of specgen that touches the disk or the terminal: it reads
//! spec files (through [`FsLoader`]), hands text to `specgen-lower`, the IR to
//! `specgen-emit`/`specgen-explain`, and writes output through [`write`].
//!
//! Exit codes: 0 success, 1 the spec has errors (or `check` found drift, or `build` found
//! files it must not overwrite or left conflicts to resolve), 2 usage or I/O errors.

mod history;
mod loader;
mod merge;
mod write;

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use specgen_diagnostics::{Diagnostic, SourceMap, render};

use crate::loader::FsLoader;

const EXAMPLES: &str = "\
Examples:
  specgen new bookings                      write bookings.spec, a starter spec
  specgen validate bookings.spec            check a spec; every error, with where and what to do
  specgen explain bookings.spec             what specgen understood, in plain language
  specgen build bookings.spec -o backend    generate the backend repository into ./backend
  specgen build bookings.spec -o backend --dry-run
                                            say what a rebuild would do to each file; write nothing
  specgen plan bookings.spec -o backend     say what the next migration of ./backend will do
  specgen check bookings.spec -o backend    fail if ./backend is out of date with the spec (for CI)
  specgen ir bookings.spec --format yaml    print the resolved model
  specgen completions bash > /etc/bash_completion.d/specgen";

#[derive(Parser, Debug)]
#[command(
    name = "specgen",
    version,
    about = "Compile a plain-language app spec into a complete Rust backend you own",
    after_help = EXAMPLES,
    propagate_version = true
)]
struct Cli {
    /// How to print spec diagnostics: human-readable with the source underlined, or JSON
    /// (an array of objects with file, line, column, code, message, hint) for CI and editors.
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a starter spec NAME.spec that validates and builds.
    New {
        /// App name (kebab-case is used for the file and the app).
        name: String,
        /// Where to write the spec (default: ./NAME.spec).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Check a spec and report every error in one run.
    Validate {
        file: PathBuf,
        /// Same as --message-format.
        #[arg(long, value_enum)]
        format: Option<MessageFormat>,
    },
    /// Say back what specgen understood: entities, endpoints, access matrix, rules.
    Explain { file: PathBuf },
    /// Print the resolved intermediate representation.
    Ir {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = IrFormat::Json)]
        format: IrFormat,
    },
    /// Generate the backend repository.
    ///
    /// Files specgen generated before and that were not edited since are rewritten; edited
    /// ones get specgen's changes merged in (conflicting lines are marked, git-style, and the
    /// build exits 1 listing them); files the developer owns (hooks) are created once and
    /// never touched again; any other existing file is never overwritten or deleted: the
    /// build stops and lists them.
    Build {
        file: PathBuf,
        /// Output directory (default: ./APP-NAME).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Take specgen's version of generated files that were edited by hand instead of
        /// merging. Each edited file is first copied to FILE.orig, so no edit is lost.
        #[arg(long)]
        force: bool,
        /// Print what the build would do to each file (created, updated, merged, conflict,
        /// kept, removed, unchanged) and write nothing. Exits 1 when the build would.
        #[arg(long)]
        dry_run: bool,
    },
    /// Say in plain words what the next migration will do to the repo's databases: what
    /// it changes, what data it keeps, what it checks, what it refuses and why, and what
    /// breaks a rolling deploy. Writes nothing; exits 1 when the spec's changes are refused.
    Plan {
        file: PathBuf,
        /// The generated repository (default: ./APP-NAME).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Exit 1 if the output directory differs from what `build` would write (for CI),
    /// including a schema change that no migration covers yet.
    Check {
        file: PathBuf,
        /// Output directory (default: ./APP-NAME).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum IrFormat {
    Json,
    Yaml,
}

/// Outcome of a command that ran to completion.
enum Outcome {
    Ok,
    /// The user's input has problems (spec errors, drift, conflicts); already reported.
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Outcome> {
    let format = cli.message_format;
    match cli.command {
        Command::New { name, output } => new(&name, output),
        Command::Validate { file, format: f } => {
            let format = f.unwrap_or(format);
            let Some((app, _)) = compile(&file, format)? else {
                return Ok(Outcome::Failed);
            };
            if format == MessageFormat::Human {
                let rules: usize = app.entities.iter().map(|e| e.rules.len()).sum();
                println!(
                    "ok: {}: {} entities, {} roles, {} endpoints, {} rules",
                    file.display(),
                    app.entities.len(),
                    app.roles.len(),
                    app.entities.len() * 5,
                    rules
                );
            }
            Ok(Outcome::Ok)
        }
        Command::Explain { file } => {
            let Some((app, _)) = compile(&file, format)? else {
                return Ok(Outcome::Failed);
            };
            print!("{}", specgen_explain::explain(&app));
            Ok(Outcome::Ok)
        }
        Command::Ir {
            file,
            format: ir_format,
        } => {
            let Some((app, _)) = compile(&file, format)? else {
                return Ok(Outcome::Failed);
            };
            let text = match ir_format {
                IrFormat::Json => serde_json::to_string_pretty(&app)? + "\n",
                IrFormat::Yaml => serde_norway::to_string(&app)?,
            };
            print!("{text}");
            Ok(Outcome::Ok)
        }
        Command::Build {
            file,
            output,
            force,
            dry_run,
        } => {
            let Some((app, sources)) = compile(&file, format)? else {
                return Ok(Outcome::Failed);
            };
            let out = output.unwrap_or_else(|| PathBuf::from(&app.name));
            let Some(plan) = plan(&app, &sources, &out, format)? else {
                eprintln!(
                    "error: the schema change is refused; nothing was written to {}",
                    out.display()
                );
                return Ok(Outcome::Failed);
            };
            if let Some(m) = &plan.migration {
                println!(
                    "migration {}: writes migrations/{{sqlite,postgres}}/{}.sql",
                    m.name, m.name
                );
            }
            let files = generate(&app, &plan);
            let report = write::build(&out, &files, write::BuildOptions { force, dry_run })?;
            report.print(&out);
            Ok(if report.failed() {
                Outcome::Failed
            } else {
                Outcome::Ok
            })
        }
        Command::Plan { file, output } => {
            let Some((app, sources)) = compile(&file, format)? else {
                return Ok(Outcome::Failed);
            };
            let out = output.unwrap_or_else(|| PathBuf::from(&app.name));
            let Some(plan) = plan(&app, &sources, &out, format)? else {
                return Ok(Outcome::Failed);
            };
            print!("{}", plan.text);
            Ok(Outcome::Ok)
        }
        Command::Check { file, output } => {
            let Some((app, sources)) = compile(&file, format)? else {
                return Ok(Outcome::Failed);
            };
            let out = output.unwrap_or_else(|| PathBuf::from(&app.name));
            let Some(plan) = plan(&app, &sources, &out, format)? else {
                return Ok(Outcome::Failed);
            };
            let files = generate(&app, &plan);
            let drift = write::check(&out, &files)?;
            if drift.is_empty() {
                println!("up to date: {}", out.display());
                Ok(Outcome::Ok)
            } else {
                eprintln!(
                    "error: {} is out of date with {}:",
                    out.display(),
                    file.display()
                );
                for d in &drift {
                    eprintln!("  {d}");
                }
                if let Some(m) = &plan.migration {
                    eprintln!(
                        "the spec changes the schema and no migration covers it yet: the next \
                         build writes {}; see `specgen plan {} -o {}`",
                        m.name,
                        file.display(),
                        out.display()
                    );
                }
                if drift
                    .iter()
                    .any(|d| d.ends_with("unresolved conflict marker"))
                {
                    eprintln!(
                        "hint: resolve the conflicts (keep what should stay, delete the marker lines), then run `specgen build {} -o {}`",
                        file.display(),
                        out.display()
                    );
                } else {
                    eprintln!(
                        "hint: run `specgen build {} -o {}`",
                        file.display(),
                        out.display()
                    );
                }
                Ok(Outcome::Failed)
            }
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "specgen", &mut std::io::stdout());
            Ok(Outcome::Ok)
        }
    }
}

/// Compile a spec and print its diagnostics. `Ok(None)` means the spec has errors (they
/// were printed); `Err` means the spec could not be read at all. The sources come back with
/// the app, for diagnostics found later (refused schema changes).
fn compile(file: &Path, format: MessageFormat) -> Result<Option<(specgen_ir::App, SourceMap)>> {
    let root = file
        .to_str()
        .with_context(|| format!("spec path `{}` is not valid UTF-8", file.display()))?;
    if !file.is_file() {
        anyhow::bail!("cannot read spec `{}`: no such file", file.display());
    }
    let compiled = specgen_lower::compile(root, &FsLoader);
    let has_errors = compiled.diagnostics.iter().any(|d| d.is_error());
    report(&compiled.sources, &compiled.diagnostics, format, |errors| {
        format!(
            "error: {} has {errors} error{}; nothing was generated",
            file.display(),
            if errors == 1 { "" } else { "s" }
        )
    });
    Ok(match compiled.app {
        Some(app) if !has_errors => Some((app, compiled.sources)),
        _ => None,
    })
}

/// Prints diagnostics; `summary` says what `n` errors mean (human format only).
fn report(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    format: MessageFormat,
    summary: impl Fn(usize) -> String,
) {
    match format {
        MessageFormat::Human => {
            if !diagnostics.is_empty() {
                let color =
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                let text = render::human(sources, diagnostics, color);
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(text.as_bytes());
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                if errors > 0 {
                    let _ = writeln!(err, "{}", summary(errors));
                }
            }
        }
        MessageFormat::Json => {
            // Machine-readable: diagnostics go to stdout as one JSON array, even when empty.
            println!("{}", render::json(sources, diagnostics));
        }
    }
}

fn emit_options() -> specgen_emit::EmitOptions {
    specgen_emit::EmitOptions {
        specgen_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// The migrations of a build of `app` into `out`. `Ok(None)` means the spec's schema
/// changes are refused (the diagnostics were printed); `Err` means the repo's history could
/// not be read.
fn plan(
    app: &specgen_ir::App,
    sources: &SourceMap,
    out: &Path,
    format: MessageFormat,
) -> Result<Option<specgen_emit::Plan>> {
    let history = history::read(out)?;
    let plan = specgen_emit::plan(app, &emit_options(), history.as_ref())
        .with_context(|| format!("cannot plan the next migration of `{}`", out.display()))?;
    if history.is_none() {
        adopt_unrecorded(app, out, &plan)?;
    }
    if plan.refusals.is_empty() {
        return Ok(Some(plan));
    }
    report(sources, &plan.refusals, format, |errors| {
        format!(
            "error: {errors} schema change{} of {} would lose data; say in the spec what to do",
            if errors == 1 { "" } else { "s" },
            out.display()
        )
    });
    Ok(None)
}

/// A repo whose migrations were written by a specgen that recorded no schema: the first
/// build's migrations must be exactly the ones it holds (then the schema is recorded from
/// the spec and later changes become new migrations); otherwise the spec changed since and
/// the change cannot be computed, so the build stops before rewriting a migration that may
/// have run.
fn adopt_unrecorded(app: &specgen_ir::App, out: &Path, plan: &specgen_emit::Plan) -> Result<()> {
    let written = history::unrecorded_migrations(out)?;
    if written.is_empty() {
        return Ok(());
    }
    let files = generate(app, plan);
    for (path, contents) in &written {
        let same = files
            .iter()
            .any(|f| &f.path == path && f.contents == *contents);
        if !same {
            anyhow::bail!(
                "`{}` holds `{path}` but no `{}`: it was generated by a specgen that did not \
                 record its schema, and this spec's schema differs from it, so the migration \
                 between them cannot be computed. Build it once from the spec it was generated \
                 from (for example from version control), which records the schema, then \
                 build again with the new spec",
                out.display(),
                specgen_emit::SCHEMA_RECORD
            );
        }
    }
    Ok(())
}

fn generate(app: &specgen_ir::App, plan: &specgen_emit::Plan) -> Vec<specgen_emit::OutputFile> {
    specgen_emit::emit_planned(app, &emit_options(), plan)
}

fn new(name: &str, output: Option<PathBuf>) -> Result<Outcome> {
    let app = kebab(name);
    if app.is_empty() || !app.starts_with(|c: char| c.is_ascii_alphabetic()) {
        anyhow::bail!("app name `{name}` must start with a letter (for example `studio-bookings`)");
    }
    let path = output.unwrap_or_else(|| PathBuf::from(format!("{app}.spec")));
    if path.exists() {
        anyhow::bail!(
            "`{}` already exists; choose another name or --output path",
            path.display()
        );
    }
    let title = app
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let text = STARTER
        .replace("{{app}}", &app)
        .replace("{{title}}", &title);
    write::write_new_file(&path, &text)?;
    println!("wrote {}", path.display());
    println!(
        "next: specgen explain {0}  then  specgen build {0}",
        path.display()
    );
    Ok(Outcome::Ok)
}

/// The starter spec for `specgen new`, with `{{app}}` and `{{title}}` placeholders.
const STARTER: &str = include_str!("../../../templates/new/app.spec");

fn kebab(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
