//! Helpers shared by the tests.

use std::path::{Path, PathBuf};

use specgen_lower::{Compiled, Loader, compile, normalize_path};

/// Reads files below `base`; display paths are relative to it, so snapshots do not
/// depend on where the repository is checked out.
pub struct DiskLoader {
    pub base: PathBuf,
}

impl Loader for DiskLoader {
    fn load(&self, path: &str, from: Option<&str>) -> Result<(String, String), String> {
        let relative = match from.and_then(|f| f.rfind('/').map(|i| &f[..i])) {
            Some(dir) => format!("{dir}/{path}"),
            None => path.to_string(),
        };
        let display = normalize_path(&relative);
        std::fs::read_to_string(self.base.join(&display))
            .map(|text| (display, text))
            .map_err(|e| e.to_string())
    }
}

/// Compile a spec file from disk, naming it by its file name.
pub fn compile_file(path: &Path) -> Compiled {
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    compile(&name, &DiskLoader { base })
}

/// Compile one in-memory spec.
pub fn compile_text(text: &str) -> Compiled {
    let mut files = std::collections::BTreeMap::new();
    files.insert("app.spec".to_string(), text.to_string());
    compile("app.spec", &specgen_lower::MemoryLoader(files))
}

/// Diagnostics as the CLI prints them, without color.
pub fn render(compiled: &Compiled) -> String {
    specgen_diagnostics::render::human(&compiled.sources, &compiled.diagnostics, false)
}

/// The table tests' one check: compile `spec`; `want` is a diagnostic it must report
/// (`error[code]...`, `warning[code]...`, matched as a substring of the rendered
/// diagnostics), or what `show` says of the compiled app.
#[track_caller]
pub fn check_app(spec: &str, want: &str, show: impl Fn(&specgen_ir::App) -> String) {
    let compiled = compile_text(spec);
    let rendered = render(&compiled);
    if want.starts_with("error[") || want.starts_with("warning[") {
        assert!(
            rendered.contains(want),
            "{spec}\nexpected {want}, got\n{rendered}"
        );
        return;
    }
    let Some(app) = compiled.app else {
        panic!("{spec}\nwas refused:\n{rendered}")
    };
    assert_eq!(show(&app), want, "{spec}");
}
