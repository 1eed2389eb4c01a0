//! cruddur-ops: the library behind the toolkit's binaries.
//!
//! Each binary in `src/bin/` parses its arguments, resolves a [`config::Config`], builds one
//! [`context::Context`], calls one function here and renders its result with [`output`].

pub mod cli;
pub mod cognito;
pub mod config;
pub mod confirm;
pub mod context;
pub mod conversations;
pub mod db;
pub mod item;
pub mod keys;
pub mod messages;
pub mod output;
pub mod query;
pub mod scan;
pub mod schema;
pub mod seed;
pub mod send;
pub mod stream;
pub mod summary;
pub mod tables;
pub mod users;
