//! The registry of tools, and the one program that holds them all.
//!
//! [`TOOLS`] is the only list of the toolkit's tools: each one's name, its group in
//! `cruddur-ops --help`, a one-line summary and its entry point. The dispatcher, the help
//! listing and `--list`, the completions and man pages ([`docs`], `--generate-docs DIR`) and
//! the tests all read it.
//!
//! [`main`] is the `cruddur-ops` binary, which runs a tool two ways, as rustup and busybox do:
//!
//! - by the name it was called by: a link named `schema-load` (argv\[0\]'s file name) runs
//!   `schema-load` with exactly that tool's arguments, help, exit codes and output;
//! - as `cruddur-ops <tool> [ARGS]`: the same, with `cruddur-ops <tool>` in its usage line.
//!
//! Each `src/bin/<tool>.rs` calls [`run`] with its own name: the same entry point
//! ([`Tool::main`]).

use std::ffi::OsString;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::cli::{self, args, commands, docs, output, EXIT_USAGE};

/// The program that holds every tool.
pub const PROGRAM: &str = "cruddur-ops";

/// What `--version` says, after the program's or the tool's name: the package version and the
/// commit it was built from (`0.1.0 (commit 1a2b3c4d5e6f)`, or `(unknown commit)` when built
/// from a tree without git; see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CRUDDUR_OPS_COMMIT"),
    ")"
);

/// Where `cruddur-ops --help` lists a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The messages table itself.
    Tables,
    /// Conversations and messages in the table.
    Messages,
    /// PostgreSQL's users and the Cognito user pool.
    Users,
    /// Whole tables and pools to and from files.
    Bulk,
    /// What the stores hold, and whether they agree.
    Checks,
}

impl Group {
    /// Every group, in the order `--help` lists them.
    pub const ALL: [Group; 5] = [
        Group::Tables,
        Group::Messages,
        Group::Users,
        Group::Bulk,
        Group::Checks,
    ];

    /// The group's heading in `cruddur-ops --help`.
    pub fn title(self) -> &'static str {
        match self {
            Group::Tables => "Tables",
            Group::Messages => "Messages",
            Group::Users => "Users and Cognito",
            Group::Bulk => "Bulk data",
            Group::Checks => "Checks",
        }
    }
}

/// One tool of the registry.
pub struct Tool {
    /// What the user types: the link's name, and the word after `cruddur-ops`.
    pub name: &'static str,
    /// Where `cruddur-ops --help` lists it.
    pub group: Group,
    /// Its line in `cruddur-ops --help`.
    pub summary: &'static str,
    /// Its arguments, as its module defines them.
    args: fn() -> Command,
}

/// A tool's entry point after parsing: turns the matches into its `Args`, runs its body and
/// returns the exit code.
type Start = fn(&mut Command, &ArgMatches) -> ExitCode;

impl Tool {
    /// The tool's clap command: its module's arguments under the registry's name and the
    /// toolkit's version (the completions and man pages are generated from it).
    pub fn command(&self) -> Command {
        let command = (self.args)().name(self.name).version(VERSION);
        // Every tool that prints results (`--output`) may print a table: it takes `--wide`.
        if command.get_arguments().any(|arg| arg.get_id() == "output") {
            command.arg(args::wide_arg())
        } else {
            command
        }
    }

    /// Runs the tool on `argv` (argv\[0\] first, as the process got it) and returns its exit
    /// code; `bin_name` replaces argv\[0\]'s file name in the usage line. Bad arguments, --help
    /// and --version end the process here, as clap does for every tool.
    pub fn main(&self, argv: Vec<OsString>, bin_name: Option<String>) -> ExitCode {
        cli::set_tool_name(self.name);
        let mut command = self.command();
        if let Some(bin_name) = bin_name {
            command = command.bin_name(bin_name);
        }
        let matches = command
            .try_get_matches_from_mut(argv)
            .unwrap_or_else(|err| err.exit());
        output::set_wide(args::wide(&matches));
        let start = TOOLS
            .iter()
            .zip(STARTS)
            .find_map(|(tool, start)| (tool.name == self.name).then_some(start));
        match start {
            Some(start) => start(&mut command, &matches),
            None => {
                eprintln!("error: {} is not in {PROGRAM}'s registry", self.name);
                ExitCode::from(cli::EXIT_FAILURE)
            }
        }
    }
}

