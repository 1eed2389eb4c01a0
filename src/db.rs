//! PostgreSQL: connecting (with TLS when the URL asks for it) and reading users.
//!
//! `sslmode=disable` connects in plain text; `prefer` (the default) and `require` use TLS the way
//! libpq does for those modes: encrypted, the server certificate not verified (RDS certificates
//! are signed by Amazon's own CA, which no public trust store carries).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config as PgConfig, NoTls};
use uuid::Uuid;

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
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config()?);
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

fn tls_config() -> Result<rustls::ClientConfig> {
    // ring rather than aws-lc-rs: aws-lc seeds its random generator from CPU jitter on first use,
    // which costs about 20 ms per process; ring is already built for tokio-postgres-rustls.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("setting up TLS for PostgreSQL")?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
    )
}

/// libpq's `sslmode=require`: the session is encrypted and signatures are checked, but the
/// certificate chain is not verified against a trust store.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A row of `users`, as the messages tools need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's uuid.
    pub uuid: Uuid,
    /// Display name.
    pub display_name: String,
    /// Handle (Cognito's `preferred_username`).
    pub handle: String,
}

/// Looks users up by handle; every handle must exist (the error names the missing ones).
/// Returns them in the order of `handles`.
pub async fn users_by_handle(client: &Client, handles: &[&str]) -> Result<Vec<User>> {
    let wanted: Vec<String> = handles.iter().map(|h| h.to_string()).collect();
    let rows = client
        .query(
            "SELECT uuid, display_name, handle FROM users WHERE handle = ANY($1)",
            &[&wanted],
        )
        .await
        .context("looking up users by handle")?;
    let found: Vec<User> = rows
        .iter()
        .map(|r| User {
            uuid: r.get(0),
            display_name: r.get(1),
            handle: r.get(2),
        })
        .collect();
    handles
        .iter()
        .map(|h| {
            found
                .iter()
                .find(|u| u.handle == *h)
                .cloned()
                .with_context(|| format!("no user with handle {h:?} in the users table"))
        })
        .collect()
}

/// The relational schema (`users`, `activities`).
pub const SCHEMA_SQL: &str = include_str!("../seeds/schema.sql");
/// The seed users (and a couple of activities), with `cognito_user_id = 'MOCK'`.
pub const SEED_SQL: &str = include_str!("../seeds/users.sql");

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What [`rebuild`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The database that was (re)created.
    pub database: String,
    /// Rows in `users` afterwards.
    pub users: i64,
}

/// Drops and recreates the database `url` names, with the schema and seed loaded in one
/// transaction.
///
/// The new database is built under a staging name first and only swapped in once it is complete,
/// so a failure leaves the old database as it was.
pub async fn rebuild(
    url: &str,
    target: Target,
    schema_sql: &str,
    seed_sql: &str,
) -> Result<Rebuilt> {
    let pg: PgConfig = url
        .parse()
        .context("the PostgreSQL connection URL is not valid")?;
    let name = pg
        .get_dbname()
        .context("the connection URL names no database")?
        .to_string();
    if name == "postgres" || name.starts_with("template") {
        anyhow::bail!("refusing to rebuild the system database {name:?}");
    }
    if name.len() > MAX_IDENT_BYTES {
        anyhow::bail!(
            "database name {name:?} is longer than PostgreSQL's {MAX_IDENT_BYTES}-byte limit"
        );
    }
    let staging = staging_name(&name);
    let admin_url = admin_url(url, &name)?;
    let admin = connect_url(&admin_url, target).await?;
    // Two statements, each on its own: a name may hold anything, "; " included.
    for statement in [
        format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&staging)
        ),
        format!("CREATE DATABASE {}", quote_ident(&staging)),
    ] {
        admin
            .batch_execute(&statement)
            .await
            .with_context(|| format!("preparing the staging database {staging}"))?;
    }
    let loaded = async {
        let staging_url = admin_url_for(url, &name, &staging)?;
        let mut client = connect_url(&staging_url, target).await?;
        let tx = client
            .transaction()
            .await
            .context("starting the load transaction")?;
        tx.batch_execute(schema_sql)
            .await
            .context("loading the schema")?;
        tx.batch_execute(seed_sql)
            .await
            .context("loading the seed users")?;
        let users: i64 = tx
            .query_one("SELECT count(*) FROM users", &[])
            .await
            .context("counting users")?
            .get(0);
        tx.commit()
            .await
            .context("committing the schema and seed")?;
        anyhow::Ok(users)
    }
    .await;
    let users = match loaded {
        Ok(users) => users,
        Err(err) => {
            let _ = admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&staging)
                ))
                .await;
            return Err(err.context(format!("database {name} was left as it was")));
        }
    };
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .await
        .with_context(|| format!("dropping database {name}"))?;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&staging),
            quote_ident(&name)
        ))
        .await
        .with_context(|| format!("renaming {staging} to {name}"))?;
    Ok(Rebuilt {
        database: name,
        users,
    })
}

/// PostgreSQL truncates identifiers longer than this (NAMEDATALEN - 1), silently.
const MAX_IDENT_BYTES: usize = 63;

/// The name the new database is built under: `<name>__rebuild`, or, when that would pass
/// PostgreSQL's identifier limit (and be silently truncated, perhaps onto another database's
/// name), a name derived from a hash of `name`.
fn staging_name(name: &str) -> String {
    let staging = format!("{name}__rebuild");
    if staging.len() <= MAX_IDENT_BYTES {
        return staging;
    }
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).simple();
    format!("rebuild__{id}")
}

/// `url` with its database swapped for `postgres` (the maintenance database).
fn admin_url(url: &str, name: &str) -> Result<String> {
    admin_url_for(url, name, "postgres")
}

/// `url` with the database `name` replaced by `other` (URL form only).
fn admin_url_for(url: &str, name: &str, other: &str) -> Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix = base
        .strip_suffix(name)
        .filter(|p| p.ends_with('/'))
        .with_context(|| {
            format!(
                "expected a URL ending in /{name} (postgresql://USER:PASSWORD@HOST:PORT/{name})"
            )
        })?;
    Ok(match query {
        Some(q) => format!("{prefix}{other}?{q}"),
        None => format!("{prefix}{other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_fit_postgres_identifiers() {
        assert_eq!(staging_name("cruddur"), "cruddur__rebuild");
        let long = "x".repeat(60);
        let staging = staging_name(&long);
        assert!(staging.len() <= MAX_IDENT_BYTES, "{staging}");
        assert_ne!(staging, staging_name(&"x".repeat(61)));
        assert_eq!(staging, staging_name(&long));
    }

    #[test]
    fn admin_urls_swap_only_the_database() {
        assert_eq!(
            admin_url("postgresql://u:p@h:5432/cruddur?sslmode=require", "cruddur").unwrap(),
            "postgresql://u:p@h:5432/postgres?sslmode=require"
        );
        assert!(admin_url("host=h dbname=cruddur", "cruddur").is_err());
    }
}
