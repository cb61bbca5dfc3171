//! The compile-error catalogue: one file per mistake under `tests/ui/<category>/`, each with the
//! `.stderr` the compiler must print, and passing shapes under `tests/ui/pass/`.
//!
//! Regenerate after a deliberate message change with `TRYBUILD=overwrite cargo test --test ui`
//! (one category: `.. --test ui -- ui trybuild=ui/retry/`), then read every changed `.stderr`.
//! Every directory under `tests/ui/` other than `pass/` is a compile-fail category (`lint/`
//! denies a lint, so a warning the expansion must keep shows as an error).

use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut categories: Vec<String> = std::fs::read_dir(&root)
        .expect("tests/ui exists")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry.file_type().ok()?.is_dir().then_some(())?;
            entry.file_name().into_string().ok()
        })
        .filter(|name| name != "pass")
        .collect();
    categories.sort();
    assert!(!categories.is_empty(), "no compile-fail categories found");
    for category in &categories {
        t.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}
