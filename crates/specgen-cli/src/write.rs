//! Writing a generated repository to disk without ever losing a developer's work.
//!
//! The output folder holds `.specgen/manifest.json`, every file specgen wrote with the
//! SHA-256 of the contents it wrote, and `.specgen/base/<path>`, a copy of those contents for
//! every generated file: the **base** a later build merges against. A build first plans
//! every file (see [`crate::merge`] for one generated file's cases), then writes:
//!
//! - a generated file that is missing, not edited since specgen wrote it, or already
//!   identical is (re)written;
//! - a generated file the developer edited gets specgen's changes merged in, line by line,
//!   against its base; where both changed the same lines it is written with git-style
//!   conflict markers, the manifest records it as conflicted and the build fails (exit 1)
//!   naming the line of each conflict. Until the markers are resolved the file is left
//!   alone; once resolved, it merges against the base of the build that wrote the markers;
//! - a file that exists but was never written by specgen, or an edited one whose base is
//!   lost, stops the build before anything is written;
//! - `--force` instead replaces every edited or foreign file with specgen's version, after
//!   copying it to `FILE.orig` (or `FILE.orig.2`, ... when that is taken by something else);
//! - a developer-owned file (hooks) is created once and never touched again;
//! - a file specgen generated before but no longer generates is removed only if it is
//!   unchanged; an edited one is kept and reported.
//!
//! Each file is written to a temporary sibling and renamed into place; working files first,
//! then their bases, then the manifest, so an interrupted build leaves every file either old
//! or new, never torn, and the next build picks up where it stopped (a base that already
//! holds the new version is recognised as such).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use specgen_emit::{OutputFile, Ownership};

use crate::merge::{self, Base, Decision, RefuseReason};

/// Where the manifest lives inside the output folder.
pub const MANIFEST_PATH: &str = ".specgen/manifest.json";

/// Where the base of each generated file lives inside the output folder: what specgen wrote
/// last time, at `BASE_DIR/<path>`.
pub const BASE_DIR: &str = ".specgen/base";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of specgen that wrote the folder.
    pub specgen_version: String,
    /// Every file specgen wrote, by relative path.
    pub files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestEntry {
    /// SHA-256 (hex) of the contents specgen wrote (for generated files, also its base).
    pub sha256: String,
    /// `generated` (rewritten by each build) or `user_owned` (created once).
    pub ownership: String,
    /// The last build wrote the file with conflict markers that were not resolved since.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub conflicted: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Replace hand-edited generated files with specgen's version instead of merging, backing
    /// each up to `FILE.orig` first.
    pub force: bool,
    /// Plan and report only; write nothing.
    pub dry_run: bool,
}

/// What a build did or would do to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Missing: written.
    Create,
    /// Not edited since specgen wrote it: replaced by the new version.
    Update,
    /// Already what specgen writes.
    Unchanged,
    /// Edited: specgen's changes were merged into the edits.
    Merge,
    /// Edited where specgen changed it too: written with conflict markers at these lines.
    Conflict(Vec<usize>),
    /// Still holds conflict markers (at these lines) from an earlier build: left alone.
    Unresolved(Vec<usize>),
    /// Left as it is.
    Keep(Kept),
    /// A previously generated file that is no longer generated and was not edited.
    Remove,
    /// Exists and cannot be merged into: the build stops before writing anything.
    Refuse(RefuseReason),
    /// `--force`: replaced by specgen's version after copying it to this path.
    Overwrite { backup: String },
}

/// Why a file was left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Edited, and specgen's version did not change since.
    Edited,
    /// Developer-owned and already there.
    Owned,
    /// No longer generated, but edited.
    Stale,
}

