//! `list-conversations`: one user's conversations.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::list_conversations::run)
}
