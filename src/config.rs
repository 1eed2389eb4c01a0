//! Target and configuration: the one place that reads the environment.
//!
//! Every binary takes the target as a positional word (`local`, the default, or `prod`) or as
//! `--target`; everything that depends on it (endpoints, credentials, region, connection URLs) is
//! resolved here, once, into a [`Config`]. No other module reads environment variables.
//!
//! The local stack's ports follow `CRUDDUR_OPS_DDB_PORT`, `CRUDDUR_OPS_COGNITO_PORT` and
//! `CRUDDUR_OPS_PG_PORT` (defaults 8000, 9229, 5432), the same variables `scripts/stack.sh` reads, so
//! a stack started on other ports and the tools agree.

use std::fmt;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::ValueEnum;

/// Default name of the messages table.
pub const DEFAULT_TABLE: &str = "cruddur-messages";
/// DynamoDB Local, as `just up` starts it on its default port.
pub const LOCAL_DYNAMODB_ENDPOINT: &str = "http://localhost:8000";
/// moto's Cognito server, as `just up` starts it on its default port.
pub const LOCAL_COGNITO_ENDPOINT: &str = "http://localhost:9229";
/// The local PostgreSQL database, as `just up` starts it on its default port.
pub const LOCAL_CONNECTION_URL: &str = "postgresql://postgres:password@localhost:5432/cruddur";
/// The variable that moves the local DynamoDB Local port (default 8000).
pub const DDB_PORT_VAR: &str = "CRUDDUR_OPS_DDB_PORT";
/// The variable that moves the local Cognito (moto) port (default 9229).
pub const COGNITO_PORT_VAR: &str = "CRUDDUR_OPS_COGNITO_PORT";
/// The variable that moves the local PostgreSQL port (default 5432).
pub const PG_PORT_VAR: &str = "CRUDDUR_OPS_PG_PORT";
/// DynamoDB Local's default port.
pub const DEFAULT_DDB_PORT: u16 = 8000;
/// moto's default port.
pub const DEFAULT_COGNITO_PORT: u16 = 9229;
/// PostgreSQL's default port.
pub const DEFAULT_PG_PORT: u16 = 5432;
/// Region used locally when none is configured.
pub const LOCAL_REGION: &str = "us-east-1";
/// Name of the Cognito user pool on the local emulator.
pub const LOCAL_USER_POOL_NAME: &str = "cruddur-user-pool";
/// The environment variable that sets [`Config::timeout`] (whole seconds).
pub const TIMEOUT_VAR: &str = "CRUDDUR_OPS_TIMEOUT_SECS";
/// How long one request may wait for its answer unless `--timeout`/[`TIMEOUT_VAR`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// The environment variable naming the `--trace-calls` file.
pub const TRACE_CALLS_VAR: &str = "CRUDDUR_OPS_TRACE_CALLS";
/// The largest accepted timeout (a day): more is a typo, not patience.
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// Where a command runs.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// The local stack on loopback (`just up`): DynamoDB Local, moto's Cognito, PostgreSQL.
    #[default]
    Local,
    /// Real AWS through the standard credential chain, and the production database.
    Prod,
}

