//! The generated tests of the security layer (headers), of sign-in (every flow, expiry,
//! revocation, rate limits) and of the access matrix.

use askama::Template;
use specgen_ir::App;

use super::access::AccessTests;
use super::helpers::HelpersView;
use crate::facts::auth::AuthFacts;
use crate::files::Files;

/// The test modules of the security layer and of sign-in.
pub(crate) fn test_modules(app: &App) -> Vec<&'static str> {
    if app.auth.is_some() {
        vec!["access", "auth", "auth_support", "security", "smtp"]
    } else {
        vec!["security"]
    }
}

/// Adds the generated tests of security headers, sign-in and the access matrix.
pub(crate) fn add_files(
    out: &mut Files,
    app: &App,
    auth: Option<&AuthFacts>,
    header: &str,
    helpers: &HelpersView,
) {
    let crate_name = app.crate_name.as_str();
    let has_auth = app.auth.is_some();
    out.add(
        "tests/api/security.rs",
        &TestsSecurity {
            header,
            crate_name,
            has_auth,
        },
    );
    let Some(a) = auth else {
        return;
    };
    let name = app.name.as_str();
    out.add("tests/api/auth.rs", &TestsAuth { header, a });
    out.add(
        "tests/api/auth_support.rs",
        &TestsAuthSupport {
            header,
            crate_name,
            name,
            a,
        },
    );
    out.add("tests/api/smtp.rs", &TestsSmtp { header });
    let access = AccessTests::new(app, helpers);
    out.add(
        "tests/api/access.rs",
        &TestsAccess {
            header,
            spec_file: &app.spec_file,
            t: &access,
        },
    );
}

#[derive(Template)]
#[template(path = "backend/tests/api/security.rs")]
struct TestsSecurity<'a> {
    header: &'a str,
    crate_name: &'a str,
    has_auth: bool,
}

#[derive(Template)]
#[template(path = "backend/tests/api/auth.rs")]
struct TestsAuth<'a> {
    header: &'a str,
    a: &'a AuthFacts,
}

#[derive(Template)]
#[template(path = "backend/tests/api/auth_support.rs")]
struct TestsAuthSupport<'a> {
    header: &'a str,
    crate_name: &'a str,
    name: &'a str,
    a: &'a AuthFacts,
}

#[derive(Template)]
#[template(path = "backend/tests/api/smtp.rs")]
struct TestsSmtp<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "backend/tests/api/access.rs")]
struct TestsAccess<'a> {
    header: &'a str,
    spec_file: &'a str,
    t: &'a AccessTests,
}
