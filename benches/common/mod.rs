//! The variants every performance measurement runs: a trivially cheap `async fn` (returns
//! `Ok(black_box(i))` without awaiting), bare, under each attribute of this project, under the
//! four-attribute stack, and under each peer's equivalent; and a plain `fn` (`sync_*`), bare and
//! under the attributes that go on one, beside the peers' sync calls. Shared by `benches/overhead.rs`
//! (criterion), `benches/instructions.rs` (callgrind) and `tests/zero_alloc.rs`,
//! `tests/future_size.rs`, so every number is about the same code.
#![allow(dead_code)]

use resilience::{bulkhead, circuit_breaker, fallback, hedge, rate_limit, retry, timeout};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// The error of every variant; it can hold a `resilience::Error`.
#[derive(Debug)]
pub struct Down;

impl From<resilience::Error> for Down {
    fn from(_: resilience::Error) -> Self {
        Down
    }
}

/// What every variant returns.
pub type Out = Result<u64, Down>;

/// One measured variant: its call (built and polled once, in place), the size of its future
/// (built, not polled), and the peer it is compared with.
#[derive(Clone, Copy)]
pub struct Variant {
    pub name: &'static str,
    pub call: fn(u64) -> Out,
    pub size: fn() -> usize,
    /// The peers measured against this variant (names of other variants).
    pub peers: &'static [&'static str],
    /// Whether this is one of this project's attributes (the zero-allocation test covers those).
    pub ours: bool,
    /// Whether it needs a runtime entered (`tokio::time::timeout` registers its `Sleep` with
    /// the current one when built). Only those run inside one: the dev-dependencies switch on
    /// tokio's `test-util`, which makes every tokio clock read inside a runtime clone the
    /// runtime's handle (two atomic operations that production builds do not have).
    pub runtime: bool,
}

impl Variant {
    /// Runs `f` with the runtime `rt` entered if this variant needs it.
    pub fn within<R>(&self, rt: &tokio::runtime::Runtime, f: impl FnOnce() -> R) -> R {
        let _entered = self.runtime.then(|| rt.enter());
        f()
    }
}

/// Polls `f` once where it stands (moving a large future into a helper such as
/// `now_or_never` costs a copy that would be measured instead). Every variant completes at once.
#[inline(always)]
pub fn poll_ready<F: Future>(f: F) -> F::Output {
    let f = pin!(f);
    match f.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("every variant completes at its first poll"),
    }
}

macro_rules! variant {
    // A plain `fn`: called, no future (its size is reported as 0).
    ($name:literal, sync $f:path, ours = $ours:literal, peers = [$($peer:literal),*]) => {
        Variant {
            name: $name,
            call: |i| $f(i),
            size: || 0,
            peers: &[$($peer),*],
            ours: $ours,
            runtime: false,
        }
    };
    ($name:literal, $f:path, ours = $ours:literal, peers = [$($peer:literal),*]) => {
        variant!($name, $f, ours = $ours, peers = [$($peer),*], runtime = false)
    };
    ($name:literal, $f:path, ours = $ours:literal, peers = [$($peer:literal),*], runtime = $rt:literal) => {
        Variant {
            name: $name,
            call: |i| poll_ready($f(i)),
            size: || std::mem::size_of_val(&$f(0)),
            peers: &[$($peer),*],
            ours: $ours,
            runtime: $rt,
        }
    };
}

