//! `table-import --checkpoint` and `table-export --checkpoint` on prod, through the throttling front: a job
//! killed with SIGKILL halfway, then run again with the same checkpoint, ends with exactly the
//! items of one uninterrupted run, and re-does at most what was in flight when it was killed.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::capacity::{count_items, export_lines, loaded_table, provisioned_table, Front, Scratch};
use crate::common::*;

/// Starts `cmd` with its output in files of `files` (a pipe nobody reads could block it).
fn spawn(cmd: &mut Command, files: &Scratch, name: &str) -> Child {
    let out = std::fs::File::create(files.dir.join(format!("{name}.out"))).unwrap();
    let err = std::fs::File::create(files.dir.join(format!("{name}.err"))).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("the binary starts")
}

/// The checkpoint's `state`, once it exists and is JSON.
fn checkpoint_state(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    Some(doc["state"].clone())
}

/// Waits until the checkpoint counts at least `items` items, then kills `child` with SIGKILL.
/// Fails if the job ends first or nothing happens within a minute.
fn kill_when_checkpoint_holds(child: &mut Child, path: &Path, items: u64, files: &Scratch) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = checkpoint_state(path)
            .and_then(|s| s["items"].as_u64())
            .unwrap_or(0);
        if done >= items {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = std::fs::File::open(files.dir.join("first.err"))
                .and_then(|mut f| f.read_to_string(&mut err));
            panic!("the job ended ({status}) before its checkpoint held {items} items: {err}");
        }
        assert!(
            Instant::now() < deadline,
            "the checkpoint {} held {done} items after a minute",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished: {status}");
}

#[test]
fn import_prod_killed_halfway_resumes_without_losing_or_repeating_items() {
    let files = Scratch::new();
    let table = provisioned_table(400, &files);
    let front = Front::start(0.3);
    let input = files.write("in.jsonl", &export_lines(2_000));
    let checkpoint = files.dir.join("import.ckpt");
    let import = |table: &str| {
        let mut cmd = front.prod("table-import");
        // DynamoDB Local behind the front has no backups: prod's backup is skipped.
        cmd.args([
            "--table",
            table,
            "--yes",
            "--no-backup",
            "--max-wcu",
            "200",
            "--file",
        ])
        .arg(&input)
        .arg("--checkpoint")
        .arg(&checkpoint);
        cmd
    };

    let mut first = spawn(&mut import(&table.name), &files, "first");
    kill_when_checkpoint_holds(&mut first, &checkpoint, 600, &files);
    let state = checkpoint_state(&checkpoint).unwrap();
    let before = state["items"].as_u64().unwrap();
    assert!((600..2_000).contains(&before), "{state}");

    // The checkpoint belongs to this table: another is refused before anything is written.
    let other = TestTable::created();
    let err = fails(run(&mut import(&other.name)));
    assert!(err.contains("made for another import"), "{err}");
    assert!(err.contains(&format!("table: was {}", table.name)), "{err}");
    assert_eq!(count_items(&other), 0);

    let out = ok(run(&mut import(&table.name)));
    let err = stderr(&out);
    assert!(err.contains("resuming from the checkpoint"), "{err}");
    assert!(
        err.contains(&format!("imported {} items", 2_000 - before)),
        "only the items after the checkpoint are written again: {err}"
    );
    assert_eq!(count_items(&table), 2_000);

    // Across both runs the front saw every item written once, plus what the first run wrote
    // beyond its checkpoint: batches run at most 2 x 8 ahead of the oldest unwritten one
    // (ddb::batch::AHEAD), 400 items, and the checkpoint file may trail by the save in progress
    // (at most a few batches). A resume that ignored the checkpoint would write 2,600 or more.
    let (stats, _) = front.stats(&table.name);
    let written = stats["write"]["written"].as_u64().unwrap();
    assert!(
        (2_000..=2_550).contains(&written),
        "{written} items written in all: {stats}"
    );
    let done: Value = serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(done["complete"], true, "{done}");
    assert_eq!(done["state"]["items"], 2_000, "{done}");

    // Run again: the checkpoint says it is done, nothing is written.
    let out = ok(run(&mut import(&table.name)));
    assert!(stderr(&out).contains("nothing to do"), "{}", stderr(&out));
    let (stats, _) = front.stats(&table.name);
    assert_eq!(stats["write"]["written"].as_u64().unwrap(), written);
}

#[test]
fn export_prod_killed_halfway_resumes_with_exactly_the_tables_lines() {
    let files = Scratch::new();
    let table = loaded_table(400, 2_000, &files);
    let front = Front::start(0.3);
    let exported = files.dir.join("out.json.gz");
    let checkpoint = files.dir.join("export.ckpt");
    let export = || {
        let mut cmd = front.prod("table-export");
        cmd.args(["--table", &table.name, "--max-rcu", "20", "--segments", "2"])
            .args(["--gzip", "--file"])
            .arg(&exported)
            .arg("--checkpoint")
            .arg(&checkpoint);
        cmd
    };

    let mut first = spawn(&mut export(), &files, "first");
    kill_when_checkpoint_holds(&mut first, &checkpoint, 600, &files);
    assert!(!exported.exists(), "the file appears only when complete");
    let state = checkpoint_state(&checkpoint).unwrap();
    let before = state["items"].as_u64().unwrap();
    assert!((600..2_000).contains(&before), "{state}");

    let out = ok(run(&mut export()));
    let err = stderr(&out);
    assert!(err.contains("resuming from the checkpoint"), "{err}");
    assert!(
        err.contains(&format!("exported {} items", 2_000 - before)),
        "only what the checkpoint did not hold is read again: {err}"
    );

    // One gzip file (a member per page) holding every item exactly once.
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&exported).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2_000);
    let keys: HashSet<String> = lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!("{}/{}", v["Item"]["pk"]["S"], v["Item"]["sk"]["S"])
        })
        .collect();
    assert_eq!(keys.len(), 2_000, "no line repeated");
    let want: HashSet<String> = export_lines(2_000)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!("{}/{}", v["Item"]["pk"]["S"], v["Item"]["sk"]["S"])
        })
        .collect();
    assert_eq!(keys, want);
    let partials: Vec<String> = std::fs::read_dir(&files.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(partials.is_empty(), "{partials:?}");

    // Run again: the checkpoint says it is done, nothing is read.
    let out = ok(run(&mut export()));
    assert!(stderr(&out).contains("nothing to do"), "{}", stderr(&out));
}
