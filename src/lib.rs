//! cruddur-ops: the library behind the toolkit's binaries.
//!
//! Each binary in `src/bin/` parses its arguments, resolves a [`config::Config`], builds one
//! [`context::Context`], calls one operation in [`ops`] and renders its report with
//! [`cli::output`]. The layers, from the top:
//!
//! - [`cli`]: what every binary shares at its edge: arguments, output, progress, exit codes.
//! - [`ops`]: one module per operation (schema-load, seed, the stream processor, ...).
//! - [`ddb`], [`pg`], [`cognito`]: access to DynamoDB, PostgreSQL and the Cognito user pool.
//! - [`model`]: the messages table's keys and rows, as types.
//! - [`config`] and [`context`]: the target and settings, resolved once, and the clients built once.
//!
//! A module only uses modules below it (or beside it in the same layer).

pub mod cli;
pub mod cognito;
pub mod config;
pub mod context;
pub mod ddb;
pub mod model;
pub mod ops;
pub mod pg;
