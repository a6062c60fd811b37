// {{ header }}
//! `backup FILE` and `restore FILE`.
//!
//! - **SQLite**: `backup` runs `VACUUM INTO`, a consistent copy taken while the server keeps
//!   serving. `restore` checks that the file is an SQLite database with this app's migrations
//!   table, then puts it in place of the database file. **Stop the server first**: a running
//!   server keeps using the file it opened, and its writes would be lost.
//! - **PostgreSQL**: `backup` runs `pg_dump --format=custom`; `restore` runs `pg_restore
//!   --clean --if-exists --no-owner --single-transaction` (all or nothing), and may run while
//!   the server does. Both need the PostgreSQL client tools, no older than the server:
//!   `postgresql-client` on Debian and Ubuntu (the Docker image has it), `libpq` on macOS,
//!   found in `PG_BINDIR` when set, else on `PATH`. The password in `DATABASE_URL` reaches
//!   them through the environment (`PGPASSWORD`), never the command line.
//!
//! A backup is written to `FILE.partial` and renamed to `FILE` once complete, so `FILE` is
//! always whole. An existing `FILE` is kept unless `--force` is given.

#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::BoxError;
use crate::config::Config;

/// `backup FILE [--force]`: write a backup to `FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub file: PathBuf,
    /// Replace `FILE` when it exists.
    pub force: bool,
}

/// `restore FILE`: replace the database with the backup in `FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub file: PathBuf,
}

impl Backup {
    /// Parses the arguments after `backup`.
    pub fn parse(args: &[String]) -> Result<Backup, String> {
        let force = args.iter().any(|arg| arg == "--force");
        let rest: Vec<&String> = args.iter().filter(|arg| *arg != "--force").collect();
        Ok(Backup {
            file: one_file(&rest)?,
            force,
        })
    }
}

impl Restore {
    /// Parses the arguments after `restore`.
    pub fn parse(args: &[String]) -> Result<Restore, String> {
        let rest: Vec<&String> = args.iter().collect();
        Ok(Restore {
            file: one_file(&rest)?,
        })
    }
}

/// The one `FILE` argument.
fn one_file(args: &[&String]) -> Result<PathBuf, String> {
    match args {
        [] => Err("missing the backup FILE".to_owned()),
        [flag] if flag.starts_with('-') => Err(format!("unknown option `{flag}`")),
        [file] => Ok(PathBuf::from(file)),
        [_, extra, ..] => Err(format!("unexpected argument `{extra}`")),
    }
}

/// `backup`: writes a consistent copy of the database to `command.file`.
pub async fn backup(config: &Config, command: &Backup) -> Result<(), BoxError> {
    let file = &command.file;
    if file.exists() && !command.force {
        return Err(format!(
            "`{}` already exists: choose another file, or pass --force to replace it",
            file.display()
        )
        .into());
    }
    let mut partial = file.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    remove_if_exists(&partial)?;
    if let Err(error) = dump(config, &partial).await {
        remove_if_exists(&partial).ok();
        return Err(error);
    }
    std::fs::rename(&partial, file)?;
    tracing::info!(file = %file.display(), "backup written");
    Ok(())
}

/// `restore`: replaces the database with the backup in `command.file`.
pub async fn restore(config: &Config, command: &Restore) -> Result<(), BoxError> {
    let file = &command.file;
    if !file.is_file() {
        return Err(format!("there is no backup at `{}`", file.display()).into());
    }
    load(config, file).await?;
    tracing::info!(file = %file.display(), "backup restored");
    Ok(())
}

