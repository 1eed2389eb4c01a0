//! `update-cognito-user-ids`: copy each Cognito user's sub into users.cognito_user_id.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::main(cruddur_ops::cli::commands::update_cognito_user_ids::run)
}
