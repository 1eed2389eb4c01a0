//! `db-setup`: drop and recreate the database, then load the schema and the seed users.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("db-setup")
}
