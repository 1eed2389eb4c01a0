//! `cruddur-ops`: every tool in one program. `cruddur-ops <tool> [ARGS]` runs a tool, and so does
//! this binary called by a tool's name (a link named `schema-load`, `seed`, ...): see
//! [`cruddur_ops::cli::tools`].

fn main() -> std::process::ExitCode {
    cruddur_ops::cli::tools::main()
}
