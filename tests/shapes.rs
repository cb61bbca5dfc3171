//! Every function shape of SPEC §2 compiles with `#[retry]` and `#[timeout]` and behaves:
//! free functions, every receiver, trait impls, default trait bodies, `#[async_trait]`,
//! generics, patterns, `?` and `return`, kept attributes, `Send`, `name` and `crate`.

use async_trait::async_trait;
use resilience::{retry, timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[derive(Debug, Clone, PartialEq)]
enum Fail {
    Transient(u32),
    Parse,
    Policy(resilience::Error),
}

impl From<resilience::Error> for Fail {
    fn from(e: resilience::Error) -> Self {
        Fail::Policy(e)
    }
}

impl From<std::num::ParseIntError> for Fail {
    fn from(_: std::num::ParseIntError) -> Self {
        Fail::Parse
    }
}

/// Fails its first `fail_first` calls, then succeeds with the call number.
#[derive(Debug, Default)]
struct Flaky {
    calls: AtomicU32,
    fail_first: u32,
}

impl Flaky {
    fn failing(fail_first: u32) -> Self {
        Flaky {
            calls: AtomicU32::new(0),
            fail_first,
        }
    }
    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
    async fn call(&self) -> Result<u32, Fail> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::task::yield_now().await;
        if n <= self.fail_first {
            Err(Fail::Transient(n))
        } else {
            Ok(n)
        }
    }
}

fn assert_send<T: Send>(_: &T) {}

// ---- free functions ----------------------------------------------------------------------

#[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
#[timeout(1s)]
async fn free(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn a_free_function() {
    let dep = Flaky::failing(2);
    let t = Instant::now();
    let fut = free(&dep);
    assert_send(&fut);
    assert_eq!(fut.await, Ok(3));
    assert_eq!(t.elapsed(), ms(20));
}

#[retry(attempts = 2, backoff = none)]
async fn no_arguments() -> Result<(), Fail> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_function_without_arguments_returning_unit() {
    assert_eq!(no_arguments().await, Ok(()));
}

// ---- receivers ---------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Service {
    dep: Flaky,
    calls_seen: u32,
    label: String,
}

impl Service {
    fn failing(n: u32) -> Self {
        Service {
            dep: Flaky::failing(n),
            calls_seen: 0,
            label: "svc".to_owned(),
        }
    }

    #[retry(attempts = 3, backoff = none)]
    #[timeout(1s)]
    async fn by_ref(&self) -> Result<u32, Fail> {
        self.dep.call().await
    }

    #[retry(attempts = 3, backoff = none)]
    #[timeout(1s)]
    async fn by_mut(&mut self) -> Result<u32, Fail> {
        self.calls_seen += 1;
        self.dep.call().await
    }

    #[retry(attempts = 3, backoff = none)]
    #[timeout(1s)]
    async fn by_value(self) -> Result<String, Fail> {
        self.dep.call().await?;
        Ok(format!("{}:{}", self.label, self.dep.calls()))
    }

    #[retry(attempts = 3, backoff = none)]
    #[timeout(1s)]
    async fn by_arc(self: Arc<Self>) -> Result<u32, Fail> {
        self.dep.call().await
    }

    /// Elided lifetimes in the return type.
    #[retry(attempts = 2, backoff = none)]
    #[timeout(1s)]
    async fn label(&self) -> Result<&str, Fail> {
        self.dep.call().await?;
        Ok(&self.label)
    }

    #[retry(attempts = 2, backoff = none)]
    async fn label_cow(&self) -> Result<std::borrow::Cow<'_, str>, Fail> {
        self.dep.call().await?;
        Ok(self.label.as_str().into())
    }

    const LIMIT: Duration = Duration::from_millis(40);

    fn worth_retrying(&self, e: &Fail) -> bool {
        matches!(e, Fail::Transient(n) if *n < 3) && !self.label.is_empty()
    }

    /// `when` borrows `self` between attempts that mutate it; the duration is an associated
    /// const.
    #[retry(attempts = 5, backoff = none, when = |e| self.worth_retrying(e))]
    #[timeout(Self::LIMIT)]
    async fn by_mut_judged_by_self(&mut self) -> Result<u32, Fail> {
        self.calls_seen += 1;
        self.dep.call().await
    }

    #[retry(attempts = 3, backoff = none)]
    async fn by_mut_value(mut self, suffix: &str) -> Result<String, Fail> {
        self.label.push_str(suffix);
        self.dep.call().await?;
        Ok(self.label.clone())
    }
}