impl Target {
    /// The exact word for this target.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Local => "local",
            Target::Prod => "prod",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a command needs to know about where it runs, resolved once.
#[derive(Debug, Clone)]
pub struct Config {
    /// Local or prod.
    pub target: Target,
    /// Region to sign for: always set locally; on prod `None` means "the SDK's standard chain".
    pub region: Option<String>,
    /// DynamoDB (and DynamoDB Streams) endpoint, set locally only: on prod the SDK resolves
    /// it, honouring `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL`.
    pub dynamodb_endpoint: Option<String>,
    /// Cognito endpoint, set locally only (on prod the SDK resolves it, honouring
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`).
    pub cognito_endpoint: Option<String>,
    /// S3 endpoint (the native export and import), set locally only: moto's server on the
    /// Cognito port, which serves S3 (and DynamoDB) too; on prod the SDK resolves it, honouring
    /// `AWS_ENDPOINT_URL_S3`.
    pub s3_endpoint: Option<String>,
    /// The messages table.
    pub table: String,
    /// Whether the table was given (`DDB_MESSAGE_TABLE` or `--table`) rather than the default.
    pub table_given: bool,
    /// PostgreSQL URL: `CONNECTION_URL` (local, with a default) or `PROD_CONNECTION_URL` (prod).
    database_url: DatabaseUrl,
    /// `PGSSLROOTCERT`: the root certificate file for the database's TLS, merged into the URL by
    /// [`crate::pg::database_url`] unless the URL names its own `sslrootcert`.
    pub ssl_root_cert: Option<String>,
    /// Cognito user pool id from `AWS_COGNITO_USER_POOL_ID`.
    pub user_pool_id: Option<String>,
    /// The raw `CRUDDUR_OPS_TIMEOUT_SECS`, checked by [`Config::timeout`].
    timeout_var: Option<String>,
    /// `--timeout`, which wins over the variable.
    timeout_flag: Option<Duration>,
    /// Where to write one JSON line per AWS call: `--trace-calls`, else `CRUDDUR_OPS_TRACE_CALLS`.
    pub trace_calls: Option<std::path::PathBuf>,
}

impl Config {
    /// Resolves the configuration for `target` from the process environment.
    ///
    /// A malformed port variable on the local target is an error naming the variable.
    #[allow(clippy::disallowed_methods)] // the one place that reads the environment
    pub fn from_env(target: Target) -> Result<Config> {
        Config::resolve(target, |name| {
            std::env::var(name).ok().filter(|v| !v.trim().is_empty())
        })
    }

    /// Resolves the configuration for `target`, reading variables through `var`. Fails only when
    /// a local port variable is not a number from 1 to 65535 (prod ignores them).
    pub fn resolve(target: Target, var: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let ports = match target {
            Target::Local => Some(LocalPorts::resolve(&var)?),
            Target::Prod => None,
        };
        // Endpoints: on prod the SDK reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (and
        // a profile's `services` section) itself, so nothing is resolved here. Locally they are
        // set explicitly: the service's override, else the shared one, else the local stack.
        let endpoint = |service_var: &str, local_default: Option<String>| match target {
            Target::Local => var(service_var)
                .or_else(|| var("AWS_ENDPOINT_URL"))
                .or(local_default),
            Target::Prod => None,
        };
        let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
        Ok(Config {
            target,
            region: match target {
                Target::Local => Some(region.unwrap_or_else(|| LOCAL_REGION.to_string())),
                Target::Prod => region,
            },
            dynamodb_endpoint: endpoint(
                "AWS_ENDPOINT_URL_DYNAMODB",
                ports.map(|p| local_endpoint(p.dynamodb)),
            ),
            cognito_endpoint: endpoint(
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                ports.map(|p| local_endpoint(p.cognito)),
            ),
            s3_endpoint: endpoint(
                "AWS_ENDPOINT_URL_S3",
                ports.map(|p| local_endpoint(p.cognito)),
            ),
            table: var("DDB_MESSAGE_TABLE").unwrap_or_else(|| DEFAULT_TABLE.to_string()),
            table_given: var("DDB_MESSAGE_TABLE").is_some(),
            database_url: match ports {
                Some(p) => DatabaseUrl::Given(
                    var("CONNECTION_URL").unwrap_or_else(|| local_connection_url(p.postgres)),
                ),
                None => {
                    var("PROD_CONNECTION_URL").map_or(DatabaseUrl::ProdUnset, DatabaseUrl::Given)
                }
            },
            ssl_root_cert: var("PGSSLROOTCERT"),
            user_pool_id: var("AWS_COGNITO_USER_POOL_ID"),
            timeout_var: var(TIMEOUT_VAR),
            timeout_flag: None,
            trace_calls: var(TRACE_CALLS_VAR).map(std::path::PathBuf::from),
        })
    }

    /// How long one request to any server (a DynamoDB or Cognito call, a PostgreSQL connection or
    /// statement) may wait for its answer: `--timeout`, else `CRUDDUR_OPS_TIMEOUT_SECS`, else
    /// [`DEFAULT_TIMEOUT`]. Each request has its own bound, so a long scan or pagination is never
    /// cut short as a whole.
    pub fn timeout(&self) -> Result<Duration> {
        if let Some(flag) = self.timeout_flag {
            return Ok(flag);
        }
        let Some(raw) = &self.timeout_var else {
            return Ok(DEFAULT_TIMEOUT);
        };
        match raw.trim().parse::<u64>() {
            Ok(secs) if (1..=MAX_TIMEOUT_SECS).contains(&secs) => Ok(Duration::from_secs(secs)),
            _ => bail!(
                "{TIMEOUT_VAR} must be a whole number of seconds from 1 to {MAX_TIMEOUT_SECS}, not {raw:?}"
            ),
        }
    }

    /// Overrides the timeout (from `--timeout`).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Config {
        if timeout.is_some() {
            self.timeout_flag = timeout;
        }
        self
    }

    /// Overrides the trace file (from `--trace-calls`).
    pub fn with_trace_calls(mut self, path: Option<std::path::PathBuf>) -> Config {
        if path.is_some() {
            self.trace_calls = path;
        }
        self
    }

    /// Overrides the table name (from `--table`).
    pub fn with_table(mut self, table: Option<String>) -> Config {
        if let Some(table) = table {
            self.table = table;
            self.table_given = true;
        }
        self
    }

    /// Overrides the user pool id (from `--user-pool-id`).
    pub fn with_user_pool_id(mut self, id: Option<String>) -> Config {
        if id.is_some() {
            self.user_pool_id = id;
        }
        self
    }

    /// The PostgreSQL connection URL for this target, as given (see [`crate::pg::database_url`]
    /// for the one a connection uses).
    pub fn database_url(&self) -> Result<&str> {
        match &self.database_url {
            DatabaseUrl::Given(url) => Ok(url),
            DatabaseUrl::ProdUnset => bail!(
                "PROD_CONNECTION_URL is not set: the prod target needs the production database URL \
                 (for example postgresql://USER:PASSWORD@HOST:5432/cruddur?sslmode=verify-full&sslrootcert=/path/to/global-bundle.pem)"
            ),
        }
    }

    /// Overrides the database URL (tests and tools that work on another database).
    pub fn with_database_url(mut self, url: impl Into<String>) -> Config {
        self.database_url = DatabaseUrl::Given(url.into());
        self
    }
}

/// Where the PostgreSQL URL stands: the local target always has one (`CONNECTION_URL` or the
/// local stack's), so the only way to have none is prod without `PROD_CONNECTION_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DatabaseUrl {
    /// The URL.
    Given(String),
    /// The prod target, `PROD_CONNECTION_URL` unset.
    ProdUnset,
}

/// The local stack's ports (`CRUDDUR_OPS_*_PORT`, as `scripts/stack.sh` reads them).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LocalPorts {
    /// DynamoDB Local (and its streams API).
    pub dynamodb: u16,
    /// moto's Cognito server.
    pub cognito: u16,
    /// PostgreSQL.
    pub postgres: u16,
}

impl Default for LocalPorts {
    fn default() -> LocalPorts {
        LocalPorts {
            dynamodb: DEFAULT_DDB_PORT,
            cognito: DEFAULT_COGNITO_PORT,
            postgres: DEFAULT_PG_PORT,
        }
    }
}

impl LocalPorts {
    /// Reads the three port variables through `var` (unset means the default).
    pub fn resolve(var: impl Fn(&str) -> Option<String>) -> Result<LocalPorts> {
        let port = |name: &str, default: u16| match var(name) {
            None => Ok(default),
            Some(value) => parse_port(&value).with_context(|| format!("{name}={value:?}")),
        };
        Ok(LocalPorts {
            dynamodb: port(DDB_PORT_VAR, DEFAULT_DDB_PORT)?,
            cognito: port(COGNITO_PORT_VAR, DEFAULT_COGNITO_PORT)?,
            postgres: port(PG_PORT_VAR, DEFAULT_PG_PORT)?,
        })
    }
}

/// A TCP port: decimal digits only, 1 to 65535.
fn parse_port(value: &str) -> Result<u16> {
    let value = value.trim();
    if value.is_empty() || value.len() > 5 || !value.bytes().all(|b| b.is_ascii_digit()) {
        bail!("a port must be a number from 1 to 65535");
    }
    match value.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => bail!("a port must be a number from 1 to 65535"),
    }
}

