//! The lowering driver: syntax trees -> IR.
//!
//! Lowering runs in passes over all files' sections: roles, entity names (a spec needs
//! one), fields (which need every entity name) and the rules written on field lines,
//! derived relations, the schema's SQL names, access lines and rules (which need every
//! field), then auth. Each pass reports what it
//! finds and keeps going; names are indexed in hash maps so the whole run is linear in
//! the size of the spec. The passes live in their concern modules as `impl Cx` blocks;
//! this module only runs them in order and assembles the [`App`].
//!
//! This is the top layer: no module of the crate may depend on it (the crate root only
//! calls [`lower`]).

use specgen_diagnostics::{Diagnostic, SourceMap, Span};
use specgen_ir::App;
use specgen_syntax::{RolesSection, Section, SpecFile};

use crate::cx::Cx;
use crate::names;
use crate::settings;

/// Run every pass over the parsed files; `None` only when there is no root file.
pub(crate) fn lower(
    files: &[SpecFile],
    sources: &SourceMap,
    spec_file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<App> {
    let settings = settings::settings(files, diags);
    let mut cx = Cx::new(diags, sources);
    let root = files.first()?;

    // Roles.
    let roles_sections: Vec<&RolesSection> = files
        .iter()
        .flat_map(|f| f.sections.iter())
        .filter_map(|s| match s {
            Section::Roles(r) => Some(r),
            Section::Entity(_) => None,
        })
        .collect();
    cx.roles(&roles_sections, Span::new(root.file, 0, 0));

    // Entity names.
    for file in files {
        for section in &file.sections {
            if let Section::Entity(e) = section {
                cx.entity_header(e);
            }
        }
    }

    let text = sources.get(root.file).text.as_str();
    let has_entity = files
        .iter()
        .flat_map(|f| f.sections.iter())
        .any(|s| matches!(s, Section::Entity(_)));
    if !has_entity {
        cx.require_entity(root.file, text);
    }

    // Auth settings need the sign-in entity.
    let auth_settings = cx.auth_settings(settings.auth);

    for i in 0..cx.entities.len() {
        let compares = cx.fields(i);
        cx.field_compare_rules(i, compares);
    }
    cx.children();
    cx.derived();
    cx.schema_names();
    for i in 0..cx.entities.len() {
        cx.access(i);
        cx.rules(i);
    }
    let auth = auth_settings.and_then(|a| cx.auth(a));
    if let Some(a) = &auth {
        cx.warn_public_email(a);
    }

    let name = match &settings.name {
        Some((n, _)) => n.clone(),
        None => {
            let stem = spec_file.split('.').next().unwrap_or(spec_file);
            let mut k = names::kebab(stem);
            // A file name is not a name the user chose for the app: cut it to fit.
            if k.chars().count() > names::MAX_NAME_LENGTH {
                let cut: String = k.chars().take(names::MAX_NAME_LENGTH).collect();
                k = cut.trim_end_matches('-').to_owned();
            }
            if !names::is_valid_snake(&names::snake(&k)) {
                "app".to_string()
            } else if settings::is_reserved_crate(&names::snake(&k)) {
                format!("{k}-app")
            } else {
                k
            }
        }
    };
    let crate_name = names::snake(&name);
    let title = match &root.title {
        Some(t) if !t.value.is_empty() => t.value.clone(),
        _ => heck::ToTitleCase::to_title_case(name.as_str()),
    };
    Some(App {
        name,
        crate_name,
        title,
        description: root.description.clone(),
        spec_file: spec_file.to_string(),
        database: settings.database,
        auth,
        roles: cx.roles,
        entities: cx.entities,
        removed_entities: cx.removed_entities,
    })
}
