//! Runs N calls of one variant, for `valgrind --tool=callgrind` to count instructions per call.
//!
//! `instructions <variant> <N>` makes N calls of `<variant>` (see `common::VARIANTS`), each
//! built and polled once in place (inside an entered runtime if it needs one). Running it at two
//! N and dividing the difference of the instruction counts by the difference of N cancels
//! start-up, registration on the first call and the runtime's own cost (`benches/run.sh`).
//!
//! `instructions sizes` prints each variant's name, the `size_of_val` of its future and its
//! peers (comma-separated, `-` for none). Run by
//! `cargo bench` (which passes `--bench`, or no variant) it makes a few calls of every variant
//! and says so.

mod common;

use common::VARIANTS;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rt = common::runtime();
    match args.as_slice() {
        [what] if what == "sizes" => {
            for v in VARIANTS {
                let peers = if v.peers.is_empty() {
                    "-".to_owned()
                } else {
                    v.peers.join(",")
                };
                println!("{} {} {peers}", v.name, v.within(&rt, v.size));
            }
        }
        [name, n] => {
            let Some(v) = common::variant(name) else {
                eprintln!("unknown variant `{name}`; one of:");
                VARIANTS.iter().for_each(|v| eprintln!("  {}", v.name));
                std::process::exit(2);
            };
            let n: u64 = n.parse().expect("N is a number of calls");
            println!("{} {}", v.name, v.within(&rt, || calls(v.call, n)));
        }
        _ => {
            for v in VARIANTS {
                v.within(&rt, || calls(v.call, 1000));
            }
            println!(
                "instructions: 1000 calls of each of {} variants ran; usage: instructions <variant> <N> | sizes",
                VARIANTS.len()
            );
        }
    }
}

/// N calls; the number that succeeded (all of them), so nothing is optimised away.
#[inline(never)]
fn calls(f: fn(u64) -> common::Out, n: u64) -> u64 {
    (0..n).filter(|&i| f(black_box(i)).is_ok()).count() as u64
}
