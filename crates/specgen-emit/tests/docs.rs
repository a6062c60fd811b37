//! The generated docs do not contradict the IR: for every example and stress case, the
//! README's "Who may" column says, for each route, exactly what `specgen explain`'s access
//! matrix says (both come from `Permissions::decide`, through different code), and the
//! README makes no stale claim about what is not generated, and its layout names only
//! files that are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use specgen_emit::{EmitOptions, emit};
use specgen_ir::{Action, App};
use specgen_lower::{MemoryLoader, compile};

/// Sentences a generated README must never hold: sign-in and access control are generated.
const STALE: &[&str] = &[
    "not generated yet",
    "every endpoint is open",
    "Do not expose this API publicly",
    "TODO",
];

#[test]
fn the_readme_access_table_is_explains_access_matrix() {
    for (name, app) in apps() {
        let readme = readme(&app);
        let matrix = explain_matrix(&specgen_explain::explain(&app));
        let callers = callers(&app);
        for entity in &app.entities {
            for action in Action::ALL {
                let who = readme_who(&readme, &entity.route, action).unwrap_or_else(|| {
                    panic!("{name}: no README row for {action:?} {}", entity.route)
                });
                let said = decisions(&app, &who);
                for caller in &callers {
                    let explained = matrix
                        .get(&(entity.name.clone(), caller.clone(), action))
                        .unwrap_or_else(|| {
                            panic!(
                                "{name}: explain has no cell for {} {caller} {action:?}",
                                entity.name
                            )
                        });
                    let readme_cell = said.get(caller).map_or("?", String::as_str);
                    assert_eq!(
                        readme_cell, explained,
                        "{name}: {} {action:?} for {caller}: the README says `{who}`, explain says `{explained}`",
                        entity.name
                    );
                }
            }
        }
    }
}

#[test]
fn the_readme_makes_no_stale_claims() {
    for (name, app) in apps() {
        let readme = readme(&app);
        for stale in STALE {
            assert!(!readme.contains(stale), "{name}: the README says `{stale}`");
        }
        let paths: Vec<String> = emitted(&app).into_iter().map(|(path, _)| path).collect();
        let layout = readme.split("## Layout").nth(1).expect("a Layout section");
        for line in layout.lines().filter(|l| l.starts_with("| `")) {
            let path = line[3..].split('`').next().unwrap_or_default();
            // `.specgen/` (manifest and merge bases) is written by `specgen build` itself.
            assert!(
                path == ".specgen/" || paths.iter().any(|p| p == path || p.starts_with(path)),
                "{name}: the README's layout names `{path}`, which is not generated"
            );
        }
        assert_eq!(
            readme.contains("## Sign-in and security"),
            app.auth.is_some(),
            "{name}: the README documents sign-in exactly when the app has it"
        );
    }
}

/// The callers `explain` lists a row for, as the matrix names them. Without sign-in only
/// the anonymous caller exists, whatever roles the app defines.
fn callers(app: &App) -> Vec<String> {
    let mut callers = vec!["anonymous".to_owned()];
    if app.auth.is_some() {
        callers.extend(app.roles.iter().map(|r| r.name.clone()));
    }
    callers
}

