//! The one program, `cruddur-ops`: its grouped help and version, each tool run the three ways
//! (a link named after it, argv[0] set to its name, `cruddur-ops <tool>`) and by its own
//! `src/bin/<tool>.rs`, with the same output and exit codes; and every installed name safe to
//! type (no bash or zsh builtin or reserved word shadows it).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use cruddur_ops::cli::tools::{self, Group, PROGRAM, TOOLS, VERSION};

use crate::common::{bin, ok, program, run, stderr, stdout};

/// `cruddur-ops --help` (and `help`): every tool of the registry, one line each, under its group's
/// heading, the groups in order.
#[test]
fn help_lists_the_tools_by_group() {
    for word in ["--help", "help"] {
        let help = stdout(&ok(run(program().arg(word))));
        let mut at = 0;
        for group in Group::ALL {
            let heading = format!("\n{}:\n", group.title());
            let start = help[at..]
                .find(&heading)
                .unwrap_or_else(|| panic!("no {heading:?} after byte {at} of:\n{help}"))
                + at;
            let block = &help[start + heading.len()..];
            let block = &block[..block.find("\n\n").unwrap_or(block.len())];
            let names: Vec<&str> = block
                .lines()
                .filter_map(|line| line.split_whitespace().next())
                .collect();
            let expected: Vec<&str> = TOOLS
                .iter()
                .filter(|tool| tool.group == group)
                .map(|tool| tool.name)
                .collect();
            assert_eq!(names, expected, "{group:?} in:\n{help}");
            for tool in TOOLS.iter().filter(|tool| tool.group == group) {
                assert!(block.contains(tool.summary), "{}: {block}", tool.name);
            }
            at = start + heading.len();
        }
    }
}

/// `cruddur-ops --list`: the registry's names, one a line (what `just install` links).
#[test]
fn list_names_every_tool() {
    let listed = stdout(&ok(run(program().arg("--list"))));
    let names: Vec<&str> = TOOLS.iter().map(|tool| tool.name).collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), names);
}

/// The commit `--version` should name: HEAD's, when the package is the top of a git work tree.
fn expected_commit() -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    git(&["rev-parse", "HEAD"]).map(|commit| commit[..12].to_string())
}

/// `--version` names the program or the tool, the version and the commit, whichever way the
/// tool is called.
#[test]
fn version_says_the_version_and_the_commit() {
    let commit = match expected_commit() {
        Some(commit) => format!("(commit {commit})"),
        None => "(unknown commit)".to_string(),
    };
    assert!(VERSION.ends_with(&commit), "{VERSION} against {commit}");
    assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
    let version = stdout(&ok(run(program().arg("--version"))));
    assert_eq!(version, format!("{PROGRAM} {VERSION}\n"));
    for tool in TOOLS {
        let want = format!("{} {VERSION}\n", tool.name);
        assert_eq!(stdout(&ok(run(bin(tool.name).arg("--version")))), want);
        assert_eq!(
            stdout(&ok(run(program().args([tool.name, "--version"])))),
            want
        );
    }
}

/// Each tool's `--help`: the same through its link, through argv[0] alone, and (but for the
/// usage line, which says how it was called) as `cruddur-ops <tool>`; `cruddur-ops help <tool>`
/// is the same as the latter.
#[test]
fn a_tool_is_the_same_tool_every_way_it_is_called() {
    for tool in TOOLS {
        let linked = stdout(&ok(run(bin(tool.name).arg("--help"))));
        assert!(
            linked.contains(&format!("\nUsage: {} ", tool.name)),
            "{linked}"
        );
        let by_arg0 = stdout(&ok(run(program().arg0(tool.name).arg("--help"))));
        assert_eq!(by_arg0, linked, "{}: argv[0]", tool.name);
        let subcommand = stdout(&ok(run(program().args([tool.name, "--help"]))));
        let usage = |text: &str, prefix: &str| text.replace(&format!("Usage: {prefix}"), "Usage: ");
        assert_eq!(
            usage(&subcommand, &format!("{PROGRAM} {}", tool.name)),
            usage(&linked, tool.name),
            "{}: as a subcommand",
            tool.name
        );
        let help = stdout(&ok(run(program().args(["help", tool.name]))));
        assert_eq!(help, subcommand, "{}: help TOOL", tool.name);
    }
}

/// `src/bin/<tool>.rs` runs its own tool (cargo builds them beside `cruddur-ops`).
#[test]
fn each_tools_own_binary_runs_that_tool() {
    let dir = Path::new(env!("CARGO_BIN_EXE_cruddur-ops"))
        .parent()
        .expect("the binaries' directory");
    for tool in TOOLS {
        let out = ok(run(Command::new(dir.join(tool.name)).arg("--version")));
        assert_eq!(stdout(&out), format!("{} {VERSION}\n", tool.name));
    }
}