/// `http://localhost:PORT`.
fn local_endpoint(port: u16) -> String {
    format!("http://localhost:{port}")
}

/// The local stack's `cruddur` database on `port`.
fn local_connection_url(port: u16) -> String {
    format!("postgresql://postgres:password@localhost:{port}/cruddur")
}

/// An environment of `pairs` (name, value) for [`Config::resolve`] in tests.
#[cfg(test)]
pub(crate) fn test_env<'a>(
    pairs: &'a [(&'a str, &'a str)],
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env as env;

    #[test]
    fn local_defaults_never_use_real_aws() {
        let c = Config::resolve(Target::Local, env(&[])).unwrap();
        assert_eq!(
            c.dynamodb_endpoint.as_deref(),
            Some(LOCAL_DYNAMODB_ENDPOINT)
        );
        assert_eq!(c.cognito_endpoint.as_deref(), Some(LOCAL_COGNITO_ENDPOINT));
        // moto's server serves S3 on the Cognito port.
        assert_eq!(c.s3_endpoint.as_deref(), Some(LOCAL_COGNITO_ENDPOINT));
        assert_eq!(c.region.as_deref(), Some("us-east-1"));
        assert_eq!(c.table, DEFAULT_TABLE);
        assert_eq!(c.database_url().unwrap(), LOCAL_CONNECTION_URL);
    }

    #[test]
    fn prod_uses_the_standard_chain_unless_overridden() {
        let c = Config::resolve(Target::Prod, env(&[])).unwrap();
        assert_eq!(c.dynamodb_endpoint, None);
        assert_eq!(c.cognito_endpoint, None);
        assert_eq!(c.region, None);
        let err = c.database_url().unwrap_err().to_string();
        assert!(err.contains("PROD_CONNECTION_URL"), "{err}");

        let c = Config::resolve(
            Target::Prod,
            env(&[
                ("AWS_ENDPOINT_URL", "http://shared:1"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2"),
                ("PROD_CONNECTION_URL", "postgresql://prod/db"),
                ("CONNECTION_URL", "postgresql://local/db"),
                ("DDB_MESSAGE_TABLE", "other"),
            ]),
        )
        .unwrap();
        // The SDK reads the endpoint variables itself on prod (see context.rs).
        assert_eq!(c.dynamodb_endpoint, None);
        assert_eq!(c.cognito_endpoint, None);
        assert_eq!(c.database_url().unwrap(), "postgresql://prod/db");
        assert_eq!(c.table, "other");
        assert_eq!(c.with_table(Some("t".into())).table, "t");
    }

    #[test]
    fn local_ports_follow_the_stack_variables() {
        let c = Config::resolve(
            Target::Local,
            env(&[
                ("CRUDDUR_OPS_DDB_PORT", "18000"),
                ("CRUDDUR_OPS_COGNITO_PORT", "19229"),
                ("CRUDDUR_OPS_PG_PORT", " 15432 "),
            ]),
        )
        .unwrap();
        assert_eq!(
            c.dynamodb_endpoint.as_deref(),
            Some("http://localhost:18000")
        );
        assert_eq!(
            c.cognito_endpoint.as_deref(),
            Some("http://localhost:19229")
        );
        assert_eq!(
            c.database_url().unwrap(),
            "postgresql://postgres:password@localhost:15432/cruddur"
        );

        // Explicit endpoints and CONNECTION_URL still win over the ports.
        let c = Config::resolve(
            Target::Local,
            env(&[
                ("CRUDDUR_OPS_DDB_PORT", "18000"),
                ("CRUDDUR_OPS_PG_PORT", "15432"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2"),
                ("CONNECTION_URL", "postgresql://local/db"),
            ]),
        )
        .unwrap();
        assert_eq!(c.dynamodb_endpoint.as_deref(), Some("http://ddb:2"));
        assert_eq!(c.cognito_endpoint.as_deref(), Some(LOCAL_COGNITO_ENDPOINT));
        assert_eq!(c.database_url().unwrap(), "postgresql://local/db");

        // The defaults are the documented constants.
        assert_eq!(
            LocalPorts::resolve(env(&[])).unwrap(),
            LocalPorts::default()
        );
        assert_eq!(local_endpoint(DEFAULT_DDB_PORT), LOCAL_DYNAMODB_ENDPOINT);
        assert_eq!(local_endpoint(DEFAULT_COGNITO_PORT), LOCAL_COGNITO_ENDPOINT);
        assert_eq!(local_connection_url(DEFAULT_PG_PORT), LOCAL_CONNECTION_URL);
    }

    #[test]
    fn malformed_ports_are_errors_that_name_the_variable() {
        for bad in [
            "0", "65536", "99999", "123456", "abc", "80a", "-1", "+80", "8 0", "0x50",
        ] {
            for name in [DDB_PORT_VAR, COGNITO_PORT_VAR, PG_PORT_VAR] {
                let err = Config::resolve(Target::Local, env(&[(name, bad)])).unwrap_err();
                let msg = format!("{err:#}");
                assert!(
                    msg.contains(name) && msg.contains("1 to 65535"),
                    "{bad}: {msg}"
                );
            }
        }
        for (good, want) in [("1", 1), ("65535", 65535), ("08000", 8000)] {
            assert_eq!(parse_port(good).unwrap(), want, "{good}");
        }
        // prod never looks at them
        let c = Config::resolve(Target::Prod, env(&[(DDB_PORT_VAR, "abc")])).unwrap();
        assert_eq!(c.dynamodb_endpoint, None);
    }

    #[test]
    fn timeout_comes_from_the_flag_then_the_variable() {
        let c = Config::resolve(Target::Local, env(&[])).unwrap();
        assert_eq!(c.timeout().unwrap(), DEFAULT_TIMEOUT);
        let c = Config::resolve(Target::Prod, env(&[(TIMEOUT_VAR, "90")])).unwrap();
        assert_eq!(c.timeout().unwrap(), Duration::from_secs(90));
        let c = c.with_timeout(Some(Duration::from_secs(5)));
        assert_eq!(c.timeout().unwrap(), Duration::from_secs(5));
        for bad in ["0", "-1", "1.5", "ten", "86401"] {
            let c = Config::resolve(Target::Local, env(&[(TIMEOUT_VAR, bad)])).unwrap();
            let err = c.timeout().unwrap_err().to_string();
            assert!(
                err.contains(TIMEOUT_VAR) && err.contains(bad),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn local_endpoint_overrides() {
        let c = Config::resolve(
            Target::Local,
            env(&[
                ("AWS_ENDPOINT_URL", "http://shared:1"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2"),
            ]),
        )
        .unwrap();
        assert_eq!(c.dynamodb_endpoint.as_deref(), Some("http://ddb:2"));
        assert_eq!(c.cognito_endpoint.as_deref(), Some("http://shared:1"));
        assert_eq!(c.s3_endpoint.as_deref(), Some("http://shared:1"));
        let c = Config::resolve(
            Target::Local,
            env(&[("AWS_ENDPOINT_URL_S3", "http://s3:3")]),
        );
        assert_eq!(c.unwrap().s3_endpoint.as_deref(), Some("http://s3:3"));
        let c = Config::resolve(Target::Prod, env(&[("AWS_ENDPOINT_URL_S3", "http://s3:3")]));
        assert_eq!(
            c.unwrap().s3_endpoint,
            None,
            "the SDK reads it itself on prod"
        );
    }
}
