//! `summary`: what each store holds (PostgreSQL, Cognito, DynamoDB).

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::summary::run)
}
