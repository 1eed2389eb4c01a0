//! One module per tool: its arguments (`Args`, a clap `Parser` named after the binary) and its
//! body (`run`), a thin layer over the operations in [`crate::ops`] and the stores' modules.
//! Each binary in `src/bin/` is `cli::main(<tool>::run)`.
//!
//! [`all`] lists every tool's clap command, for shell completions and man pages.

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

use clap::CommandFactory;

use crate::cli::progress::Progress;
use crate::cognito;
use crate::context::Context;

/// Every tool's clap command (named after its binary), for completions and man pages. The
/// Lambda function (`messaging-stream-lambda`) takes no arguments and is not listed.
pub fn all() -> Vec<clap::Command> {
    vec![
        backups::Args::command(),
        check::Args::command(),
        cognito_export::Args::command(),
        cognito_import::Args::command(),
        cognito_setup::Args::command(),
        db_setup::Args::command(),
        drop::Args::command(),
        export::Args::command(),
        find_user::Args::command(),
        get_conversations::Args::command(),
        import::Args::command(),
        list_conversations::Args::command(),
        list_tables::Args::command(),
        list_users::Args::command(),
        messaging_stream::Args::command(),
        restore::Args::command(),
        scan::Args::command(),
        schema_load::Args::command(),
        seed::Args::command(),
        send_message::Args::command(),
        summary::Args::command(),
        update_cognito_user_ids::Args::command(),
    ]
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_named_after_its_binary_and_valid() {
        let names: Vec<String> = all().iter().map(|c| c.get_name().to_string()).collect();
        assert_eq!(names.len(), 22);
        for command in all() {
            command.clone().debug_assert();
            let bin = format!("src/bin/{}.rs", command.get_name());
            assert!(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(&bin)
                    .exists(),
                "no {bin}"
            );
        }
    }
}
