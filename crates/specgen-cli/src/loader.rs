//! Reading spec files from disk for `specgen-lower`.

use std::path::Path;

/// Loads specs and their `include:`s from the file system. Included paths are relative to
/// the including file's folder.
pub struct FsLoader;

impl specgen_lower::Loader for FsLoader {
    fn load(&self, path: &str, from: Option<&str>) -> Result<(String, String), String> {
        let resolved = match from.and_then(|f| Path::new(f).parent()) {
            Some(dir) if !Path::new(path).is_absolute() => dir.join(path),
            _ => Path::new(path).to_path_buf(),
        };
        let display = resolved.to_string_lossy().into_owned();
        match std::fs::read_to_string(&resolved) {
            Ok(text) => Ok((display, text)),
            Err(err) => Err(format!("cannot read `{display}`: {err}")),
        }
    }
}
