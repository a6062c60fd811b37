//! A generated app as its operator and its clients meet it: its binary built into the shared
//! target dir and copied out, its `migrate` and `create-admin` subcommands, its server on a
//! free loopback port, and a small HTTP/1.1 client that speaks JSON to it.
//!
//! The client is plain `std::net` on purpose: the test binary has no HTTP dependency, and
//! one request per connection (`Connection: close`) is all a data check needs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::PoisonError;
use std::time::{Duration, Instant};
use std::{fmt, fs};

use serde_json::Value;

use crate::harness::{CargoCheck, package_lock, package_name};
use crate::support::postgres::free_loopback_port;
use crate::support::process::run;

/// How long a server may take to answer `/ready` (a busy two-core machine, a cold database).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// How long one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(40);

/// Which database a build is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// `cargo build` of the generated repo for `backend`, then a copy of its binary to `copy_to`.
///
/// Every repo of one package built into the shared target dir writes the same
/// `debug/<package>`, and other end-to-end tests may build one at the same time: the build
/// and the copy hold the package's lock ([`package_lock`]), and the copy is checked for the
/// newest migration's text (migrations are embedded with `include_str!`).
pub fn build(
    repo: &Path,
    backend: Backend,
    target_dir: &Path,
    copy_to: &Path,
) -> Result<PathBuf, String> {
    let check = match backend {
        Backend::Sqlite => CargoCheck::new(&["build"]),
        Backend::Postgres => {
            CargoCheck::new(&["build", "--no-default-features", "--features", "postgres"])
        }
    };
    let newest = newest_migration(repo, backend)?;
    let package = package_name(repo)?;
    let built = target_dir.join("debug").join(&package);
    // Held until the binary is copied: no other build of the package replaces it before.
    let lock = package_lock(&package);
    let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
    check.run_holding_the_lock(repo, target_dir)?;
    fs::copy(&built, copy_to).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            built.display(),
            copy_to.display()
        )
    })?;
    let binary = fs::read(copy_to).map_err(|e| format!("cannot read the binary: {e}"))?;
    if binary
        .windows(newest.len())
        .any(|window| window == newest.as_slice())
    {
        Ok(copy_to.to_owned())
    } else {
        Err(format!(
            "{} does not hold {}'s newest {backend} migration",
            built.display(),
            repo.display()
        ))
    }
}

/// The bytes of the newest migration file of `backend` in `repo`.
fn newest_migration(repo: &Path, backend: Backend) -> Result<Vec<u8>, String> {
    let dir = repo.join("migrations").join(backend.to_string());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .map(|entry| entry.expect("a readable migrations entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    let newest = files
        .pop()
        .ok_or_else(|| format!("{} has no migration", dir.display()))?;
    fs::read(&newest).map_err(|e| format!("cannot read {}: {e}", newest.display()))
}

/// One database and the folder the app runs in (its working directory and its outbox).
pub struct Deployment {
    pub database_url: String,
    /// The app's working directory: no `.env` is there, so only our variables count.
    pub dir: PathBuf,
}

impl Deployment {
    pub fn outbox(&self) -> PathBuf {
        self.dir.join("outbox")
    }

    /// A command running `binary` with this deployment's settings.
    fn command(&self, binary: &Path) -> Command {
        let mut command = Command::new(binary);
        command
            .current_dir(&self.dir)
            .env_remove("TEST_DATABASE_URL")
            .env("DATABASE_URL", &self.database_url)
            .env("OUTBOX_DIR", self.outbox())
            .env("APP_ENV", "development")
            .env("HOST", "127.0.0.1")
            .env("RUST_LOG", "info")
            .env_remove("SMTP_URL")
            .env_remove("ADMIN_PASSWORD");
        command
    }

    /// `<binary> migrate`; its stderr and stdout on failure.
    pub fn migrate(&self, binary: &Path) -> Result<(), String> {
        run(self.command(binary).arg("migrate")).map(drop)
    }

    /// `<binary> create-admin --email <email> --set <field>=<value>...` with the password in
    /// `ADMIN_PASSWORD`.
    pub fn create_admin(
        &self,
        binary: &Path,
        email: &str,
        password: &str,
        fields: &[(&str, &str)],
    ) -> Result<(), String> {
        let mut command = self.command(binary);
        command
            .args(["create-admin", "--email", email])
            .env("ADMIN_PASSWORD", password)
            .stdin(Stdio::null());
        for (field, value) in fields {
            command.arg("--set").arg(format!("{field}={value}"));
        }
        run(&mut command).map(drop)
    }

    /// `<binary> serve` on a free loopback port, once `/ready` answers 200.
    pub fn serve(&self, binary: &Path, label: &str) -> Result<Server, String> {
        let log = self.dir.join(format!("{label}.log"));
        let mut last_error = String::new();
        // The port is free when we look; another process may take it before the app binds it.
        for _ in 0..3 {
            let port = free_loopback_port()?;
            let out = fs::File::create(&log).map_err(|e| format!("cannot create a log: {e}"))?;
            let err = out
                .try_clone()
                .map_err(|e| format!("cannot share a log: {e}"))?;
            let child = self
                .command(binary)
                .arg("serve")
                .env("PORT", port.to_string())
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
            let mut server = Server {
                child,
                port,
                log: log.clone(),
            };
            match server.wait_ready() {
                Ok(()) => return Ok(server),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }
}

/// A running `serve`; stopped with SIGTERM (then killed) on [`Server::stop`] or drop.
pub struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}) before it was ready; its log:\n{}",
                    self.log_text()
                ));
            }
            if let Ok(response) = self.request("GET", "/ready", None, None)
                && response.status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server on port {} was not ready after {READY_TIMEOUT:?}; its log:\n{}",
                    self.port,
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `http://127.0.0.1:<port>`, for clients that bring their own HTTP.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's log so far, for failure messages.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for a graceful exit, killing the process if it takes too long.
    pub fn stop(mut self) -> Result<(), String> {
        self.terminate()
    }

    fn terminate(&mut self) -> Result<(), String> {
        if let Ok(Some(_)) = self.child.try_wait() {
            return Ok(());
        }
        let pid = self.child.id().to_string();
        // Only this child, by its id.
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err(format!(
            "the server did not stop within {STOP_TIMEOUT:?} of SIGTERM and was killed"
        ))
    }

    /// One request; `body` is sent as JSON, `token` as a bearer token.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Response, String> {
        http(self.port, method, path, token, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

/// An HTTP answer: its status and its body read as JSON (`Null` when empty or not JSON;
/// the text is kept for messages).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Response, String> {
    let context = |e: std::io::Error| format!("{method} {path}: {e}");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(context)?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .map_err(context)?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Accept: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request += "Content-Type: application/json\r\n";
    }
    if let Some(token) = token {
        request += &format!("Authorization: Bearer {token}\r\n");
    }
    request += "\r\n";
    request += &body;
    stream.write_all(request.as_bytes()).map_err(context)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(context)?;

    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no HTTP header in the answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut payload = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status in `{head}`"))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if chunked {
        payload = dechunk(&payload);
    }
    let text = String::from_utf8_lossy(&payload).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Response { status, json, text })
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = raw.windows(2).position(|window| window == b"\r\n") {
        let size = String::from_utf8_lossy(&raw[..end]);
        let size = size.split(';').next().unwrap_or("0").trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            break;
        };
        if size == 0 || raw.len() < end + 2 + size {
            break;
        }
        body.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[(end + 4 + size).min(raw.len())..];
    }
    body
}
