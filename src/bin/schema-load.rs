//! `schema-load`: create the messages table exactly as the app needs it.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::schema_load::run)
}
