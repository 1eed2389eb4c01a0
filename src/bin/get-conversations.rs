//! `get-conversations`: the messages of one message group.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("get-conversations")
}
