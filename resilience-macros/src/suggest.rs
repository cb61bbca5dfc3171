//! "Did you mean …?" for unknown keys and values.

/// The candidate closest to `input` by edit distance, if it is close enough to be a typo.
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(input, c), *c))
        .filter(|(d, c)| {
            *d <= c.len().max(input.len()) / 3 || c.starts_with(input) || input.starts_with(c)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or a list of the valid choices.
pub(crate) fn hint(input: &str, what: &str, candidates: &[&str]) -> String {
    match closest(input, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            format!("valid {what}: {}", list.join(", "))
        }
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_prefixes() {
        let keys = [
            "attempts",
            "backoff",
            "jitter",
            "max_elapsed",
            "when",
            "budget",
            "name",
        ];
        assert_eq!(closest("backof", &keys), Some("backoff"));
        assert_eq!(closest("atempts", &keys), Some("attempts"));
        assert_eq!(closest("max", &keys), Some("max_elapsed"));
        assert_eq!(closest("zzzzzz", &keys), None);
        assert_eq!(
            closest("sec", &["ns", "us", "ms", "s", "m", "h"]),
            Some("s")
        );
    }

    #[test]
    fn hint_lists_choices_when_nothing_is_close() {
        assert_eq!(hint("q", "units", &["ms", "s"]), "valid units: `ms`, `s`");
    }
}
