//! `messaging-stream`: the stream processor, following the table's stream or replaying an event.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("messaging-stream")
}
