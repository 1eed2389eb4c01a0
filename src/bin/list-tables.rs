//! `list-tables`: every DynamoDB table, with its status, item count, billing mode, stream and
//! deletion protection.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("list-tables")
}