/// Every variant, bare first.
pub const VARIANTS: &[Variant] = &[
    variant!("bare", bare, ours = false, peers = []),
    variant!(
        "circuit_breaker",
        with_breaker,
        ours = true,
        peers = ["failsafe", "recloser"]
    ),
    variant!(
        "breaker_time_window",
        with_breaker_time_window,
        ours = true,
        peers = ["circuit_breaker"]
    ),
    variant!(
        "breaker_keyed",
        with_keyed_breaker,
        ours = true,
        peers = ["circuit_breaker"]
    ),
    variant!("retry", with_retry, ours = true, peers = ["backon"]),
    variant!(
        "retry_on_a_method",
        with_retry_on_a_method,
        ours = true,
        peers = ["retry"]
    ),
    variant!(
        "timeout",
        with_timeout,
        ours = true,
        peers = ["tokio_timeout"]
    ),
    variant!(
        "bulkhead",
        with_bulkhead,
        ours = true,
        peers = ["tokio_semaphore"]
    ),
    variant!(
        "rate_limit",
        with_rate_limit,
        ours = true,
        peers = ["governor"]
    ),
    variant!("fallback", with_fallback, ours = true, peers = []),
    variant!("hedge", with_hedge, ours = true, peers = []),
    variant!("stack", with_stack, ours = true, peers = []),
    variant!("failsafe", with_failsafe, ours = false, peers = []),
    variant!("recloser", with_recloser, ours = false, peers = []),
    variant!("backon", with_backon, ours = false, peers = []),
    variant!(
        "tokio_timeout",
        with_tokio_timeout,
        ours = false,
        peers = [],
        runtime = true
    ),
    variant!(
        "tokio_semaphore",
        with_tokio_semaphore,
        ours = false,
        peers = []
    ),
    variant!("governor", with_governor, ours = false, peers = []),
    variant!("sync_bare", sync sync_bare, ours = false, peers = []),
    variant!(
        "sync_circuit_breaker",
        sync sync_with_breaker,
        ours = true,
        peers = ["sync_failsafe"]
    ),
    variant!(
        "sync_retry",
        sync sync_with_retry,
        ours = true,
        peers = ["sync_backon"]
    ),
    variant!("sync_bulkhead", sync sync_with_bulkhead, ours = true, peers = []),
    // The same layers around a body that calls a function the compiler cannot see into, as a
    // real body does: the bare call then needs a frame too, so these rows measure the layer,
    // not the leaf body's lack of one.
    variant!("bare_call", bare_call, ours = false, peers = []),
    variant!(
        "circuit_breaker_call",
        with_breaker_call,
        ours = true,
        peers = []
    ),
    variant!("retry_call", with_retry_call, ours = true, peers = []),
    variant!("sync_bare_call", sync sync_bare_call, ours = false, peers = []),
    variant!("sync_circuit_breaker_call", sync sync_with_breaker_call, ours = true, peers = []),
    variant!("sync_retry_call", sync sync_with_retry_call, ours = true, peers = []),
    variant!("sync_failsafe", sync sync_with_failsafe, ours = false, peers = []),
    variant!("sync_backon", sync sync_with_backon, ours = false, peers = []),
];

/// The variant called `name`.
pub fn variant(name: &str) -> Option<&'static Variant> {
    VARIANTS.iter().find(|v| v.name == name)
}

/// A current-thread runtime with a timer, for the variants that need one entered.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

// ---- this project ----------------------------------------------------------------------

pub async fn bare(i: u64) -> Out {
    Ok(black_box(i))
}

#[circuit_breaker]
pub async fn with_breaker(i: u64) -> Out {
    Ok(black_box(i))
}

/// A time window: a success reads the clock and counts in its bucket.
#[circuit_breaker(window = 60s)]
pub async fn with_breaker_time_window(i: u64) -> Out {
    Ok(black_box(i))
}

/// The breaker with `key = ..`: its cost above the unkeyed one is the lookup of the key's
/// breaker in the name's concurrent map.
#[circuit_breaker(name = "bench.keyed", key = "host-1")]
pub async fn with_keyed_breaker(i: u64) -> Out {
    Ok(black_box(i))
}

#[retry]
pub async fn with_retry(i: u64) -> Out {
    Ok(black_box(i))
}

/// A method with a default label: `#[retry]` as in `with_retry`, plus the one load per call
/// that names the type in the method's label (`FnLabel::resolve`).
pub struct Client;

impl Client {
    #[retry]
    pub async fn get(&self, i: u64) -> Out {
        Ok(black_box(i))
    }
}

pub fn with_retry_on_a_method(i: u64) -> impl Future<Output = Out> {
    Client.get(i)
}

#[timeout(1s)]
pub async fn with_timeout(i: u64) -> Out {
    Ok(black_box(i))
}

#[bulkhead]
pub async fn with_bulkhead(i: u64) -> Out {
    Ok(black_box(i))
}

// A rate so high no run ever waits: what a permit costs when one is free.
#[rate_limit(rate = 4000000000/1s)]
pub async fn with_rate_limit(i: u64) -> Out {
    Ok(black_box(i))
}

fn recover(_i: u64, _e: Down) -> Out {
    Err(Down)
}

#[fallback(recover)]
pub async fn with_fallback(i: u64) -> Out {
    Ok(black_box(i))
}

/// A hedge that does not fire: the call ends at its first poll, before any delay (no clock
/// read, no timer; its latency counts as 0 in the histogram).
#[hedge]
pub async fn with_hedge(i: u64) -> Out {
    Ok(black_box(i))
}

