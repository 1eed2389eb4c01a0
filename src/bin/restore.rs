//! `restore`: a whole table back into a new table, from a backup or a point in time.

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::run("restore")
}
