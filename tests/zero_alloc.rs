//! SPEC §11: no heap allocation per call. A counting global allocator watches many calls of
//! every attribute alone and of the four-attribute stack (the variants of
//! `benches/common`), after a warm-up that includes each callsite's registration.
//!
//! The allocator counts every thread, so this test has no harness (`harness = false` in
//! `Cargo.toml`): nothing but these calls runs while it counts.

#[path = "../benches/common/mod.rs"]
mod common;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let rt = common::runtime();
    let _entered = rt.enter();
    let mut allocating = Vec::new();
    // Inside a runtime, as a real call would be.
    for v in common::VARIANTS.iter().filter(|v| v.ours) {
        for i in 0..1_000 {
            assert!((v.call)(i).is_ok(), "{} failed while warming up", v.name);
        }
        let region = Region::new(GLOBAL);
        let mut ok = 0;
        for i in 0..10_000 {
            ok += usize::from((v.call)(i).is_ok());
        }
        let change = region.change();
        if change.allocations + change.reallocations != 0 {
            allocating.push(format!("{}: {change:?}", v.name));
        }
        assert_eq!(ok, 10_000, "{} failed a call", v.name);
    }
    assert!(
        allocating.is_empty(),
        "allocations over 10 000 calls:\n{}",
        allocating.join("\n")
    );
    println!(
        "zero_alloc: no allocation over 10 000 warmed-up calls of each attribute and the stack"
    );
}
