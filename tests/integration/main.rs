//! The one integration-test binary: every test runs the real binaries (or the library) against
//! the local stack that `just up` starts (DynamoDB Local, moto's Cognito, DynamoDB and S3,
//! PostgreSQL). Each test works on its own table, database or user pool and removes it
//! afterwards.

// Tests may look at the environment to give each child process a clean one.
#![allow(clippy::disallowed_methods)]

mod backups;
mod bad_input;
mod capacity;
mod check;
mod ci_example;
mod cognito_backup;
mod common;
mod credentials;
mod deadlines;
mod dry_run;
mod examples;
mod export_import;
mod faults;
mod find_user;
mod iam;
mod layers;
mod messages;
mod multicall;
mod odd_users;
mod readme;
mod resume;
mod s3_native;
mod safety;
mod schema_migrations;
mod schema_moto;
mod schema_refusals;
mod servers;
mod setup;
mod snapshots;
mod stack;
mod stream;
mod tables;
mod tls;
mod users;
