//! Return types and errors: any alias of `Result` works, a lone `#[retry]` needs no
//! `From<resilience::Error>`, and `resilience::Error` itself.

use resilience::{retry, timeout};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn assert_send<T: Send>(_: &T) {}

/// Counts attempts; fails the first `fail_first`.
struct Counter {
    calls: AtomicU32,
    fail_first: u32,
}

impl Counter {
    fn failing(fail_first: u32) -> Self {
        Counter {
            calls: AtomicU32::new(0),
            fail_first,
        }
    }
    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
    /// `Some(n)` on success, `None` on a failing call.
    async fn next(&self) -> Option<u32> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::task::yield_now().await;
        (n > self.fail_first).then_some(n)
    }
}

// ---- io::Result --------------------------------------------------------------------------

#[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
#[timeout(100ms)]
async fn io_result(c: &Counter, latency: Duration) -> std::io::Result<u32> {
    tokio::time::sleep(latency).await;
    c.next().await.ok_or_else(|| std::io::Error::other("flaky"))
}

#[tokio::test(start_paused = true)]
async fn io_result_works() {
    let c = Counter::failing(2);
    let fut = io_result(&c, ms(1));
    assert_send(&fut);
    assert_eq!(fut.await.unwrap(), 3);

    let c = Counter::failing(9);
    let err = io_result(&c, ms(1)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Other);
    assert_eq!(err.to_string(), "flaky");
    assert_eq!(c.calls(), 3);

    let c = Counter::failing(0);
    let t = Instant::now();
    let err = io_result(&c, ms(1_000)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(t.elapsed(), ms(100 + 10 + 100 + 10 + 100));
}

// ---- anyhow::Result ----------------------------------------------------------------------

#[retry(attempts = 3, backoff = none)]
#[timeout(100ms)]
async fn anyhow_result(c: &Counter, latency: Duration) -> anyhow::Result<u32> {
    tokio::time::sleep(latency).await;
    let n = c.next().await.ok_or_else(|| anyhow::anyhow!("flaky"))?;
    anyhow::ensure!(n != 2, "two is unlucky");
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn anyhow_result_works() {
    let c = Counter::failing(1);
    let fut = anyhow_result(&c, ms(1));
    assert_send(&fut);
    assert_eq!(fut.await.unwrap(), 3);

    let c = Counter::failing(0);
    let err = anyhow_result(&c, ms(1_000)).await.unwrap_err();
    let timeout = err.downcast_ref::<resilience::Error>().unwrap();
    assert_eq!(timeout.kind(), "timeout");
    assert_eq!(timeout.name(), "errors::anyhow_result");
}

// ---- Box<dyn Error + Send + Sync> --------------------------------------------------------

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[retry(attempts = 2, backoff = none)]
#[timeout(100ms)]
async fn boxed(c: &Counter, latency: Duration) -> Result<u32, BoxError> {
    tokio::time::sleep(latency).await;
    let n: u32 = "4".parse()?;
    Ok(n + c.next().await.ok_or("flaky")?)
}

#[tokio::test(start_paused = true)]
async fn boxed_errors_work() {
    let c = Counter::failing(1);
    let fut = boxed(&c, ms(1));
    assert_send(&fut);
    assert_eq!(fut.await.unwrap(), 6);

    let c = Counter::failing(5);
    assert_eq!(boxed(&c, ms(1)).await.unwrap_err().to_string(), "flaky");

    let err = boxed(&Counter::failing(0), ms(500)).await.unwrap_err();
    let err = err.downcast::<resilience::Error>().unwrap();
    assert!(matches!(*err, resilience::Error::Timeout { .. }));
}

/// Not `Sync`: a retried error is never shared across an await, so the future stays `Send`.
/// (std has no `From<E>` for `Box<dyn Error + Send>`, so no `#[timeout]` here.)
#[retry(attempts = 2, backoff = constant(1ms), jitter = none)]
async fn send_only_error(c: &Counter) -> Result<u32, Box<dyn std::error::Error + Send>> {
    c.next()
        .await
        .ok_or_else(|| Box::new(std::io::Error::other("flaky")) as _)
}

impl From<resilience::Error> for SendOnly {
    fn from(e: resilience::Error) -> Self {
        SendOnly(Box::new(e), std::cell::Cell::new(0))
    }
}

/// An error that is `Send` but not `Sync`.
#[derive(Debug)]
struct SendOnly(
    #[allow(dead_code)] Box<dyn std::error::Error + Send>,
    std::cell::Cell<u8>,
);

#[retry(attempts = 2, backoff = constant(1ms), jitter = none)]
#[timeout(100ms)]
async fn not_sync_error(c: &Counter) -> Result<u32, SendOnly> {
    c.next().await.ok_or_else(|| {
        SendOnly(
            Box::new(std::io::Error::other("flaky")),
            std::cell::Cell::new(1),
        )
    })
}

#[tokio::test(start_paused = true)]
async fn errors_need_not_be_sync() {
    let c = Counter::failing(1);
    let fut = send_only_error(&c);
    assert_send(&fut);
    assert_eq!(fut.await.unwrap(), 2);

    let c = Counter::failing(3);
    let fut = not_sync_error(&c);
    assert_send(&fut);
    assert_eq!(fut.await.unwrap_err().1.get(), 1);
    assert_eq!(c.calls(), 2);
}

// ---- the user's own alias ----------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum MyErr {
    Flaky(u32),
    Policy(resilience::Error),
}

impl From<resilience::Error> for MyErr {
    fn from(e: resilience::Error) -> Self {
        MyErr::Policy(e)
    }
}

type Res<T> = Result<T, MyErr>;
type ResU32 = Res<u32>;

#[retry(attempts = 3, backoff = none)]
#[timeout(100ms)]
async fn own_alias(c: &Counter) -> Res<u32> {
    c.next().await.ok_or(MyErr::Flaky(c.calls()))
}

#[retry(attempts = 3, backoff = none)]
#[timeout(100ms)]
async fn own_alias_without_parameters(c: &Counter) -> ResU32 {
    c.next().await.ok_or(MyErr::Flaky(c.calls()))
}

#[retry(attempts = 3, backoff = none)]
async fn full_path(c: &Counter) -> ::core::result::Result<u32, MyErr> {
    c.next().await.ok_or(MyErr::Flaky(c.calls()))
}

#[tokio::test(start_paused = true)]
async fn a_users_own_alias_works() {
    assert_eq!(own_alias(&Counter::failing(2)).await, Ok(3));
    assert_eq!(own_alias(&Counter::failing(5)).await, Err(MyErr::Flaky(3)));
    assert_eq!(
        own_alias_without_parameters(&Counter::failing(1)).await,
        Ok(2)
    );
    assert_eq!(full_path(&Counter::failing(1)).await, Ok(2));
}

// ---- a lone #[retry] needs no From<resilience::Error> ------------------------------------

/// Has no `From<resilience::Error>`: fine, since `#[retry]` alone never rejects.
#[derive(Debug, PartialEq)]
struct Plain(u32);

#[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
async fn lone_retry(c: &Counter) -> Result<u32, Plain> {
    c.next().await.ok_or(Plain(c.calls()))
}

#[retry(attempts = 3, backoff = none, when = |e: &Plain| e.0 < 2)]
async fn lone_retry_with_when(c: &Counter) -> Result<u32, Plain> {
    c.next().await.ok_or(Plain(c.calls()))
}

#[tokio::test(start_paused = true)]
async fn a_lone_retry_needs_no_conversion() {
    let t = Instant::now();
    assert_eq!(lone_retry(&Counter::failing(2)).await, Ok(3));
    assert_eq!(t.elapsed(), ms(20));
    assert_eq!(lone_retry(&Counter::failing(5)).await, Err(Plain(3)));
    assert_eq!(
        lone_retry_with_when(&Counter::failing(5)).await,
        Err(Plain(2))
    );
}

#[retry(attempts = 3, backoff = none)]
async fn string_error(c: &Counter) -> Result<u32, String> {
    c.next()
        .await
        .ok_or_else(|| format!("call {} failed", c.calls()))
}

#[retry(attempts = 2, backoff = none)]
async fn unit_error(c: &Counter) -> Result<u32, ()> {
    c.next().await.ok_or(())
}

#[tokio::test(start_paused = true)]
async fn any_debug_error_type_can_be_retried() {
    assert_eq!(
        string_error(&Counter::failing(9)).await,
        Err("call 3 failed".to_owned())
    );
    assert_eq!(unit_error(&Counter::failing(1)).await, Ok(2));
}

// ---- resilience::Error -------------------------------------------------------------------

#[test]
fn error_is_clone_send_sync_and_an_error() {
    fn traits<T: Clone + Send + Sync + 'static + std::error::Error>() {}
    traits::<resilience::Error>();
    let e = resilience::Error::Timeout {
        name: "a::b",
        after: ms(5),
    };
    assert_eq!(e.clone(), e);
    let dynamic: &dyn std::error::Error = &e;
    assert!(dynamic.source().is_none());
}

#[test]
fn error_messages_say_what_happened_and_what_to_do() {
    use resilience::Error;
    let cases = [
        (
            Error::Timeout {
                name: "pricing",
                after: ms(800),
            },
            &["`pricing`", "800ms", "raise the timeout"][..],
        ),
        (
            Error::CircuitOpen {
                name: "payments",
                retry_after: Duration::from_secs(3),
            },
            &["`payments`", "open", "3s"][..],
        ),
        (
            Error::BulkheadFull {
                name: "db",
                max_concurrent: 4,
            },
            &["`db`", "4", "max_concurrent"][..],
        ),
        (
            Error::RateLimited {
                name: "api",
                retry_after: ms(20),
            },
            &["`api`", "20ms"][..],
        ),
        (Error::Injected { name: "x" }, &["`x`", "chaos"][..]),
    ];
    for (error, needles) in cases {
        let msg = error.to_string();
        for needle in needles {
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        }
        let kind = std::io::Error::from(error.clone()).kind();
        assert_ne!(kind, std::io::ErrorKind::NotFound);
        assert_eq!(
            matches!(error, Error::Timeout { .. }),
            kind == std::io::ErrorKind::TimedOut
        );
    }
}
