//! cruddur-ops: the library behind the toolkit's binaries.
//!
//! Each binary in `src/bin/` parses its arguments, resolves a [`config::Config`], builds one
//! [`context::Context`], calls one operation in [`ops`] and renders its report with
//! [`cli::output`]. The layers, from the top:
//!
//! - [`cli`]: what every binary shares at its edge: arguments, output, progress, exit codes.
//! - [`ops`]: one module per operation (schema-load, seed, the stream processor, ...).
//! - [`ddb`], [`pg`], [`cognito`], [`s3`]: access to DynamoDB, PostgreSQL, the Cognito user pool
//!   and S3 (the native export and import).
//! - [`model`]: the messages table's keys and rows, as types.
//! - [`context`] and [`config`]: the clients built once, and the target and settings resolved once.
//! - [`iam`]: which AWS actions each tool calls, and the policies built from that (beside
//!   [`config`]).
//! - [`report`], [`text`] and [`atomic_file`]: what an operation returns for printing, small text
//!   helpers, and files replaced atomically.
//!
//! A module only uses modules below it (or beside it in the same layer), and the three stores
//! never use each other: `bin → cli → ops → model / ddb / pg / cognito → context → config`.
//! `tests/integration/layers.rs` enforces it.

pub mod atomic_file;
pub mod cli;
pub mod cognito;
pub mod config;
pub mod context;
pub mod ddb;
pub mod iam;
pub mod model;
pub mod ops;
pub mod pg;
pub mod report;
pub mod s3;
pub mod text;
