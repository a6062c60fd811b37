//! The project emitter: the crate skeleton every generated backend shares (`Cargo.toml`,
//! `build.rs`, `src/main.rs`, `src/lib.rs`, configuration, telemetry, operations, startup,
//! the database and error layers, the rules runtime and request validation) and
//! `.gitignore`.

use askama::Template;
use specgen_ir::App;

use crate::facts::text::prose_lines;
use crate::files::Files;
use crate::layout;
use crate::names;

/// Adds the crate skeleton. `default_database_url` is the SQLite URL the app uses when
/// `DATABASE_URL` is unset.
pub(crate) fn add_files(out: &mut Files, app: &App, header: &str, default_database_url: &str) {
    let has_auth = app.auth.is_some();
    let crate_name = app.crate_name.as_str();
    out.add(
        "Cargo.toml",
        &CargoToml {
            header,
            name: &app.name,
            description: &toml_str(&app.title),
            has_auth,
        },
    );
    out.add(".gitignore", &GitIgnore { header });
    out.add("build.rs", &BuildRs { header });
    out.add(
        "src/main.rs",
        &MainRs {
            header,
            name: &app.name,
            crate_name,
            has_auth,
        },
    );
    let mut hook_modules: Vec<String> = app
        .entities
        .iter()
        .map(|e| e.plural_snake.clone())
        .collect();
    hook_modules.sort();
    out.add(
        "src/lib.rs",
        &LibRs {
            header,
            title: &app.title,
            name: &app.name,
            spec_file: &app.spec_file,
            description_doc: doc_block(&app.description),
            hook_modules,
            has_auth,
        },
    );
    out.add(
        "src/config.rs",
        &ConfigRs {
            header,
            crate_name,
            default_database_url_const: layout::assign(
                0,
                "pub const DEFAULT_DATABASE_URL: Option<&str>",
                &format!("Some({})", names::rust_str(default_database_url)),
            ),
            has_auth,
        },
    );
    out.add("src/telemetry.rs", &TelemetryRs { header });
    out.add("src/ops/mod.rs", &OpsMod { header });
    out.add("src/ops/backup.rs", &OpsBackup { header });
    out.add("src/ops/metrics.rs", &OpsMetrics { header });
    out.add("src/startup.rs", &StartupRs { header, has_auth });
    out.add("src/db.rs", &DbRs { header });
    out.add("src/error.rs", &ErrorRs { header, has_auth });
    out.add("src/rules.rs", &RulesRs { header });
    out.add("src/validation.rs", &ValidationRs { header });
}

/// A TOML basic string's contents.
fn toml_str(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Prose as `//!` lines: a blank line, then each line with a leading space.
fn doc_block(text: &str) -> Vec<String> {
    let lines = prose_lines(text);
    if lines.is_empty() {
        return Vec::new();
    }
    std::iter::once(String::new())
        .chain(lines.into_iter().map(|l| format!(" {l}")))
        .collect()
}

#[derive(Template)]
#[template(path = "backend/Cargo.toml")]
struct CargoToml<'a> {
    header: &'a str,
    name: &'a str,
    description: &'a str,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/.gitignore", escape = "none")]
struct GitIgnore<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/build.rs")]
struct BuildRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/main.rs")]
struct MainRs<'a> {
    header: &'a str,
    name: &'a str,
    crate_name: &'a str,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/src/lib.rs")]
struct LibRs<'a> {
    header: &'a str,
    title: &'a str,
    name: &'a str,
    spec_file: &'a str,
    description_doc: Vec<String>,
    hook_modules: Vec<String>,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/src/config.rs")]
struct ConfigRs<'a> {
    header: &'a str,
    crate_name: &'a str,
    /// `pub const DEFAULT_DATABASE_URL: Option<&str> = Some(..);`, laid out.
    default_database_url_const: String,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/src/telemetry.rs")]
struct TelemetryRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/ops/mod.rs")]
struct OpsMod<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/ops/backup.rs")]
struct OpsBackup<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/ops/metrics.rs")]
struct OpsMetrics<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/startup.rs")]
struct StartupRs<'a> {
    header: &'a str,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/src/db.rs")]
struct DbRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/rules.rs")]
struct RulesRs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/src/error.rs")]
struct ErrorRs<'a> {
    header: &'a str,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/src/validation.rs")]
struct ValidationRs<'a> {
    header: &'a str,
}
