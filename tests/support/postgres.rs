//! A PostgreSQL server for tests that need a real one.
//!
//! [`TestPostgres::start`] uses `SPECGEN_TEST_DATABASE_URL` when it is set. Otherwise it
//! starts a throwaway cluster: binaries from `pg_config --bindir` (falling back to
//! `/usr/lib/postgresql/*/bin`), a fresh data directory in a temporary folder, trust
//! authentication for the `postgres` superuser, listening on a free loopback port with
//! `fsync=off`. Dropping the value stops the cluster (`pg_ctl stop -m immediate`) and
//! removes its folder.
//!
//! `initdb` refuses to run as root, so when the effective user is root the folder is
//! handed to the `postgres` system user and every server binary runs through
//! `runuser -u postgres --`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use std::{env, fs};

use tempfile::TempDir;

use super::process::run;

/// The variable that points the tests at an existing server instead of a throwaway one.
pub const URL_VAR: &str = "SPECGEN_TEST_DATABASE_URL";

/// How long a fresh cluster may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A reachable PostgreSQL server and a superuser URL for it.
pub struct TestPostgres {
    admin_url: String,
    /// `None` when the server came from [`URL_VAR`].
    cluster: Option<Cluster>,
}

impl TestPostgres {
    /// Returns the server named by [`URL_VAR`], or starts a throwaway cluster.
    ///
    /// The error says why no server is available (no binaries, `initdb` failed, ...),
    /// with the failing command's output.
    pub fn start() -> Result<TestPostgres, String> {
        if let Some(url) = env::var(URL_VAR).ok().filter(|url| !url.is_empty()) {
            return Ok(TestPostgres {
                admin_url: url,
                cluster: None,
            });
        }
        let cluster = Cluster::start()?;
        Ok(TestPostgres {
            admin_url: format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port),
            cluster: Some(cluster),
        })
    }

    /// A superuser connection URL; the `postgres` database always exists.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Where the server came from, for log lines.
    pub fn describe(&self) -> String {
        match &self.cluster {
            Some(cluster) => format!(
                "throwaway PostgreSQL cluster from {} at {}",
                cluster.bindir.display(),
                self.admin_url
            ),
            None => format!("PostgreSQL from {URL_VAR}"),
        }
    }

    /// The throwaway cluster's folder (data directory, socket, log); `None` for a server
    /// from [`URL_VAR`].
    pub fn cluster_dir(&self) -> Option<&Path> {
        self.cluster.as_ref().map(|cluster| cluster.dir.path())
    }

    /// The folder holding `psql`, `pg_dump`, `pg_restore` and the other client binaries of
    /// the server's version; `None` for a server from [`URL_VAR`].
    pub fn bindir(&self) -> Option<&Path> {
        self.cluster
            .as_ref()
            .map(|cluster| cluster.bindir.as_path())
    }
}

/// A cluster this process started; stopped and deleted on drop.
struct Cluster {
    bindir: PathBuf,
    /// Holds `data/`, `socket/` and `server.log`; removed when dropped (after the stop).
    dir: TempDir,
    port: u16,
    /// Run server binaries as the `postgres` system user (we are root).
    as_postgres_user: bool,
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let bindir = find_bindir()?;
        let as_postgres_user = effective_uid_is_root()?;
        let dir = tempfile::Builder::new()
            .prefix("specgen-pg-")
            .tempdir()
            .map_err(|e| format!("cannot create a folder for the cluster: {e}"))?;
        fs::create_dir(dir.path().join("socket"))
            .map_err(|e| format!("cannot create the socket folder: {e}"))?;
        if as_postgres_user {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(dir.path()))?;
        }

        let mut cluster = Cluster {
            bindir,
            dir,
            port: 0,
            as_postgres_user,
        };
        let data = cluster.data_dir();
        cluster.run_server_binary(
            "initdb",
            &[
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        )?;

        // The port is free when we look, but another process may take it before the
        // server binds it: try a few ports before giving up.
        let mut last_error = String::new();
        for _ in 0..3 {
            cluster.port = free_loopback_port()?;
            match cluster.start_server() {
                Ok(()) => return Ok(cluster),
                Err(error) => {
                    cluster.stop();
                    last_error = error;
                }
            }
        }
        Err(last_error)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Starts the server in the background and waits until `pg_isready` accepts it.
    fn start_server(&self) -> Result<(), String> {
        let options = format!(
            "-p {port} -k {socket} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            port = self.port,
            socket = self.dir.path().join("socket").display(),
        );
        let data = self.data_dir();
        let log = self.log_file();
        self.run_server_binary(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-W".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        )?;

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let ready = Command::new(self.bindir.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-p"])
                .arg(self.port.to_string())
                .status()
                .map_err(|e| format!("cannot run pg_isready: {e}"))?;
            if ready.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = fs::read_to_string(self.log_file()).unwrap_or_default();
                return Err(format!(
                    "PostgreSQL on port {} was not ready after {READY_TIMEOUT:?}; server log:\n{log}",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server right away; the data is thrown away anyway.
    fn stop(&self) {
        let data = self.data_dir();
        let stopped = self.run_server_binary(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        );
        if let Err(error) = stopped {
            // Not started, or already gone: nothing is left running either way unless the
            // pid file says otherwise, and then the message helps whoever finds it.
            if data.join("postmaster.pid").exists() {
                eprintln!("warning: could not stop the test PostgreSQL cluster: {error}");
            }
        }
    }

    /// Runs one binary from `bindir`, as the `postgres` user when we are root.
    fn run_server_binary(&self, name: &str, args: &[&std::ffi::OsStr]) -> Result<Output, String> {
        let program = self.bindir.join(name);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        // The postgres user may not be allowed into our working directory.
        command.args(args).current_dir(self.dir.path());
        run(&mut command)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        // `TempDir` removes the folder after this.
    }
}

/// The folder with `initdb`, `pg_ctl` and `postgres`.
fn find_bindir() -> Result<PathBuf, String> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_server(&dir) {
            return Ok(dir);
        }
    }
    // Debian and Ubuntu keep server binaries out of PATH, one folder per major version;
    // take the newest.
    let mut candidates: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_server(dir))
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, dir)| dir).ok_or_else(|| {
        "no PostgreSQL server binaries: `pg_config --bindir` has no initdb and \
         /usr/lib/postgresql/*/bin does not exist (install the `postgresql` package)"
            .to_owned()
    })
}

fn effective_uid_is_root() -> Result<bool, String> {
    let output = run(Command::new("id").arg("-u"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A loopback port nothing listens on (as of now).
pub fn free_loopback_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("cannot read the bound port: {e}"))
}
