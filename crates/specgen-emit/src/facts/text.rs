//! Words for prose: capitalization, articles, prose lines and durations, shared by the
//! README, doc comments and generated tests.

/// Lowercase first letter to uppercase.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "a booking", "an order".
pub fn with_article(words: &str) -> String {
    let vowel = words
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {words}", if vowel { "an" } else { "a" })
}

/// Non-empty, trimmed lines of prose.
pub fn prose_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `2592000` -> `30 days`; exact units only, falling back to seconds.
pub fn duration_words(seconds: u64) -> String {
    for (unit, size) in [("day", 86_400), ("hour", 3_600), ("minute", 60)] {
        if seconds >= size && seconds.is_multiple_of(size) {
            let count = seconds / size;
            return format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
        }
    }
    format!("{seconds} seconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration_words(2_592_000), "30 days");
        assert_eq!(duration_words(86_400), "1 day");
        assert_eq!(duration_words(5_400), "90 minutes");
        assert_eq!(duration_words(61), "61 seconds");
    }
}
