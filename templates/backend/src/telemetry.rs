// {{ header }}
//! Logging: readable lines in development, one JSON object per line in production. Every
//! request runs in a span carrying its method, path and request id (see `startup`).

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{AppEnv, Config};

/// Installs the global subscriber. Call once, at startup.
pub fn init(config: &Config) {
    let registry = tracing_subscriber::registry().with(config.log_filter.clone());
    match config.app_env {
        AppEnv::Development => registry.with(tracing_subscriber::fmt::layer()).init(),
        AppEnv::Production => registry
            .with(tracing_subscriber::fmt::layer().json().flatten_event(true))
            .init(),
    }
}
