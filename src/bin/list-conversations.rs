//! `list-conversations`: one user's conversations.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("list-conversations")
}
