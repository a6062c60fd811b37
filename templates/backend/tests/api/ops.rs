// {{ header }}
//! Operations: metrics, graceful shutdown, logs, backup and restore, and production's
//! refusal of placeholder secrets. Some tests run the real binary, as a deployment does.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sqlx::AssertSqlSafe;

use {{ crate_name }}::config::Config;
use {{ crate_name }}::db;
use {{ crate_name }}::ops::backup::{self, Backup, Restore};

use crate::helpers::{TestDatabase, spawn_app};

/// The app's binary, built by cargo for these tests.
const BINARY: &str = env!("CARGO_BIN_EXE_{{ name }}");

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/no/such/route").await;
{%- if let Some(line) = route_line %}
{{ line }}
    let id = uuid::Uuid::now_v7().to_string();
    app.get(&format!("{route}/{id}")).await;
{%- endif %}

    let metrics = get_text(&app.address, "/metrics").await;
    let has_series = |name: &str, labels: &[&str]| {
        metrics
            .lines()
            .any(|line| line.starts_with(name) && labels.iter().all(|label| line.contains(label)))
    };
    assert!(
        has_series(
            "http_requests_total{",
            &["method=\"GET\"", "route=\"/health\"", "status=\"200\""]
        ),
        "{metrics}"
    );
    assert!(
        has_series(
            "http_request_duration_seconds_bucket{",
            &["route=\"/health\""]
        ),
        "{metrics}"
    );
    assert!(
        has_series("http_requests_total{", &["route=\"unmatched\""]),
        "{metrics}"
    );
{%- if route_line.is_some() %}
    let pattern = ["route=\"", route, "/{id}\""].concat();
    assert!(has_series("http_requests_total{", &[&pattern]), "{metrics}");
    assert!(!metrics.contains(&id), "raw paths must not become labels");
{%- endif %}
    assert!(has_series("db_pool_connections", &[]), "{metrics}");
    assert!(has_series("db_pool_idle_connections", &[]), "{metrics}");
}