impl Action {
    /// The one-word outcome printed by `build --dry-run`.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Unchanged => "unchanged",
            Action::Merge => "merged",
            Action::Conflict(_) | Action::Unresolved(_) => "conflict",
            Action::Keep(_) => "kept",
            Action::Remove => "removed",
            Action::Refuse(_) => "refused",
            Action::Overwrite { .. } => "overwritten",
        }
    }

    fn detail(&self) -> String {
        match self {
            Action::Conflict(lines) => format!("conflicts at line {}", join_lines(lines)),
            Action::Unresolved(lines) => format!(
                "unresolved conflict markers from an earlier build at line {}; left as it is",
                join_lines(lines)
            ),
            Action::Keep(Kept::Edited) => "your edits; specgen's version did not change".into(),
            Action::Keep(Kept::Owned) => "developer-owned".into(),
            Action::Keep(Kept::Stale) => "no longer generated, but edited".into(),
            Action::Merge => "your edits and specgen's changes".into(),
            Action::Refuse(reason) => reason.to_string(),
            Action::Overwrite { backup } => format!("your version is in {backup}"),
            _ => String::new(),
        }
    }
}

fn join_lines(lines: &[usize]) -> String {
    let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
    lines.join(", ")
}

#[derive(Debug)]
pub struct Report {
    pub actions: Vec<(String, Action)>,
    /// True when files specgen must not touch stopped the build before anything was written.
    pub stopped: bool,
    /// True when nothing was written because this was a dry run.
    pub dry_run: bool,
}

impl Report {
    /// The build left work for the developer: it stopped, or files hold conflict markers.
    pub fn failed(&self) -> bool {
        self.stopped || self.conflicts().next().is_some()
    }

    fn conflicts(&self) -> impl Iterator<Item = (&str, &[usize], bool)> {
        self.actions
            .iter()
            .filter_map(|(path, action)| match action {
                Action::Conflict(lines) => Some((path.as_str(), lines.as_slice(), true)),
                Action::Unresolved(lines) => Some((path.as_str(), lines.as_slice(), false)),
                _ => None,
            })
    }

    fn count(&self, pred: impl Fn(&Action) -> bool) -> usize {
        self.actions.iter().filter(|(_, a)| pred(a)).count()
    }

