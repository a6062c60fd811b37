//! `specgen-bench load`: a generated backend under load, as a client would see it.
//!
//! Generates `examples/studio-bookings.spec`, builds it in release mode (in
//! `target/e2e-generated`, beside the end-to-end tests' builds), starts it on SQLite with a
//! fresh database, and loads it with `wrk` (Debian's package `wrk`) for each figure:
//!
//! - the baseline: `GET /health`, which touches no database: the ceiling of the HTTP stack
//!   on this machine, run in the same invocation so every other figure has a ratio to it;
//! - an authenticated read, `GET /api/auth/me` (a session check and the account);
//! - a list of 20, `GET /api/studios?limit=20` as a signed-in admin;
//! - a sign-in storm: `POST /api/auth/sign-in` from a different (forwarded) address each
//!   time, so no rate limit answers early and every request checks an argon2id hash; peak
//!   resident memory (`VmHWM`, over the whole run) against the memory just before it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use std::{fs, thread};

use serde_json::{Value, json};

use crate::pipeline;

/// How long each figure is loaded.
const DURATION_SECS: u32 = 10;
/// wrk's threads and open connections (the load of issue 14's measurements).
const THREADS: u32 = 2;
const CONNECTIONS: u32 = 64;
/// The hand-written realworld-axum-sqlx anchor's rate for its equivalent of `/me` on a
/// 2-core machine of this kind.
const ANCHOR_ME_RATE: f64 = 9_215.0;
/// A sign-in storm may take at most this much memory above the idle server's.
const STORM_MEMORY_TARGET_KIB: u64 = 64 * 1024;
const PASSWORD: &str = "correct horse battery staple";

/// One load run's figures, as wrk reports them.
struct Load {
    rate: f64,
    p50: Duration,
    p99: Duration,
    /// Answers other than 2xx and 3xx.
    non_success: u64,
}

pub fn run(root: &Path) -> Result<(), String> {
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err("`wrk` is not installed: `apt-get install -y wrk`, then run again".to_owned());
    }
    let spec = Path::new("examples/studio-bookings.spec");
    eprintln!(
        "generating {} and building it in release mode",
        spec.display()
    );
    let files = pipeline::time_file(root, spec)?.files;
    let work = tempfile::tempdir().map_err(|e| format!("cannot make a temp dir: {e}"))?;
    let repo = work.path().join("repo");
    for file in &files {
        crate::builds::write_file(&repo.join(&file.path), &file.contents)?;
    }
    // The target folder the end-to-end tests build generated repos in: dependencies once.
    let target = root.join("target/e2e-generated");
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet"])
        .current_dir(&repo)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --release of {} failed",
            repo.display()
        ));
    }
    let binary = target.join("release/studio-bookings");

    let port = free_port()?;
    let data = work.path().join("data");
    let env = [
        (
            "DATABASE_URL",
            format!("sqlite://{}/app.db?mode=rwc", data.display()),
        ),
        ("OUTBOX_DIR", data.join("outbox").display().to_string()),
        ("PORT", port.to_string()),
        ("APP_ENV", "development".to_owned()),
        ("RUST_LOG", "info".to_owned()),
        ("TRUST_PROXY_HEADERS", "true".to_owned()),
        ("ADMIN_PASSWORD", PASSWORD.to_owned()),
    ];
    let command = |args: &[&str]| {
        let mut command = Command::new(&binary);
        command.args(args).envs(env.iter().map(|(k, v)| (*k, v)));
        command
    };
    run_quietly(command(&["migrate"]))?;
    run_quietly(command(&[
        "create-admin",
        "--email",
        "admin@example.com",
        "--set",
        "name=\"Admin\"",
    ]))?;
    let server = command(&["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let server = Server(server);
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(port)?;

    let signed_in = request(
        port,
        "POST",
        "/api/auth/sign-in",
        None,
        Some(&json!({"email": "admin@example.com", "password": PASSWORD})),
    )?;
    let token = signed_in["token"]
        .as_str()
        .ok_or_else(|| format!("sign-in answered no token: {signed_in}"))?
        .to_owned();
    for n in 0..20 {
        let studio = json!({"name": format!("Studio {n}"), "hourly_rate": 4500, "capacity": 5});
        request(port, "POST", "/api/studios", Some(&token), Some(&studio))?;
    }
    let bearer = format!("authorization: Bearer {token}");

    eprintln!("loading it: {DURATION_SECS} s per figure, {CONNECTIONS} connections");
    let health = wrk(&format!("{base}/health"), &[], None)?;
    let me = wrk(&format!("{base}/api/auth/me"), &[&bearer], None)?;
    let list = wrk(&format!("{base}/api/studios?limit=20"), &[&bearer], None)?;
    let before = memory_kib(server.0.id(), "VmRSS")?;
    let script = work.path().join("storm.lua");
    fs::write(&script, STORM_SCRIPT).map_err(|e| format!("cannot write the wrk script: {e}"))?;
    let storm = wrk(&format!("{base}/api/auth/sign-in"), &[], Some(&script))?;
    let peak = memory_kib(server.0.id(), "VmHWM")?;
    let after = memory_kib(server.0.id(), "VmRSS")?;
    drop(server);

    let rows = [
        ("baseline: GET /health (no database)", &health),
        ("authenticated read: GET /api/auth/me", &me),
        ("list of 20: GET /api/studios?limit=20", &list),
        ("sign-in storm: POST /api/auth/sign-in", &storm),
    ];
    println!(
        "\n{:40}  {:>10}  {:>9}  {:>9}  {:>11}  {:>8}",
        "figure", "req/s", "p50", "p99", "not 2xx/3xx", "vs base"
    );
    for (figure, load) in rows {
        println!(
            "{figure:40}  {:>10.0}  {:>9}  {:>9}  {:>11}  {:>8.2}",
            load.rate,
            crate::format_duration(load.p50),
            crate::format_duration(load.p99),
            load.non_success,
            load.rate / health.rate
        );
    }
    println!(
        "(the storm's answers are 401 by design, unknown accounts, or 503 with Retry-After when \
         the hashing queue is full)"
    );
    let grown = peak.saturating_sub(before);
    println!(
        "\n/me: {:.0} req/s against the hand-written anchor's {ANCHOR_ME_RATE:.0}: ratio {:.2}{}",
        me.rate,
        me.rate / ANCHOR_ME_RATE,
        if me.rate < ANCHOR_ME_RATE {
            "  under target"
        } else {
            ""
        }
    );
    println!(
        "sign-in storm memory: {} MiB before it, peak {} MiB (+{} MiB, target +{} MiB: ratio \
         {:.2}{}), {} MiB after",
        before / 1024,
        peak / 1024,
        grown / 1024,
        STORM_MEMORY_TARGET_KIB / 1024,
        grown as f64 / STORM_MEMORY_TARGET_KIB as f64,
        if grown > STORM_MEMORY_TARGET_KIB {
            "  over target"
        } else {
            ""
        },
        after / 1024
    );
    Ok(())
}

/// Each request signs in as an unknown address from its own forwarded client address:
/// a full argon2id check (the dummy hash), never a rate-limited short cut.
const STORM_SCRIPT: &str = r#"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email":"storm%d@example.com","password":"not the password"}', n)
  local headers = {}
  headers["Content-Type"] = "application/json"
  local a, b, c = math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", a, b, c)
  return wrk.format("POST", nil, headers, body)
end
"#;

/// Kills the server when the run ends, whatever happened.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_quietly(mut command: Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free local port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("no free local port: {e}"))
}

