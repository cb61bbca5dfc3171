//! The bulkhead's uncontended per-call cost against a tokio `Semaphore` and a bare call.
//!
//! `cargo bench --bench bulkhead -- --warm-up-time 1 --measurement-time 3`
//!
//! * `place/*`: take a free place and give it back, nothing else: `Bulkhead::try_acquire` +
//!   drop against `Semaphore::try_acquire` + drop and `Semaphore::acquire().await` + drop.
//! * `call/*`: a whole `async fn` polled once (it completes at once): bare, with
//!   `#[bulkhead]`, with a hand-written `Semaphore` guard around the same body, and with
//!   `#[rate_limit]` (a permit always free: governor's compare-and-swap and the clock read).

use criterion::{Criterion, criterion_group, criterion_main};
use resilience::{Bulkhead, Error, bulkhead, rate_limit};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};
use tokio::sync::Semaphore;

fn poll_once<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("uncontended calls complete at once"),
    }
}

static SEMAPHORE: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(25));

#[inline(never)]
fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

async fn bare(x: u64) -> Result<u64, Error> {
    Ok(work(x))
}

#[bulkhead(max_concurrent = 25, name = "bench")]
async fn with_bulkhead(x: u64) -> Result<u64, Error> {
    Ok(work(x))
}

// A rate so high the bench never runs out: what a permit costs when one is free.
#[rate_limit(rate = 4000000000/1s, name = "bench")]
async fn with_rate_limit(x: u64) -> Result<u64, Error> {
    Ok(work(x))
}

async fn with_semaphore(x: u64) -> Result<u64, Error> {
    let _permit = SEMAPHORE.acquire().await.expect("never closed");
    Ok(work(x))
}

fn place(c: &mut Criterion) {
    let mut g = c.benchmark_group("place");
    let bulkhead = Bulkhead::new("bench::place", 25);
    g.bench_function("resilience Bulkhead::try_acquire", |b| {
        b.iter(|| drop(black_box(bulkhead.try_acquire())))
    });
    let semaphore = Semaphore::new(25);
    g.bench_function("tokio Semaphore::try_acquire", |b| {
        b.iter(|| drop(black_box(semaphore.try_acquire())))
    });
    g.bench_function("tokio Semaphore::acquire", |b| {
        b.iter(|| drop(black_box(poll_once(semaphore.acquire()))))
    });
    g.finish();
}

fn call(c: &mut Criterion) {
    let mut g = c.benchmark_group("call");
    g.bench_function("bare async fn", |b| {
        b.iter(|| poll_once(bare(black_box(7))))
    });
    g.bench_function("#[bulkhead] async fn", |b| {
        b.iter(|| poll_once(with_bulkhead(black_box(7))))
    });
    g.bench_function("tokio Semaphore async fn", |b| {
        b.iter(|| poll_once(with_semaphore(black_box(7))))
    });
    g.bench_function("#[rate_limit] async fn", |b| {
        b.iter(|| poll_once(with_rate_limit(black_box(7))))
    });
    g.finish();
}

criterion_group!(benches, place, call);
criterion_main!(benches);
