//! The sync fronts (SPEC §12): one instance per name shared by sync and async callsites, a
//! bulkhead's FIFO shared by sync and async waiters, threads, panics, rejections.

use resilience::{CircuitState, Error, bulkhead, circuit_breaker, registry};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

#[derive(Debug, PartialEq)]
enum E {
    Down,
    Policy(Error),
}

impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::Policy(e)
    }
}

fn bulkhead_named(name: &str) -> resilience::BulkheadHandle {
    registry()
        .bulkheads()
        .into_iter()
        .find(|b| b.name() == name)
        .expect("registered on its first call")
}

#[circuit_breaker(name = "sync-shared", min_calls = 4, failure_rate = 50%, open_for = 60s)]
fn sync_side(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[circuit_breaker(name = "sync-shared", min_calls = 4, failure_rate = 50%, open_for = 60s)]
async fn async_side(ok: bool) -> Result<(), E> {
    if ok { Ok(()) } else { Err(E::Down) }
}

#[test]
fn a_breaker_is_shared_by_a_sync_and_an_async_callsite() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    // Two failures on each side: four calls in one window, half of them failures.
    assert_eq!(sync_side(true), Ok(()));
    assert_eq!(sync_side(false), Err(E::Down));
    assert_eq!(rt.block_on(async_side(true)), Ok(()));
    assert_eq!(
        registry().circuit_breaker("sync-shared").unwrap().state(),
        CircuitState::Closed
    );
    assert_eq!(rt.block_on(async_side(false)), Err(E::Down));
    let breaker = registry().circuit_breaker("sync-shared").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(breaker.metrics().calls, 4);
    // Open for both worlds, with the same error.
    assert!(matches!(
        sync_side(true),
        Err(E::Policy(Error::CircuitOpen {
            name: "sync-shared",
            ..
        }))
    ));
    assert!(matches!(
        rt.block_on(async_side(true)),
        Err(E::Policy(Error::CircuitOpen {
            name: "sync-shared",
            ..
        }))
    ));
    assert_eq!(breaker.metrics().rejected, 2);
    let rows = registry()
        .circuit_breakers()
        .into_iter()
        .filter(|b| b.name() == "sync-shared")
        .count();
    assert_eq!(rows, 1, "one registry entry for both callsites");
}

#[bulkhead(max_concurrent = 1, name = "sync-bh-panic")]
fn panics_inside(panic: bool) -> Result<(), E> {
    if panic {
        panic!("inside");
    }
    Ok(())
}

#[test]
fn a_panic_gives_the_bulkhead_place_back() {
    let caught = catch_unwind(AssertUnwindSafe(|| panics_inside(true))).unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"inside"));
    let b = bulkhead_named("sync-bh-panic");
    assert_eq!((b.available(), b.in_flight()), (1, 0));
    assert_eq!(panics_inside(false), Ok(()));
}

#[bulkhead(max_concurrent = 3, max_wait = 60s, name = "sync-bh-threads")]
fn inside(now: &AtomicUsize, most: &AtomicUsize) -> Result<(), E> {
    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
    most.fetch_max(n, Ordering::SeqCst);
    thread::yield_now();
    now.fetch_sub(1, Ordering::SeqCst);
    Ok(())
}

#[test]
fn a_sync_bulkhead_under_threads_never_lets_more_in_and_loses_no_place() {
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (now, most) = (Arc::clone(&now), Arc::clone(&most));
            thread::spawn(move || (0..200).all(|_| inside(&now, &most).is_ok()))
        })
        .collect();
    for t in threads {
        assert!(
            t.join().unwrap(),
            "every caller got a place within max_wait"
        );
    }
    assert!(most.load(Ordering::SeqCst) <= 3);
    let b = bulkhead_named("sync-bh-threads");
    assert_eq!((b.available(), b.in_flight(), b.waiting()), (3, 0, 0));
    assert_eq!(b.rejected(), 0);
}

