//! Conversation files: one message per line, `Person 1: <text>` or `Person 2: <text>`, checked
//! whole before anything is written; and synthetic conversations for load tests.

use std::path::Path;

use anyhow::{bail, Context as _, Result};

/// The conversation shipped with the toolkit (`seeds/conversation.txt`), built into the binary.
pub const SHIPPED_CONVERSATION: &str = include_str!("../../../seeds/conversation.txt");
/// How errors name the built-in conversation.
pub const SHIPPED_NAME: &str = "seeds/conversation.txt (built in)";
/// The longest message accepted, in bytes (a DynamoDB item holds at most 400 KB).
pub const MAX_MESSAGE_BYTES: usize = 300_000;

/// Who wrote a line of the conversation file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Speaker {
    /// `Person 1` (`--from`).
    One,
    /// `Person 2` (`--to`).
    Two,
}

impl Speaker {
    /// 0 for Person 1, 1 for Person 2.
    pub fn index(self) -> usize {
        match self {
            Speaker::One => 0,
            Speaker::Two => 1,
        }
    }
}

/// One message of a conversation, before it has a sender, a time or a uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Who wrote it.
    pub speaker: Speaker,
    /// The message text.
    pub text: String,
}

/// Parses a conversation: one message per line, `Person 1: <text>` or `Person 2: <text>`.
///
/// Blank lines are skipped; a trailing `\r` and a leading byte-order mark are ignored. Any other
/// line is an error naming `name` and the line number.
pub fn parse(name: &str, text: &str) -> Result<Vec<Line>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{name}:{}", index + 1);
        let (speaker, rest) = if let Some(rest) = line.strip_prefix("Person 1:") {
            (Speaker::One, rest)
        } else if let Some(rest) = line.strip_prefix("Person 2:") {
            (Speaker::Two, rest)
        } else {
            bail!(
                "{}: expected \"Person 1: <text>\" or \"Person 2: <text>\", found {:?}",
                at(),
                crate::text::truncate(line, 40)
            );
        };
        let message = rest.trim();
        if message.is_empty() {
            bail!("{}: the message is empty", at());
        }
        if message.len() > MAX_MESSAGE_BYTES {
            bail!(
                "{}: the message is {} bytes long; at most {MAX_MESSAGE_BYTES} fit in an item",
                at(),
                message.len()
            );
        }
        lines.push(Line {
            speaker,
            text: message.to_string(),
        });
    }
    if lines.is_empty() {
        bail!("{name}: no messages (expected lines like \"Person 1: Hello\")");
    }
    Ok(lines)
}

/// Reads and parses a conversation file; text that is not UTF-8 is an error naming the line.
pub fn read_file(path: &Path) -> Result<Vec<Line>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("reading {name}"))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let line = err.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            bail!("{name}:{line}: the text is not UTF-8");
        }
    };
    parse(&name, &text)
}

/// `n` synthetic messages: senders alternate (Person 1 first), texts vary in words and length.
pub fn synthetic(n: usize) -> Vec<Line> {
    const WORDS: [&str; 16] = [
        "the tide is coming in",
        "did you get the parcel",
        "café at eight?",
        "lamp lit at 17:42",
        "wind SW, moderate",
        "thirty-eight steps",
        "bring one book 📚",
        "灯台と図書館",
        "the roof still leaks",
        "soup first, questions later",
        "see you Tuesday",
        "the spreadsheet says no",
        "São Vicente at noon",
        "copper or cast iron",
        "a seal watched the light",
        "très bien, merci",
    ];
    (0..n)
        .map(|i| {
            let speaker = if i % 2 == 0 {
                Speaker::One
            } else {
                Speaker::Two
            };
            let words = 1 + (i * 7 + 3) % 9;
            let mut text = format!("Message {}:", i + 1);
            for w in 0..words {
                text.push(' ');
                text.push_str(WORDS[(i * 5 + w * 3) % WORDS.len()]);
            }
            Line { speaker, text }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use uuid::Uuid;

    #[test]
    fn parses_lines_and_skips_blanks() {
        let lines = parse(
            "f.txt",
            "\u{feff}Person 1: Hello, café ☕\r\n\nPerson 2:   灯台   \nPerson 1:x\n",
        )
        .unwrap();
        assert_eq!(
            lines,
            vec![
                Line {
                    speaker: Speaker::One,
                    text: "Hello, café ☕".into()
                },
                Line {
                    speaker: Speaker::Two,
                    text: "灯台".into()
                },
                Line {
                    speaker: Speaker::One,
                    text: "x".into()
                },
            ]
        );
    }

    #[test]
    fn bad_lines_name_the_file_and_line() {
        for (text, line, what) in [
            ("Person 1: hi\nPerson 3: no\n", 2, "expected"),
            ("Person 1: hi\n\n\nperson 2: lower\n", 4, "expected"),
            ("Person 1: hi\nPerson 2:   \n", 2, "empty"),
            ("Person 1 hi\n", 1, "expected"),
        ] {
            let err = parse("conv.txt", text).unwrap_err().to_string();
            assert!(err.starts_with(&format!("conv.txt:{line}: ")), "{err}");
            assert!(err.contains(what), "{err}");
        }
        let err = parse("conv.txt", "\n\n").unwrap_err().to_string();
        assert!(
            err.contains("conv.txt") && err.contains("no messages"),
            "{err}"
        );
        let long = format!("Person 1: {}\n", "x".repeat(MAX_MESSAGE_BYTES + 1));
        let err = parse("big.txt", &long).unwrap_err().to_string();
        assert!(err.starts_with("big.txt:1:"), "{err}");
    }

    #[test]
    fn the_shipped_conversation_is_valid_and_rich() {
        let lines = parse(SHIPPED_NAME, SHIPPED_CONVERSATION).unwrap();
        assert!(lines.len() >= 60, "{}", lines.len());
        assert!(lines.iter().any(|l| l.text.chars().count() > 1_000));
        assert!(lines.iter().any(|l| !l.text.is_ascii()));
        assert!(lines.iter().any(|l| l.speaker == Speaker::One));
        assert!(lines.iter().any(|l| l.speaker == Speaker::Two));
    }

    #[test]
    fn non_utf8_files_name_the_line() {
        let path = std::env::temp_dir().join(format!("seed-{}.txt", Uuid::new_v4()));
        std::fs::write(&path, b"Person 1: ok\nPerson 2: caf\xe9\n").unwrap();
        let err = read_file(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(err.ends_with(":2: the text is not UTF-8"), "{err}");
        let err = read_file(Path::new("/nonexistent/conv.txt")).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/conv.txt"));
    }

    #[test]
    fn synthetic_messages_alternate_and_vary() {
        let lines = synthetic(100);
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[0].speaker, Speaker::One);
        assert_eq!(lines[1].speaker, Speaker::Two);
        let distinct: HashSet<_> = lines.iter().map(|l| &l.text).collect();
        assert_eq!(distinct.len(), 100);
        let lengths: HashSet<_> = lines.iter().map(|l| l.text.len()).collect();
        assert!(lengths.len() > 5);
        assert!(synthetic(0).is_empty());
    }
}
