// {{ header }}
//! A small SMTP server on loopback for the email tests: it speaks enough SMTP (RFC 5321) for
//! a real client to deliver to it over TCP, and records every message it accepts. The app
//! talks to it through `SMTP_URL` exactly as it would to a mail provider.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message as the server received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message: headers and body, lines joined with `\n`, dot-stuffing undone.
    pub data: String,
}

/// A running server; it stops with the test's runtime.
pub struct SmtpServer {
    /// `smtp://127.0.0.1:<port>`: plain SMTP, for `SMTP_URL`.
    pub url: String,
    messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    /// Listens on a free loopback port.
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("a bound port").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&messages);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&store)));
            }
        });
        SmtpServer {
            url: format!("smtp://127.0.0.1:{port}"),
            messages,
        }
    }

    /// The first message to `recipient`, waiting up to 10 seconds for it.
    pub async fn message_to(&self, recipient: &str) -> Received {
        for _ in 0..200 {
            let found = self
                .messages
                .lock()
                .expect("an unpoisoned lock")
                .iter()
                .find(|m| m.to.iter().any(|to| to == recipient))
                .cloned();
            if let Some(message) = found {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no email to {recipient} arrived");
    }
}

/// One SMTP session: greeting, commands, a `DATA` block per message, `QUIT`.
async fn serve(stream: TcpStream, messages: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 localhost test SMTP\r\n").await?;
    let mut current = Received::default();
    while let Some(line) = lines.next_line().await? {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-localhost\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO") || command.starts_with("RSET") {
            current = Received::default();
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM:") {
            current.from = address(&line["MAIL FROM:".len()..]);
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            current.to.push(address(&line["RCPT TO:".len()..]));
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push(line.strip_prefix('.').unwrap_or(&line).to_owned());
            }
            current.data = data.join("\n");
            messages
                .lock()
                .expect("an unpoisoned lock")
                .push(std::mem::take(&mut current));
            b"250 OK: queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if command == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// `<a@example.com> SIZE=123` -> `a@example.com`.
fn address(argument: &str) -> String {
    let argument = argument.trim();
    let inner = argument
        .strip_prefix('<')
        .and_then(|rest| rest.split_once('>'))
        .map_or(argument, |(inner, _)| inner);
    inner.to_owned()
}
