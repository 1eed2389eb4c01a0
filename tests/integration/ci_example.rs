//! The CI seeding example (`examples/ci/seed.yml`) runs as written: every command of its `run:`
//! steps is one this project installs (a tool, parsed with the tool's own clap definition) or one
//! of the few shell and cargo commands it needs, and the steps the README promises are there.

pub const WORKFLOW: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci/seed.yml"));

/// Commands of the workflow that are not the toolkit's.
const OTHER_COMMANDS: &[&str] = &["cargo", "test"];

/// The `run:` lines of the workflow (single-line steps only: a block would need a YAML parser).
pub fn run_lines(workflow: &str) -> Vec<&str> {
    workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("run:"))
        .map(str::trim)
        .inspect(|text| {
            assert!(
                !text.starts_with('|') && !text.starts_with('>'),
                "a multi-line run: block in examples/ci/seed.yml: {text}"
            );
        })
        .collect()
}

/// The commands of a shell line, split as the shell splits them (the README examples' splitter).
pub fn commands_of(line: &str) -> Vec<Vec<String>> {
    crate::examples::commands_of(line)
}

#[test]
fn every_command_of_the_ci_example_exists_and_its_flags_parse() {
    let tools = crate::common::all_commands();
    let mut seen = Vec::new();
    for line in run_lines(WORKFLOW) {
        for words in commands_of(line) {
            let name = words[0].as_str();
            match tools.iter().find(|t| t.get_name() == name) {
                Some(tool) => {
                    assert!(
                        !words.iter().any(|w| w.contains('$') || w.contains('"')),
                        "{line}: a toolkit command with an expansion or a quote"
                    );
                    if let Err(err) = tool.clone().try_get_matches_from(&words) {
                        panic!(
                            "examples/ci/seed.yml: `{}` does not parse:\n{err}",
                            words.join(" ")
                        );
                    }
                    seen.push(words.join(" "));
                }
                None => assert!(
                    OTHER_COMMANDS.contains(&name),
                    "examples/ci/seed.yml runs `{name}`, which is neither a tool nor expected"
                ),
            }
        }
    }
    for promised in [
        "schema-load prod --dry-run",
        "schema-load prod --apply --yes",
        "seed prod --yes",
        "check prod",
    ] {
        assert!(
            seen.iter().any(|c| c.starts_with(promised)),
            "the CI example has no `{promised}` step: {seen:?}"
        );
    }
    // The role is assumed through OIDC, and the tools are cached between runs.
    for needed in ["id-token: write", "role-to-assume:", "actions/cache@"] {
        assert!(WORKFLOW.contains(needed), "no {needed:?} in the CI example");
    }
}

#[test]
fn a_bad_flag_in_a_step_would_be_caught() {
    let seed = crate::common::all_commands()
        .into_iter()
        .find(|t| t.get_name() == "seed")
        .unwrap();
    let words = &commands_of("seed prod --yes --capacty 50 || test $? -eq 3")[0];
    assert!(seed.try_get_matches_from(words).is_err());
    assert_eq!(commands_of("a b || c && d; e | f").len(), 5);
}
