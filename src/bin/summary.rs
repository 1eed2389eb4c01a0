//! `summary`: what each store holds (PostgreSQL, Cognito, DynamoDB).

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("summary")
}
