//! Every example a user may paste: each command line in the README's `sh`/`bash` blocks and in
//! every tool's `--help` examples names a command that exists (a tool of the registry, typed by
//! its own name or after `cruddur-ops`, or a known program), and a tool's arguments parse as the
//! tool's own clap definition parses them. A renamed tool, a removed flag or a typo in an
//! example fails here, naming the line.

use cruddur_ops::cli::tools::{self, PROGRAM, TOOLS};

/// Programs other than ours that the examples use (and the shell words they start with).
const OTHER_COMMANDS: &[&str] = &[
    "just",
    "jq",
    "head",
    "wc",
    "bash",
    "sh",
    "cat",
    "curl",
    "aws",
    "psql",
    "man",
    "cargo",
    "pip",
    "pipx",
    "git",
    "cd",
    "ls",
    "grep",
    "sort",
    "diff",
    "for",
    "do",
    "done",
    "echo",
    "source",
    ".",
    "set",
    "sudo",
    "apt-get",
    "rustup",
    "gzip",
    "zcat",
    "python3",
    "tee",
    "test",
    "if",
    "then",
    "fi",
    "mkdir",
    "rm",
    "time",
    "npx",
    "unset",
    "true",
    "false",
    "kill",
    "sleep",
    "docker",
    "env",
    "fpath=(~/.cargo/share/zsh/site-functions",
    "xargs",
    "while",
    "read",
    "tail",
    "cp",
    "mv",
    "[[",
    "uniq",
    "cut",
    "awk",
    "sed",
    "printf",
    "ssh",
    "openssl",
    "mktemp",
    "trap",
    "wait",
    "exec",
];

/// Splits a command line the way a POSIX shell splits words, for what examples use: single
/// and double quotes, backslash escapes, and the operators `|`, `||`, `&&` and `;` (which end a
/// command; each command is returned on its own). A `#` starting a word begins a comment.
pub fn commands_of(line: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, commands: &mut Vec<Vec<String>>| {
        if *in_word {
            commands.last_mut().unwrap().push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => break,
            '|' | '&' | ';' => {
                end_word(&mut word, &mut in_word, &mut commands);
                if matches!(chars.peek(), Some('|') | Some('&')) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            c if c.is_whitespace() => end_word(&mut word, &mut in_word, &mut commands),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

/// The command lines of the README's `sh` and `bash` blocks (a line ending in `\` goes on on
/// the next), with the line number each starts on.
pub fn readme_lines() -> Vec<(usize, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut lines = Vec::new();
    let mut in_block = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in readme.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = !in_block && matches!(trimmed, "```sh" | "```bash" | "```shell");
            continue;
        }
        if !in_block {
            continue;
        }
        let (start, mut text) = pending.take().unwrap_or((i + 1, String::new()));
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                text.push_str(head);
                text.push(' ');
                pending = Some((start, text));
            }
            None => {
                text.push_str(trimmed);
                if !text.is_empty() {
                    lines.push((start, text));
                }
            }
        }
    }
    lines
}

/// Each tool's `--help` examples: the indented lines of its epilogue that start with a tool's
/// name (or `cruddur-ops`).
fn help_lines() -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for tool in TOOLS {
        let help = tool
            .command()
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        for line in help.lines() {
            let Some(example) = line.strip_prefix("  ") else {
                continue;
            };
            let first = example.split_whitespace().next().unwrap_or("");
            let first = first.trim_start_matches(|c: char| c.is_ascii_uppercase() || c == '_');
            let names_a_tool = tools::find(first).is_some()
                || first == PROGRAM
                || example.contains(&format!("| {}", tool.name));
            if names_a_tool || example.split_whitespace().any(|w| tools::find(w).is_some()) {
                lines.push((tool.name.to_string(), example.trim().to_string()));
            }
        }
    }
    lines
}

/// A usage synopsis (`scan [TARGET] [--output table|json|jsonl]`) rather than a command to run.
pub fn is_synopsis(line: &str) -> bool {
    line.split_whitespace()
        .any(|w| w.starts_with('[') && w != "[[")
}

