// {{ header }}
//! Security headers, the CORS policy, and settings production refuses.

use axum::http::Method;
use {{ crate_name }}::config::{Config, ConfigError};

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    for path in ["/health", "/no/such/route"] {
        let response = app.anonymous().get(path).await;
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        let policy = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        // HSTS only in production, where TLS is in front.
        assert_eq!(response.header("strict-transport-security"), None);
    }
}

#[tokio::test]
async fn browsers_get_no_cross_origin_access_by_default() {
    let app = spawn_app().await;
    let response = app
        .anonymous()
        .header("origin", "https://elsewhere.example")
        .get("/health")
        .await;
    assert_eq!(response.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn allowed_origins_get_cors_answers() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example")]).await;
    let preflight = app
        .anonymous()
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send(Method::OPTIONS, "/health", None)
        .await;
    assert_eq!(preflight.status, 200, "{preflight:?}");
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let methods = preflight
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_owned();
    assert!(methods.contains("GET"), "{methods}");
    let other = app
        .anonymous()
        .header("origin", "https://elsewhere.example")
        .get("/health")
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[test]
fn malformed_cors_origins_are_refused() {
    let config = Config::from_vars(|name| match name {
        "CORS_ALLOWED_ORIGINS" => Some("app.example/path".to_owned()),
        "DATABASE_URL" => Some("postgres://localhost/app".to_owned()),
        _ => None,
    });
    assert!(matches!(
        config,
        Err(ConfigError::Invalid {
            name: "CORS_ALLOWED_ORIGINS",
            ..
        })
    ));
}
{%- if has_auth %}

#[test]
fn production_refuses_to_start_without_a_mail_server() {
    let production = |name: &str| match name {
        "APP_ENV" => Some("production".to_owned()),
        "DATABASE_URL" => Some("postgres://localhost/app".to_owned()),
        _ => None,
    };
    assert!(matches!(
        Config::from_vars(production),
        Err(ConfigError::Missing("SMTP_URL"))
    ));
    let with_smtp = |name: &str| match name {
        "SMTP_URL" => Some("smtps://user:secret@smtp.example.com".to_owned()),
        "EMAIL_FROM" => Some("App <no-reply@example.com>".to_owned()),
        other => production(other),
    };
    let config = Config::from_vars(with_smtp).expect("a valid production configuration");
    // The SMTP password never shows in logs.
    assert!(!format!("{config:?}").contains("secret"));
}

#[test]
fn password_hashing_is_bounded_to_the_cores_unless_configured() {
    let with = |threads: Option<&'static str>, queue: Option<&'static str>| {
        Config::from_vars(move |name| match name {
            "DATABASE_URL" => Some("postgres://localhost/app".to_owned()),
            "PASSWORD_HASH_THREADS" => threads.map(str::to_owned),
            "PASSWORD_HASH_QUEUE" => queue.map(str::to_owned),
            _ => None,
        })
    };
    let defaults = with(None, None).expect("valid defaults");
    let cores = std::thread::available_parallelism().expect("the number of cores");
    assert_eq!(defaults.password_hash_threads, cores);
    assert_eq!(defaults.password_hash_queue.get(), 16 * cores.get());
    let set = with(Some("3"), Some("5")).expect("valid settings");
    assert_eq!(set.password_hash_threads.get(), 3);
    assert_eq!(set.password_hash_queue.get(), 5);
    // No threads or no queue would refuse every sign-in.
    for (threads, queue) in [(Some("0"), None), (None, Some("0")), (Some("many"), None)] {
        let config = with(threads, queue);
        assert!(
            matches!(config, Err(ConfigError::Invalid { .. })),
            "{threads:?} {queue:?}: {config:?}"
        );
    }
}
{%- endif %}
