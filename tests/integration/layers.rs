//! The library's layers, enforced: every `crate::` path in `src/` may only point down (or
//! sideways within a layer), and the stores never use each other.
//!
//! From the top: `bin → cli → ops → model / ddb / pg / cognito / s3 → context → config`, with `report`,
//! `text` and `atomic_file` (data and small helpers any layer may use) at the bottom.
//!
//! `cli` skips a layer: it never uses a store (`ddb`, `pg`, `cognito`, `s3`), only the
//! operations above them; and its commands stay thin: no file of `src/cli/commands` is over
//! [`MAX_COMMAND_LINES`] lines.

use std::fs;
use std::path::{Path, PathBuf};

/// A module's layer: higher numbers may use lower ones.
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "cli" => 5,
        "ops" => 4,
        "model" | "ddb" | "pg" | "cognito" | "s3" => 3,
        "context" => 2,
        "config" | "iam" => 1,
        "report" | "text" | "atomic_file" => 0,
        _ => return None,
    })
}

fn is_store(module: &str) -> bool {
    matches!(module, "ddb" | "pg" | "cognito" | "s3")
}

/// The most lines a file of `src/cli/commands` may have: a command parses its arguments,
/// builds the request and calls one operation.
const MAX_COMMAND_LINES: usize = 120;

/// `relative` (under `src/`) as a command file over [`MAX_COMMAND_LINES`] lines.
fn too_long(relative: &Path, source: &str) -> Option<String> {
    let lines = source.lines().count();
    (relative.starts_with("cli/commands") && lines > MAX_COMMAND_LINES).then(|| {
        format!(
            "src/{}: {lines} lines: a command is at most {MAX_COMMAND_LINES} (move the work into src/ops)",
            relative.display()
        )
    })
}

/// The top-level module a file of `src/` belongs to (`src/ops/seed/plan.rs` → `ops`); `None` for
/// the binaries and `lib.rs`, which may use everything.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "bin" | "lib.rs" => None,
        file => Some(file.trim_end_matches(".rs").to_string()),
    }
}

/// The top-level modules a line of code names through `crate::`: `crate::pg::X`, and each
/// name of `crate::{pg, ddb::item}`.
fn crate_paths(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        // `cruddur_ops_crate::` or `some_crate::` are not ours.
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// Every import of `source` (the file `relative` under `src/`) that breaks the layers, as
/// "src/FILE:LINE: MODULE uses TARGET (...)".
fn violations(relative: &Path, source: &str) -> Vec<String> {
    let Some(module) = module_of(relative) else {
        return Vec::new();
    };
    let Some(own) = layer(&module) else {
        return vec![format!(
            "src/{}: module `{module}` has no layer: add it to tests/integration/layers.rs",
            relative.display()
        )];
    };
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for target in crate_paths(code) {
            if target == module || target == "self" || target == "super" {
                continue;
            }
            let why = match layer(&target) {
                None => continue,
                Some(theirs) if theirs > own => "an upward import",
                Some(_) if is_store(&module) && is_store(&target) => "a store using another store",
                Some(_) if module == "cli" && is_store(&target) => {
                    "the command line using a store (go through src/ops)"
                }
                Some(_) => continue,
            };
            found.push(format!(
                "src/{}:{}: `{module}` uses `crate::{target}`: {why}",
                relative.display(),
                number + 1
            ));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_it_and_no_store_uses_another() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 40, "found only {} files in src/", files.len());
    let mut all = Vec::new();
    for file in &files {
        let source = fs::read_to_string(file).unwrap();
        let relative = file.strip_prefix(&src).unwrap();
        all.extend(violations(relative, &source));
        all.extend(too_long(relative, &source));
    }
    assert!(all.is_empty(), "layer violations:\n{}", all.join("\n"));
}

#[test]
fn a_planted_upward_import_is_found_with_its_module_and_line() {
    let source = "//! ops\n\nuse crate::ddb::item;\nuse crate::cli::output::Row;\n";
    assert_eq!(
        violations(Path::new("ops/seed/plan.rs"), source),
        ["src/ops/seed/plan.rs:4: `ops` uses `crate::cli`: an upward import"]
    );
    let source = "fn f() { crate::pg::conninfo::parse(\"\"); }\n";
    assert_eq!(
        violations(Path::new("config.rs"), source),
        ["src/config.rs:1: `config` uses `crate::pg`: an upward import"]
    );
    let source = "use crate::{context::Context, ops::seed};\n";
    assert_eq!(
        violations(Path::new("ddb/batch.rs"), source),
        ["src/ddb/batch.rs:1: `ddb` uses `crate::ops`: an upward import"]
    );
    let source = "use crate::pg::User;\n";
    assert_eq!(
        violations(Path::new("cognito/mod.rs"), source),
        ["src/cognito/mod.rs:1: `cognito` uses `crate::pg`: a store using another store"]
    );
    let source = "use crate::ops::scan;\nuse crate::ddb::capacity::{self, Direction};\n";
    assert_eq!(
        violations(Path::new("cli/commands/scan.rs"), source),
        [
            "src/cli/commands/scan.rs:2: `cli` uses `crate::ddb`: the command line using a store \
          (go through src/ops)"
        ]
    );
    let source = "fn f() { let _ = crate::cognito::resolve_user_pool_id; }\n\
                  use crate::{context::Context, pg, s3::S3Url};\n";
    assert_eq!(
        violations(Path::new("cli/output.rs"), source),
        [
            "src/cli/output.rs:1: `cli` uses `crate::cognito`: the command line using a store \
             (go through src/ops)",
            "src/cli/output.rs:2: `cli` uses `crate::pg`: the command line using a store (go \
             through src/ops)",
            "src/cli/output.rs:2: `cli` uses `crate::s3`: the command line using a store (go \
             through src/ops)",
        ]
    );
    // The command line may use the operations, the context, the config and the model.
    let source =
        "use crate::ops::scan;\nuse crate::context::Context;\nuse crate::config::Target;\n\
                  use crate::model::keys::Sk;\n";
    assert!(violations(Path::new("cli/commands/seed.rs"), source).is_empty());
    // Down, sideways into the model, comments and other crates' paths are fine.
    let source = "use crate::context::Context;\nuse crate::model::keys::Pk;\n\
                  // crate::cli::output\nuse my_crate::cli;\n";
    assert!(violations(Path::new("ddb/x.rs"), source).is_empty());
    assert_eq!(
        violations(Path::new("newthing.rs"), "")[0],
        "src/newthing.rs: module `newthing` has no layer: add it to tests/integration/layers.rs"
    );
}

#[test]
fn a_command_file_over_the_limit_is_found_and_one_at_it_is_not() {
    let at_limit = "//\n".repeat(MAX_COMMAND_LINES);
    let over = format!("{at_limit}fn f() {{}}\n");
    assert_eq!(too_long(Path::new("cli/commands/seed.rs"), &at_limit), None);
    assert_eq!(
        too_long(Path::new("cli/commands/seed.rs"), &over).as_deref(),
        Some(
            "src/cli/commands/seed.rs: 121 lines: a command is at most 120 (move the work into \
             src/ops)"
        )
    );
    assert_eq!(
        too_long(Path::new("cli/commands/native_s3/tests.rs"), &over).as_deref(),
        Some(
            "src/cli/commands/native_s3/tests.rs: 121 lines: a command is at most 120 (move the \
             work into src/ops)"
        )
    );
    // Only commands are held to it.
    assert_eq!(too_long(Path::new("cli/output.rs"), &over), None);
    assert_eq!(too_long(Path::new("ops/seed/plan.rs"), &over), None);
}