#[tokio::test(start_paused = true)]
async fn methods_with_every_receiver() {
    let svc = Service::failing(2);
    let fut = svc.by_ref();
    assert_send(&fut);
    assert_eq!(fut.await, Ok(3));

    let mut svc = Service::failing(2);
    let fut = svc.by_mut();
    assert_send(&fut);
    assert_eq!(fut.await, Ok(3));
    // The body ran afresh on each attempt, mutating through `&mut self` each time.
    assert_eq!(svc.calls_seen, 3);

    let svc = Service::failing(1);
    let fut = svc.by_value();
    assert_send(&fut);
    assert_eq!(fut.await, Ok("svc:2".to_owned()));

    let svc = Arc::new(Service::failing(2));
    let fut = Arc::clone(&svc).by_arc();
    assert_send(&fut);
    assert_eq!(fut.await, Ok(3));
    assert_eq!(svc.dep.calls(), 3);

    let svc = Service::failing(1);
    assert_eq!(svc.by_mut_value("!").await, Ok("svc!!".to_owned()));

    let svc = Service::failing(1);
    assert_eq!(svc.label().await, Ok("svc"));
    assert_eq!(svc.label_cow().await.as_deref(), Ok("svc"));

    // Transient(1) and Transient(2) are retried, Transient(3) is not.
    let mut svc = Service::failing(9);
    assert_eq!(svc.by_mut_judged_by_self().await, Err(Fail::Transient(3)));
    assert_eq!(svc.calls_seen, 3);
}

// ---- traits ------------------------------------------------------------------------------

trait Fetch {
    async fn fetch(&self, key: u32) -> Result<u32, Fail>;

    /// A default body may carry the attributes too.
    #[retry(attempts = 3, backoff = constant(5ms), jitter = none)]
    #[timeout(1s)]
    async fn fetch_twice(&self, key: u32) -> Result<u32, Fail> {
        Ok(self.fetch(key).await? + self.fetch(key).await?)
    }
}

impl Fetch for Flaky {
    #[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
    #[timeout(1s)]
    async fn fetch(&self, key: u32) -> Result<u32, Fail> {
        Ok(self.call().await? * 100 + key)
    }
}

/// Overrides nothing: uses the annotated default body.
struct Plain(Flaky);

impl Fetch for Plain {
    async fn fetch(&self, key: u32) -> Result<u32, Fail> {
        Ok(self.0.call().await? + key)
    }
}

#[tokio::test(start_paused = true)]
async fn trait_impl_methods() {
    let dep = Flaky::failing(1);
    let t = Instant::now();
    let fut = dep.fetch(7);
    assert_send(&fut);
    assert_eq!(fut.await, Ok(207));
    assert_eq!(t.elapsed(), ms(10));
}

#[tokio::test(start_paused = true)]
async fn trait_methods_with_a_default_body() {
    // The first `fetch` fails, so the default body retries as a whole.
    let plain = Plain(Flaky::failing(1));
    let t = Instant::now();
    assert_eq!(plain.fetch_twice(1).await, Ok((2 + 1) + (3 + 1)));
    assert_eq!(plain.0.calls(), 3);
    assert_eq!(t.elapsed(), ms(5));
}

/// A trait that demands a `Send` future: the annotated `async fn` in the impl compiles only if
/// the expansion is `Send`.
trait SendFetch {
    fn fetch_send(&self, key: u32) -> impl Future<Output = Result<u32, Fail>> + Send;
}

impl SendFetch for Flaky {
    #[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
    #[timeout(1s)]
    async fn fetch_send(&self, key: u32) -> Result<u32, Fail> {
        Ok(self.call().await? + key)
    }
}

