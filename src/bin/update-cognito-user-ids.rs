//! `update-cognito-user-ids`: copy each Cognito user's sub into users.cognito_user_id.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("update-cognito-user-ids")
}
