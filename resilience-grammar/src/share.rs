//! Shares: `50%`, `12.5%` or `0.5`.

use crate::Problem;

/// A share between 0 and 1 from a written number, `percent` when it carried a `%`.
pub fn from_number(number: f64, percent: bool, what: &str) -> Result<f64, Problem> {
    let share = if percent { number / 100.0 } else { number };
    if !(0.0..=1.0).contains(&share) {
        let written = if percent {
            format!("{number}%")
        } else {
            number.to_string()
        };
        return Err(format!(
            "`{what}` must be between 0% and 100% (0.0 and 1.0); got {written}"
        ));
    }
    Ok(share)
}

/// The message for a value that is not a share.
pub fn expected(what: &str) -> Problem {
    format!("expected a percentage for `{what}`, such as `50%` or `0.5`")
}

/// Reads `"40%"` or `"0.4"`.
///
/// ```
/// assert_eq!(resilience_grammar::share::parse("12.5%", "budget"), Ok(0.125));
/// ```
pub fn parse(text: &str, what: &str) -> Result<f64, Problem> {
    let text = text.trim();
    let (digits, percent) = match text.strip_suffix('%') {
        Some(d) => (d.trim_end(), true),
        None => (text, false),
    };
    if digits.is_empty()
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
    {
        return Err(expected(what));
    }
    let number: f64 = digits
        .replace('_', "")
        .parse()
        .map_err(|_| expected(what))?;
    from_number(number, percent, what)
}

/// How a share is written back: `40%`.
pub fn display(share: f64) -> String {
    format!("{}%", (share * 100.0 * 1e6).round() / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        assert_eq!(parse("50%", "x"), Ok(0.5));
        assert_eq!(parse("0.5", "x"), Ok(0.5));
        assert_eq!(parse("100%", "x"), Ok(1.0));
        assert!(parse("150%", "x").unwrap_err().contains("got 150%"));
        assert!(parse("1.5", "x").unwrap_err().contains("got 1.5"));
        assert!(
            parse("-5%", "x")
                .unwrap_err()
                .contains("expected a percentage")
        );
        assert!(
            parse("lots", "x")
                .unwrap_err()
                .contains("expected a percentage")
        );
        assert_eq!(display(0.4), "40%");
        assert_eq!(display(0.125), "12.5%");
    }
}
