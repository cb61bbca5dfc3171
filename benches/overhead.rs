//! What each attribute adds to a trivially cheap `async fn`, against the peers, in one run.
//!
//! `benches/run.sh` runs this with short times and prints the table; by hand:
//! `cargo bench --bench overhead -- --warm-up-time 1 --measurement-time 3`
//!
//! * `call/<variant>`: one call, built and polled once in place (it completes at once), for
//!   every variant of `common::VARIANTS`: bare, each attribute, the four-attribute stack, and
//!   failsafe, recloser, backon, `tokio::time::timeout`, a tokio `Semaphore`, governor.
//! * `shared/<variant>_<n>t`: `n` threads each making calls on one shared breaker; the time is
//!   per round of one call on each thread, so perfect scaling shows as equal times (twice the
//!   element throughput). `bare` is the machine's own scaling, with no shared state.

mod common;

use common::{VARIANTS, Variant, variant};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

fn call(c: &mut Criterion) {
    let rt = common::runtime();
    let mut g = c.benchmark_group("call");
    for v in VARIANTS {
        let f = v.call;
        v.within(&rt, || {
            g.bench_function(v.name, |b| b.iter(|| f(black_box(7))))
        });
    }
    g.finish();
}

/// `threads` threads each make `iters` calls of `v` at once; the slowest thread's time.
fn concurrently(threads: usize, iters: u64, v: &Variant) -> Duration {
    let start = Barrier::new(threads + 1);
    let f = v.call;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    let t = Instant::now();
                    for i in 0..iters {
                        let _ = black_box(f(black_box(i)));
                    }
                    t.elapsed()
                })
            })
            .collect();
        start.wait();
        handles
            .into_iter()
            .map(|h| h.join().expect("a bench thread panicked"))
            .max()
            .expect("at least one thread")
    })
}

/// The variants of the two-thread run.
const SHARED: [&str; 4] = ["bare", "circuit_breaker", "failsafe", "recloser"];

fn shared(c: &mut Criterion) {
    let mut g = c.benchmark_group("shared");
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        for name in SHARED {
            let v = variant(name).expect("a known variant");
            g.bench_function(format!("{name}_{threads}t"), |b| {
                b.iter_custom(|iters| concurrently(threads, iters, v))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, call, shared);
criterion_main!(benches);