/// What is wrong with one command of an example, if anything.
fn check_command(words: &[String]) -> Option<String> {
    // Leading assignments (`AWS_REGION=x tool ...`) and `env` (with its own assignments).
    // After `env`, a `$VAR` word expands to assignments (`env $M table-import ...`).
    let mut rest: &[String] = words;
    let mut after_env = false;
    loop {
        match rest.first() {
            Some(w) if w == "env" => after_env = true,
            Some(w) if w.contains('=') && !w.starts_with('-') && !w.starts_with('=') => {}
            Some(w) if after_env && w.starts_with('$') => {}
            _ => break,
        }
        rest = &rest[1..];
    }
    // Redirections (`> file`, `2>/dev/null`) are the shell's, not the command's.
    let mut kept = Vec::new();
    let mut skip_next = false;
    for word in rest {
        if skip_next {
            skip_next = false;
        } else if matches!(word.as_str(), ">" | ">>" | "<" | "2>" | "2>>" | "&>") {
            skip_next = true;
        } else if !(word.starts_with('>') || word.starts_with("2>") || word.starts_with('<')) {
            kept.push(word.clone());
        }
    }
    let rest = &kept[..];
    let first = rest.first()?;
    let (tool, argv) = if first == PROGRAM {
        let name = rest.get(1)?;
        if name.starts_with('-') || name == "help" {
            return None;
        }
        match tools::find(name) {
            Some(tool) => (tool, &rest[1..]),
            None => return Some(format!("`{PROGRAM} {name}`: no such tool")),
        }
    } else if let Some(tool) = tools::find(first) {
        (tool, rest)
    } else if first == "export" || first == "import" {
        // The shell's builtin setting variables is fine; anything else meant the old tools.
        if first == "export" && rest[1..].iter().all(|w| w.contains('=')) {
            return None;
        }
        return Some(format!(
            "`{first}` runs {} here, not the tool: it is `table-{first}`",
            if first == "export" {
                "the shell's builtin"
            } else {
                "ImageMagick's command"
            }
        ));
    } else if OTHER_COMMANDS.contains(&first.as_str())
        || first.starts_with("./")
        || first.starts_with('/')
        || first.starts_with("target/")
        || first.starts_with('$')
        || first.starts_with('~')
    {
        return None;
    } else {
        return Some(format!(
            "`{first}` is neither a tool of {PROGRAM} nor a known command (a renamed tool?)"
        ));
    };
    if argv
        .iter()
        .any(|a| a == "..." || a.starts_with('<') || a.contains("$("))
    {
        // A placeholder stands where the user fills in a value: the tool and its name are
        // checked, the arguments are not.
        return None;
    }
    match tool.command().try_get_matches_from(argv) {
        Ok(_) => None,
        Err(err)
            if matches!(
                err.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            None
        }
        Err(err) => Some(format!(
            "{}: {}",
            tool.name,
            err.render().to_string().trim()
        )),
    }
}

#[test]
fn every_readme_example_names_a_real_command_and_its_arguments_parse() {
    let lines = readme_lines();
    assert!(
        lines.len() > 50,
        "too few README examples found: {}",
        lines.len()
    );
    let mut problems = Vec::new();
    let mut tools_seen = 0;
    for (number, line) in &lines {
        if is_synopsis(line) {
            continue;
        }
        for words in commands_of(line) {
            if words
                .iter()
                .any(|w| tools::find(w).is_some() || w == PROGRAM)
            {
                tools_seen += 1;
            }
            if let Some(problem) = check_command(&words) {
                problems.push(format!("README.md:{number}: {line}\n    {problem}"));
            }
        }
    }
    assert!(
        tools_seen > 40,
        "only {tools_seen} README commands name a tool"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_help_example_names_a_real_command_and_its_arguments_parse() {
    let lines = help_lines();
    assert!(
        lines.len() > 40,
        "too few --help examples found: {}",
        lines.len()
    );
    let mut problems = Vec::new();
    for (tool, line) in &lines {
        for words in commands_of(line) {
            if let Some(problem) = check_command(&words) {
                problems.push(format!("{tool} --help: {line}\n    {problem}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_example_checker_catches_a_renamed_tool_and_a_bad_flag() {
    let check = |line: &str| {
        commands_of(line)
            .iter()
            .filter_map(|w| check_command(w))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        check("scan --output jsonl | jq -r .message"),
        Vec::<String>::new()
    );
    assert_eq!(
        check("AWS_REGION=us-east-1 env X=1 cruddur-ops list-tables prod"),
        Vec::<String>::new()
    );
    assert!(check("export --file x.jsonl")[0].contains("table-export"));
    assert!(check("import prod --file x.jsonl")[0].contains("table-import"));
    assert!(check("env $M import --file x.jsonl")[0].contains("table-import"));
    assert_eq!(check("export A=1 B=2"), Vec::<String>::new());
    assert!(check("table-exprt --file x")[0].contains("neither a tool"));
    assert!(check("scan --no-such-flag")[0].contains("--no-such-flag"));
    assert!(check("cruddur-ops nope")[0].contains("no such tool"));
    assert_eq!(
        commands_of(r#"a 'b c' "d \"e\"" f\ g # comment | h"#),
        vec![vec!["a", "b c", "d \"e\"", "f g"]]
    );
    assert_eq!(commands_of("a | b && c; d").len(), 4);
}