#[bulkhead(max_concurrent = 1, max_wait = 60s, name = "sync-bh-fifo")]
fn hold_sync(
    log: &Mutex<Vec<&'static str>>,
    who: &'static str,
    until: Option<mpsc::Receiver<()>>,
) -> Result<(), E> {
    log.lock().unwrap().push(who);
    if let Some(rx) = until {
        rx.recv().unwrap();
    }
    Ok(())
}

#[bulkhead(max_concurrent = 1, max_wait = 60s, name = "sync-bh-fifo")]
async fn hold_async(log: &Mutex<Vec<&'static str>>, who: &'static str) -> Result<(), E> {
    log.lock().unwrap().push(who);
    Ok(())
}

/// Waits (yielding, not sleeping) until `n` callers queue.
fn until_waiting(name: &str, n: usize) {
    while bulkhead_named(name).waiting() < n {
        thread::yield_now();
    }
}

#[test]
fn sync_and_async_waiters_share_one_fifo() {
    let log: &'static Mutex<Vec<&'static str>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let (release, held) = mpsc::channel();
    let holder = thread::spawn(move || hold_sync(log, "holder", Some(held)));
    while log.lock().unwrap().is_empty() {
        thread::yield_now();
    }
    // First in the queue: an async caller, on its own runtime thread.
    let first = thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(hold_async(log, "async"))
    });
    until_waiting("sync-bh-fifo", 1);
    // Second: a sync caller, parked.
    let second = thread::spawn(move || hold_sync(log, "sync", None));
    until_waiting("sync-bh-fifo", 2);
    release.send(()).unwrap();
    assert_eq!(holder.join().unwrap(), Ok(()));
    assert_eq!(first.join().unwrap(), Ok(()));
    assert_eq!(second.join().unwrap(), Ok(()));
    assert_eq!(*log.lock().unwrap(), ["holder", "async", "sync"]);
    assert_eq!(bulkhead_named("sync-bh-fifo").available(), 1);
}

#[bulkhead(max_concurrent = 1, name = "sync-bh-full")]
fn no_wait() -> Result<u8, E> {
    Ok(1)
}

#[test]
fn a_full_bulkhead_rejects_a_sync_call_with_the_same_error() {
    assert_eq!(no_wait(), Ok(1));
    let b = bulkhead_named("sync-bh-full");
    let place = b.try_acquire().unwrap();
    assert_eq!(
        no_wait(),
        Err(E::Policy(Error::BulkheadFull {
            name: "sync-bh-full",
            max_concurrent: 1
        }))
    );
    drop(place);
    assert_eq!(no_wait(), Ok(1));
    assert_eq!(b.rejected(), 1);
}

#[resilience::retry(name = "sync-shared-retry", backoff = none)]
fn retry_sync() -> Result<(), E> {
    Ok(())
}

#[resilience::retry(name = "sync-shared-retry", backoff = none)]
async fn retry_async() -> Result<(), E> {
    Ok(())
}

#[test]
fn a_retry_budget_is_shared_by_a_sync_and_an_async_callsite() {
    assert_eq!(retry_sync(), Ok(()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(retry_async()), Ok(()));
    let rows: Vec<_> = registry()
        .retries()
        .into_iter()
        .filter(|r| r.name() == "sync-shared-retry")
        .collect();
    assert_eq!(rows.len(), 1, "one registry entry for both callsites");
}

#[resilience::rate_limit(rate = 1/60s, name = "sync-shared-rate")]
fn rate_sync() -> Result<(), E> {
    Ok(())
}

#[resilience::rate_limit(rate = 1/60s, name = "sync-shared-rate")]
async fn rate_async() -> Result<(), E> {
    Ok(())
}

#[test]
fn a_rate_limiter_is_shared_by_a_sync_and_an_async_callsite() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    assert_eq!(rate_sync(), Ok(()));
    // The one permit of this minute went to the sync call.
    assert!(matches!(
        rt.block_on(rate_async()),
        Err(E::Policy(Error::RateLimited {
            name: "sync-shared-rate",
            ..
        }))
    ));
}
