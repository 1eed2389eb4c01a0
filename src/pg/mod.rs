//! PostgreSQL access: connecting (with TLS when the URL asks for it, [`tls`]), reading users
//! ([`users`]) and rebuilding a database ([`rebuild`]).
//!
//! `sslmode=disable` connects in plain text; `prefer` (the default) and `require` use TLS the way
//! libpq does for those modes: encrypted, the server certificate not verified (RDS certificates
//! are signed by Amazon's own CA, which no public trust store carries).

pub mod client;
pub mod rebuild;
pub mod tls;
pub mod users;

pub use client::{Client, Transaction};
pub use rebuild::{quote_ident, rebuild, rebuild_with, Rebuilt, MARK, SCHEMA_SQL, SEED_SQL};
pub use users::{users_by_handle, User};

use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Config as PgConfig, NoTls};

use crate::config::{Config, Target};
use crate::context::{no_answer, nothing_answered};

/// How long to wait for PostgreSQL to accept a TCP connection (or the per-request timeout, when
/// that is shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a connection goes, without the password: `postgres@localhost:5432/cruddur`.
pub fn describe(config: &PgConfig) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    )
}

/// Connects to the database of `config`'s target.
pub async fn connect(config: &Config) -> Result<Client> {
    connect_url(config.database_url()?, config).await
}

/// Connects to `url`, with `config`'s timeout; `config`'s target only shapes the hint of a
/// connection error.
///
/// Every wait is bounded by the timeout `T` ([`Config::timeout`]): the TCP connection (at most
/// 5 s), the whole connection (TLS and authentication), and then every statement (see
/// [`client`]): the server cancels a statement after `T` (`statement_timeout`) and the client
/// stops waiting a second later. The kernel drops a connection whose sent data stays
/// unacknowledged for `T` (`tcp_user_timeout`, with TCP keepalives on).
pub async fn connect_url(url: &str, config: &Config) -> Result<Client> {
    let target = config.target;
    let timeout = config.timeout()?;
    let mut pg: PgConfig = url
        .parse()
        .context("the PostgreSQL connection URL is not valid (expected postgresql://USER:PASSWORD@HOST:PORT/DB)")?;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(CONNECT_TIMEOUT.min(timeout));
    }
    if pg.get_tcp_user_timeout().is_none() {
        pg.tcp_user_timeout(timeout);
    }
    pg.keepalives(true).keepalives_idle(timeout);
    // Ours first: a statement_timeout of the URL's own `options` comes later and wins.
    let statement_timeout = format!("-c statement_timeout={}", timeout.as_millis());
    let options = match pg.get_options() {
        Some(own) => format!("{statement_timeout} {own}"),
        None => statement_timeout,
    };
    pg.options(options);
    let server = describe(&pg);
    let what = || format!("connecting to PostgreSQL {server} ({target})");
    let tls = match pg.get_ssl_mode() {
        SslMode::Disable => None,
        _ => Some(tokio_postgres_rustls::MakeRustlsConnect::new(
            tls::tls_config()?,
        )),
    };
    let connecting = async {
        let client = match tls {
            None => {
                let (client, connection) = pg.connect(NoTls).await?;
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        eprintln!("warning: PostgreSQL connection ended: {err}");
                    }
                });
                client
            }
            Some(tls) => {
                let (client, connection) = pg.connect(tls).await?;
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        eprintln!("warning: PostgreSQL connection ended: {err}");
                    }
                });
                client
            }
        };
        Ok::<_, tokio_postgres::Error>(client)
    };
    match tokio::time::timeout(timeout + client::GRACE, connecting).await {
        Ok(Ok(client)) => Ok(Client::new(client, server, timeout)),
        Ok(Err(err)) => {
            let hint = match target {
                Target::Local if nothing_answered(&err) => {
                    " (is the local stack running? start it with `just up`)"
                }
                _ => "",
            };
            Err(anyhow::Error::new(err).context(format!("{}{hint}", what())))
        }
        Err(_) => Err(anyhow!(no_answer(timeout)).context(what())),
    }
}
