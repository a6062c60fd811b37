//! `cargo run -p specgen-lower --example compile -- path/to/app.spec`: print the IR as
//! YAML, or the diagnostics.

use std::path::Path;

struct Disk;

impl specgen_lower::Loader for Disk {
    fn load(&self, path: &str, from: Option<&str>) -> Result<(String, String), String> {
        let full = match from.and_then(|f| Path::new(f).parent()) {
            Some(dir) => dir.join(path),
            None => Path::new(path).to_path_buf(),
        };
        let display = full.to_string_lossy().to_string();
        std::fs::read_to_string(&full)
            .map(|t| (display, t))
            .map_err(|e| e.to_string())
    }
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: compile <file.spec>");
        std::process::exit(2);
    };
    let compiled = specgen_lower::compile(&path, &Disk);
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            specgen_diagnostics::render::human(&compiled.sources, &compiled.diagnostics, false)
        );
    }
    if let Some(app) = compiled.app {
        println!("{}", serde_norway::to_string(&app).unwrap_or_default());
    } else {
        std::process::exit(1);
    }
}
