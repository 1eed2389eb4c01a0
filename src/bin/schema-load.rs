//! `schema-load`: create the messages table exactly as the app needs it.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("schema-load")
}
