//! Running commands whose failure a test reports.

use std::process::{Command, Output};

/// Runs a command to completion. The error holds the command line (with its directory and
/// environment changes), its exit status and its full stderr and stdout.
pub fn run(command: &mut Command) -> Result<Output, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        return Ok(output);
    }
    Err(format!(
        "{command:?} failed ({})\n----- stderr\n{}\n----- stdout\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout),
    ))
}
