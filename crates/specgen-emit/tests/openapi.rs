//! The OpenAPI document describes what the generated server accepts and answers, checked
//! against the generated server code itself for every example, stress case and end-to-end
//! corpus spec: each request schema lists exactly the fields the body reader reads, requires
//! exactly those it answers `required` for, never requires the owner field or a field only
//! some callers may send (and says who may), and leaves out every field the server sets.
//! Responses: fields some callers cannot see are not promised, every refusal an operation
//! can answer is documented, and the error codes are the error type's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use specgen_emit::{EmitOptions, OutputFile, emit};
use specgen_ir::{Action, App, Caller, Decision};
use specgen_lower::{MemoryLoader, compile};

#[test]
fn create_schemas_are_what_the_server_reads() {
    for case in cases() {
        for entity in &case.app.entities {
            let code = case.module(&entity.plural_snake);
            let reader = &block(code, &format!("impl New{} {{", entity.name), "pub fn into_");
            let schema = case.schema(&format!("New{}", entity.name));
            let context = format!("{}: New{}", case.name, entity.name);

            let required: BTreeSet<String> = called(reader, "fields.required(").collect();
            assert_eq!(
                strings(&schema["required"]),
                required,
                "{context}: required"
            );

            let mut read: BTreeSet<String> = required.clone();
            for method in [
                "fields.required_or(",
                "fields.optional(",
                "fields.optional_or(",
                "access::new_owner(",
            ] {
                read.extend(called(reader, method));
            }
            assert_eq!(keys(&schema["properties"]), read, "{context}: properties");
            assert_eq!(schema["additionalProperties"], false, "{context}");
            assert!(
                reader.contains("fields.finish()?"),
                "{context}: refuses unknown fields"
            );

            for refused in called(reader, "fields.refuse(") {
                assert!(
                    schema["properties"].get(&refused).is_none(),
                    "{context}: `{refused}` is set by the server"
                );
            }
            for owner in called(reader, "access::new_owner(") {
                let description = description(schema, &owner);
                assert!(
                    description.contains("only: the server sets it to the signed-in caller"),
                    "{context}: `{owner}` says only admins send it: {description}"
                );
            }
            for field in settable(code) {
                if schema["properties"].get(&field).is_some() {
                    let description = description(schema, &field);
                    assert!(
                        description.contains("may send it"),
                        "{context}: `{field}` says who may send it: {description}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_least_privileged_creator_can_send_every_required_field() {
    for case in cases() {
        for entity in &case.app.entities {
            let schema = case.schema(&format!("New{}", entity.name));
            for required in strings(&schema["required"]) {
                let field = entity
                    .fields
                    .iter()
                    .find(|f| f.json == required)
                    .expect("a field");
                assert!(
                    !field.owner && !field.read_only && field.derived.is_none(),
                    "{}: `{required}` of {} is required but set by the server",
                    case.name,
                    entity.name
                );
                assert!(
                    field.settable_by.is_empty(),
                    "{}: `{required}` of {} is required but only some callers may send it",
                    case.name,
                    entity.name
                );
            }
        }
    }
}

#[test]
fn change_schemas_are_what_the_server_reads() {
    for case in cases() {
        for entity in &case.app.entities {
            let code = case.module(&entity.plural_snake);
            let reader = &block(
                code,
                &format!("impl {}Changes {{", entity.name),
                "pub fn apply_to",
            );
            let schema = case.schema(&format!("{}Changes", entity.name));
            let context = format!("{}: {}Changes", case.name, entity.name);
            assert!(
                schema.get("required").is_none(),
                "{context}: nothing required"
            );
            let mut read = BTreeSet::new();
            for method in [
                "fields.change(",
                "fields.change_optional(",
                "access::owner_change(",
            ] {
                read.extend(called(reader, method));
            }
            assert_eq!(keys(&schema["properties"]), read, "{context}: properties");
            assert_eq!(schema["additionalProperties"], false, "{context}");
            for owner in called(reader, "access::owner_change(") {
                let description = description(schema, &owner);
                assert!(
                    description.contains("only, to hand the record to another account"),
                    "{context}: `{owner}` says only admins send it: {description}"
                );
            }
            for field in settable(code) {
                if schema["properties"].get(&field).is_some() {
                    let description = description(schema, &field);
                    assert!(
                        description.contains("may send it"),
                        "{context}: `{field}` says who may send it: {description}"
                    );
                }
            }
            // Nullable exactly where null empties the field.
            for optional in called(reader, "fields.change_optional(") {
                let ty = &schema["properties"][&optional]["type"];
                assert!(
                    ty.is_null()
                        || ty
                            .as_array()
                            .is_some_and(|t| t.contains(&Json::from("null"))),
                    "{context}: `{optional}` may be emptied with null"
                );
            }
        }
    }
}

#[test]
fn sign_up_lists_only_what_an_anonymous_caller_may_send() {
    for case in cases() {
        let Some(entity) = case.app.auth_entity() else {
            continue;
        };
        let sign_up = case.schema("SignUp");
        let new = case.schema(&format!("New{}", entity.name));
        let code = case.module(&entity.plural_snake);
        let mut expected = keys(&new["properties"]);
        for field in &entity.fields {
            let anonymous_may = field.settable_by.is_empty()
                || field.settable_by.contains(&specgen_ir::Who::Anyone);
            if !anonymous_may && settable(code).contains(&field.json) {
                expected.remove(&field.json);
            }
        }
        expected.insert("password".to_owned());
        assert_eq!(
            keys(&sign_up["properties"]),
            expected,
            "{}: SignUp",
            case.name
        );
        for required in strings(&sign_up["required"]) {
            assert!(
                expected.contains(&required),
                "{}: SignUp `{required}`",
                case.name
            );
        }
    }
}

#[test]
fn records_do_not_promise_fields_some_callers_cannot_see() {
    for case in cases() {
        for entity in &case.app.entities {
            let schema = case.schema(&entity.name);
            let required = strings(&schema["required"]);
            for field in &entity.fields {
                assert_eq!(
                    required.contains(&field.json),
                    field.visible_to.is_empty(),
                    "{}: {} `{}` is left out for some callers",
                    case.name,
                    entity.name,
                    field.json
                );
            }
        }
    }
}

#[test]
fn operations_document_their_refusals() {
    for case in cases() {
        for entity in &case.app.entities {
            let item = format!("{}/{{id}}", entity.route);
            for (path, method, action) in [
                (&entity.route, "get", Action::List),
                (&entity.route, "post", Action::Create),
                (&item, "get", Action::Read),
                (&item, "patch", Action::Update),
                (&item, "delete", Action::Delete),
            ] {
                let operation = &case.openapi["paths"][path.as_str()][method];
                let responses = &operation["responses"];
                let context = format!("{}: {method} {path}", case.name);
                let anyone = entity.permissions.decide(action, Caller::Anonymous) == Decision::All;
                if !anyone {
                    assert!(responses.get("401").is_some(), "{context}: 401");
                }
                if !anyone && case.app.auth.is_some() {
                    assert!(responses.get("403").is_some(), "{context}: 403");
                }
                assert!(responses.get("default").is_some(), "{context}: 500, 503");
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413", "422"] {
                        assert!(responses.get(status).is_some(), "{context}: {status}");
                    }
                }
            }
        }
        for (path, item) in case.openapi["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                let Some(responses) = operation.get("responses") else {
                    continue;
                };
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413"] {
                        assert!(
                            responses.get(status).is_some(),
                            "{}: {method} {path} reads a JSON body: {status}",
                            case.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn list_filters_have_no_default() {
    for case in cases() {
        for entity in &case.app.entities {
            let parameters = &case.openapi["paths"][entity.route.as_str()]["get"]["parameters"];
            for parameter in parameters.as_array().expect("parameters") {
                let name = parameter["name"].as_str().expect("a name");
                if !["limit", "sort", "cursor"].contains(&name) {
                    assert!(
                        parameter["schema"].get("default").is_none(),
                        "{}: `?{name}=` filters nothing when left out",
                        case.name
                    );
                    // The server takes any value of the type and matches nothing with one
                    // no record can hold: the document must not call it invalid.
                    for bound in ["minLength", "maxLength", "minimum", "maximum", "pattern"] {
                        assert!(
                            parameter["schema"].get(bound).is_none(),
                            "{}: `?{name}=` has no {bound}",
                            case.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn me_is_the_account_record_with_its_role_in_one_closed_object() {
    for case in cases() {
        let Some(account) = case.app.auth_entity() else {
            continue;
        };
        let record = case.schema(&account.name);
        let me = case.schema("Me");
        let context = format!("{}: Me", case.name);
        // An `allOf` with the closed record schema would refuse `role` and every answer.
        assert!(me.get("allOf").is_none(), "{context}: {me}");
        assert_eq!(me["additionalProperties"], false, "{context}");
        let mut properties = keys(&record["properties"]);
        properties.extend(["role".to_owned(), "email_verified".to_owned()]);
        assert_eq!(keys(&me["properties"]), properties, "{context}: properties");
        let mut required = strings(&record["required"]);
        required.extend(["role".to_owned(), "email_verified".to_owned()]);
        assert_eq!(strings(&me["required"]), required, "{context}: required");
        // The server's answer: the record flattened, then the role and the verification.
        let routes = case.file("src/auth/routes.rs");
        let answer = block(routes, "pub struct Me {", "}");
        for field in [
            "#[serde(flatten)]",
            "pub user: Value",
            "pub role: Role",
            "pub email_verified: bool",
        ] {
            assert!(
                answer.contains(field),
                "{context}: the server's Me has {field}"
            );
        }
    }
}

#[test]
fn error_codes_are_the_error_types() {
    for case in cases() {
        let codes =
            strings(&case.schema("Error")["properties"]["error"]["properties"]["code"]["enum"]);
        let error = case.file("src/error.rs");
        let mapping = &block(error, "fn code_for(", "}\n}");
        let mut expected: BTreeSet<String> = quoted(mapping).collect();
        expected.insert("rule_violated".to_owned());
        let verifies = case.openapi["paths"]
            .get("/api/auth/verify-email")
            .is_some();
        if verifies {
            expected.insert("email_not_verified".to_owned());
        }
        assert_eq!(codes, expected, "{}: error codes", case.name);
    }
}

struct Case {
    name: String,
    app: App,
    files: Vec<OutputFile>,
    openapi: Json,
}

impl Case {
    fn file(&self, path: &str) -> &str {
        &self
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{}: no {path}", self.name))
            .contents
    }

    fn module(&self, plural_snake: &str) -> &str {
        self.file(&format!("src/http/{plural_snake}.rs"))
    }

    fn schema(&self, name: &str) -> &Json {
        let schema = &self.openapi["components"]["schemas"][name];
        assert!(schema.is_object(), "{}: no schema {name}", self.name);
        schema
    }
}

/// The text of `code` from `start` to the next `end`, with method chains that rustfmt broke
/// over lines (`fields\n    .change(`) joined again.
fn block(code: &str, start: &str, end: &str) -> String {
    let from = code
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in the code"));
    let rest = &code[from..];
    let to = rest.find(end).unwrap_or(rest.len());
    let mut joined = String::new();
    for line in rest[..to].lines() {
        if line.trim_start().starts_with('.') {
            joined.push_str(line.trim_start());
        } else {
            joined.push('\n');
            joined.push_str(line);
        }
    }
    joined
}

/// The first string argument of every call of `call(` in `code` (calls may be laid out on
/// several lines).
fn called<'a>(code: &'a str, call: &'a str) -> impl Iterator<Item = String> + 'a {
    code.match_indices(call).filter_map(move |(at, _)| {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        quoted(&code[at + call.len()..]).next()
    })
}

/// Every `"..."` literal in `code`, in order.
fn quoted(code: &str) -> impl Iterator<Item = String> + '_ {
    code.split('"').skip(1).step_by(2).map(str::to_owned)
}

/// The fields of the module's `SETTABLE` rules (`set by`).
fn settable(code: &str) -> BTreeSet<String> {
    if !code.contains("const SETTABLE") {
        return BTreeSet::new();
    }
    let rules = block(code, "const SETTABLE", "];");
    called(&rules, "field: ").collect()
}

fn description(schema: &Json, field: &str) -> String {
    schema["properties"][field]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn keys(object: &Json) -> BTreeSet<String> {
    object
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn strings(array: &Json) -> BTreeSet<String> {
    array
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The examples, the stress cases and the end-to-end corpus, emitted.
fn cases() -> Vec<Case> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs = Vec::new();
    for dir in [
        manifest.join("../../examples"),
        manifest.join("tests/cases"),
        manifest.join("../../tests/e2e/specs"),
    ] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("readable folder").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "spec"))
            .collect();
        found.sort();
        specs.extend(found);
    }
    let options = EmitOptions {
        specgen_version: "0.1.0".to_owned(),
    };
    specs
        .into_iter()
        .map(|path| {
            let app = load(&path);
            let files = emit(&app, &options);
            let openapi = files
                .iter()
                .find(|f| f.path == "openapi.json")
                .map(|f| serde_json::from_str(&f.contents).expect("valid JSON"))
                .expect("openapi.json");
            Case {
                name: path.display().to_string(),
                app,
                files,
                openapi,
            }
        })
        .collect()
}

/// Compiles the spec at `path` with the `.spec` files of its folder (for includes).
fn load(path: &Path) -> App {
    let root = path.parent().expect("a spec in a folder");
    let mut files = BTreeMap::new();
    collect(root, root, &mut files);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    let compiled = compile(name, &MemoryLoader(files));
    compiled.app.unwrap_or_else(|| {
        panic!(
            "{} does not compile: {:#?}",
            path.display(),
            compiled.diagnostics
        )
    })
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|ext| ext == "spec") {
            let key = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(key, std::fs::read_to_string(&path).expect("readable spec"));
        }
    }
}
