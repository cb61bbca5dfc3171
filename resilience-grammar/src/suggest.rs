//! "Did you mean …?" for unknown keys and values.

/// The candidate closest to `input` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
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
pub fn hint(input: &str, what: &str, candidates: &[&str]) -> String {
    match closest(input, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            format!("valid {what}: {}", list.join(", "))
        }
    }
}

/// Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`: a swapped
/// pair such as `nmae` is one typo, not two.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between the first i chars of a and the first j chars of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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
        assert_eq!(closest("nmae", &keys), Some("name"));
        assert_eq!(closest("jtiter", &keys), Some("jitter"));
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
