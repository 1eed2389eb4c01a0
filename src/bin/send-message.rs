//! `send-message`: post a message as a user, into an existing group or a new one.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::send_message::run)
}