/// The second half of [`Tool::main`] for one tool's `Args` and body.
fn start<A, F>(body: fn(A) -> F, command: &mut Command, matches: &ArgMatches) -> ExitCode
where
    A: FromArgMatches,
    F: Future<Output = anyhow::Result<()>>,
{
    let args = A::from_arg_matches(matches).unwrap_or_else(|err| err.format(command).exit());
    cli::run(body(args))
}

/// The registry, written once: for each tool its name, the module under `cli::commands` holding
/// its `Args` and `run`, its group and its summary. It makes [`TOOLS`] and, in the same order,
/// each tool's entry point (`STARTS`, apart from [`TOOLS`]: what only reads the list needs no
/// entry point).
macro_rules! registry {
    ($(($name:literal, $module:ident, $group:ident, $summary:literal)),* $(,)?) => {
        /// Every tool, in the order `cruddur-ops --help` lists them within a group. The Lambda
        /// function (`messaging-stream-lambda`, a feature of its own) is not a tool of the command
        /// line.
        pub static TOOLS: &[Tool] = &[$(Tool {
            name: $name,
            group: Group::$group,
            summary: $summary,
            args: <commands::$module::Args as CommandFactory>::command,
        }),*];

        /// Each tool's entry point, in the order of [`TOOLS`].
        static STARTS: &[Start] = &[$(|command, matches| start(commands::$module::run, command, matches)),*];
    };
}

registry! {
    ("list-tables", list_tables, Tables, "Every DynamoDB table: status, items, billing mode, stream, protection"),
    ("schema-load", schema_load, Tables, "Create the messages table, or bring it to its definition"),
    ("drop", drop, Tables, "Delete a DynamoDB table and wait until it is gone (on prod, after a backup)"),
    ("backups", backups, Tables, "A table's on-demand backups: list them, or delete one"),
    ("restore", restore, Tables, "Restore a backup or a point in time into a new table, with its settings"),
    ("seed", seed, Messages, "Write a conversation between two users into the messages table"),
    ("scan", scan, Messages, "Print every item of the messages table"),
    ("send-message", send_message, Messages, "Post a message as a user, into a group or a new one"),
    ("get-conversations", get_conversations, Messages, "The messages of one message group"),
    ("list-conversations", list_conversations, Messages, "One user's conversations, newest first"),
    ("messaging-stream", messaging_stream, Messages, "Keep each conversation row on its latest message (the table's stream)"),
    ("db-setup", db_setup, Users, "Rebuild the PostgreSQL database: its schema and seed users"),
    ("cognito-setup", cognito_setup, Users, "The local Cognito user pool, and a user for each database user"),
    ("update-cognito-user-ids", update_cognito_user_ids, Users, "Copy each Cognito user's sub into PostgreSQL"),
    ("list-users", list_users, Users, "Every user of the Cognito user pool"),
    ("find-user", find_user, Users, "One user, by handle, uuid or Cognito sub (with --cognito, the pool's too)"),
    ("table-export", export, Bulk, "Write the messages table as DynamoDB JSON lines (or export it to S3)"),
    ("table-import", import, Bulk, "Load DynamoDB JSON lines (or an export in S3) into the messages table"),
    ("cognito-export", cognito_export, Bulk, "Write a Cognito user pool (pool, groups, users, members) as JSON lines"),
    ("cognito-import", cognito_import, Bulk, "Restore a cognito-export file into a user pool"),
    ("summary", summary, Checks, "Count what each store holds"),
    ("check", check, Checks, "Check that the three stores agree (reads only)"),
    ("iam-policy", iam_policy, Checks, "Print the IAM policy a tool needs (least privilege)"),
}

/// The tool called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.name == name)
}

