//! What a generated repo already holds of its schema's history: the schema record
//! `migrations/schema.json` and the migrations specgen wrote before, as
//! [`specgen_emit::History`] for the planner.
//!
//! Both are read from the bases in `.specgen/base/` (what specgen wrote, whatever the
//! developer did to the working copies since), falling back to the working file when a
//! base is missing. A repo with no schema record is a first build: either a new folder or
//! a repo written by a specgen from before migrations were recorded.

use std::path::Path;

use anyhow::{Context, Result};
use specgen_emit::{History, SCHEMA_RECORD};

use crate::write;

/// The migration folders, one per database.
const FOLDERS: [&str; 2] = ["migrations/sqlite", "migrations/postgres"];

/// The history of the repo at `root`, or `None` when it has no schema record.
pub fn read(root: &Path) -> Result<Option<History>> {
    let Some(schema_json) = read_generated(root, SCHEMA_RECORD)? else {
        return Ok(None);
    };
    read_with(root, schema_json).map(Some)
}

/// The migrations specgen wrote into a repo that has no schema record: a repo written by a
/// specgen from before migrations were recorded (empty for a new folder).
pub fn unrecorded_migrations(root: &Path) -> Result<Vec<(String, String)>> {
    Ok(read_with(root, String::new())?.migrations)
}

fn read_with(root: &Path, schema_json: String) -> Result<History> {
    let manifest = write::read_manifest(root)?;
    let mut history = History {
        schema_json,
        migrations: Vec::new(),
        last_version: 0,
    };
    for path in manifest.files.keys() {
        let Some(version) = migration_version(path) else {
            continue;
        };
        let Some(contents) = read_generated(root, path)? else {
            anyhow::bail!(
                "`{path}` was written by specgen and is gone, with its copy in `.specgen/base/`; \
                 restore it from version control: migrations are append-only"
            );
        };
        history.last_version = history.last_version.max(version);
        history.migrations.push((path.clone(), contents));
    }
    // Hand-written migrations count for the numbering: specgen's next one comes after them.
    for folder in FOLDERS {
        let dir = root.join(folder);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", dir.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read `{}`", dir.display()))?;
            let name = entry.file_name();
            if let Some(version) = name
                .to_str()
                .and_then(|n| migration_version(&format!("{folder}/{n}")))
            {
                history.last_version = history.last_version.max(version);
            }
        }
    }
    Ok(history)
}

/// `migrations/sqlite/0002_add_x.sql` -> 2; `None` for anything else.
fn migration_version(path: &str) -> Option<u32> {
    let name = FOLDERS
        .iter()
        .find_map(|f| path.strip_prefix(f)?.strip_prefix('/'))?;
    let stem = name.strip_suffix(".sql")?;
    let (digits, _) = stem.split_once('_')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A generated file as specgen last wrote it: its base, else the working file.
fn read_generated(root: &Path, rel: &str) -> Result<Option<String>> {
    for path in [write::base_path(root, rel)?, root.join(rel)] {
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::migration_version;

    #[test]
    fn migration_versions_come_from_the_file_name() {
        assert_eq!(
            migration_version("migrations/sqlite/0001_initial.sql"),
            Some(1)
        );
        assert_eq!(
            migration_version("migrations/postgres/0012_add_rooms_size.sql"),
            Some(12)
        );
        assert_eq!(migration_version("migrations/sqlite/README.md"), None);
        assert_eq!(migration_version("migrations/sqlite/initial.sql"), None);
        assert_eq!(migration_version("migrations/sqlite/x1_initial.sql"), None);
        assert_eq!(migration_version("src/0001_initial.sql"), None);
        assert_eq!(migration_version("migrations/sqlite/sub/0003_x.sql"), None);
    }
}
