//! The closed breaker's per-call cost against a bare call, `failsafe` and `recloser`, and the
//! throughput of two threads on one shared breaker against one thread.
//!
//! `cargo bench --bench circuit_breaker -- --warm-up-time 1 --measurement-time 3`
//!
//! * `closed/*`: one successful call through a closed breaker (median per call). The
//!   `resilience/site` case is exactly what `#[circuit_breaker]` generates around the body
//!   (acquire on the callsite's static, finish with the result); `resilience/async fn` is a
//!   whole annotated `async fn`, polled once, against the same bare `async fn`.
//! * `shared/*`: N threads each making `iters` successful calls on one breaker; the time is per
//!   round of one call on each thread, so perfect scaling shows as equal times and twice the
//!   element throughput.
//!
//! One run on the 2-core development machine (median; `--warm-up-time 1 --measurement-time 3`):
//!
//! | closed, per call | ns |   | shared breaker | 1 thread | 2 threads |
//! |---|---|---|---|---|---|
//! | bare call | 1.9 | | bare call (no breaker) | 473 M/s | 874 M/s |
//! | resilience (generated site code) | 7.0 | | resilience | 145 M/s | 272 M/s |
//! | recloser 1.4 | 13.9 | | recloser | 70 M/s | 12 M/s |
//! | failsafe 1.3 | 88.2 | | failsafe | 11.5 M/s | 9.6 M/s |
//! | bare `async fn`, polled once | 1.9 | | | | |
//! | `#[circuit_breaker] async fn`, polled once | 16.8 | | | | |

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use resilience::__private::{BreakerPolicy, BreakerSite, every_error_fails};
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Down;
impl From<resilience::Error> for Down {
    fn from(_: resilience::Error) -> Self {
        Down
    }
}

#[inline(never)]
fn work(x: u64) -> Result<u64, Down> {
    Ok(black_box(x).wrapping_mul(3))
}

static SITE: BreakerSite = BreakerSite::new("bench::site", "bench:1");

#[inline(never)]
fn through_site(x: u64) -> Result<u64, resilience_runtime::Failure<Down>> {
    match SITE.acquire(BreakerPolicy::DEFAULT) {
        Ok(permit) => permit.finish(
            work(x).map_err(resilience_runtime::Failure::Inner),
            every_error_fails,
        ),
        Err(e) => Err(resilience_runtime::Failure::Policy(e)),
    }
}

async fn bare_async(x: u64) -> Result<u64, Down> {
    work(x)
}

#[resilience::circuit_breaker(name = "bench::async")]
async fn guarded_async(x: u64) -> Result<u64, Down> {
    work(x)
}

/// Polls a future once where it stands (moving a large future into a helper such as
/// `now_or_never` costs a copy that would be measured instead).
#[inline(always)]
fn poll_once<F: std::future::Future>(f: F) -> std::task::Poll<F::Output> {
    let f = std::pin::pin!(f);
    f.poll(&mut std::task::Context::from_waker(
        futures::task::noop_waker_ref(),
    ))
}

fn failsafe_breaker() -> impl failsafe::CircuitBreaker + Sync {
    failsafe::Config::new().build()
}

fn recloser_breaker() -> recloser::Recloser {
    recloser::Recloser::custom().build()
}

fn closed(c: &mut Criterion) {
    let mut g = c.benchmark_group("closed");
    g.bench_function("bare call", |b| b.iter(|| work(black_box(7))));
    g.bench_function("resilience/site", |b| b.iter(|| through_site(black_box(7))));
    let fs = failsafe_breaker();
    g.bench_function("failsafe", |b| {
        b.iter(|| failsafe::CircuitBreaker::call(&fs, || work(black_box(7))))
    });
    let rc = recloser_breaker();
    g.bench_function("recloser", |b| b.iter(|| rc.call(|| work(black_box(7)))));
    g.bench_function("bare async fn", |b| {
        b.iter(|| poll_once(bare_async(black_box(7))))
    });
    g.bench_function("resilience/async fn", |b| {
        b.iter(|| poll_once(guarded_async(black_box(7))))
    });
    g.finish();
}

/// `threads` threads each run `iters` calls of `call` at once; the elapsed wall time.
fn concurrently(threads: usize, iters: u64, call: &(impl Fn() + Sync)) -> Duration {
    let start = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    let t = Instant::now();
                    for _ in 0..iters {
                        call();
                    }
                    t.elapsed()
                })
            })
            .collect();
        start.wait();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    })
}

fn shared(c: &mut Criterion) {
    let mut g = c.benchmark_group("shared");
    let fs = failsafe_breaker();
    let rc = recloser_breaker();
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        // The machine's own scaling: no shared state at all.
        g.bench_function(format!("bare call/{threads} thread(s)"), |b| {
            b.iter_custom(|iters| {
                concurrently(threads, iters, &|| {
                    let _ = black_box(work(black_box(7)));
                })
            })
        });
        g.bench_function(format!("resilience/{threads} thread(s)"), |b| {
            b.iter_custom(|iters| {
                concurrently(threads, iters, &|| {
                    let _ = black_box(through_site(black_box(7)));
                })
            })
        });
        g.bench_function(format!("failsafe/{threads} thread(s)"), |b| {
            b.iter_custom(|iters| {
                concurrently(threads, iters, &|| {
                    let _ = black_box(failsafe::CircuitBreaker::call(&fs, || work(black_box(7))));
                })
            })
        });
        g.bench_function(format!("recloser/{threads} thread(s)"), |b| {
            b.iter_custom(|iters| {
                concurrently(threads, iters, &|| {
                    let _ = black_box(rc.call(|| work(black_box(7))));
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, closed, shared);
criterion_main!(benches);