/// A `src/bin/<tool>.rs`'s whole `main`: runs the tool `name` on the process's arguments.
pub fn run(name: &str) -> ExitCode {
    match find(name) {
        Some(tool) => tool.main(std::env::args_os().collect(), None),
        None => {
            eprintln!("error: {PROGRAM} has no tool named {name:?}");
            ExitCode::from(cli::EXIT_FAILURE)
        }
    }
}

/// The `cruddur-ops` binary's whole `main`: see the module's documentation.
pub fn main() -> ExitCode {
    dispatch(std::env::args_os().collect())
}

/// Runs the tool that `argv` names: by argv\[0\]'s file name, else by the first argument; with
/// neither, `cruddur-ops`'s own help, version or usage error.
pub fn dispatch(argv: Vec<OsString>) -> ExitCode {
    let called = argv
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .and_then(|name| name.to_str())
        .and_then(find);
    if let Some(tool) = called {
        return tool.main(argv, None);
    }
    let word = |at: usize| argv.get(at).and_then(|word| word.to_str());
    if let Some(tool) = word(1).and_then(find) {
        return run_subcommand(tool, &argv[1..]);
    }
    // `cruddur-ops help TOOL`: the tool's own --help.
    if let (Some("help"), Some(tool), None) = (word(1), word(2).and_then(find), argv.get(3)) {
        let words = [OsString::from(tool.name), OsString::from("--help")];
        return run_subcommand(tool, &words);
    }
    // `cruddur-ops help`: the listing, as --help; `help NOT-A-TOOL`: as `NOT-A-TOOL`.
    let argv = match (word(1), argv.len()) {
        (Some("help"), 2) => vec![argv[0].clone(), OsString::from("--help")],
        (Some("help"), _) => [&argv[..1], &argv[2..]].concat(),
        _ => argv,
    };
    match program().try_get_matches_from(&argv) {
        // --help, --version, no tool or an unknown one: clap prints and exits (0 or 2).
        Err(err) => err.exit(),
        Ok(matches) if matches.get_flag("list") => cli::exit_code(list()),
        Ok(matches) => match matches.get_one::<PathBuf>("generate-docs") {
            Some(dir) => cli::exit_code(generate_docs(dir)),
            None => run_found(&matches, &argv),
        },
    }
}

/// `cruddur-ops --generate-docs DIR`: the completions and man pages, and a line saying so.
fn generate_docs(dir: &Path) -> anyhow::Result<()> {
    let written = docs::write_all(dir)?;
    eprintln!(
        "{PROGRAM}: {written} completions and man pages for {PROGRAM} and {} tools in {}",
        TOOLS.len(),
        dir.display()
    );
    Ok(())
}

