//! One grammar, one set of rules: every value the attributes reject in `tests/ui/` is run
//! through the runtime configuration's parser, which must reject it with the same words the
//! compiler printed (its `.stderr`). The few files whose mistake is not in a value (a missing
//! `async`, a string where a literal goes, an expression) are listed by name with the reason.

use resilience::config::{Kind, Raw, check_together, parse_value};
use std::path::Path;

/// Compile-time mistakes that a configuration cannot make, by file.
const NOT_A_VALUE: &[(&str, &str)] = &[
    (
        "duration-string-literal",
        "a configuration's durations are strings",
    ),
    (
        "duration-literal-in-expression",
        "a configuration has no expressions",
    ),
    (
        "wrong-duration-expression-type",
        "a configuration has no expressions",
    ),
    (
        "duration-negative",
        "`-1s` is one token in a configuration's string: no spacing hint",
    ),
    ("retry-key-twice", "a TOML table cannot repeat a key"),
    ("chaos-key-twice", "a TOML table cannot repeat a key"),
    (
        "timeout-two-durations",
        "a configuration names the key `duration`",
    ),
    (
        "timeout-unit-as-key",
        "a configuration names the key `duration`",
    ),
    (
        "retry-positional-value",
        "a configuration has no positional values",
    ),
    (
        "retry-missing-value",
        "an empty value is a TOML syntax error",
    ),
    (
        "timeout-missing-duration",
        "a configuration sets keys, it need not set all",
    ),
    (
        "rate-limit-missing-rate",
        "a configuration sets keys, it need not set all",
    ),
    (
        "chaos-no-fault",
        "a configuration sets keys, it need not set all",
    ),
    (
        "jitter-with-backoff-none",
        "jitter over no delay is harmless at run time",
    ),
    (
        "retry-renamed-key",
        "a renamed key's hint names the attribute's other keys",
    ),
    (
        "circuit-breaker-renamed-key",
        "a renamed key's hint names the attribute's other keys",
    ),
    (
        "bulkhead-renamed-key",
        "a renamed key's hint names the attribute's other keys",
    ),
    (
        "chaos-renamed-key",
        "a renamed key's hint names the attribute's other keys",
    ),
    (
        "rate-limit-not-a-rate",
        "its first attribute spells a rate without a period",
    ),
    (
        "timeout-name-empty",
        "a configuration's names are its tables",
    ),
    (
        "timeout-unknown-key",
        "its nearest key, `name`, is the table's own name in a configuration",
    ),
    (
        "circuit-breaker-when-not-a-path",
        "`when` is set in the attribute only",
    ),
    (
        "retry-when-not-a-path",
        "`when` is set in the attribute only",
    ),
    (
        "hedge-unknown-key",
        "`max_hedges` gets a renamed key's hint in the attribute",
    ),
    (
        "retry-crate-not-a-path",
        "`crate` is set in the attribute only",
    ),
];

/// The attributes a configuration can retune, by the name written after `#[`.
fn kind(attr: &str) -> Option<Kind> {
    Kind::from_table(attr.trim_start_matches("resilience::")).ok()
}

/// The attributes `#[kind(args)]` written in `source`, as (kind, args text).
fn attributes(source: &str) -> Vec<(Kind, String)> {
    let mut found = Vec::new();
    for line in source.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("#[") else {
            continue;
        };
        let Some(open) = rest.find('(') else { continue };
        let Some(kind) = kind(&rest[..open]) else {
            continue;
        };
        let Some(args) = rest[open + 1..].strip_suffix(")]") else {
            continue;
        };
        found.push((kind, args.to_owned()));
    }
    found
}

/// Splits at top-level commas.
fn split(args: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in args.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(args[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// An attribute's value as a configuration writes it: numbers as TOML numbers, the rest as
/// strings.
fn raw(value: &str) -> Raw {
    if let Ok(i) = value.replace('_', "").parse::<i64>() {
        return Raw::Integer(i);
    }
    if let Ok(x) = value.parse::<f64>() {
        return Raw::Float(x);
    }
    Raw::Text(value.trim_matches('"').to_owned())
}

/// The runtime's words for the values of one attribute.
fn runtime_errors(kind: Kind, args: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for arg in split(args) {
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) if !v.starts_with('=') => (k.trim(), v.trim()),
            _ if kind == Kind::Timeout => ("duration", arg),
            _ => continue,
        };
        if matches!(key, "name" | "when" | "crate" | "key") {
            continue;
        }
        match parse_value(kind, key, &raw(value)) {
            Ok(v) => values.push((key.to_owned(), v)),
            Err(e) => errors.push(e),
        }
    }
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if let Err((_, e)) = check_together(kind, get) {
        errors.push(e);
    }
    errors
}

#[test]
fn the_runtime_rejects_the_values_of_tests_ui_with_the_same_words() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for category in [
        "bulkhead",
        "chaos",
        "circuit_breaker",
        "duration",
        "hedge",
        "keyed",
        "rate_limit",
        "retry",
        "timeout",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(category))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_str().unwrap().to_owned();
            let stderr = std::fs::read_to_string(file.with_extension("stderr")).unwrap();
            let compile_errors: Vec<&str> = stderr
                .lines()
                .filter_map(|l| l.strip_prefix("error: "))
                .collect();
            let source = std::fs::read_to_string(&file).unwrap();
            let errors: Vec<String> = attributes(&source)
                .into_iter()
                .flat_map(|(kind, args)| runtime_errors(kind, &args))
                .collect();
            let skipped = NOT_A_VALUE.iter().any(|(name, _)| *name == stem);
            if skipped || errors.is_empty() {
                continue;
            }
            for e in &errors {
                if !compile_errors.contains(&e.as_str()) {
                    mismatches.push(format!(
                        "{category}/{stem}: the runtime says\n  {e}\nbut the compiler said\n  {}",
                        compile_errors.join("\n  ")
                    ));
                }
            }
            compared += 1;
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Each value file of the catalogue was compared: this many today (a new one raises it).
    eprintln!("{compared} files compared");
    assert!(compared >= 39, "only {compared} files compared");
}

#[test]
fn every_value_file_of_tests_ui_is_compared_or_named() {
    // A file the runtime accepts must be one of NOT_A_VALUE or have no value to configure.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    for (category, stem) in [
        ("circuit_breaker", "circuit-breaker-failure-rate-above-100"),
        ("circuit_breaker", "circuit-breaker-min-calls-above-window"),
        ("circuit_breaker", "circuit-breaker-unknown-key"),
        ("retry", "retry-attempts-zero"),
        ("retry", "retry-backoff-unknown"),
        ("bulkhead", "bulkhead-max-concurrent-zero"),
        ("rate_limit", "rate-limit-zero-rate"),
        ("duration", "duration-bad-unit"),
        ("duration", "duration-missing-unit"),
        ("hedge", "hedge-bad-percentile"),
        ("hedge", "hedge-max-hedged-out-of-range"),
    ] {
        let source =
            std::fs::read_to_string(root.join(category).join(format!("{stem}.rs"))).unwrap();
        let errors: Vec<String> = attributes(&source)
            .into_iter()
            .flat_map(|(kind, args)| runtime_errors(kind, &args))
            .collect();
        assert!(!errors.is_empty(), "{stem}: the runtime accepted it");
    }
}
