//! `send-message`: post a message as a user, into an existing group or a new one.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("send-message")
}
