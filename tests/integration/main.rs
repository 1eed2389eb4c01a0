//! The one integration-test binary: every test runs the real binaries (or the library) against
//! the local stack that `just up` starts (DynamoDB Local, moto's Cognito, PostgreSQL). Each test
//! works on its own table, database or user pool and removes it afterwards.

mod common;
mod messages;
mod tables;