#[tokio::test(start_paused = true)]
async fn trait_methods_returning_a_send_future() {
    let dep = Flaky::failing(1);
    let handle = tokio::spawn(async move { dep.fetch_send(10).await });
    assert_eq!(handle.await.unwrap(), Ok(12));
}

// ---- #[async_trait] ----------------------------------------------------------------------

#[async_trait]
trait Store {
    async fn put(&self, key: String, value: Vec<u8>) -> Result<usize, Fail>;
    async fn bump(&mut self, by: u32) -> Result<u32, Fail>;
    async fn pair(&self, pair: (u32, u32), ignored: u32) -> Result<u32, Fail>;
    async fn owned(self: Arc<Self>, key: String) -> Result<String, Fail>;

    #[retry(attempts = 3, backoff = none)]
    async fn default_body(&self, key: String) -> Result<String, Fail> {
        self.owned_len(&key).await.map(|n| format!("{key}:{n}"))
    }

    async fn owned_len(&self, key: &str) -> Result<usize, Fail>;
}

struct Mem {
    dep: Flaky,
    total: u32,
}

#[async_trait]
impl Store for Mem {
    // `key` and `value` are owned and not `Copy`: async-trait's `let key = key;` must stay
    // outside the retry loop, and the body borrows them on each attempt.
    #[retry(attempts = 3, backoff = constant(10ms), jitter = none)]
    #[timeout(1s)]
    async fn put(&self, key: String, value: Vec<u8>) -> Result<usize, Fail> {
        let n = self.dep.call().await?;
        Ok(key.len() + value.len() + n as usize)
    }

    #[retry(attempts = 3, backoff = none)]
    async fn bump(&mut self, by: u32) -> Result<u32, Fail> {
        self.total += by;
        self.dep.call().await?;
        Ok(self.total)
    }

    #[retry(attempts = 3, backoff = none)]
    #[timeout(1s)]
    async fn pair(&self, (a, b): (u32, u32), _: u32) -> Result<u32, Fail> {
        self.dep.call().await?;
        Ok(a + b)
    }

    #[retry(attempts = 3, backoff = none)]
    async fn owned(self: Arc<Self>, mut key: String) -> Result<String, Fail> {
        key.push('+');
        let n = self.dep.call().await?;
        Ok(format!("{key}{n}"))
    }

    #[timeout(50ms)]
    async fn owned_len(&self, key: &str) -> Result<usize, Fail> {
        self.dep.call().await?;
        if key == "slow" {
            tokio::time::sleep(ms(1_000)).await;
        }
        Ok(key.len())
    }
}

