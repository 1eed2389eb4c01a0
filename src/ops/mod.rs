//! One module per operation of the toolkit. An operation takes the [`Context`](crate::context::Context)
//! and its input, does its work through the access layers, and returns a report; it never prints.

pub mod backup;
pub mod bulk;
pub mod check;
pub mod cognito_export;
pub mod cognito_import;
pub mod cognito_setup;
pub mod conversations;
pub mod db_setup;
pub mod drop;
pub mod export;
pub mod find_user;
pub mod import;
pub mod list_tables;
pub mod list_users;
pub mod native;
pub mod restore;
pub mod resume;
pub mod scan;
pub mod schema_load;
pub mod seed;
pub mod send;
pub mod stream;
pub mod summary;
pub mod sync_users;