fn remove_if_exists(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// The first bytes of every SQLite database file.
#[cfg(feature = "sqlite")]
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// `VACUUM INTO`: a consistent copy, taken while other connections read and write.
#[cfg(feature = "sqlite")]
async fn dump(config: &Config, partial: &Path) -> Result<(), BoxError> {
    use sqlx::Connection;

    let options = sqlite_options(&config.database_url)?;
    let database = options.get_filename().to_owned();
    if !database.is_file() {
        return Err(format!("there is no database at `{}`", database.display()).into());
    }
    let mut connection = sqlx::SqliteConnection::connect_with(&options).await?;
    check_migrations(&mut connection, &database).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await?;
    connection.close().await?;
    Ok(())
}

/// Checks the backup, then puts a copy of it where the database file is.
#[cfg(feature = "sqlite")]
async fn load(config: &Config, file: &Path) -> Result<(), BoxError> {
    use std::io::Read;

    use sqlx::Connection;
    use sqlx::sqlite::SqliteConnectOptions;

    let mut magic = [0; SQLITE_MAGIC.len()];
    let read = std::fs::File::open(file).and_then(|mut f| f.read_exact(&mut magic));
    if read.is_err() || magic != SQLITE_MAGIC {
        return Err(format!("`{}` is not an SQLite database", file.display()).into());
    }
    // Read-only, and without locks or a journal: nothing writes to a backup.
    let backup = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(true);
    let mut connection = sqlx::SqliteConnection::connect_with(&backup).await?;
    check_migrations(&mut connection, file).await?;
    connection.close().await?;

    let database = sqlite_options(&config.database_url)?
        .get_filename()
        .to_owned();
    let mut incoming = database.clone().into_os_string();
    incoming.push(".restoring");
    let incoming = PathBuf::from(incoming);
    std::fs::copy(file, &incoming)?;
    // The old database's write-ahead log must not be replayed into the restored one.
    for suffix in ["-wal", "-shm"] {
        let mut path = database.clone().into_os_string();
        path.push(suffix);
        remove_if_exists(Path::new(&path))?;
    }
    std::fs::rename(&incoming, &database)?;
    Ok(())
}

/// The options for `DATABASE_URL`'s file, which must already exist.
#[cfg(feature = "sqlite")]
fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions, BoxError> {
    use std::str::FromStr;

    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?.create_if_missing(false);
    if options.get_filename() == Path::new(":memory:") {
        return Err("an in-memory database cannot be backed up or restored".into());
    }
    Ok(options)
}

/// Fails unless the database has the migrations table every copy of this app creates.
#[cfg(feature = "sqlite")]
async fn check_migrations(
    connection: &mut sqlx::SqliteConnection,
    file: &Path,
) -> Result<(), BoxError> {
    let applied = sqlx::query("SELECT 1 FROM _sqlx_migrations LIMIT 1")
        .fetch_optional(connection)
        .await;
    match applied {
        Ok(Some(_)) => Ok(()),
        _ => Err(format!(
            "`{}` has no applied migrations: it is not a database of this app",
            file.display()
        )
        .into()),
    }
}

/// `pg_dump --format=custom`.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
async fn dump(config: &Config, partial: &Path) -> Result<(), BoxError> {
    let (url, password) = split_password(&config.database_url);
    let args: Vec<OsString> = vec![
        "--format=custom".into(),
        "--no-owner".into(),
        "--file".into(),
        partial.into(),
        "--dbname".into(),
        url.into(),
    ];
    run_tool(config, "pg_dump", args, password).await
}

/// `pg_restore --clean --if-exists --no-owner --single-transaction`.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
async fn load(config: &Config, file: &Path) -> Result<(), BoxError> {
    use std::io::Read;

    let mut magic = [0; 5];
    let read = std::fs::File::open(file).and_then(|mut f| f.read_exact(&mut magic));
    if read.is_err() || &magic != b"PGDMP" {
        return Err(format!(
            "`{}` is not a backup made by `backup` (pg_dump's custom format)",
            file.display()
        )
        .into());
    }
    let (url, password) = split_password(&config.database_url);
    let args: Vec<OsString> = vec![
        "--clean".into(),
        "--if-exists".into(),
        "--no-owner".into(),
        "--single-transaction".into(),
        "--exit-on-error".into(),
        "--dbname".into(),
        url.into(),
        file.into(),
    ];
    run_tool(config, "pg_restore", args, password).await
}

/// Runs a PostgreSQL client tool from `PG_BINDIR` (or `PATH`) and waits for it.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
async fn run_tool(
    config: &Config,
    tool: &'static str,
    args: Vec<OsString>,
    password: Option<String>,
) -> Result<(), BoxError> {
    let program = match &config.pg_bindir {
        Some(folder) => folder.join(tool),
        None => PathBuf::from(tool),
    };
    let mut command = std::process::Command::new(&program);
    command.args(args);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = tokio::task::spawn_blocking(move || command.output()).await?;
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "`{}` was not found: install the PostgreSQL client tools \
                 (`apt-get install postgresql-client` on Debian and Ubuntu, \
                 `brew install libpq` on macOS), or set PG_BINDIR to the folder that holds them",
                program.display()
            )
            .into());
        }
        Err(error) => return Err(error.into()),
    };
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into())
    }
}

/// `url` without its password, and the password (percent-decoded): command lines are
/// visible to every user of the machine, the environment is not.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return (url.to_owned(), None);
    };
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    let Some(at) = authority.rfind('@') else {
        return (url.to_owned(), None);
    };
    let Some(colon) = authority[..at].find(':') else {
        return (url.to_owned(), None);
    };
    let password = percent_decode(&authority[colon + 1..at]);
    let url = format!(
        "{}{}{}",
        &url[..start + colon],
        &authority[at..],
        &url[end..]
    );
    (url, Some(password))
}

/// Decodes `%XX` escapes.
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn backup_takes_one_file_and_an_optional_force() {
        let parsed = Backup::parse(&words(&["out.db", "--force"]));
        let expected = Backup {
            file: PathBuf::from("out.db"),
            force: true,
        };
        assert_eq!(parsed, Ok(expected));
        assert!(Backup::parse(&words(&[])).is_err());
        assert!(Backup::parse(&words(&["a", "b"])).is_err());
        assert!(Restore::parse(&words(&["--force"])).is_err());
    }

    #[cfg(all(feature = "postgres", not(feature = "sqlite")))]
    #[test]
    fn the_password_leaves_the_url() {
        let (url, password) = split_password("postgres://app:p%40ss:w@db:5432/app?sslmode=require");
        assert_eq!(url, "postgres://app@db:5432/app?sslmode=require");
        assert_eq!(password.as_deref(), Some("p@ss:w"));
        let (url, password) = split_password("postgres://app@db/app");
        assert_eq!(url, "postgres://app@db/app");
        assert_eq!(password, None);
    }
}
