//! Small text helpers shared by the layers (below every other layer).

/// Cuts `text` to at most `max` characters, ending with `...` when it was longer.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("short", 40), "short");
        assert_eq!(truncate("ééééé", 4), "é...");
        assert_eq!(truncate(&"x".repeat(50), 40).chars().count(), 40);
    }
}