fn wait_until_up(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if request(port, "GET", "/health", None, None).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the server did not answer on port {port} within 30 s"
    ))
}

/// One HTTP/1.1 request; the JSON body of a 2xx answer.
fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("cannot connect: {e}"))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .map_err(|e| format!("cannot send {method} {path}: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("cannot read the answer to {method} {path}: {e}"))?;
    let status = answer.split(' ').nth(1).unwrap_or_default();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
    if !status.starts_with('2') {
        return Err(format!("{method} {path} answered {status}: {body}"));
    }
    Ok(serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Loads `url` with wrk and reads its report.
fn wrk(url: &str, headers: &[&str], script: Option<&Path>) -> Result<Load, String> {
    let mut command = Command::new("wrk");
    command.args([
        format!("-t{THREADS}"),
        format!("-c{CONNECTIONS}"),
        format!("-d{DURATION_SECS}s"),
        "--latency".to_owned(),
    ]);
    for header in headers {
        command.args(["-H", header]);
    }
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let report = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("wrk failed on {url}: {report}"));
    }
    parse_wrk(&report).ok_or_else(|| format!("cannot read wrk's report on {url}:\n{report}"))
}

fn parse_wrk(report: &str) -> Option<Load> {
    let mut load = Load {
        rate: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        non_success: 0,
    };
    for line in report.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(rate)) => load.rate = rate.parse().ok()?,
            (Some("50%"), Some(latency)) => load.p50 = parse_latency(latency)?,
            (Some("99%"), Some(latency)) => load.p99 = parse_latency(latency)?,
            (Some("Non-2xx"), _) => {
                load.non_success = line.rsplit(' ').next()?.parse().ok()?;
            }
            _ => {}
        }
    }
    (load.rate > 0.0).then_some(load)
}

/// wrk's latencies: `812.00us`, `1.23ms`, `2.01s`.
fn parse_latency(text: &str) -> Option<Duration> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    Some(Duration::from_secs_f64(number.parse::<f64>().ok()? * scale))
}

/// A `/proc/PID/status` figure in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read the server's memory: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrks_report() {
        let report = "\
Running 10s test @ http://127.0.0.1:3917/api/auth/me
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.61ms    2.10ms  40.12ms   80.00%
  Latency Distribution
     50%  812.00us
     75%    6.50ms
     90%    8.00ms
     99%    1.20s
  113056 requests in 10.00s, 60.11MB read
  Non-2xx or 3xx responses: 17
Requests/sec:  11305.58
Transfer/sec:      6.01MB
";
        let load = parse_wrk(report).expect("a report");
        assert_eq!(load.rate, 11305.58);
        assert_eq!(load.p50, Duration::from_micros(812));
        assert_eq!(load.p99, Duration::from_millis(1200));
        assert_eq!(load.non_success, 17);
        assert!(parse_wrk("wrk: connection refused").is_none());
    }
}
