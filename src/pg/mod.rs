//! PostgreSQL access: connecting (with TLS when the URL asks for it, [`tls`]), reading users
//! ([`users`]) and rebuilding a database ([`rebuild`]).
//!
//! `sslmode=disable` connects in plain text; `prefer` (the default) and `require` use TLS the way
//! libpq does for those modes: encrypted, the server certificate not verified (RDS certificates
//! are signed by Amazon's own CA, which no public trust store carries).

pub mod rebuild;
pub mod tls;
pub mod users;

pub use rebuild::{quote_ident, rebuild, Rebuilt, SCHEMA_SQL, SEED_SQL};
pub use users::{accounts_by, all_accounts, users_by_handle, Account, AccountKey, User};

use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config as PgConfig, NoTls};

use crate::config::{Config, Target};

/// How long to wait for PostgreSQL to accept a connection.
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
    connect_url(config.database_url()?, config.target).await
}

/// Connects to `url`; `target` only shapes the hint of a connection error.
pub async fn connect_url(url: &str, target: Target) -> Result<Client> {
    let mut pg: PgConfig = url
        .parse()
        .context("the PostgreSQL connection URL is not valid (expected postgresql://USER:PASSWORD@HOST:PORT/DB)")?;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(CONNECT_TIMEOUT);
    }
    let hint = match target {
        Target::Local => " (is the local stack running? start it with `just up`)",
        Target::Prod => "",
    };
    let what = || {
        format!(
            "connecting to PostgreSQL {} ({target}){hint}",
            describe(&pg)
        )
    };
    let client = if pg.get_ssl_mode() == SslMode::Disable {
        let (client, connection) = pg.connect(NoTls).await.with_context(what)?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                eprintln!("warning: PostgreSQL connection ended: {err}");
            }
        });
        client
    } else {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls::tls_config()?);
        let (client, connection) = pg.connect(tls).await.with_context(what)?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                eprintln!("warning: PostgreSQL connection ended: {err}");
            }
        });
        client
    };
    Ok(client)
}
