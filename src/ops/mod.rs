//! One module per operation of the toolkit. An operation takes the [`Context`](crate::context::Context)
//! and its input, does its work through the access layers, and returns a report; it never prints:
//! what it tells the person running it goes through a [`ui::Ui`]. [`checkpoint`] is what every
//! resumable job writes; [`bulk`] the capacity budget every bulk job is built with.

pub mod backup;
pub mod bulk;
pub mod check;
pub mod checkpoint;
pub mod cognito_export;
pub mod cognito_import;
pub mod cognito_setup;
pub mod conversations;
pub mod db_setup;
pub mod drop;
pub mod export;
pub mod find_user;
pub mod iam_policy;
pub mod import;
pub mod list_tables;
pub mod list_users;
pub mod native;
pub mod pace;
pub mod restore;
pub mod scan;
pub mod schema_load;
pub mod seed;
pub mod send;
pub mod stream;
pub mod summary;
pub mod sync_users;
pub mod ui;
