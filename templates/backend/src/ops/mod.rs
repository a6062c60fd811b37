// {{ header }}
//! Operations built into the app: Prometheus metrics, and the `backup` and `restore`
//! commands.

pub mod backup;
pub mod metrics;
