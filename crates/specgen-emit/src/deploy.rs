//! Deployment and operations files of the generated repository: the production image
//! (`Dockerfile`), a local stack with PostgreSQL (`docker-compose.yml`), Kubernetes manifests
//! (`deploy/kubernetes/`), a Fly.io config (`fly.toml`), the CI workflow
//! (`.github/workflows/ci.yml`) and `deploy/README.md`, which explains them.
//!
//! Every deployment runs the PostgreSQL build (`--no-default-features --features postgres`):
//! SQLite is one file on one machine, and these targets run replicas that share one database.
//!
//! Files that carry specgen's contract with the binary (its path, subcommands, features,
//! settings, probes) are [`Ownership::Generated`]. Files that hold values only the developer
//! knows (registry, namespace, Fly app name and region, real secrets) are
//! [`Ownership::UserOwned`]: created once, then theirs to edit.

use askama::Template;
use specgen_ir::App;

pub use crate::files::Headers;
use crate::files::{OutputFile, Ownership, render};

/// The Rust toolchain that builds the image and runs CI: the generated `Cargo.toml`'s
/// `rust-version` (specgen's tests check that the two agree).
pub const RUST_VERSION: &str = "1.94";

/// The port the app listens on inside containers (its default `PORT`).
pub const PORT: u16 = 3000;

/// The unprivileged user and group the image runs as. Numeric, so Kubernetes can check
/// `runAsNonRoot` without reading the image's `/etc/passwd`.
pub const UID: u32 = 10001;

/// Where the image installs the binary.
const BIN_DIR: &str = "/usr/local/bin";

/// Kubernetes object names are DNS labels (at most 63 characters); the longest derived
/// name, `<name>-migrate`, adds 8.
const K8S_NAME_MAX: usize = 55;

/// PostgreSQL truncates identifiers (here, the database and user name) to 63 bytes.
const PG_NAME_MAX: usize = 63;

/// Every deployment file for `app`, sorted by path.
pub fn deploy_files(app: &App, headers: &Headers<'_>) -> Vec<OutputFile> {
    let v = DeployView::new(app, headers);
    let mut files = vec![
        generated("Dockerfile", &Dockerfile { v: &v }),
        generated(".dockerignore", &DockerIgnore { v: &v }),
        generated("docker-compose.yml", &Compose { v: &v }),
        generated(".github/workflows/ci.yml", &CiWorkflow { v: &v }),
        generated("deploy/README.md", &DeployReadme { v: &v }),
        owned("fly.toml", &FlyToml { v: &v }),
        owned(
            "deploy/kubernetes/kustomization.yaml",
            &Kustomization { v: &v },
        ),
        owned("deploy/kubernetes/secret.yaml", &K8sSecret { v: &v }),
        generated(
            "deploy/kubernetes/deployment.yaml",
            &K8sDeployment { v: &v },
        ),
        generated("deploy/kubernetes/service.yaml", &K8sService { v: &v }),
        generated("deploy/kubernetes/hpa.yaml", &K8sHpa { v: &v }),
        generated("deploy/kubernetes/pdb.yaml", &K8sPdb { v: &v }),
        generated(
            "deploy/kubernetes/migrate-job.yaml",
            &K8sMigrateJob { v: &v },
        ),
    ];
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The Kubernetes manifests that `kustomization.yaml` lists, in the order it applies them.
pub const KUBERNETES_RESOURCES: [&str; 6] = [
    "secret.yaml",
    "migrate-job.yaml",
    "deployment.yaml",
    "service.yaml",
    "hpa.yaml",
    "pdb.yaml",
];

/// A setting the platform provides at run time (the Kubernetes Secret, `fly secrets`, `.env`)
/// because it is secret or only the operator knows it.
#[derive(Debug, Clone)]
struct SecretSetting {
    name: &'static str,
    /// The placeholder in `secret.yaml`: contains `REPLACE_ME`, and fails loudly if left in
    /// (the app refuses to start, or cannot reach the host).
    placeholder: String,
    doc: &'static str,
}

/// The secret settings of `app`, in the order `.env.example` lists them.
fn secret_settings(app: &App, db_name: &str) -> Vec<SecretSetting> {
    let mut settings = vec![SecretSetting {
        name: "DATABASE_URL",
        placeholder: format!(
            "postgres://REPLACE_ME_USER:REPLACE_ME_PASSWORD@REPLACE_ME_HOST:5432/{db_name}"
        ),
        doc: "The PostgreSQL server, database and credentials.",
    }];
    if app.auth.is_some() {
        // Production refuses to start without a mail server: sign-in codes and password
        // resets go out by email.
        settings.push(SecretSetting {
            name: "SMTP_URL",
            placeholder: "REPLACE_ME".to_owned(),
            doc: "The mail server with its credentials, e.g. smtps://user:password@smtp.example.com.",
        });
        settings.push(SecretSetting {
            name: "EMAIL_FROM",
            placeholder: "REPLACE_ME".to_owned(),
            doc: "The sender of the app's email, e.g. App <no-reply@example.com>.",
        });
    }
    settings
}

/// What every deployment template needs, computed once.
struct DeployView<'a> {
    generated: &'a str,
    owned: &'a str,
    /// The Cargo package and binary name (`studio-bookings`).
    name: &'a str,
    title: &'a str,
    /// `name`, shortened to fit Kubernetes object names.
    k8s_name: String,
    /// PostgreSQL database and user name for the compose stack (`studio_bookings`).
    db_name: String,
    /// The binary's path inside the image.
    bin: String,
    rust_version: &'static str,
    port: u16,
    uid: u32,
    /// Settings the platform provides: the Kubernetes Secret, `fly secrets`, `.env`.
    secrets: Vec<SecretSetting>,
    /// Whether the app has accounts (and so `create-admin` and outgoing email).
    has_auth: bool,
    /// An `EMAIL_FROM` value for shell examples, quoted for the shell.
    email_from_example: String,
    resources: Vec<&'static str>,
}

