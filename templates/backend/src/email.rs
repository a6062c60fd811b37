// {{ header }}
//! Outgoing email: over SMTP when `SMTP_URL` is set, else into a development outbox (one
//! `.eml` file per message under `OUTBOX_DIR`, plus a log line). Production refuses to start
//! without `SMTP_URL`, so codes and reset tokens never end up in a folder nobody reads.

use std::fmt;
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::BoxError;
use crate::config::{AppEnv, ConfigError};

/// The email settings.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// `SMTP_URL`: the mail server, with credentials if it needs them:
    /// `smtps://user:password@smtp.example.com` (TLS, port 465),
    /// `smtp://user:password@smtp.example.com:587?tls=required` (STARTTLS), or
    /// `smtp://localhost:1025` (no TLS: only for a server on the same machine or network).
    /// Unset: the development outbox. Required in production.
    pub smtp_url: Option<String>,
    /// `EMAIL_FROM`: the sender, e.g. `Studio Bookings <no-reply@example.com>`. Required with
    /// `SMTP_URL`; default `no-reply@localhost` for the outbox.
    pub from: String,
    /// `OUTBOX_DIR`: where the development outbox keeps messages. Default `data/outbox`.
    pub outbox_dir: PathBuf,
}

/// Never prints the SMTP URL: it may hold a password.
impl fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .field("outbox_dir", &self.outbox_dir)
            .finish()
    }
}

impl EmailSettings {
    /// Reads the settings through `var` (see [`crate::config::Config::from_vars`]).
    pub fn from_vars(
        var: &impl Fn(&str) -> Option<String>,
        app_env: AppEnv,
    ) -> Result<EmailSettings, ConfigError> {
        let smtp_url = var("SMTP_URL").filter(|url| !url.is_empty());
        if smtp_url.is_none() && app_env == AppEnv::Production {
            return Err(ConfigError::Missing("SMTP_URL"));
        }
        let from = match var("EMAIL_FROM") {
            Some(from) => from,
            None if smtp_url.is_some() => return Err(ConfigError::Missing("EMAIL_FROM")),
            None => "no-reply@localhost".to_owned(),
        };
        if from.parse::<Mailbox>().is_err() {
            return Err(ConfigError::Invalid {
                name: "EMAIL_FROM",
                value: from,
                expected: "an address like `App <no-reply@example.com>`",
            });
        }
        if let Some(url) = &smtp_url
            && AsyncSmtpTransport::<Tokio1Executor>::from_url(url).is_err()
        {
            return Err(ConfigError::Invalid {
                name: "SMTP_URL",
                value: "[redacted]".to_owned(),
                expected: "a URL like `smtps://user:password@smtp.example.com`",
            });
        }
        Ok(EmailSettings {
            smtp_url,
            from,
            outbox_dir: var("OUTBOX_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data/outbox")),
        })
    }
}

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends email: an SMTP connection pool, or the development outbox.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.transport {
            Transport::Smtp(_) => "smtp".to_owned(),
            Transport::Outbox(dir) => format!("outbox at {}", dir.display()),
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &transport)
            .finish()
    }
}

impl Mailer {
    pub fn new(settings: &EmailSettings) -> Result<Mailer, BoxError> {
        let transport = match &settings.smtp_url {
            Some(url) => {
                Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
            }
            None => Transport::Outbox(settings.outbox_dir.clone()),
        };
        Ok(Mailer {
            from: settings.from.parse()?,
            transport,
        })
    }

    /// Sends `email` and waits for the server (or the file) to take it.
    pub async fn send(&self, email: Email) -> Result<(), BoxError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(email.to.parse()?)
            .subject(email.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body)?;
        match &self.transport {
            Transport::Smtp(transport) => {
                transport.send(message).await?;
                tracing::info!(subject = %email.subject, "email sent");
            }
            Transport::Outbox(dir) => {
                let path = save(dir, &message.formatted()).await?;
                tracing::info!(
                    subject = %email.subject,
                    path = %path.display(),
                    "email saved to the development outbox (set SMTP_URL to send it)"
                );
            }
        }
        Ok(())
    }

    /// Sends `email` in the background; a failure is logged. Requests never wait for the
    /// mail server, so an answer takes as long whether or not it sent an email (and a slow
    /// server cannot hold requests up).
    pub fn send_later(&self, email: Email) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let subject = email.subject.clone();
            if let Err(error) = mailer.send(email).await {
                let error = crate::error::chain(error.as_ref());
                tracing::error!(%subject, %error, "cannot send email");
            }
        });
    }
}

/// Writes a message to the outbox as `<time-ordered id>.eml`, whole or not at all (written
/// aside, then renamed), so a reader never sees half a message.
async fn save(dir: &Path, message: &[u8]) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let id = Uuid::now_v7();
    let partial = dir.join(format!("{id}.partial"));
    let path = dir.join(format!("{id}.eml"));
    tokio::fs::write(&partial, message).await?;
    tokio::fs::rename(&partial, &path).await?;
    Ok(path)
}
