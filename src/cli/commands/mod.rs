//! One module per tool: its arguments (`Args`, a clap `Parser` named after the binary) and its
//! body (`run`), a thin layer over the operations in [`crate::ops`] and the stores' modules.
//! [`crate::cli::tools::TOOLS`] names each tool and runs it.

pub mod check;
pub mod cognito_export;
pub mod cognito_import;
pub mod cognito_setup;
pub mod db_setup;
pub mod drop;
pub mod export;
pub mod find_user;
pub mod get_conversations;
pub mod import;
pub mod list_conversations;
pub mod list_tables;
pub mod list_users;
pub mod messaging_stream;
pub mod native_s3;
pub mod scan;
pub mod schema_load;
pub mod seed;
pub mod send_message;
pub mod summary;
pub mod update_cognito_user_ids;

use crate::cli::progress::Progress;
use crate::cognito;
use crate::context::Context;

/// A bar for listing the users of `pool_id`, out of Cognito's estimate of their number (asked
/// only when the bar is drawn; a spinner when there is none).
async fn users_bar(ctx: &Context, pool_id: &str) -> Progress {
    let total = if Progress::drawn() {
        cognito::estimated_users(ctx, pool_id).await.ok().flatten()
    } else {
        None
    };
    Progress::new("listing users", total)
}