/// A tool that clap found among `argv` (after `--`, say): run it on what follows its name.
fn run_found(matches: &ArgMatches, argv: &[OsString]) -> ExitCode {
    let named = matches.subcommand_name().and_then(find);
    let at = named.and_then(|tool| argv.iter().position(|arg| arg == tool.name));
    match (named, at) {
        (Some(tool), Some(at)) => run_subcommand(tool, &argv[at..]),
        _ => {
            eprintln!("error: no tool given\n\nFor the list of tools, try '{PROGRAM} --help'.");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `cruddur-ops <tool> ARGS`: `words` starts at the tool's name.
fn run_subcommand(tool: &Tool, words: &[OsString]) -> ExitCode {
    tool.main(words.to_vec(), Some(format!("{PROGRAM} {}", tool.name)))
}

/// `cruddur-ops` itself, as clap sees it: its help (the tools by group), its version, and every
/// tool as a subcommand (for suggestions on a mistyped name, and the completions and man page of
/// `cruddur-ops`).
pub fn program() -> Command {
    Command::new(PROGRAM)
        .version(VERSION)
        .about("Build, seed, inspect and sync Cruddur's data stores: every tool in one program.")
        .override_usage(format!(
            "{PROGRAM} <TOOL> [ARGS]...\n       <TOOL> [ARGS]...    (through a link named after the tool, as `just install` makes)"
        ))
        .arg(
            Arg::new("list")
                .long("list")
                .action(ArgAction::SetTrue)
                .help("Print every tool's name, one a line (the links `just install` makes)"),
        )
        .arg(
            Arg::new("generate-docs")
                .long("generate-docs")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .hide(true)
                .help("Write the completions and man pages of cruddur-ops and every tool into DIR"),
        )
        .args_conflicts_with_subcommands(true)
        .arg_required_else_help(true)
        .subcommand_value_name("TOOL")
        // `help TOOL` is the tool's own --help (dispatch); clap's would show the listing's template.
        .disable_help_subcommand(true)
        .help_template(format!(
            "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{}Options:\n{{options}}{{after-help}}",
            listing()
        ))
        .after_help(format!(
            "`{PROGRAM} help <TOOL>` or `<TOOL> --help` shows a tool's own options. Every tool takes the target as its last word: local (the default) or prod."
        ))
        .subcommands(TOOLS.iter().map(Tool::command))
}

/// `cruddur-ops --list`: every tool's name, one a line.
fn list() -> anyhow::Result<()> {
    let mut out = output::stdout();
    for tool in TOOLS {
        writeln!(out, "{}", tool.name)?;
    }
    out.flush()?;
    Ok(())
}

/// The tools by group, one line each, as `cruddur-ops --help` lists them.
fn listing() -> String {
    let width = TOOLS.iter().map(|tool| tool.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for group in Group::ALL {
        text.push_str(group.title());
        text.push_str(":\n");
        for tool in TOOLS.iter().filter(|tool| tool.group == group) {
            text.push_str(&format!("  {:width$}  {}\n", tool.name, tool.summary));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_distinct_plain_and_grouped() {
        let mut seen = BTreeSet::new();
        for tool in TOOLS {
            assert!(seen.insert(tool.name), "{} listed twice", tool.name);
            assert!(
                !tool.name.is_empty()
                    && tool
                        .name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{:?} is not a plain tool name",
                tool.name
            );
            assert_ne!(tool.name, PROGRAM);
            assert!(tool.summary.len() <= 80, "{}: summary too long", tool.name);
        }
        for group in Group::ALL {
            assert!(
                TOOLS.iter().any(|tool| tool.group == group),
                "{group:?} is empty"
            );
        }
    }

    /// Each module's own `name` agrees with the registry's, and the command is valid.
    #[test]
    fn commands_are_named_after_their_tool_and_valid() {
        for tool in TOOLS {
            assert_eq!((tool.args)().get_name(), tool.name);
            tool.command().debug_assert();
        }
        program().debug_assert();
    }

    /// `src/bin/` has one file per tool, calling [`run`] with its own name, and nothing else
    /// but `cruddur-ops` and the Lambda function.
    #[test]
    fn each_tool_has_its_own_binary() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
        let mut files = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("src/bin") {
            let path = entry.expect("an entry of src/bin").path();
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            files.insert(stem.to_string());
            if let Some(tool) = find(stem) {
                let code = std::fs::read_to_string(&path).expect("a bin file");
                assert!(
                    code.contains(&format!("cli::tools::run({:?})", tool.name)),
                    "{} does not run its own tool",
                    path.display()
                );
            }
        }
        let mut expected: BTreeSet<String> = TOOLS.iter().map(|t| t.name.to_string()).collect();
        expected.insert(PROGRAM.to_string());
        expected.insert("messaging-stream-lambda".to_string());
        assert_eq!(files, expected);
    }

    #[test]
    fn help_lists_every_tool_under_its_group() {
        let help = program().render_help().to_string();
        for tool in TOOLS {
            let line = help
                .lines()
                .find(|line| line.split_whitespace().next() == Some(tool.name))
                .unwrap_or_else(|| panic!("{} missing from:\n{help}", tool.name));
            assert!(line.contains(tool.summary), "{line}");
            let heading = help[..help.find(line).unwrap_or(0)]
                .lines()
                .rev()
                .find(|l| l.ends_with(':') && !l.starts_with(' '));
            assert_eq!(heading, Some(&*format!("{}:", tool.group.title())));
        }
    }

    #[test]
    fn version_names_a_commit() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(
            VERSION.contains("(commit ") || VERSION.ends_with("(unknown commit)"),
            "{VERSION}"
        );
    }
}
