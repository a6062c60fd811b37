//! Writes the backend generated from a spec into a folder, for building and testing it by
//! hand: `cargo run -p specgen-emit --example generate -- examples/shop.spec /tmp/shop`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use specgen_emit::{EmitOptions, emit};
use specgen_lower::{MemoryLoader, compile};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, out] = args.as_slice() else {
        eprintln!("usage: generate <spec> <output folder>");
        return ExitCode::from(2);
    };
    let spec = Path::new(spec);
    let root = spec.parent().unwrap_or(Path::new("."));
    let mut files = BTreeMap::new();
    collect(root, root, &mut files);
    let name = spec
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let compiled = compile(name, &MemoryLoader(files));
    let Some(app) = compiled.app else {
        for diagnostic in &compiled.diagnostics {
            eprintln!("{diagnostic:?}");
        }
        return ExitCode::FAILURE;
    };
    let options = EmitOptions {
        specgen_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    for file in emit(&app, &options) {
        let path = PathBuf::from(out).join(&file.path);
        std::fs::create_dir_all(path.parent().expect("files are in a folder")).expect("mkdir");
        std::fs::write(&path, file.contents).expect("write");
    }
    ExitCode::SUCCESS
}

/// Every `.spec` file under `dir`, keyed by its path relative to `root`.
fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "spec") {
            let key = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(key, std::fs::read_to_string(&path).expect("readable spec"));
        }
    }
}