/// Usage errors end with exit code 2 every way: an unknown tool (with a suggestion), no tool at
/// all (the help, on stderr), and a tool's bad argument by its link or as a subcommand.
#[test]
fn usage_errors_exit_2_every_way() {
    let out = run(program().arg("lst-tables"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unrecognized subcommand 'lst-tables'"),
        "{err}"
    );
    assert!(err.contains("'list-tables'"), "{err}");

    let out = run(&mut program());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Bulk data:"), "{}", stderr(&out));

    let out = run(program().args(["help", "nonesuch"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'nonesuch'"), "{}", stderr(&out));

    let mut by_arg0 = program();
    by_arg0.arg0("scan");
    let mut subcommand = program();
    subcommand.arg("scan");
    for mut cmd in [bin("scan"), by_arg0, subcommand] {
        let out = run(cmd.arg("--no-such-flag"));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("'--no-such-flag'"),
            "{}",
            stderr(&out)
        );
    }
    // A tool's own failure keeps its code (1) as a subcommand too: a seed file that is not there.
    let missing = "/nonexistent/cruddur-ops-seed.sql";
    for mut cmd in [bin("db-setup"), {
        let mut c = program();
        c.arg("db-setup");
        c
    }] {
        let out = run(cmd.args(["--seed", missing, "--dry-run"]));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains(missing), "{}", stderr(&out));
    }
}

/// zsh's builtins (zshbuiltins(1), zsh 5.9, with the modules a default zsh or its completion
/// system loads) and reserved words (zshmisc(1)): zsh is not on every machine that runs the
/// tests, so the list is written here.
const ZSH_BUILTINS_AND_RESERVED_WORDS: &[&str] = &[
    "-",
    ".",
    ":",
    "[",
    "alias",
    "autoload",
    "bg",
    "bindkey",
    "break",
    "builtin",
    "bye",
    "cap",
    "cd",
    "chdir",
    "clone",
    "command",
    "comparguments",
    "compcall",
    "compctl",
    "compdescribe",
    "compfiles",
    "compgroups",
    "compquote",
    "comptags",
    "comptry",
    "compvalues",
    "continue",
    "declare",
    "dirs",
    "disable",
    "disown",
    "echo",
    "echotc",
    "echoti",
    "emulate",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "float",
    "functions",
    "getcap",
    "getln",
    "getopts",
    "hash",
    "history",
    "integer",
    "jobs",
    "kill",
    "let",
    "limit",
    "local",
    "log",
    "logout",
    "noglob",
    "pcre_compile",
    "pcre_match",
    "pcre_study",
    "popd",
    "print",
    "printf",
    "private",
    "pushd",
    "pushln",
    "pwd",
    "r",
    "read",
    "readonly",
    "rehash",
    "return",
    "sched",
    "set",
    "setcap",
    "setopt",
    "shift",
    "source",
    "stat",
    "strftime",
    "suspend",
    "sysopen",
    "sysread",
    "sysseek",
    "syswrite",
    "syserror",
    "test",
    "times",
    "trap",
    "true",
    "ttyctl",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unfunction",
    "unhash",
    "unlimit",
    "unset",
    "unsetopt",
    "vared",
    "wait",
    "whence",
    "where",
    "which",
    "zcompile",
    "zcurses",
    "zformat",
    "zftp",
    "zle",
    "zmodload",
    "zparseopts",
    "zprof",
    "zpty",
    "zregexparse",
    "zselect",
    "zsocket",
    "zstat",
    "zstyle",
    "zsystem",
    "ztcp",
    // reserved words
    "!",
    "[[",
    "]]",
    "{",
    "}",
    "case",
    "coproc",
    "do",
    "done",
    "elif",
    "else",
    "end",
    "esac",
    "fi",
    "for",
    "foreach",
    "function",
    "if",
    "in",
    "nocorrect",
    "repeat",
    "select",
    "then",
    "time",
    "until",
    "while",
];

/// Commands of common Debian packages that a tool name must not take (the first two were this
/// toolkit's names: `export` is a shell builtin, `import` is ImageMagick's screenshot command).
const DEBIAN_COMMANDS: &[&str] = &["export", "import"];

/// No installed name (the program's and every tool's) is a bash builtin or keyword, a zsh
/// builtin or reserved word, a listed Debian command, or a command of a package installed on
/// this machine (the system's own bin directories, where dpkg installs).
#[test]
fn no_installed_name_is_shadowed_or_taken() {
    let out = ok(run(
        Command::new("bash").args(["-c", "compgen -b; compgen -k"])
    ));
    let bash: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert!(
        bash.iter().any(|w| w == "export") && bash.iter().any(|w| w == "while"),
        "bash listed no builtins or keywords: {bash:?}"
    );
    let system = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    let names = std::iter::once(PROGRAM).chain(TOOLS.iter().map(|tool| tool.name));
    for name in names {
        assert!(
            !bash.iter().any(|w| w == name),
            "{name} is a bash builtin or keyword"
        );
        assert!(
            !ZSH_BUILTINS_AND_RESERVED_WORDS.contains(&name),
            "{name} is a zsh builtin or reserved word"
        );
        assert!(
            !DEBIAN_COMMANDS.contains(&name),
            "{name} is a Debian command"
        );
        for dir in system {
            let path = Path::new(dir).join(name);
            assert!(!path.exists(), "{} exists on this machine", path.display());
        }
    }
    // The check itself: the old names fail it.
    for old in ["export", "import"] {
        assert!(
            bash.iter().any(|w| w == old) || DEBIAN_COMMANDS.contains(&old),
            "{old} should be caught"
        );
    }
    assert!(tools::find("export").is_none() && tools::find("import").is_none());
}
