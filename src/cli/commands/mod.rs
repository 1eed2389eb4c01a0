//! One module per tool: its arguments (`Args`, a clap `Parser` named after the binary) and its
//! body (`run`): it parses the arguments, builds the request, calls one operation of
//! [`crate::ops`] with a [`Terminal`](crate::cli::output::Terminal) to report through, and
//! imports no store (`tests/integration/layers.rs` holds it to that, and to 120 lines a file).
//! [`crate::cli::tools::TOOLS`] names each tool and runs it.

pub mod backups;
pub mod check;
pub mod cognito_export;
pub mod cognito_import;
pub mod cognito_setup;
pub mod db_setup;
pub mod drop;
pub mod export;
pub mod find_user;
pub mod get_conversations;
pub mod iam_policy;
pub mod import;
pub mod list_conversations;
pub mod list_tables;
pub mod list_users;
pub mod messaging_stream;
pub mod native_s3;
pub mod restore;
pub mod scan;
pub mod schema_load;
pub mod seed;
pub mod send_message;
pub mod summary;
pub mod update_cognito_user_ids;
