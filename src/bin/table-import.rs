//! `table-import`: see [`cruddur_ops::cli::commands::import`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("table-import")
}
