//! A PostgreSQL client whose every request has a bounded wait.
//!
//! A server that accepts the connection and then never answers (stopped with SIGSTOP, overloaded,
//! a half-open network path) would leave a `tokio_postgres` call waiting forever, and a stopped
//! server never enforces its own `statement_timeout`. So every statement sent through [`Client`]
//! or [`Transaction`] is bounded on this side too: the server is asked to cancel any statement
//! after the timeout (`statement_timeout`, set at connection time), and the client gives up
//! [`GRACE`] later, so a live server's own, clearer error wins the race. The bound is per
//! statement: a long transaction of quick statements is never cut short as a whole.

use std::future::Future;
use std::time::Duration;

use anyhow::{anyhow, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::context::no_answer;

/// How much longer than the server's `statement_timeout` the client waits for an answer.
pub const GRACE: Duration = Duration::from_secs(1);

/// Waits at most `timeout` + [`GRACE`] for `request`; the error names the server.
pub(crate) async fn bounded<T>(
    server: &str,
    timeout: Duration,
    request: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T> {
    match tokio::time::timeout(timeout + GRACE, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(anyhow::Error::new(err)),
        Err(_) => Err(anyhow!("PostgreSQL {server}: {}", no_answer(timeout))),
    }
}

/// A connected PostgreSQL client (see the module documentation).
pub struct Client {
    inner: tokio_postgres::Client,
    server: String,
    timeout: Duration,
}

impl Client {
    pub(crate) fn new(inner: tokio_postgres::Client, server: String, timeout: Duration) -> Client {
        Client {
            inner,
            server,
            timeout,
        }
    }

    /// Where this client is connected, without the password: `postgres@localhost:5432/cruddur`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Runs a statement and returns its rows.
    pub async fn query(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        bounded(
            &self.server,
            self.timeout,
            self.inner.query(statement, params),
        )
        .await
    }

    /// Runs a statement that returns exactly one row.
    pub async fn query_one(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        bounded(
            &self.server,
            self.timeout,
            self.inner.query_one(statement, params),
        )
        .await
    }

    /// Runs a statement that returns at most one row.
    pub async fn query_opt(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        bounded(
            &self.server,
            self.timeout,
            self.inner.query_opt(statement, params),
        )
        .await
    }

    /// Runs a statement and returns the number of rows it changed.
    pub async fn execute(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        bounded(
            &self.server,
            self.timeout,
            self.inner.execute(statement, params),
        )
        .await
    }

    /// Runs one or more statements separated by semicolons, without parameters.
    pub async fn batch_execute(&self, statements: &str) -> Result<()> {
        bounded(
            &self.server,
            self.timeout,
            self.inner.batch_execute(statements),
        )
        .await
    }

    /// Starts a transaction.
    pub async fn transaction(&mut self) -> Result<Transaction<'_>> {
        let server = self.server.as_str();
        let timeout = self.timeout;
        let inner = bounded(server, timeout, self.inner.transaction()).await?;
        Ok(Transaction {
            inner,
            server,
            timeout,
        })
    }
}

/// A transaction on a [`Client`]; dropped without [`Transaction::commit`], it rolls back.
pub struct Transaction<'a> {
    inner: tokio_postgres::Transaction<'a>,
    server: &'a str,
    timeout: Duration,
}

impl Transaction<'_> {
    /// Runs a statement and returns its rows.
    pub async fn query(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        bounded(
            self.server,
            self.timeout,
            self.inner.query(statement, params),
        )
        .await
    }

    /// Runs a statement that returns exactly one row.
    pub async fn query_one(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        bounded(
            self.server,
            self.timeout,
            self.inner.query_one(statement, params),
        )
        .await
    }

    /// Runs a statement and returns the number of rows it changed.
    pub async fn execute(&self, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        bounded(
            self.server,
            self.timeout,
            self.inner.execute(statement, params),
        )
        .await
    }

    /// Runs one or more statements separated by semicolons, without parameters.
    pub async fn batch_execute(&self, statements: &str) -> Result<()> {
        bounded(
            self.server,
            self.timeout,
            self.inner.batch_execute(statements),
        )
        .await
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        bounded(self.server, self.timeout, self.inner.commit()).await
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<()> {
        bounded(self.server, self.timeout, self.inner.rollback()).await
    }
}
