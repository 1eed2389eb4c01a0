//! `messaging-stream`: the stream processor, following the table's stream or replaying an event.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::messaging_stream::run)
}