impl<'a> DeployView<'a> {
    fn new(app: &'a App, headers: &Headers<'a>) -> DeployView<'a> {
        let db_name = truncate(&app.crate_name, PG_NAME_MAX).to_owned();
        DeployView {
            generated: headers.generated,
            owned: headers.owned,
            name: &app.name,
            title: &app.title,
            k8s_name: truncate(&app.name, K8S_NAME_MAX)
                .trim_end_matches('-')
                .to_owned(),
            bin: format!("{BIN_DIR}/{}", app.name),
            rust_version: RUST_VERSION,
            port: PORT,
            uid: UID,
            secrets: secret_settings(app, &db_name),
            has_auth: app.auth.is_some(),
            email_from_example: shell_quote(&format!("{} <no-reply@example.com>", app.title)),
            db_name,
            resources: KUBERNETES_RESOURCES.to_vec(),
        }
    }
}

/// The first `max` characters of `name` (app names are ASCII, so also its first `max` bytes).
fn truncate(name: &str, max: usize) -> &str {
    match name.char_indices().nth(max) {
        Some((end, _)) => &name[..end],
        None => name,
    }
}

/// `text` as one shell word: single-quoted, with each `'` written as `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn generated(path: &str, template: &impl Template) -> OutputFile {
    file(path, template, Ownership::Generated)
}

fn owned(path: &str, template: &impl Template) -> OutputFile {
    file(path, template, Ownership::UserOwned)
}

fn file(path: &str, template: &impl Template, ownership: Ownership) -> OutputFile {
    OutputFile {
        path: path.to_owned(),
        contents: render(template),
        ownership,
    }
}

#[derive(Template)]
#[template(path = "backend/Dockerfile", escape = "none")]
struct Dockerfile<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/.dockerignore", escape = "none")]
struct DockerIgnore<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/docker-compose.yml")]
struct Compose<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/.github/workflows/ci.yml")]
struct CiWorkflow<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/fly.toml")]
struct FlyToml<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/README.md")]
struct DeployReadme<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/kustomization.yaml")]
struct Kustomization<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/secret.yaml")]
struct K8sSecret<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/deployment.yaml")]
struct K8sDeployment<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/service.yaml")]
struct K8sService<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/hpa.yaml")]
struct K8sHpa<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/pdb.yaml")]
struct K8sPdb<'a> {
    v: &'a DeployView<'a>,
}

#[derive(Template)]
#[template(path = "backend/deploy/kubernetes/migrate-job.yaml")]
struct K8sMigrateJob<'a> {
    v: &'a DeployView<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_makes_one_word() {
        assert_eq!(
            shell_quote("Task Tracker <a@b.c>"),
            "'Task Tracker <a@b.c>'"
        );
        assert_eq!(
            shell_quote("Bob's \"Shop\" $HOME"),
            "'Bob'\\''s \"Shop\" $HOME'"
        );
    }

    #[test]
    fn truncate_cuts_at_a_character_count() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 3), "abc");
    }
}