/// What the README's words for one route mean for each caller, in the matrix's cells
/// (`all`, `own`, `-`).
fn decisions(app: &App, who: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let deny_all = |out: &mut BTreeMap<String, String>| {
        out.insert("anonymous".to_owned(), "-".to_owned());
        for role in &app.roles {
            out.insert(role.name.clone(), "-".to_owned());
        }
    };
    deny_all(&mut out);
    match who {
        "anyone" => {
            for cell in out.values_mut() {
                *cell = "all".to_owned();
            }
        }
        "nobody" | "nobody (the app has no sign-in)" => {}
        "signed-in users" => {
            for role in &app.roles {
                out.insert(role.name.clone(), "all".to_owned());
            }
        }
        _ => {
            for part in who.split("; ") {
                let own = part
                    .split_once(": their own")
                    .or_else(|| part.split_once(": the records where they are"));
                let (roles, cell) = match own {
                    Some((roles, _)) => (roles, "own"),
                    None => (part, "all"),
                };
                // `anyone: published posts`, `the owner: posts while it is a draft`: the
                // rows that meet a condition, for these callers (people: every signed-in
                // caller the row may name).
                if let (None, Some((callers, _))) = (own, part.split_once(": ")) {
                    for caller in callers.split(", ").flat_map(|c| c.split(" or ")) {
                        let covered: Vec<String> = match caller {
                            "anyone" => callers_of(app, true),
                            "signed-in users" => callers_of(app, false),
                            _ => match app.roles.iter().find(|r| r.plural == caller) {
                                Some(role) => vec![role.name.clone()],
                                None => callers_of(app, false),
                            },
                        };
                        for name in covered {
                            let cell = out.entry(name).or_default();
                            if cell != "all" {
                                *cell = "rows".to_owned();
                            }
                        }
                    }
                    continue;
                }
                for plural in roles.split(", ") {
                    let role = app
                        .roles
                        .iter()
                        .find(|r| r.plural == plural)
                        .unwrap_or_else(|| panic!("`{plural}` in `{who}` is not a role"));
                    out.insert(role.name.clone(), cell.to_owned());
                }
            }
        }
    }
    out
}

/// The anonymous caller (when `anonymous`) and every role, as the matrix names them.
fn callers_of(app: &App, anonymous: bool) -> Vec<String> {
    let mut callers: Vec<String> = app.roles.iter().map(|r| r.name.clone()).collect();
    if anonymous {
        callers.insert(0, "anonymous".to_owned());
    }
    callers
}

/// The "Who may" cell of the README's API table for `action` on the resource at `route`.
fn readme_who(readme: &str, route: &str, action: Action) -> Option<String> {
    let (method, path) = match action {
        Action::List => ("GET", route.to_owned()),
        Action::Create => ("POST", route.to_owned()),
        Action::Read => ("GET", format!("{route}/{{id}}")),
        Action::Update => ("PATCH", format!("{route}/{{id}}")),
        Action::Delete => ("DELETE", format!("{route}/{{id}}")),
    };
    let start = format!("| `{method}` | `{path}` |");
    let line = readme.lines().find(|l| l.starts_with(&start))?;
    let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
    cells.last().map(|c| c.trim().to_owned())
}

/// `explain`'s access matrix: (entity, caller, action) -> `all`, `own` or `-`.
fn explain_matrix(text: &str) -> BTreeMap<(String, String, Action), String> {
    let mut out = BTreeMap::new();
    let Some((_, rest)) = text.split_once("Access matrix") else {
        panic!("explain prints no access matrix");
    };
    let mut entity = String::new();
    for line in rest.lines().skip(1) {
        if line.trim().is_empty() {
            break;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("    ") && words.len() == 6 && words[0] != "list" {
            for (action, cell) in Action::ALL.iter().zip(&words[1..]) {
                out.insert(
                    (entity.clone(), words[0].to_owned(), *action),
                    (*cell).to_owned(),
                );
            }
        } else if words.len() == 1 {
            entity = words[0].to_owned();
        }
    }
    out
}

/// Every generated file: (path, contents).
fn emitted(app: &App) -> Vec<(String, String)> {
    let options = EmitOptions {
        specgen_version: "0.1.0".to_owned(),
    };
    emit(app, &options)
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect()
}

fn readme(app: &App) -> String {
    emitted(app)
        .into_iter()
        .find(|(path, _)| path == "README.md")
        .expect("a README")
        .1
}

/// Every example, stress case and end-to-end corpus spec, compiled.
fn apps() -> Vec<(String, App)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        manifest.join("../../examples"),
        manifest.join("tests/cases"),
        manifest.join("../../tests/e2e/specs"),
    ] {
        let mut files = BTreeMap::new();
        collect(&dir, &dir, &mut files);
        let mut roots: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("a readable folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "spec"))
            .collect();
        roots.sort();
        for root in roots {
            let name = root
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a name")
                .to_owned();
            let compiled = compile(&name, &MemoryLoader(files.clone()));
            let app = compiled
                .app
                .unwrap_or_else(|| panic!("{name}: {:#?}", compiled.diagnostics));
            out.push((name, app));
        }
    }
    out
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|x| x == "spec") {
            let key = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(key, std::fs::read_to_string(&path).expect("a spec"));
        }
    }
}
