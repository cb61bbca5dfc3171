//! `#[bulkhead]`: places, FIFO waiting, rejections, panics, sharing by name, registry figures.

use futures::FutureExt;
use resilience::{Error, bulkhead, registry};
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::{Instant, sleep};

const MS: Duration = Duration::from_millis(1);

#[bulkhead(max_concurrent = 2, name = "bh-reject")]
async fn two_at_once(hold: Duration) -> Result<(), Error> {
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_third_call_is_rejected_at_once_without_max_wait() {
    let (a, b, c) = tokio::join!(
        two_at_once(100 * MS),
        two_at_once(100 * MS),
        two_at_once(100 * MS)
    );
    assert!(a.is_ok() && b.is_ok());
    assert_eq!(
        c,
        Err(Error::BulkheadFull {
            name: "bh-reject",
            max_concurrent: 2
        })
    );
    let b = registry().bulkhead("bh-reject").unwrap();
    assert_eq!((b.available(), b.in_flight(), b.waiting()), (2, 0, 0));
    assert_eq!(b.rejected(), 1);
}

#[bulkhead(max_concurrent = 1, max_wait = 50ms, name = "bh-wait")]
async fn waits(hold: Duration) -> Result<Instant, Error> {
    let started = Instant::now();
    sleep(hold).await;
    Ok(started)
}

#[tokio::test(start_paused = true)]
async fn a_caller_waits_up_to_max_wait_for_a_place() {
    let t0 = Instant::now();
    // The second caller gets the place when the first leaves, 40ms in.
    let (a, b) = tokio::join!(waits(40 * MS), waits(10 * MS));
    assert_eq!(a.unwrap(), t0);
    assert_eq!(b.unwrap(), t0 + 40 * MS);
    // Here the first holds on for 80ms: the second gives up after its 50ms.
    let t1 = Instant::now();
    let (a, b) = tokio::join!(waits(80 * MS), async {
        let r = waits(10 * MS).await;
        (r, Instant::now())
    });
    assert!(a.is_ok());
    assert!(matches!(b.0, Err(Error::BulkheadFull { .. })));
    assert_eq!(b.1, t1 + 50 * MS);
    let b = registry().bulkhead("bh-wait").unwrap();
    assert_eq!((b.available(), b.waiting()), (1, 0));
}

static ORDER: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[bulkhead(max_concurrent = 1, max_wait = 10s, name = "bh-fifo")]
async fn in_turn(id: u32) -> Result<(), Error> {
    ORDER.lock().unwrap().push(id);
    sleep(10 * MS).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order() {
    let mut tasks = Vec::new();
    for id in 0..6 {
        tasks.push(tokio::spawn(in_turn(id)));
        // Each arrives (and queues) before the next.
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(*ORDER.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
}

#[bulkhead(max_concurrent = 1, name = "bh-panic")]
async fn panics(really: bool) -> Result<u8, Error> {
    if really {
        panic!("boom");
    }
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn a_panic_gives_the_place_back_and_still_reaches_the_caller() {
    let caught = AssertUnwindSafe(panics(true)).catch_unwind().await;
    let payload = caught.expect_err("the panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    let b = registry().bulkhead("bh-panic").unwrap();
    assert_eq!(b.available(), 1);
    assert_eq!(panics(false).await, Ok(1));

    // Across a task boundary too.
    let joined = tokio::spawn(panics(true)).await;
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(b.available(), 1);
}

#[bulkhead(max_concurrent = 1, name = "bh-shared")]
async fn shared_a() -> Result<(), Error> {
    sleep(10 * MS).await;
    Ok(())
}

#[bulkhead(max_concurrent = 1, name = "bh-shared")]
async fn shared_b() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn callsites_with_one_name_share_one_bulkhead() {
    let (a, b) = tokio::join!(shared_a(), shared_b());
    assert!(a.is_ok());
    assert!(matches!(
        b,
        Err(Error::BulkheadFull {
            name: "bh-shared",
            ..
        })
    ));
    let named: Vec<_> = registry()
        .bulkheads()
        .into_iter()
        .filter(|b| b.name() == "bh-shared")
        .collect();
    assert_eq!(named.len(), 1);
}

#[bulkhead]
async fn defaults() -> Result<usize, Error> {
    let me = registry().bulkhead("bulkhead::defaults").unwrap();
    Ok(me.in_flight())
}

#[tokio::test]
async fn defaults_are_25_places_and_the_function_path() {
    assert_eq!(defaults().await, Ok(1));
    let me = registry().bulkhead("bulkhead::defaults").unwrap();
    assert_eq!(me.max_concurrent(), 25);
    assert_eq!(me.in_flight(), 0);
}

struct Pool {
    calls: u32,
}

impl Pool {
    #[bulkhead(max_concurrent = 3)]
    async fn get(&mut self) -> std::io::Result<u32> {
        self.calls += 1;
        Ok(self.calls)
    }
}

#[tokio::test]
async fn methods_and_io_errors_work() {
    let mut p = Pool { calls: 0 };
    assert_eq!(p.get().await.unwrap(), 1);
    assert_eq!(p.get().await.unwrap(), 2);
}

static INSIDE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static MOST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[bulkhead(max_concurrent = 3, max_wait = 1h, name = "bh-threads")]
async fn crowded() -> Result<(), Error> {
    use std::sync::atomic::Ordering::SeqCst;
    let now = INSIDE.fetch_add(1, SeqCst) + 1;
    MOST.fetch_max(now, SeqCst);
    tokio::task::yield_now().await;
    INSIDE.fetch_sub(1, SeqCst);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn threads_never_exceed_max_concurrent_and_give_every_place_back() {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(async {
                for _ in 0..500 {
                    crowded().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(MOST.load(std::sync::atomic::Ordering::SeqCst) <= 3);
    let b = registry().bulkhead("bh-threads").unwrap();
    assert_eq!((b.available(), b.waiting(), b.rejected()), (3, 0, 0));
}

#[resilience::retry(attempts = 3, backoff = none, budget = none)]
#[resilience::timeout(1s)]
#[bulkhead(max_concurrent = 1, max_wait = 10ms, name = "bh-stack-panic")]
async fn stacked_panic(really: bool) -> Result<u8, Error> {
    tokio::task::yield_now().await;
    if really {
        panic!("deep");
    }
    Ok(2)
}

#[tokio::test(start_paused = true)]
async fn a_panic_under_retry_and_timeout_gives_the_place_back_and_is_not_retried() {
    let caught = AssertUnwindSafe(stacked_panic(true)).catch_unwind().await;
    assert_eq!(
        caught
            .expect_err("the panic reaches the caller")
            .downcast_ref::<&str>(),
        Some(&"deep")
    );
    let b = registry().bulkhead("bh-stack-panic").unwrap();
    assert_eq!((b.available(), b.waiting()), (1, 0));
    assert_eq!(stacked_panic(false).await, Ok(2));
}