#[tokio::test]
async fn backup_then_restore_brings_back_every_row() {
    let Some(pg_bindir) = pg_tools() else {
        return;
    };
    let app = spawn_app().await;
{%- if let Some(r) = record %}
{{ r.create_line }}
{%- endif %}
    let url = app.database_url().to_owned();
    let config = config(&url, pg_bindir.as_deref());
    let before = row_counts(&url).await;
    assert!(before.values().sum::<i64>() > 0, "{before:?}");

    let folder = std::env::temp_dir().join(format!("backup-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&folder).expect("a scratch folder");
    let file = folder.join("backup");
    let command = Backup {
        file: file.clone(),
        force: false,
    };
    backup::backup(&config, &command)
        .await
        .expect("the backup is written");
    let error = backup::backup(&config, &command)
        .await
        .expect_err("an existing backup is kept");
    assert!(error.to_string().contains("--force"), "{error}");
    let forced = Backup {
        force: true,
        ..command
    };
    backup::backup(&config, &forced)
        .await
        .expect("--force replaces the backup");

    destroy(&url).await;
    backup::restore(&config, &Restore { file })
        .await
        .expect("the backup is restored");
    assert_eq!(row_counts(&url).await, before);
{%- if let Some(r) = record %}
    let pool = db::connect(&url).await.expect("the database opens");
{{ r.sql_line }}
    let found: i64 = sqlx::query_scalar(sql)
        .bind(record["id"].as_str().expect("an id").to_owned())
        .fetch_one(&pool)
        .await
        .expect("the table is readable");
    assert_eq!(found, 1, "{record}");
    pool.close().await;
{%- endif %}
    std::fs::remove_dir_all(&folder).ok();
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_not_a_backup() {
    let Some(pg_bindir) = pg_tools() else {
        return;
    };
    let app = spawn_app().await;
    let config = config(app.database_url(), pg_bindir.as_deref());
    let file = std::env::temp_dir().join(format!("not-a-backup-{}", uuid::Uuid::now_v7()));
    std::fs::write(&file, "hello").expect("a scratch file");
    let error = backup::restore(&config, &Restore { file: file.clone() })
        .await
        .expect_err("not a backup");
    std::fs::remove_file(&file).ok();
    assert!(error.to_string().contains("not"), "{error}");
    let health = app.get("/health").await;
    assert_eq!(health.status, 200, "{health:?}");
}
{%- if let Some(slow_line) = slow_route_line %}

/// The request is still sending its body when SIGTERM arrives: it gets its answer, then the
/// process exits 0.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_exits_0() {
    let database = TestDatabase::create().await;
    let mut server = Server::start(&database.url, "development");
    let mut stream = TcpStream::connect(&server.address).expect("the server accepts");
{{ slow_line }}
    let body = b"{}";
    let head = format!(
        "POST {route} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("the head is sent");
    stream.write_all(&body[..1]).expect("half the body is sent");
    // The handler waits for the rest of the body: no answer yet.
    let mut byte = [0; 1];
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("a read timeout");
    assert!(stream.read(&mut byte).is_err(), "answered too early");

    server.terminate();
    server.wait_for_log("shutting down");
    std::thread::sleep(Duration::from_millis(200));
    stream
        .write_all(&body[1..])
        .expect("the rest of the body is sent");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("the answer arrives");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    let status = server.wait();
    assert!(status.success(), "{status}");
}
{%- endif %}

#[tokio::test]
async fn production_logs_are_json_lines_with_the_request_id() {
    let database = TestDatabase::create().await;
    let server = Server::start(&database.url, "production");
    let mut stream = TcpStream::connect(&server.address).expect("the server accepts");
    let request = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    stream
        .write_all(request.as_bytes())
        .expect("the request is sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("the answer arrives");
    let request_id = answer
        .lines()
        .find_map(|line| line.strip_prefix("x-request-id: "))
        .expect("an x-request-id header")
        .trim()
        .to_owned();
    let line = server.wait_for_log(&request_id);
    let log: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(log["span"]["request_id"], request_id.as_str(), "{line}");
    assert_eq!(log["span"]["path"], "/health", "{line}");
}

#[test]
fn production_refuses_to_start_with_a_placeholder_secret() {
    let output = Command::new(BINARY)
        .arg("serve")
        .env("APP_ENV", "production")
        .env(
            "DATABASE_URL",
            "postgres://REPLACE_ME_USER:REPLACE_ME_PASSWORD@REPLACE_ME_HOST:5432/app",
        )
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`DATABASE_URL` still holds a `REPLACE_ME` placeholder"),
        "{stderr}"
    );
}
{%- if has_auth %}

#[test]
fn production_refuses_to_start_without_a_mail_server() {
    let error = Config::from_vars(|name| match name {
        "APP_ENV" => Some("production".to_owned()),
        "DATABASE_URL" => Some("sqlite::memory:".to_owned()),
        _ => None,
    })
    .expect_err("SMTP_URL is required in production");
    assert!(error.to_string().contains("SMTP_URL"), "{error}");
}
{%- endif %}

#[test]
fn backup_refuses_bad_arguments_with_the_usage() {
    let output = Command::new(BINARY)
        .args(["backup"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing the backup FILE"), "{stderr}");
}

/// The app's binary, serving on a free port.
struct Server {
    child: Child,
    address: String,
    logs: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `serve` on `database_url` with `APP_ENV=app_env` and waits until it listens.
    fn start(database_url: &str, app_env: &str) -> Server {
        let mut child = Command::new(BINARY)
            .arg("serve")
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("DATABASE_URL", database_url)
            .env("APP_ENV", app_env)
            .env("RUST_LOG", "info")
            .env("SMTP_URL", "smtp://127.0.0.1:2525")
            .env("EMAIL_FROM", "App <no-reply@example.com>")
            .env("OUTBOX_DIR", std::env::temp_dir().join("outbox"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (sender, logs) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            address: String::new(),
            logs,
        };
        let line = server.wait_for_log("listening on http://");
        let (_, rest) = line.split_once("listening on http://").expect("an address");
        server.address = rest
            .split(|c: char| c == '"' || c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_owned();
        server
    }

    /// Waits up to 30 s for a log line that contains `text`, and returns it.
    fn wait_for_log(&self, text: &str) -> String {
        loop {
            match self.logs.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(error) => panic!("no log line with `{text}`: {error}"),
            }
        }
    }

    /// Sends SIGTERM, as container runtimes do to stop a process.
    fn terminate(&self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("`kill` runs");
        assert!(status.success(), "kill -TERM {pid}: {status}");
    }

    /// Waits up to 30 s for the process to exit.
    fn wait(&mut self) -> ExitStatus {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("the process state") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not exit within 30 s");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// `GET path` as text.
async fn get_text(address: &str, path: &str) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let uri = format!("{address}{path}").parse().expect("a valid URI");
    let response = client.get(uri).await.expect("the app answers");
    assert_eq!(response.status(), 200, "GET {path}");
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a whole body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("a UTF-8 body")
}

/// Settings for `backup` and `restore` on `url`.
fn config(url: &str, pg_bindir: Option<&str>) -> Config {
    Config::from_vars(|name| match name {
        "DATABASE_URL" => Some(url.to_owned()),
        "PG_BINDIR" => pg_bindir.map(str::to_owned),
        _ => None,
    })
    .expect("a valid configuration")
}

/// Every table's number of rows.
async fn row_counts(url: &str) -> BTreeMap<String, i64> {
    #[cfg(feature = "sqlite")]
    let sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
    #[cfg(all(feature = "postgres", not(feature = "sqlite")))]
    let sql = "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public'";
    let pool = db::connect(url).await.expect("the database opens");
    let tables: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(&pool)
        .await
        .expect("the tables are listed");
    let mut counts = BTreeMap::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .expect("the table is readable");
        counts.insert(table, count);
    }
    pool.close().await;
    counts
}

/// Loses the data: deletes the database file.
#[cfg(feature = "sqlite")]
async fn destroy(url: &str) {
    let path = url.trim_start_matches("sqlite://");
    let path = path.split('?').next().unwrap_or_default();
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{path}{suffix}")).ok();
    }
    assert!(!std::path::Path::new(path).exists(), "{path} is deleted");
}

/// Loses the data: drops every table.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
async fn destroy(url: &str) {
    let pool = db::connect(url).await.expect("the database opens");
    for sql in ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"] {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .expect("the schema is dropped");
    }
    pool.close().await;
}

/// SQLite needs no tools.
#[cfg(feature = "sqlite")]
fn pg_tools() -> Option<Option<String>> {
    Some(None)
}

/// The folder of `pg_dump` and `pg_restore` for `PG_BINDIR` (`Some(None)`: on `PATH`), from
/// `PG_BINDIR`, `PATH` or `pg_config --bindir`. Without the tools the test is skipped, with
/// the reason printed, unless `REQUIRE_PG_TOOLS=1` makes that a failure.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
fn pg_tools() -> Option<Option<String>> {
    if let Some(folder) = std::env::var("PG_BINDIR").ok().filter(|f| !f.is_empty()) {
        return Some(Some(folder));
    }
    let runs = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    if runs("pg_dump", "--version").is_some() {
        return Some(None);
    }
    if let Some(folder) = runs("pg_config", "--bindir")
        && std::path::Path::new(&folder).join("pg_dump").exists()
    {
        return Some(Some(folder));
    }
    let reason = "pg_dump is not in PG_BINDIR, on PATH or in `pg_config --bindir`";
    let required = std::env::var("REQUIRE_PG_TOOLS").is_ok_and(|value| value == "1");
    assert!(!required, "REQUIRE_PG_TOOLS=1 but {reason}");
    eprintln!("skipped: {reason}; install the PostgreSQL client tools to run this test");
    None
}
