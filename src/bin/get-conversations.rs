//! `get-conversations`: the messages of one message group.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::get_conversations::run)
}
