//! `list-tables`: every DynamoDB table name.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::list_tables::run)
}