    pub fn print(&self, out: &Path) {
        if self.dry_run {
            for (path, action) in &self.actions {
                match action.detail() {
                    detail if detail.is_empty() => println!("{:<11} {path}", action.label()),
                    detail => println!("{:<11} {path} ({detail})", action.label()),
                }
            }
        }
        if self.stopped {
            eprintln!(
                "error: {}not writing {}: these files would be overwritten and specgen never destroys edits",
                if self.dry_run { "dry run: " } else { "" },
                out.display()
            );
            for (path, action) in &self.actions {
                if let Action::Refuse(reason) = action {
                    eprintln!("  {path}: {reason}");
                }
            }
            eprintln!(
                "hint: move custom code into src/hooks/ (never overwritten), or rerun with --force to overwrite; each overwritten file is first copied to FILE.orig"
            );
            return;
        }
        if !self.dry_run {
            for (path, action) in &self.actions {
                match action {
                    Action::Merge => println!("merged {path}: your edits and specgen's changes"),
                    Action::Keep(Kept::Stale) => eprintln!(
                        "warning: {path} is no longer generated but was edited, so it was kept; delete it when done"
                    ),
                    Action::Overwrite { backup } => eprintln!(
                        "warning: overwrote {path} with specgen's version; yours is in {backup}"
                    ),
                    _ => {}
                }
            }
        }
        let files = self
            .conflicts()
            .map(|(path, _, _)| path)
            .collect::<BTreeSet<_>>()
            .len();
        if files > 0 {
            let verb = match (self.dry_run, files) {
                (true, _) => "would have",
                (false, 1) => "has",
                (false, _) => "have",
            };
            eprintln!(
                "error: {files} file{} {verb} conflicts: your edits and specgen's changes touch the same lines",
                if files == 1 { "" } else { "s" },
            );
            for (path, lines, new) in self.conflicts() {
                for line in lines {
                    if new {
                        eprintln!("  {path}:{line}: conflict");
                    } else {
                        eprintln!("  {path}:{line}: unresolved conflict marker (left as it is)");
                    }
                }
            }
            eprintln!(
                "hint: in each conflict keep what should stay of `<<<<<<< yours (edited)` and `>>>>>>> specgen (new)` and delete the marker lines, then run `specgen build` again (`specgen check` fails until then)"
            );
        }
        let counts = [
            self.count(|a| *a == Action::Create),
            self.count(|a| *a == Action::Update || matches!(a, Action::Overwrite { .. })),
            self.count(|a| *a == Action::Merge),
            self.count(|a| matches!(a, Action::Conflict(_) | Action::Unresolved(_))),
            self.count(|a| *a == Action::Unchanged),
            self.count(|a| matches!(a, Action::Keep(_))),
            self.count(|a| *a == Action::Remove),
        ];
        let [
            created,
            updated,
            merged,
            conflicted,
            unchanged,
            kept,
            removed,
        ] = counts;
        if self.dry_run {
            println!(
                "dry run, nothing written to {}: {created} to create, {updated} to update, {merged} to merge, {conflicted} with conflicts, {unchanged} unchanged, {kept} kept, {removed} to remove",
                out.display()
            );
        } else {
            println!(
                "generated {}: {created} created, {updated} updated, {merged} merged, {conflicted} with conflicts, {unchanged} unchanged, {kept} kept, {removed} removed",
                out.display()
            );
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn ownership_str(o: Ownership) -> &'static str {
    match o {
        Ownership::Generated => "generated",
        Ownership::UserOwned => "user_owned",
    }
}

/// Reject output paths that could escape the output folder.
fn checked_join(root: &Path, rel: &str) -> Result<PathBuf> {
    let p = Path::new(rel);
    let safe = !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if !safe {
        bail!("internal error: refusing to write outside the output folder: `{rel}`");
    }
    Ok(root.join(p))
}

pub(crate) fn base_path(root: &Path, rel: &str) -> Result<PathBuf> {
    Ok(root.join(BASE_DIR).join(checked_join(Path::new(""), rel)?))
}

pub(crate) fn read_manifest(root: &Path) -> Result<Manifest> {
    let path = root.join(MANIFEST_PATH);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "`{}` is not a valid specgen manifest; restore it from version control (or delete it to treat every existing file as the developer's)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

fn read_existing(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// What the build does to one path.
struct Step {
    path: String,
    action: Action,
    /// The working file's new contents, when the build writes it.
    write: Option<String>,
    /// The path's manifest entry after the build; `None` drops it.
    entry: Option<ManifestEntry>,
    /// The path's base after the build: `Some(text)` to hold, `None` to be left as it is.
    base: Option<String>,
    /// The base on disk is not `base` yet.
    base_stale: bool,
}

/// Every path's step, and the bases of paths that leave the manifest.
struct Plan {
    steps: Vec<Step>,
    drop_bases: Vec<String>,
}

/// Decide what to do with every path, touching nothing.
fn plan(root: &Path, files: &[OutputFile], manifest: &Manifest, force: bool) -> Result<Plan> {
    let mut steps = Vec::new();
    for file in files {
        let disk = read_existing(&checked_join(root, &file.path)?)?;
        let old = manifest.files.get(&file.path);
        let theirs = &file.contents;
        if file.ownership == Ownership::UserOwned {
            let (action, write) = match disk {
                Some(_) => (Action::Keep(Kept::Owned), None),
                None => (Action::Create, Some(theirs.clone())),
            };
            // Developer-owned files keep the hash specgen first wrote, if it wrote one.
            let sha256 = match (&action, old) {
                (Action::Keep(_), Some(old)) => old.sha256.clone(),
                _ => sha256_hex(theirs.as_bytes()),
            };
            steps.push(Step {
                path: file.path.clone(),
                action,
                write,
                entry: Some(ManifestEntry {
                    sha256,
                    ownership: ownership_str(file.ownership).into(),
                    conflicted: false,
                }),
                base: None,
                base_stale: false,
            });
            continue;
        }

        let base_on_disk = match old {
            Some(_) => read_existing(&base_path(root, &file.path)?)?,
            None => None,
        };
        // A base counts when it is what the manifest says specgen wrote, or when it already
        // holds this build's version (a build interrupted after writing bases).
        let base_text = base_on_disk
            .as_deref()
            .filter(|bytes| {
                old.is_some_and(|old| sha256_hex(bytes) == old.sha256)
                    || *bytes == theirs.as_bytes()
            })
            .and_then(|bytes| std::str::from_utf8(bytes).ok());
        let base = match (old, base_text) {
            (None, _) => Base::Never,
            (Some(_), Some(text)) => Base::Text(text),
            (Some(old), None) => Base::HashOnly(&old.sha256),
        };
        let decision = merge::decide(base, disk.as_deref(), theirs);
        let mut entry = ManifestEntry {
            sha256: sha256_hex(theirs.as_bytes()),
            ownership: ownership_str(file.ownership).into(),
            conflicted: false,
        };
        let mut new_base = Some(theirs.clone());
        let (action, write) = match decision {
            Decision::Create => (Action::Create, Some(theirs.clone())),
            Decision::Update => (Action::Update, Some(theirs.clone())),
            Decision::Unchanged => (Action::Unchanged, None),
            Decision::Keep if !force => (Action::Keep(Kept::Edited), None),
            Decision::Merge(merged) if !force => (Action::Merge, Some(merged)),
            Decision::Conflict(text, lines) if !force => {
                entry.conflicted = true;
                (Action::Conflict(lines), Some(text))
            }
            Decision::Unresolved(lines) if !force => {
                // The markers were made against the base on disk: keep it, so that the
                // resolved file merges against it.
                new_base = None;
                entry = ManifestEntry {
                    sha256: base_text.map_or_else(
                        || old.map(|old| old.sha256.clone()).unwrap_or_default(),
                        |text| sha256_hex(text.as_bytes()),
                    ),
                    conflicted: true,
                    ..entry
                };
                (Action::Unresolved(lines), None)
            }
            Decision::Refuse(reason) if !force => {
                new_base = None;
                (Action::Refuse(reason), None)
            }
            Decision::Keep
            | Decision::Merge(_)
            | Decision::Conflict(..)
            | Decision::Unresolved(_)
            | Decision::Refuse(_) => {
                let backup = backup_path(root, &file.path, disk.as_deref().unwrap_or_default())?;
                (Action::Overwrite { backup }, Some(theirs.clone()))
            }
        };
        let base_stale = new_base
            .as_ref()
            .is_some_and(|new| base_on_disk.as_deref() != Some(new.as_bytes()));
        steps.push(Step {
            path: file.path.clone(),
            action,
            write,
            entry: Some(entry),
            base: new_base,
            base_stale,
        });
    }

    let new_paths: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut drop_bases = Vec::new();
    for (path, entry) in &manifest.files {
        if new_paths.contains(path.as_str()) || entry.ownership != "generated" {
            continue;
        }
        drop_bases.push(path.clone());
        if let Some(bytes) = read_existing(&checked_join(root, path)?)? {
            let action = if sha256_hex(&bytes) == entry.sha256 {
                Action::Remove
            } else {
                Action::Keep(Kept::Stale)
            };
            steps.push(Step {
                path: path.clone(),
                action,
                write: None,
                entry: None,
                base: None,
                base_stale: false,
            });
        }
    }
    Ok(Plan { steps, drop_bases })
}

/// `FILE.orig`, or the first of `FILE.orig.2`, `FILE.orig.3`, ... that is free or already
/// holds `contents`, so that a backup never replaces an earlier one.
fn backup_path(root: &Path, rel: &str, contents: &[u8]) -> Result<String> {
    for n in 1.. {
        let candidate = match n {
            1 => format!("{rel}.orig"),
            n => format!("{rel}.orig.{n}"),
        };
        match read_existing(&checked_join(root, &candidate)?)? {
            Some(existing) if existing != contents => continue,
            _ => return Ok(candidate),
        }
    }
    unreachable!("some backup name is free")
}

/// Write `files` into `root` following the rules in the module docs.
pub fn build(root: &Path, files: &[OutputFile], options: BuildOptions) -> Result<Report> {
    if root.exists() && !root.is_dir() {
        bail!("output `{}` exists and is not a folder", root.display());
    }
    let manifest = read_manifest(root)?;
    let plan = plan(root, files, &manifest, options.force)?;
    let report = Report {
        actions: plan
            .steps
            .iter()
            .map(|step| (step.path.clone(), step.action.clone()))
            .collect(),
        stopped: plan
            .steps
            .iter()
            .any(|step| matches!(step.action, Action::Refuse(_))),
        dry_run: options.dry_run,
    };
    if report.stopped || options.dry_run {
        return Ok(report);
    }

    for step in &plan.steps {
        let target = checked_join(root, &step.path)?;
        if let Action::Overwrite { backup } = &step.action {
            let backup = checked_join(root, backup)?;
            std::fs::copy(&target, &backup).with_context(|| {
                format!(
                    "cannot back up `{}` to `{}`",
                    target.display(),
                    backup.display()
                )
            })?;
        }
        if let Some(contents) = &step.write {
            atomic_write(&target, contents.as_bytes())?;
        }
        if step.action == Action::Remove {
            std::fs::remove_file(&target)
                .with_context(|| format!("cannot remove stale `{}`", target.display()))?;
        }
    }
    for step in &plan.steps {
        if let (Some(base), true) = (&step.base, step.base_stale) {
            atomic_write(&base_path(root, &step.path)?, base.as_bytes())?;
        }
    }
    for path in &plan.drop_bases {
        let base = base_path(root, path)?;
        match std::fs::remove_file(&base) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove `{}`", base.display()));
            }
            _ => {}
        }
    }
    let new_manifest = Manifest {
        specgen_version: env!("CARGO_PKG_VERSION").to_string(),
        files: plan
            .steps
            .iter()
            .filter_map(|step| Some((step.path.clone(), step.entry.clone()?)))
            .collect(),
    };
    let text = serde_json::to_string_pretty(&new_manifest)? + "\n";
    atomic_write(&root.join(MANIFEST_PATH), text.as_bytes())?;
    Ok(report)
}

/// Differences between the folder and what a build would write, one line each; empty when
/// up to date. Edits that a build would keep as they are (specgen's version did not change)
/// are not differences; conflict markers left in a generated file are. Developer-owned files
/// only count when missing.
pub fn check(root: &Path, files: &[OutputFile]) -> Result<Vec<String>> {
    if !root.is_dir() {
        bail!(
            "output folder `{}` does not exist; run `specgen build` first",
            root.display()
        );
    }
    let manifest = read_manifest(root)?;
    let plan = plan(root, files, &manifest, false)?;
    let mut drift = Vec::new();
    let mut stale_bases = 0;
    for step in &plan.steps {
        let path = &step.path;
        match &step.action {
            Action::Create => drift.push(format!("{path}: missing")),
            Action::Update => drift.push(format!("{path}: out of date")),
            Action::Merge => drift.push(format!(
                "{path}: out of date (build would merge specgen's changes into your edits)"
            )),
            Action::Conflict(lines) => drift.push(format!(
                "{path}: out of date (build would conflict with your edits at line {})",
                join_lines(lines)
            )),
            Action::Unresolved(lines) => drift.extend(
                lines
                    .iter()
                    .map(|line| format!("{path}:{line}: unresolved conflict marker")),
            ),
            Action::Refuse(reason) => drift.push(format!("{path}: differs ({reason})")),
            Action::Remove | Action::Keep(Kept::Stale) => {
                drift.push(format!("{path}: no longer generated"))
            }
            Action::Unchanged | Action::Keep(_) => stale_bases += usize::from(step.base_stale),
            Action::Overwrite { .. } => unreachable!("check plans without --force"),
        }
    }
    if stale_bases > 0 {
        drift.push(format!(
            "{BASE_DIR}/: {stale_bases} merge base{} missing or out of date",
            if stale_bases == 1 { "" } else { "s" }
        ));
    }
    Ok(drift)
}

/// Create a new file, refusing to replace an existing one.
pub fn write_new_file(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    f.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// Write via a temporary sibling and rename, so a crash never leaves a torn file.
fn atomic_write(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().context("output path has no parent folder")?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder `{}`", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.specgen-tmp"));
    std::fs::write(&tmp, contents).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move `{}` into place", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen_file(path: &str, contents: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
            ownership: Ownership::Generated,
        }
    }

    fn owned(path: &str, contents: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
            ownership: Ownership::UserOwned,
        }
    }

    fn run(dir: &Path, files: &[OutputFile]) -> Report {
        build(dir, files, BuildOptions::default()).unwrap()
    }

    fn read(dir: &Path, path: &str) -> String {
        std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn write(dir: &Path, path: &str, contents: &str) {
        std::fs::write(dir.join(path), contents).unwrap();
    }

    fn action<'a>(report: &'a Report, path: &str) -> &'a Action {
        &report.actions.iter().find(|(p, _)| p == path).unwrap().1
    }

    /// Every file under `dir`, with its bytes.
    fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
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
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    #[test]
    fn first_build_creates_files_bases_and_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let report = run(
            dir.path(),
            &[gen_file("src/a.rs", "a"), owned("src/hooks.rs", "h")],
        );
        assert!(!report.failed());
        assert_eq!(read(dir.path(), "src/a.rs"), "a");
        assert_eq!(read(dir.path(), ".specgen/base/src/a.rs"), "a");
        assert!(
            !dir.path().join(".specgen/base/src/hooks.rs").exists(),
            "developer-owned files are never merged, so they have no base"
        );
        let manifest = read_manifest(dir.path()).unwrap();
        assert_eq!(manifest.files["src/a.rs"].sha256, sha256_hex(b"a"));
        assert_eq!(manifest.files["src/hooks.rs"].ownership, "user_owned");
    }

    #[test]
    fn unedited_generated_files_are_updated_and_owned_files_kept() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("a.rs", "v1"), owned("h.rs", "h1")]);
        write(dir.path(), "h.rs", "my hook");
        let report = run(dir.path(), &[gen_file("a.rs", "v2"), owned("h.rs", "h2")]);
        assert!(!report.failed());
        assert_eq!(read(dir.path(), "a.rs"), "v2");
        assert_eq!(read(dir.path(), ".specgen/base/a.rs"), "v2");
        assert_eq!(read(dir.path(), "h.rs"), "my hook");
    }

    #[test]
    fn edited_generated_file_gets_specgen_changes_merged_in() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("a.rs", "a\nb\nc\n")]);
        write(dir.path(), "a.rs", "mine\na\nb\nc\n");
        let report = run(dir.path(), &[gen_file("a.rs", "a\nb\nc\nnew\n")]);
        assert!(!report.failed());
        assert_eq!(*action(&report, "a.rs"), Action::Merge);
        assert_eq!(read(dir.path(), "a.rs"), "mine\na\nb\nc\nnew\n");
        assert_eq!(read(dir.path(), ".specgen/base/a.rs"), "a\nb\nc\nnew\n");

        // Rebuilding with nothing new keeps the merged file as it is.
        let again = run(dir.path(), &[gen_file("a.rs", "a\nb\nc\nnew\n")]);
        assert_eq!(*action(&again, "a.rs"), Action::Keep(Kept::Edited));
        assert_eq!(read(dir.path(), "a.rs"), "mine\na\nb\nc\nnew\n");
    }

    #[test]
    fn conflicts_are_marked_recorded_and_left_alone_until_resolved() {
        let dir = tempfile::tempdir().unwrap();
        run(
            dir.path(),
            &[gen_file("a.rs", "a\nb\nc\n"), gen_file("b.rs", "b1\n")],
        );
        write(dir.path(), "a.rs", "a\nmine\nc\n");
        let report = run(
            dir.path(),
            &[gen_file("a.rs", "a\nnew\nc\n"), gen_file("b.rs", "b2\n")],
        );
        assert!(report.failed());
        assert_eq!(*action(&report, "a.rs"), Action::Conflict(vec![2]));
        let marked = read(dir.path(), "a.rs");
        assert_eq!(
            marked,
            "a\n<<<<<<< yours (edited)\nmine\n||||||| base\nb\n=======\nnew\n>>>>>>> specgen (new)\nc\n"
        );
        assert_eq!(read(dir.path(), "b.rs"), "b2\n", "other files are written");
        assert!(read_manifest(dir.path()).unwrap().files["a.rs"].conflicted);
        assert_eq!(read(dir.path(), ".specgen/base/a.rs"), "a\nnew\nc\n");
        let drift = check(
            dir.path(),
            &[gen_file("a.rs", "a\nnew\nc\n"), gen_file("b.rs", "b2\n")],
        );
        assert_eq!(drift.unwrap(), ["a.rs:2: unresolved conflict marker"]);

        // A rebuild before the markers are resolved leaves the file and its base alone,
        // even when specgen has something newer.
        let report = run(dir.path(), &[gen_file("a.rs", "a\nnewer\nc\nd\n")]);
        assert!(report.failed());
        assert_eq!(*action(&report, "a.rs"), Action::Unresolved(vec![2]));
        assert_eq!(read(dir.path(), "a.rs"), marked);
        assert_eq!(read(dir.path(), ".specgen/base/a.rs"), "a\nnew\nc\n");

        // Resolved: the next build merges the resolution against the base of the build
        // that wrote the markers, so the resolution stays and the newer change comes in.
        write(dir.path(), "a.rs", "a\nmine and new\nc\n");
        let report = run(dir.path(), &[gen_file("a.rs", "a\nnew\nc\nd\n")]);
        assert!(!report.failed());
        assert_eq!(*action(&report, "a.rs"), Action::Merge);
        assert_eq!(read(dir.path(), "a.rs"), "a\nmine and new\nc\nd\n");
        assert!(!read_manifest(dir.path()).unwrap().files["a.rs"].conflicted);
        assert!(
            check(dir.path(), &[gen_file("a.rs", "a\nnew\nc\nd\n")])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn force_takes_specgen_version_and_backs_edits_up_without_replacing_backups() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("a.rs", "v1\n")]);
        write(dir.path(), "a.rs", "first edit\n");
        let force = BuildOptions {
            force: true,
            ..BuildOptions::default()
        };
        build(dir.path(), &[gen_file("a.rs", "v2\n")], force).unwrap();
        assert_eq!(read(dir.path(), "a.rs"), "v2\n");
        assert_eq!(read(dir.path(), "a.rs.orig"), "first edit\n");
        assert_eq!(read(dir.path(), ".specgen/base/a.rs"), "v2\n");

        write(dir.path(), "a.rs", "second edit\n");
        let report = build(dir.path(), &[gen_file("a.rs", "v3\n")], force).unwrap();
        assert_eq!(
            *action(&report, "a.rs"),
            Action::Overwrite {
                backup: "a.rs.orig.2".into()
            }
        );
        assert_eq!(read(dir.path(), "a.rs.orig"), "first edit\n");
        assert_eq!(read(dir.path(), "a.rs.orig.2"), "second edit\n");
    }

    #[test]
    fn foreign_files_stop_the_build_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("b.rs", "b1")]);
        write(dir.path(), "a.rs", "mine");
        write(dir.path(), "notes.txt", "keep me");
        let before = tree(dir.path());
        let report = run(
            dir.path(),
            &[gen_file("a.rs", "gen"), gen_file("b.rs", "b2")],
        );
        assert!(report.failed());
        assert_eq!(
            *action(&report, "a.rs"),
            Action::Refuse(RefuseReason::NotGeneratedBySpecgen)
        );
        assert_eq!(tree(dir.path()), before, "no partial writes");

        let report = run(dir.path(), &[gen_file("c.rs", "gen")]);
        assert!(!report.failed());
        assert_eq!(read(dir.path(), "notes.txt"), "keep me");
        assert_eq!(read(dir.path(), "a.rs"), "mine");
    }

    #[test]
    fn an_edited_file_whose_base_is_lost_stops_the_build() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("a.rs", "a\n")]);
        write(dir.path(), "a.rs", "mine\n");
        std::fs::remove_file(dir.path().join(".specgen/base/a.rs")).unwrap();
        let report = run(dir.path(), &[gen_file("a.rs", "new\n")]);
        assert!(report.stopped);
        assert_eq!(read(dir.path(), "a.rs"), "mine\n");
        // An unedited file needs no base: the manifest's hash says it is unedited.
        write(dir.path(), "a.rs", "a\n");
        let report = run(dir.path(), &[gen_file("a.rs", "new\n")]);
        assert_eq!(*action(&report, "a.rs"), Action::Update);
        assert_eq!(read(dir.path(), ".specgen/base/a.rs"), "new\n");
    }

    #[test]
    fn an_interrupted_build_is_picked_up() {
        // The working file and its base hold the new version, the manifest the old one.
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("a.rs", "a\nb\n")]);
        let manifest = read(dir.path(), MANIFEST_PATH);
        write(dir.path(), "a.rs", "mine\na\nb\n");
        run(dir.path(), &[gen_file("a.rs", "a\nb\nnew\n")]);
        write(dir.path(), MANIFEST_PATH, &manifest);

        let report = run(dir.path(), &[gen_file("a.rs", "a\nb\nnew\n")]);
        assert_eq!(*action(&report, "a.rs"), Action::Keep(Kept::Edited));
        assert_eq!(read(dir.path(), "a.rs"), "mine\na\nb\nnew\n");
    }

    #[test]
    fn dry_run_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        run(
            dir.path(),
            &[gen_file("a.rs", "a\nb\n"), gen_file("old.rs", "old")],
        );
        write(dir.path(), "a.rs", "mine\na\nb\n");
        let before = tree(dir.path());
        let dry = BuildOptions {
            dry_run: true,
            ..BuildOptions::default()
        };
        let files = [gen_file("a.rs", "a\nb\nnew\n"), gen_file("c.rs", "c")];
        let report = build(dir.path(), &files, dry).unwrap();
        assert_eq!(
            report.actions,
            [
                ("a.rs".to_string(), Action::Merge),
                ("c.rs".to_string(), Action::Create),
                ("old.rs".to_string(), Action::Remove),
            ]
        );
        assert_eq!(tree(dir.path()), before);
    }

    #[test]
    fn files_no_longer_generated_are_removed_only_when_unedited() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &[gen_file("a.rs", "a"), gen_file("b.rs", "b")]);
        write(dir.path(), "b.rs", "edited");
        let report = run(dir.path(), &[gen_file("c.rs", "c")]);
        assert!(!report.failed());
        assert!(!dir.path().join("a.rs").exists());
        assert!(!dir.path().join(".specgen/base/a.rs").exists());
        assert!(!dir.path().join(".specgen/base/b.rs").exists());
        assert_eq!(read(dir.path(), "b.rs"), "edited");
    }

    #[test]
    fn check_reports_drift_and_passes_when_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let files = [gen_file("a.rs", "a\n"), owned("h.rs", "h")];
        run(dir.path(), &files);
        assert!(check(dir.path(), &files).unwrap().is_empty());
        write(dir.path(), "h.rs", "edited hook is fine");
        assert!(check(dir.path(), &files).unwrap().is_empty());
        let changed = [gen_file("a.rs", "a2\n"), owned("h.rs", "h")];
        assert_eq!(check(dir.path(), &changed).unwrap(), ["a.rs: out of date"]);

        // An edit the build would keep as it is is no drift; one it would merge into is.
        write(dir.path(), "a.rs", "a\nmine\n");
        assert!(check(dir.path(), &files).unwrap().is_empty());
        assert_eq!(
            check(dir.path(), &changed).unwrap(),
            ["a.rs: out of date (build would conflict with your edits at line 1)"]
        );

        std::fs::remove_dir_all(dir.path().join(BASE_DIR)).unwrap();
        write(dir.path(), "a.rs", "a\n");
        assert_eq!(
            check(dir.path(), &files).unwrap(),
            [".specgen/base/: 1 merge base missing or out of date"]
        );
    }

    #[test]
    fn paths_cannot_escape_the_output_folder() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x.rs", "/etc/x", "a/../../x", ""] {
            assert!(checked_join(dir.path(), bad).is_err(), "{bad}");
            assert!(base_path(dir.path(), bad).is_err(), "{bad}");
        }
    }
}
