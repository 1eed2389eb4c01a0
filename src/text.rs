//! Small text helpers shared by the layers (below every other layer).

/// Cuts `text` to at most `max` characters, ending with `…` when it was longer (as the tables
/// cut their cells).
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `n` and the noun that goes with it: "1 group", "2 groups", "0 groups".
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_takes_the_singular_for_one_only() {
        assert_eq!(count(1u32, "group", "groups"), "1 group");
        assert_eq!(count(0u32, "group", "groups"), "0 groups");
        assert_eq!(count(2u64, "way", "ways"), "2 ways");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("short", 40), "short");
        assert_eq!(truncate("ééééé", 4), "ééé…");
        assert_eq!(truncate(&"x".repeat(50), 40).chars().count(), 40);
    }
}
