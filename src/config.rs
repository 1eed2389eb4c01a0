//! Target and configuration: the one place that reads the environment.
//!
//! Every binary takes the target as a positional word (`local`, the default, or `prod`) or as
//! `--target`; everything that depends on it (endpoints, credentials, region, connection URLs) is
//! resolved here, once, into a [`Config`]. No other module reads environment variables.

use std::fmt;

use anyhow::{bail, Result};
use clap::ValueEnum;

/// Default name of the messages table.
pub const DEFAULT_TABLE: &str = "cruddur-messages";
/// DynamoDB Local, as `just up` starts it.
pub const LOCAL_DYNAMODB_ENDPOINT: &str = "http://localhost:8000";
/// moto's Cognito server, as `just up` starts it.
pub const LOCAL_COGNITO_ENDPOINT: &str = "http://localhost:9229";
/// The local PostgreSQL database, as `just up` starts it.
pub const LOCAL_CONNECTION_URL: &str = "postgresql://postgres:password@localhost:5432/cruddur";
/// Region used locally when none is configured.
pub const LOCAL_REGION: &str = "us-east-1";
/// Name of the Cognito user pool on the local emulator.
pub const LOCAL_USER_POOL_NAME: &str = "cruddur-user-pool";

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
    /// The messages table.
    pub table: String,
    /// PostgreSQL URL: `CONNECTION_URL` (local) or `PROD_CONNECTION_URL` (prod); `None` if unset on prod.
    database_url: Option<String>,
    /// Cognito user pool id from `AWS_COGNITO_USER_POOL_ID`.
    pub user_pool_id: Option<String>,
}

impl Config {
    /// Resolves the configuration for `target` from the process environment.
    #[allow(clippy::disallowed_methods)] // the one place that reads the environment
    pub fn from_env(target: Target) -> Config {
        Config::resolve(target, |name| {
            std::env::var(name).ok().filter(|v| !v.trim().is_empty())
        })
    }

    /// Resolves the configuration for `target`, reading variables through `var`.
    pub fn resolve(target: Target, var: impl Fn(&str) -> Option<String>) -> Config {
        // Endpoints: on prod the SDK reads AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (and
        // a profile's `services` section) itself, so nothing is resolved here. Locally they are
        // set explicitly: the service's override, else the shared one, else the local stack.
        let endpoint = |service_var: &str, local_default: &str| match target {
            Target::Local => Some(
                var(service_var)
                    .or_else(|| var("AWS_ENDPOINT_URL"))
                    .unwrap_or_else(|| local_default.to_string()),
            ),
            Target::Prod => None,
        };
        let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
        Config {
            target,
            region: match target {
                Target::Local => Some(region.unwrap_or_else(|| LOCAL_REGION.to_string())),
                Target::Prod => region,
            },
            dynamodb_endpoint: endpoint("AWS_ENDPOINT_URL_DYNAMODB", LOCAL_DYNAMODB_ENDPOINT),
            cognito_endpoint: endpoint(
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                LOCAL_COGNITO_ENDPOINT,
            ),
            table: var("DDB_MESSAGE_TABLE").unwrap_or_else(|| DEFAULT_TABLE.to_string()),
            database_url: match target {
                Target::Local => {
                    Some(var("CONNECTION_URL").unwrap_or_else(|| LOCAL_CONNECTION_URL.to_string()))
                }
                Target::Prod => var("PROD_CONNECTION_URL"),
            },
            user_pool_id: var("AWS_COGNITO_USER_POOL_ID"),
        }
    }

    /// Overrides the table name (from `--table`).
    pub fn with_table(mut self, table: Option<String>) -> Config {
        if let Some(table) = table {
            self.table = table;
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

    /// The PostgreSQL connection URL for this target.
    pub fn database_url(&self) -> Result<&str> {
        match (&self.database_url, self.target) {
            (Some(url), _) => Ok(url),
            (None, Target::Prod) => bail!(
                "PROD_CONNECTION_URL is not set: the prod target needs the production database URL \
                 (for example postgresql://USER:PASSWORD@HOST:5432/cruddur?sslmode=require)"
            ),
            (None, Target::Local) => unreachable!("the local database URL always has a default"),
        }
    }

    /// Overrides the database URL (tests and tools that work on another database).
    pub fn with_database_url(mut self, url: impl Into<String>) -> Config {
        self.database_url = Some(url.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn local_defaults_never_use_real_aws() {
        let c = Config::resolve(Target::Local, env(&[]));
        assert_eq!(
            c.dynamodb_endpoint.as_deref(),
            Some(LOCAL_DYNAMODB_ENDPOINT)
        );
        assert_eq!(c.cognito_endpoint.as_deref(), Some(LOCAL_COGNITO_ENDPOINT));
        assert_eq!(c.region.as_deref(), Some("us-east-1"));
        assert_eq!(c.table, DEFAULT_TABLE);
        assert_eq!(c.database_url().unwrap(), LOCAL_CONNECTION_URL);
    }

    #[test]
    fn prod_uses_the_standard_chain_unless_overridden() {
        let c = Config::resolve(Target::Prod, env(&[]));
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
        );
        // The SDK reads the endpoint variables itself on prod (see context.rs).
        assert_eq!(c.dynamodb_endpoint, None);
        assert_eq!(c.cognito_endpoint, None);
        assert_eq!(c.database_url().unwrap(), "postgresql://prod/db");
        assert_eq!(c.table, "other");
        assert_eq!(c.with_table(Some("t".into())).table, "t");
    }

    #[test]
    fn local_endpoint_overrides() {
        let c = Config::resolve(
            Target::Local,
            env(&[
                ("AWS_ENDPOINT_URL", "http://shared:1"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2"),
            ]),
        );
        assert_eq!(c.dynamodb_endpoint.as_deref(), Some("http://ddb:2"));
        assert_eq!(c.cognito_endpoint.as_deref(), Some("http://shared:1"));
    }
}
