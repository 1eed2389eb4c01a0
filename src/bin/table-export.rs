//! `table-export`: see [`cruddur_ops::cli::commands::export`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("table-export")
}
