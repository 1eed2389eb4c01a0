//! The README's "Permissions" table, rendered from [`super::table::TOOLS`]: one row per tool (per
//! mode, for tools with modes), its actions with what they act on and when a run reaches them.
//! `iam-policy --permissions-table` prints it; a test keeps the README's copy (between
//! [`BEGIN`] and [`END`]) equal to it.

use super::{Need, Resource, Targets, Tool};

/// The marker before the table in the README.
pub const BEGIN: &str = "<!-- permissions:begin (iam-policy --permissions-table) -->";
/// The marker after it.
pub const END: &str = "<!-- permissions:end -->";

/// A resource in few words.
fn short(resource: Resource) -> &'static str {
    match resource {
        Resource::Table => "table",
        Resource::Index => "index",
        Resource::Stream => "stream",
        Resource::Exports => "its exports",
        Resource::AnyExports => "exports",
        Resource::Imports => "its imports",
        Resource::Backups => "backups",
        Resource::AllTables => "every table",
        Resource::Pool => "pool",
        Resource::Bucket => "bucket",
        Resource::Objects => "objects",
        Resource::ImportLogs => "import logs",
        Resource::LambdaLogs => "function logs",
        Resource::DeadLetterQueue => "queue",
        Resource::Any => "`*`",
    }
}

/// One action as the table shows it: `` `dynamodb:Query` (index; when ...) ``.
fn cell(need: &Need) -> String {
    let mut notes = vec![short(need.resource).to_string()];
    match need.targets {
        Targets::Both => {}
        Targets::Local => notes.push("local only".to_string()),
        Targets::Prod => notes.push("prod only".to_string()),
    }
    if let Some(when) = need.when {
        notes.push(format!("when {when}"));
    }
    format!("`{}` ({})", need.action, notes.join("; "))
}

/// The rows of one tool.
fn rows(tool: &Tool) -> Vec<String> {
    if !tool.calls_aws() {
        return vec![format!(
            "| `{}` | | none: {} |",
            tool.name,
            tool.note.unwrap_or("")
        )];
    }
    let modes: Vec<(Option<&str>, String)> = match tool.modes {
        [] => vec![(None, String::new())],
        modes => modes
            .iter()
            .map(|m| (Some(m.name), format!("`{}`: {}", m.name, m.what)))
            .collect(),
    };
    modes
        .into_iter()
        .map(|(mode, label)| {
            let actions: Vec<String> = tool
                .needs
                .iter()
                .filter(|n| match mode {
                    None => true,
                    Some(m) => n.modes.is_empty() || n.modes.contains(&m),
                })
                .map(cell)
                .collect();
            let note = tool
                .note
                .filter(|_| mode.is_none())
                .map(|n| format!("; {n}"))
                .unwrap_or_default();
            format!(
                "| `{}` | {label} | {}{note} |",
                tool.name,
                actions.join(", ")
            )
        })
        .collect()
}

/// The whole table, with its header, one line per row.
pub fn table() -> String {
    let mut out = String::from("| tool | mode | actions (resource; when a run reaches them) |\n");
    out.push_str("|---|---|---|\n");
    for tool in super::table::TOOLS {
        for row in rows(tool) {
            out.push_str(&row);
            out.push('\n');
        }
    }
    out
}

/// The part of `readme` between [`BEGIN`] and [`END`] (without the marker lines), if both are
/// there in that order.
pub fn section(readme: &str) -> Option<&str> {
    let start = readme.find(BEGIN)? + BEGIN.len();
    let end = start + readme[start..].find(END)?;
    Some(readme[start..end].trim_matches('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_row_and_the_section_is_found() {
        let table = table();
        for tool in super::super::table::TOOLS {
            assert!(
                table.contains(&format!("| `{}` |", tool.name)),
                "{}",
                tool.name
            );
        }
        assert!(table.contains("`dynamodb:Query` (index)"), "{table}");
        let readme = format!("intro\n{BEGIN}\n{table}{END}\nrest");
        assert_eq!(section(&readme), Some(table.trim_end()));
        assert_eq!(section("no markers"), None);
    }
}
