// {{ header }}
//! The `{{ name }}` binary: a thin command-line front over the library.

use std::process::ExitCode;

{% if has_auth -%}
use {{ crate_name }}::auth::admin::{self, CreateAdmin};
{% endif -%}
use {{ crate_name }}::config::Config;
use {{ crate_name }}::error::chain;
use {{ crate_name }}::ops::backup::{self, Backup, Restore};
use {{ crate_name }}::{startup, telemetry};

const USAGE: &str = "\
usage: {{ name }} [COMMAND]

commands:
  serve           run the HTTP server (the default); applies pending migrations first
  migrate         apply pending database migrations, then exit
  backup FILE     write a consistent copy of the database to FILE, while the server runs
                  (--force replaces an existing FILE)
  restore FILE    replace the database with the backup in FILE (on SQLite, stop the
                  server first)
{%- if has_auth %}
  create-admin    create the first administrator, or make an account one (--help for more)
{%- endif %}
  help            print this message

Settings come from the environment and an optional .env file; see .env.example.";

/// What to do, from the command line.
enum Command {
    Serve,
    Migrate,
    Backup(Backup),
    Restore(Restore),
{%- if has_auth %}
    CreateAdmin(CreateAdmin),
{%- endif %}
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = match words.as_slice() {
        [] | ["serve"] => Command::Serve,
        ["migrate"] => Command::Migrate,
        ["backup", ..] => match Backup::parse(&args[1..]) {
            Ok(command) => Command::Backup(command),
            Err(error) => return usage_error(&error),
        },
        ["restore", ..] => match Restore::parse(&args[1..]) {
            Ok(command) => Command::Restore(command),
            Err(error) => return usage_error(&error),
        },
{%- if has_auth %}
        ["create-admin", "help" | "-h" | "--help"] => {
            println!("{}", admin::USAGE);
            return ExitCode::SUCCESS;
        }
        ["create-admin", ..] => match CreateAdmin::parse(&args[1..]) {
            Ok(command) => Command::CreateAdmin(command),
            Err(error) => {
                eprintln!("error: {error}\n\n{}", admin::USAGE);
                return ExitCode::from(2);
            }
        },
{%- endif %}
        ["help" | "-h" | "--help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!(
                "error: unexpected arguments `{}`\n\n{USAGE}",
                args.join(" ")
            );
            return ExitCode::from(2);
        }
    };

    // A .env file is optional; variables already in the environment win.
    dotenvy::dotenv().ok();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&config);

    let result = match command {
        Command::Serve => startup::serve(config).await,
        Command::Migrate => startup::migrate(&config).await,
        Command::Backup(command) => backup::backup(&config, &command).await,
        Command::Restore(command) => backup::restore(&config, &command).await,
{%- if has_auth %}
        Command::CreateAdmin(command) => admin::run(&config, command).await,
{%- endif %}
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %chain(error.as_ref()), "stopped on an error");
            ExitCode::FAILURE
        }
    }
}

/// Prints `error` and the usage; exit status 2.
fn usage_error(error: &str) -> ExitCode {
    eprintln!("error: {error}\n\n{USAGE}");
    ExitCode::from(2)
}
