//! Tests of reading, checking and batching an import's lines.

use super::*;
use crate::ddb::item::s;
use std::io::Write;

fn keys() -> KeySchema {
    KeySchema {
        pk: ScalarAttributeType::S,
        sk: ScalarAttributeType::S,
    }
}

#[test]
fn keys_must_match_the_table() {
    let k = keys();
    let ok: Item = [(PK.to_string(), s("a")), (SK.to_string(), s("b"))].into();
    check_keys(&k, &ok).unwrap();
    let no_sk: Item = [(PK.to_string(), s("a"))].into();
    assert!(check_keys(&k, &no_sk)
        .unwrap_err()
        .to_string()
        .contains("\"sk\""));
    let number: Item = [
        (PK.to_string(), s("a")),
        (SK.to_string(), AttributeValue::N("1".into())),
    ]
    .into();
    assert!(check_keys(&k, &number).is_err());
    let empty: Item = [(PK.to_string(), s("")), (SK.to_string(), s("b"))].into();
    assert!(check_keys(&k, &empty).is_err());
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn gzip_is_found_by_its_magic_bytes_and_errors_name_the_line() {
    let text = "{\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"}}}\n\n{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"2\"}}\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let gzipped = temp_file("data.bin", &gz.finish().unwrap());
    let plain = temp_file("data.json", text.as_bytes());
    let source = Source::Files(vec![gzipped.clone(), plain.clone()]);
    let all = check_all(&source, &keys(), None).unwrap();
    assert_eq!(
        all,
        Checked {
            items: 4,
            units: 4.0
        }
    );
    // after the first line of the second file: one item left
    let after = Some(Mark { file: 1, line: 1 });
    assert_eq!(check_all(&source, &keys(), after).unwrap().items, 1);

    let bad = temp_file(
        "bad.json",
        format!("{text}{{\"pk\":{{\"S\":\"a\"}}}}\n").as_bytes(),
    );
    let err = check_all(&Source::Files(vec![bad.clone()]), &keys(), None).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("line 4"), "{msg}");
    assert!(msg.contains("nothing was written"), "{msg}");
    for p in [gzipped, plain, bad] {
        std::fs::remove_file(p).unwrap();
    }
}

#[test]
fn an_item_over_400_kb_is_refused_with_its_file_and_line() {
    let line = |sk: u32, text: &str| {
        format!("{{\"pk\":{{\"S\":\"p\"}},\"sk\":{{\"S\":\"{sk}\"}},\"t\":{{\"S\":\"{text}\"}}}}\n")
    };
    let text = format!("{}{}", line(1, "hi"), line(2, &"x".repeat(420 * 1024)));
    let path = temp_file("huge.json", text.as_bytes());
    let err = check_all(&Source::Files(vec![path.clone()]), &keys(), None).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!("{}: line 2", path.display())),
        "{msg}"
    );
    assert!(msg.contains("400 KB"), "{msg}");
    assert!(msg.contains("nothing was written"), "{msg}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn duplicate_keys_in_a_batch_keep_the_last_line() {
    let mut text = String::new();
    for i in 0..30 {
        let k = if i == 3 { 1 } else { i }; // line 4 repeats the key of line 2
        text.push_str(&format!(
            "{{\"pk\":{{\"S\":\"p\"}},\"sk\":{{\"S\":\"{k}\"}},\"n\":{{\"N\":\"{i}\"}}}}\n"
        ));
    }
    let path = temp_file("dups.json", text.as_bytes());
    let plan = Plan {
        source: Source::Files(vec![path.clone()]),
        keys: keys(),
        items: None,
        units: None,
        checkpoint: None,
    };
    let requests = Requests::new(&plan, &Arc::new(Mutex::new(None)));
    let duplicates = requests.duplicates.clone();
    let batches: Vec<(BatchTag, Vec<WriteRequest>)> = requests.collect();
    // two batches: lines 1-26 (25 keys, one repeated) and lines 27-30
    let tags: Vec<(u64, u64, u64)> = batches
        .iter()
        .map(|(t, _)| (t.seq, t.last.line, t.items))
        .collect();
    assert_eq!(tags, vec![(0, 26, 25), (1, 30, 4)]);
    let items: Vec<Item> = batches
        .into_iter()
        .flat_map(|(_, b)| b)
        .map(|r| r.put_request.unwrap().item)
        .collect();
    assert_eq!(items.len(), 29);
    assert_eq!(*duplicates.lock().unwrap(), 1);
    // the first batch holds 25 distinct keys, and key "1" carries line 4's value
    let first: std::collections::HashSet<String> = items[..25]
        .iter()
        .map(|i| format!("{:?}", i["sk"]))
        .collect();
    assert_eq!(first.len(), 25);
    let one = items.iter().find(|i| i["sk"] == s("1")).unwrap();
    assert_eq!(one["n"], AttributeValue::N("3".into()));
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_line_that_is_not_json_keeps_the_parser_error_as_its_cause() {
    let err = parse_line("{\"pk\":").unwrap_err();
    assert!(format!("{err:#}").starts_with("not JSON: "), "{err:#}");
    assert!(
        err.chain().any(|cause| cause.is::<serde_json::Error>()),
        "{err:#}"
    );
}