#[tokio::test(start_paused = true)]
async fn async_trait_methods() {
    let mem = Mem {
        dep: Flaky::failing(2),
        total: 0,
    };
    let t = Instant::now();
    let fut = mem.put("key".to_owned(), vec![1, 2]);
    assert_send(&fut);
    assert_eq!(fut.await, Ok(3 + 2 + 3));
    assert_eq!(t.elapsed(), ms(20));

    let mut mem = Mem {
        dep: Flaky::failing(2),
        total: 0,
    };
    assert_eq!(mem.bump(5).await, Ok(15));

    let mem = Mem {
        dep: Flaky::failing(1),
        total: 0,
    };
    assert_eq!(mem.pair((2, 3), 9).await, Ok(5));

    let mem = Arc::new(Mem {
        dep: Flaky::failing(2),
        total: 0,
    });
    // `mut key` is rebound once, outside the loop: each attempt pushes onto the same string.
    assert_eq!(mem.owned("k".to_owned()).await, Ok("k+++3".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn async_trait_default_bodies_and_timeouts() {
    let mem = Mem {
        dep: Flaky::failing(1),
        total: 0,
    };
    assert_eq!(
        mem.default_body("abc".to_owned()).await,
        Ok("abc:3".to_owned())
    );
    assert_eq!(mem.dep.calls(), 2);

    let t = Instant::now();
    let err = mem.owned_len("slow").await.unwrap_err();
    assert_eq!(t.elapsed(), ms(50));
    assert!(matches!(
        err,
        Fail::Policy(resilience::Error::Timeout {
            // A method's default label names its type (the trait's impl for `Mem`).
            name: "shapes::Mem::owned_len",
            ..
        })
    ));
}

/// What async-trait rewrites: owned pattern arguments (rebound through a block) and `self`
/// in attribute arguments (the receiver is rebound as `__self`).
#[async_trait]
trait Conn {
    async fn join(&self, pair: (String, String), tail: String) -> Result<String, Fail>;
    async fn get_mut(&mut self) -> Result<u32, Fail>;
    async fn get_arc(self: Arc<Self>) -> Result<u32, Fail>;
    async fn get_owned(self) -> Result<u32, Fail>;
}

struct Tcp {
    dep: Flaky,
    timeout: Duration,
    latency: Duration,
}

impl Tcp {
    fn retryable(&self, e: &Fail) -> bool {
        matches!(e, Fail::Transient(_)) && self.timeout > Duration::ZERO
    }
    async fn call(&self) -> Result<u32, Fail> {
        tokio::time::sleep(self.latency).await;
        self.dep.call().await
    }
}

#[async_trait]
impl Conn for Tcp {
    // Regression: the owned tuple pattern must be destructured once, outside the retry loop.
    #[retry(attempts = 3, backoff = none)]
    async fn join(&self, (a, b): (String, String), tail: String) -> Result<String, Fail> {
        self.dep.call().await?;
        Ok(format!("{a}{b}{tail}"))
    }

    // Regression: `self` in the attribute arguments means the receiver.
    #[retry(attempts = 3, backoff = none, when = |e| self.retryable(e))]
    #[timeout(self.timeout)]
    async fn get_mut(&mut self) -> Result<u32, Fail> {
        self.call().await
    }

    #[retry(attempts = 2, backoff = none)]
    #[timeout(self.timeout)]
    async fn get_arc(self: Arc<Self>) -> Result<u32, Fail> {
        self.call().await
    }

    #[timeout(self.timeout)]
    async fn get_owned(self) -> Result<u32, Fail> {
        self.call().await
    }
}

#[tokio::test(start_paused = true)]
async fn async_trait_owned_patterns_and_self_in_arguments() {
    let tcp = Tcp {
        dep: Flaky::failing(2),
        timeout: ms(100),
        latency: ms(10),
    };
    let joined = tcp.join(("a".to_owned(), "b".to_owned()), "c".to_owned());
    assert_eq!(joined.await, Ok("abc".to_owned()));

    let mut tcp = Tcp {
        dep: Flaky::failing(1),
        timeout: ms(100),
        latency: ms(10),
    };
    assert_eq!(tcp.get_mut().await, Ok(2));
    tcp.latency = ms(1_000);
    tcp.timeout = ms(30);
    let t = Instant::now();
    assert!(matches!(tcp.get_mut().await, Err(Fail::Policy(_))));
    assert_eq!(t.elapsed(), ms(90));

    let tcp = Arc::new(Tcp {
        dep: Flaky::default(),
        timeout: ms(20),
        latency: ms(1_000),
    });
    let t = Instant::now();
    assert!(tcp.get_arc().await.is_err());
    assert_eq!(t.elapsed(), ms(40));

    let tcp = Tcp {
        dep: Flaky::default(),
        timeout: ms(50),
        latency: ms(10),
    };
    assert_eq!(tcp.get_owned().await, Ok(1));
}

#[async_trait(?Send)]
trait Local {
    async fn local(&self, key: std::rc::Rc<str>) -> Result<usize, Fail>;
}

#[async_trait(?Send)]
impl Local for Flaky {
    #[retry(attempts = 3, backoff = none)]
    #[timeout(1s)]
    async fn local(&self, key: std::rc::Rc<str>) -> Result<usize, Fail> {
        self.call().await?;
        Ok(key.len())
    }
}

#[tokio::test(start_paused = true)]
async fn async_trait_without_send() {
    let dep = Flaky::failing(2);
    assert_eq!(dep.local("abcd".into()).await, Ok(4));
    assert_eq!(dep.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn async_trait_objects() {
    let store: Box<dyn Store + Send + Sync> = Box::new(Mem {
        dep: Flaky::failing(1),
        total: 0,
    });
    assert_eq!(store.put("a".to_owned(), vec![]).await, Ok(1 + 2));
}

// ---- generics ----------------------------------------------------------------------------

#[retry(attempts = 3, backoff = none)]
#[timeout(1s)]
async fn generic<'a, T, const N: usize>(
    dep: &'a Flaky,
    items: [T; N],
    render: impl Fn(&T) -> String + Send + Sync,
) -> Result<Vec<String>, Fail>
where
    T: Send + Sync + 'a,
{
    dep.call().await?;
    Ok(items.iter().map(&render).collect())
}

#[retry(attempts = 2, backoff = none)]
async fn generic_error<E>(fail: bool, make: fn() -> E) -> Result<u32, E>
where
    E: std::fmt::Debug,
{
    if fail { Err(make()) } else { Ok(1) }
}

#[retry(attempts = 3, backoff = none)]
async fn borrows_and_returns<'a>(dep: &Flaky, text: &'a str) -> Result<&'a str, Fail> {
    dep.call().await?;
    Ok(text.trim())
}

#[tokio::test(start_paused = true)]
async fn generic_functions() {
    let dep = Flaky::failing(2);
    let fut = generic(&dep, [1u8, 2, 3], |x| format!("<{x}>"));
    assert_send(&fut);
    assert_eq!(
        fut.await,
        Ok(vec!["<1>".into(), "<2>".into(), "<3>".into()])
    );
    assert_eq!(dep.calls(), 3);

    assert_eq!(generic_error(false, || "nope").await, Ok(1));
    assert_eq!(generic_error(true, || "nope").await, Err("nope"));

    let dep = Flaky::failing(1);
    let owned = String::from("  hi  ");
    assert_eq!(borrows_and_returns(&dep, &owned).await, Ok("hi"));
}

// ---- patterns, `?`, `return` -------------------------------------------------------------

#[retry(attempts = 3, backoff = none)]
#[timeout(1s)]
async fn patterns(
    dep: &Flaky,
    (a, b): (u32, u32),
    _: &str,
    [c, ..]: [u32; 3],
) -> Result<u32, Fail> {
    dep.call().await?;
    Ok(a + b + c)
}

#[tokio::test(start_paused = true)]
async fn pattern_arguments() {
    let dep = Flaky::failing(1);
    assert_eq!(patterns(&dep, (1, 2), "x", [10, 0, 0]).await, Ok(13));
}

#[retry(attempts = 3, backoff = none)]
#[timeout(1s)]
async fn question_mark_and_return(dep: &Flaky, text: &str) -> Result<u32, Fail> {
    let n: u32 = text.parse()?;
    if n == 0 {
        return Ok(0);
    }
    let got = dep.call().await?;
    if got == 2 {
        return Err(Fail::Transient(99));
    }
    Ok(n + got)
}

#[tokio::test(start_paused = true)]
async fn question_mark_and_early_return_in_the_body() {
    // `?` converts with `From` and ends the attempt; the error is retried.
    let dep = Flaky::failing(0);
    assert_eq!(question_mark_and_return(&dep, "x").await, Err(Fail::Parse));
    assert_eq!(dep.calls(), 0);
    // `return Ok(..)` returns from the attempt.
    assert_eq!(question_mark_and_return(&dep, "0").await, Ok(0));
    // `return Err(..)` ends the attempt with that error, and the next attempt succeeds.
    let dep = Flaky::failing(1);
    assert_eq!(question_mark_and_return(&dep, "5").await, Ok(5 + 3));
    assert_eq!(dep.calls(), 3);
}

// ---- macro_rules, local items, raw identifiers -------------------------------------------

macro_rules! resilient_getter {
    ($name:ident, $attempts:literal) => {
        #[retry(attempts = $attempts, backoff = none)]
        #[timeout(1s)]
        async fn $name(dep: &Flaky) -> Result<u32, Fail> {
            let answer = dep.call().await?;
            Ok(answer)
        }
    };
}

resilient_getter!(from_a_macro, 4);

#[retry(attempts = 2, backoff = none)]
#[timeout(100ms)]
async fn r#match(dep: &Flaky) -> Result<u32, Fail> {
    tokio::time::sleep(ms(500)).await;
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn macro_generated_local_and_raw_identifier_functions() {
    let dep = Flaky::failing(3);
    assert_eq!(from_a_macro(&dep).await, Ok(4));

    #[retry(attempts = 2, backoff = none)]
    async fn local(dep: &Flaky) -> Result<u32, Fail> {
        dep.call().await
    }
    assert_eq!(local(&Flaky::failing(1)).await, Ok(2));

    let err = r#match(&Flaky::default()).await.unwrap_err();
    assert_eq!(
        err,
        Fail::Policy(resilience::Error::Timeout {
            name: "shapes::match",
            after: ms(100)
        })
    );
}

// ---- kept attributes, visibility, docs ---------------------------------------------------

mod api {
    use super::{Fail, Flaky};
    use resilience::retry;

    /// Documented: the doc comment stays on the function.
    #[retry(attempts = 2, backoff = none)]
    #[must_use = "the result says whether it worked"]
    #[allow(clippy::needless_lifetimes)]
    pub(crate) async fn visible<'a>(dep: &'a Flaky) -> Result<u32, Fail> {
        dep.call().await
    }

    // If `#[retry]` dropped the `cfg`, this would be a second `twin` and fail to compile.
    #[retry(attempts = 2, backoff = none)]
    #[cfg(not(test))]
    pub(crate) async fn twin() -> Result<u32, Fail> {
        Ok(1)
    }

    #[retry(attempts = 2, backoff = none)]
    #[cfg(test)]
    pub(crate) async fn twin() -> Result<u32, Fail> {
        Ok(2)
    }
}

#[tokio::test(start_paused = true)]
async fn visibility_and_attributes_are_kept() {
    let dep = Flaky::failing(1);
    assert_eq!(api::visible(&dep).await, Ok(2));
    assert_eq!(api::twin().await, Ok(2));
}

// ---- `name` and `crate` ------------------------------------------------------------------

#[retry(name = "shapes.named", attempts = 3, backoff = none)]
#[timeout(duration = 100ms, name = "shapes.named.timeout")]
async fn named(dep: &Flaky, slow: bool) -> Result<u32, Fail> {
    if slow {
        tokio::time::sleep(ms(1_000)).await;
    }
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn the_name_key_labels_registry_and_errors() {
    let dep = Flaky::failing(1);
    assert_eq!(named(&dep, false).await, Ok(2));
    let entry = resilience::registry().retry("shapes.named").unwrap();
    assert_eq!(entry.retries(), 1);
    let err = named(&dep, true).await.unwrap_err();
    assert_eq!(
        err,
        Fail::Policy(resilience::Error::Timeout {
            name: "shapes.named.timeout",
            after: ms(100)
        })
    );
}

/// A crate re-exporting `resilience` under another path, as a framework would. Its
/// `retry_every_error` shadows the real one and counts, which proves the override is used.
mod vendor {
    pub mod resilience {
        pub use ::resilience::*;
        pub mod __private {
            pub use ::resilience::__private::*;
            pub static CHECKED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            pub fn retry_every_error<E>(_: &E) -> bool {
                CHECKED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                true
            }
        }
    }
}

#[vendor::resilience::retry(crate = crate::vendor::resilience, attempts = 3, backoff = none)]
#[vendor::resilience::timeout(1s, crate = crate::vendor::resilience)]
async fn through_a_reexport(dep: &Flaky) -> Result<u32, Fail> {
    dep.call().await
}

#[tokio::test(start_paused = true)]
async fn the_crate_key_overrides_the_path() {
    let dep = Flaky::failing(2);
    assert_eq!(through_a_reexport(&dep).await, Ok(3));
    assert_eq!(
        vendor::resilience::__private::CHECKED.load(Ordering::SeqCst),
        2
    );
}

// Two functions of one module with the same default label (`shapes::twin`) keep their own
// breaker: only an explicit `name = ".."` shares state.
mod twins {
    use resilience::circuit_breaker;

    #[derive(Debug)]
    pub struct Down;
    impl From<resilience::Error> for Down {
        fn from(_: resilience::Error) -> Self {
            Down
        }
    }

    pub struct A;
    pub struct B;

    impl A {
        #[circuit_breaker(consecutive_failures = 1, open_for = 30s)]
        pub async fn twin(&self, ok: bool) -> Result<u32, Down> {
            if ok { Ok(1) } else { Err(Down) }
        }
    }

    impl B {
        #[circuit_breaker(consecutive_failures = 1, open_for = 30s)]
        pub async fn twin(&self, ok: bool) -> Result<u32, Down> {
            if ok { Ok(2) } else { Err(Down) }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn default_names_do_not_share_state_between_functions() {
    use twins::{A, B};
    assert!(A.twin(false).await.is_err());
    // A's breaker is open: its body no longer runs even when it would succeed.
    assert!(A.twin(true).await.is_err());
    // B's method has the same name but its own breaker, still closed.
    assert_eq!(B.twin(true).await.unwrap(), 2);
    // Each method's label names its type, so the two read apart in the registry.
    let labels: Vec<_> = resilience::registry()
        .circuit_breakers()
        .into_iter()
        .map(|b| b.name().to_owned())
        .filter(|n| n.ends_with("::twin"))
        .collect();
    assert!(
        labels.contains(&"shapes::twins::A::twin".to_owned()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"shapes::twins::B::twin".to_owned()),
        "{labels:?}"
    );
    assert_eq!(labels.len(), 2, "{labels:?}");
}

// ---- the body owns its arguments, or borrows them ------------------------------------------
// The body is `async move` only when nothing after it needs the arguments, or each is copied
// (`moves.rs` in the macros). These would not compile, or would retry with other values, if an
// argument were moved into an attempt.

/// A `mut` argument changed by an attempt: the next attempt sees the change, as in a loop.
#[retry(attempts = 3, backoff = none)]
async fn counts_down(mut left: u32, seen: &std::sync::Mutex<Vec<u32>>) -> Result<u32, Fail> {
    left -= 1;
    seen.lock().unwrap().push(left);
    if left > 0 {
        Err(Fail::Transient(left))
    } else {
        Ok(left)
    }
}

/// An owned argument, read by every attempt and after the body by nothing else.
#[retry(attempts = 3, backoff = none)]
async fn owned(name: String, dep: &Flaky) -> Result<usize, Fail> {
    dep.call().await?;
    Ok(name.len())
}

/// An owned argument a `when` closure reads after the body.
#[resilience::circuit_breaker(when = |e: &Fail| !ignored.is_empty() && *e != Fail::Parse)]
async fn judged(ignored: String) -> Result<usize, Fail> {
    Ok(ignored.len())
}

/// An owned argument the key borrows while the body runs.
#[resilience::bulkhead(name = "shapes.owned_key", key = tenant.as_str(), max_concurrent = 1)]
async fn keyed_by(tenant: String) -> Result<usize, Fail> {
    Ok(tenant.len())
}

/// Owned and moved by the body: nothing after it needs it, so the body may own it.
#[timeout(1s)]
async fn consumes(name: String) -> Result<String, Fail> {
    tokio::task::yield_now().await;
    Ok(name)
}

#[tokio::test(start_paused = true)]
async fn arguments_owned_or_borrowed_by_the_body() {
    let seen = std::sync::Mutex::new(Vec::new());
    assert_eq!(counts_down(3, &seen).await, Ok(0));
    assert_eq!(*seen.lock().unwrap(), [2, 1, 0]);
    let dep = Flaky::failing(2);
    assert_eq!(owned("sku-42".to_owned(), &dep).await, Ok(6));
    assert_eq!(dep.calls(), 3);
    assert_eq!(judged("x".to_owned()).await, Ok(1));
    assert_eq!(keyed_by("acme".to_owned()).await, Ok(4));
    assert_eq!(consumes("kept".to_owned()).await, Ok("kept".to_owned()));
}
