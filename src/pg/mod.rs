//! PostgreSQL access: connecting (with TLS when the URL asks for it, [`tls`]), reading users
//! ([`users`]) and rebuilding a database ([`rebuild`]); every column is read with
//! [`row::column()`], never a panicking `Row::get`.
//!
//! `sslmode` and `sslrootcert` mean what they mean to libpq ([`tls`]): `verify-full` with
//! `sslrootcert=global-bundle.pem` checks an Amazon RDS server's certificate and host name; `require`
//! without a root certificate encrypts without checking who answers (on prod, with a warning).

pub mod client;
pub mod conninfo;
pub mod rebuild;
pub mod row;
pub mod tls;
pub mod users;

pub use client::{Client, Transaction};
pub use rebuild::{
    plan as plan_rebuild, quote_ident, rebuild, rebuild_with, RebuildPlan, Rebuilt, MARK,
    SCHEMA_SQL, SEED_SQL,
};
pub use users::{
    accounts_by, all_accounts, users_by_handle, Account, AccountKey, DatabaseCounts, User,
};

use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use tokio_postgres::config::{Host, SslMode as PgSslMode};
use tokio_postgres::{Config as PgConfig, NoTls};

use crate::config::{Config, Target};
use crate::context::{no_answer, nothing_answered};
use tls::{Check, SslMode};

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

/// The connection string of `config`'s target: its URL with `PGSSLROOTCERT` as `sslrootcert`
/// unless the URL names one (as in libpq, the connection string wins over the environment).
pub fn database_url(config: &Config) -> Result<String> {
    let url = config.database_url()?;
    Ok(match &config.ssl_root_cert {
        Some(root) => conninfo::with_default_param(url, conninfo::Param::SslRootCert, root),
        None => url.to_string(),
    })
}

/// Connects to the database of `config`'s target.
pub async fn connect(config: &Config) -> Result<Client> {
    connect_url(&database_url(config)?, config).await
}

/// Connects to `url`, with `config`'s timeout; `config`'s target shapes the hint of a connection
/// error, and on prod a URL that does not check the server's identity gets one warning on stderr.
///
/// Every wait is bounded by the timeout `T` ([`Config::timeout`]): the TCP connection (at most
/// 5 s), the whole connection (TLS and authentication), and then every statement (see
/// [`client`]): the server cancels a statement after `T` (`statement_timeout`) and the client
/// stops waiting a second later. The kernel drops a connection whose sent data stays
/// unacknowledged for `T` (`tcp_user_timeout`, with TCP keepalives on).
pub async fn connect_url(url: &str, config: &Config) -> Result<Client> {
    let target = config.target;
    let timeout = config.timeout()?;
    let (mut pg, settings) = conninfo::parse(url)?;
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
    // Settings that cannot work (verify-full without a root certificate, a missing file) are
    // errors before anything is sent.
    let check = settings.check().with_context(what)?;
    if target == Target::Prod {
        if let Some(warning) = settings.identity_warning(&server) {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| eprintln!("{warning}"));
        }
    }
    let (config, failure) = match settings.mode() {
        SslMode::Disable => (None, None),
        _ => {
            let (config, failure) = tls::tls_config(&settings).with_context(what)?;
            (Some(config), Some(failure))
        }
    };
    let with_tls = |mode: PgSslMode| {
        let mut pg = pg.clone();
        pg.ssl_mode(mode);
        let config = config.clone();
        async move {
            match config {
                Some(config) => encrypted(&pg, config).await,
                None => plain(&pg).await,
            }
        }
    };
    let connecting = async {
        match settings.mode() {
            SslMode::Disable => plain(&pg).await,
            // libpq's `allow`: TLS only when the server turns plain text down.
            SslMode::Allow => match plain(&pg).await {
                Err(err) if err.as_db_error().is_some() => with_tls(PgSslMode::Require).await,
                other => other,
            },
            SslMode::Prefer => with_tls(PgSslMode::Prefer).await,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                with_tls(PgSslMode::Require).await
            }
        }
    };
    let err = match tokio::time::timeout(timeout + client::GRACE, connecting).await {
        Ok(Ok(client)) => return Ok(Client::new(client, server, timeout)),
        Ok(Err(err)) => err,
        Err(_) => return Err(anyhow!(no_answer(timeout)).context(what())),
    };
    let hint = match target {
        Target::Local if nothing_answered(&err) => {
            " (is the local stack running? start it with `just up`)"
        }
        _ => "",
    };
    let err = anyhow::Error::new(err);
    let failed = failure.and_then(|f| f.lock().ok().and_then(|mut f| f.take()));
    Err(match failed {
        Some(failed) => err
            .context(format!(
                "the server's TLS certificate failed verification (sslmode={}, sslrootcert={}, \
                 checking {}): {}",
                settings.mode(),
                settings
                    .root_cert
                    .as_ref()
                    .map_or_else(|| "-".to_string(), ToString::to_string),
                match check {
                    Check::ChainAndHostName => "the chain and the host name",
                    _ => "the chain",
                },
                tls::describe_failure(&failed, settings.root_cert.as_ref())
            ))
            .context(what()),
        None => err.context(format!("{}{hint}", what())),
    })
}

/// Connects without TLS, whatever `pg`'s `sslmode`.
async fn plain(pg: &PgConfig) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut pg = pg.clone();
    pg.ssl_mode(PgSslMode::Disable);
    let (client, connection) = pg.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            eprintln!("warning: PostgreSQL connection ended: {err}");
        }
    });
    Ok(client)
}

/// Connects with TLS as `pg`'s `sslmode` says (`prefer` or `require`).
async fn encrypted(
    pg: &PgConfig,
    config: rustls::ClientConfig,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) = pg.connect(tls).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            eprintln!("warning: PostgreSQL connection ended: {err}");
        }
    });
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{test_env as env, Target};

    #[test]
    fn pgsslrootcert_fills_in_the_url_without_overriding_it() {
        let c = Config::resolve(
            Target::Prod,
            env(&[
                (
                    "PROD_CONNECTION_URL",
                    "postgresql://prod/db?sslmode=verify-full",
                ),
                ("PGSSLROOTCERT", "/etc/rds/global-bundle.pem"),
            ]),
        )
        .unwrap();
        assert_eq!(
            database_url(&c).unwrap(),
            "postgresql://prod/db?sslmode=verify-full&sslrootcert=/etc/rds/global-bundle.pem"
        );
        let c = Config::resolve(
            Target::Prod,
            env(&[
                (
                    "PROD_CONNECTION_URL",
                    "postgresql://prod/db?sslrootcert=/mine.pem",
                ),
                ("PGSSLROOTCERT", "/etc/rds/global-bundle.pem"),
            ]),
        )
        .unwrap();
        assert_eq!(
            database_url(&c).unwrap(),
            "postgresql://prod/db?sslrootcert=/mine.pem"
        );
    }
}