/// The four attributes of the targets, in the recommended order, outermost first.
#[retry]
#[circuit_breaker]
#[timeout(1s)]
#[bulkhead]
pub async fn with_stack(i: u64) -> Out {
    Ok(black_box(i))
}

// ---- the peers, each around the same body ----------------------------------------------

type FailsafeBreaker = failsafe::StateMachine<
    failsafe::failure_policy::OrElse<
        failsafe::failure_policy::SuccessRateOverTimeWindow<failsafe::backoff::EqualJittered>,
        failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::EqualJittered>,
    >,
    (),
>;

/// failsafe 1.3's default breaker.
pub static FAILSAFE: LazyLock<FailsafeBreaker> = LazyLock::new(|| failsafe::Config::new().build());
/// recloser 1.4's default breaker.
pub static RECLOSER: LazyLock<recloser::Recloser> =
    LazyLock::new(|| recloser::Recloser::custom().build());
static SEMAPHORE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(25);
static GOVERNOR: LazyLock<governor::DefaultDirectRateLimiter> = LazyLock::new(|| {
    governor::RateLimiter::direct(governor::Quota::per_second(std::num::NonZeroU32::MAX))
});

pub async fn with_failsafe(i: u64) -> Out {
    use failsafe::CircuitBreaker;
    FAILSAFE
        .call(|| Ok::<u64, Down>(black_box(i)))
        .map_err(|_| Down)
}

pub async fn with_recloser(i: u64) -> Out {
    RECLOSER
        .call(|| Ok::<u64, Down>(black_box(i)))
        .map_err(|_| Down)
}

pub async fn with_backon(i: u64) -> Out {
    use backon::Retryable;
    (|| async { Ok::<u64, Down>(black_box(i)) })
        .retry(backon::ExponentialBuilder::default())
        .await
}

pub async fn with_tokio_timeout(i: u64) -> Out {
    tokio::time::timeout(Duration::from_secs(1), async { Ok(black_box(i)) })
        .await
        .map_err(|_| Down)?
}

pub async fn with_tokio_semaphore(i: u64) -> Out {
    let _permit = SEMAPHORE.acquire().await.map_err(|_| Down)?;
    Ok(black_box(i))
}

pub async fn with_governor(i: u64) -> Out {
    GOVERNOR.check().map_err(|_| Down)?;
    Ok(black_box(i))
}

// ---- plain `fn`: this project and the peers' sync calls ----------------------------------

#[inline(never)]
pub fn sync_bare(i: u64) -> Out {
    Ok(black_box(i))
}

#[circuit_breaker]
#[inline(never)]
pub fn sync_with_breaker(i: u64) -> Out {
    Ok(black_box(i))
}

#[retry]
#[inline(never)]
pub fn sync_with_retry(i: u64) -> Out {
    Ok(black_box(i))
}

#[bulkhead]
#[inline(never)]
pub fn sync_with_bulkhead(i: u64) -> Out {
    Ok(black_box(i))
}

/// failsafe's own (sync) `CircuitBreaker::call`, on its default breaker.
#[inline(never)]
pub fn sync_with_failsafe(i: u64) -> Out {
    use failsafe::CircuitBreaker;
    FAILSAFE
        .call(|| Ok::<u64, Down>(black_box(i)))
        .map_err(|_| Down)
}

/// backon's `BlockingRetryable` with its default exponential backoff, sleeping the thread.
#[inline(never)]
pub fn sync_with_backon(i: u64) -> Out {
    use backon::BlockingRetryable;
    (|| Ok::<u64, Down>(black_box(i)))
        .retry(backon::ExponentialBuilder::default())
        .sleep(std::thread::sleep)
        .call()
}

// ---- the same around a body that calls an opaque function ---------------------------------

/// The work of a `*_call` body: a call the compiler cannot inline or see through.
#[inline(never)]
pub fn opaque(i: u64) -> u64 {
    black_box(i)
}

pub async fn bare_call(i: u64) -> Out {
    Ok(opaque(i))
}

#[circuit_breaker]
pub async fn with_breaker_call(i: u64) -> Out {
    Ok(opaque(i))
}

#[retry]
pub async fn with_retry_call(i: u64) -> Out {
    Ok(opaque(i))
}

#[inline(never)]
pub fn sync_bare_call(i: u64) -> Out {
    Ok(opaque(i))
}

#[circuit_breaker]
#[inline(never)]
pub fn sync_with_breaker_call(i: u64) -> Out {
    Ok(opaque(i))
}

#[retry]
#[inline(never)]
pub fn sync_with_retry_call(i: u64) -> Out {
    Ok(opaque(i))
}
