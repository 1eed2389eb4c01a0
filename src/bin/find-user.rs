//! `find-user`: see [`cruddur_ops::cli::commands::find_user`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("find-user")
}
