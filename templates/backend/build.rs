// {{ header }}
//! Embeds the migrations of the database this build is for (`migrations/sqlite/` or
//! `migrations/postgres/`) into the binary, so it needs no files at run time. Adding a file
//! to the folder is enough: cargo reruns this script when the folder changes.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let database = if env::var_os("CARGO_FEATURE_POSTGRES").is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("migrations").join(database);
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable migrations folder").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();

    let mut out = String::from("&[\n");
    for path in &files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let Some((version, description)) = stem
            .split_once('_')
            .and_then(|(v, d)| Some((v.parse::<i64>().ok()?, d)))
        else {
            panic!(
                "migration file {} must be named <version>_<description>.sql, e.g. 0002_add_index.sql",
                path.display()
            );
        };
        writeln!(
            out,
            "    ({version}, {description:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push(']');

    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out_dir).join("migrations.rs"), out).expect("OUT_DIR is writable");
}
