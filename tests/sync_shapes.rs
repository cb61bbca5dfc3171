//! The attributes on plain `fn` (SPEC §12): every shape expands and behaves as its async
//! twin: free functions, `&self`, `&mut self`, `self`, generics, `where` clauses, trait impl
//! methods, `return` and `?` in the body, `io::Result`, a fallback on a plain return type.

use resilience::{Error, bulkhead, circuit_breaker, fallback, rate_limit, retry};
use std::cell::Cell;
use std::io;

#[derive(Debug, PartialEq)]
enum E {
    Flaky,
    Policy(Error),
}

impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::Policy(e)
    }
}

thread_local! {
    static TRIES: Cell<u32> = const { Cell::new(0) };
}

/// Fails until the `n`th call on this thread.
fn flaky(n: u32) -> Result<u32, E> {
    let t = TRIES.get() + 1;
    TRIES.set(t);
    if t < n { Err(E::Flaky) } else { Ok(t) }
}

#[retry(attempts = 3, backoff = none)]
fn free_fn(n: u32) -> Result<u32, E> {
    flaky(n)
}

#[test]
fn a_free_fn_is_retried_on_its_thread() {
    TRIES.set(0);
    assert_eq!(free_fn(3), Ok(3));
    TRIES.set(0);
    assert_eq!(
        free_fn(4),
        Err(E::Flaky),
        "three attempts, then the last error"
    );
    assert_eq!(TRIES.get(), 3);
}

struct Client {
    calls: u32,
    host: String,
}

impl Client {
    #[circuit_breaker(name = "sync-shapes-ref")]
    fn by_ref(&self, ok: bool) -> Result<&str, E> {
        if ok { Ok(&self.host) } else { Err(E::Flaky) }
    }

    #[retry(attempts = 4, backoff = none)]
    fn by_mut(&mut self) -> Result<u32, E> {
        self.calls += 1;
        if self.calls < 3 {
            Err(E::Flaky)
        } else {
            Ok(self.calls)
        }
    }

    #[bulkhead(max_concurrent = 1)]
    fn by_value(self) -> Result<String, E> {
        Ok(self.host)
    }
}

#[test]
fn methods_with_every_receiver() {
    let mut c = Client {
        calls: 0,
        host: "db".into(),
    };
    assert_eq!(c.by_ref(true), Ok("db"));
    assert_eq!(c.by_ref(false), Err(E::Flaky));
    assert_eq!(c.by_mut(), Ok(3));
    assert_eq!(c.calls, 3);
    assert_eq!(c.by_value(), Ok("db".to_owned()));
}

#[rate_limit(rate = 1000/1s)]
#[retry(attempts = 2, backoff = none)]
fn generic<'a, T, const N: usize>(items: &'a [T; N], pick: impl Fn(&T) -> bool) -> Result<&'a T, E>
where
    T: std::fmt::Debug,
{
    items.iter().find(|t| pick(t)).ok_or(E::Flaky)
}

#[test]
fn generics_impl_trait_arguments_and_where_clauses() {
    assert_eq!(generic(&[1, 2, 3], |&x| x == 2), Ok(&2));
    assert_eq!(generic(&["a"], |x| x.is_empty()), Err(E::Flaky));
}

trait Store {
    fn get(&self, key: u32) -> Result<u32, E>;
}

struct Memory;

impl Store for Memory {
    #[retry(attempts = 2, backoff = none)]
    #[circuit_breaker]
    fn get(&self, key: u32) -> Result<u32, E> {
        if key == 0 {
            // `return` leaves the body (one attempt), not the layers.
            return Err(E::Flaky);
        }
        let parsed: u32 = "7".parse().map_err(|_| E::Flaky)?;
        Ok(key * parsed)
    }
}

#[test]
fn trait_impl_methods_and_return_in_the_body() {
    assert_eq!(Memory.get(3), Ok(21));
    assert_eq!(Memory.get(0), Err(E::Flaky));
    let dyn_store: &dyn Store = &Memory;
    assert_eq!(dyn_store.get(1), Ok(7));
}

#[retry(attempts = 2, backoff = none)]
fn io_alias(fail: bool) -> io::Result<u8> {
    if fail {
        Err(io::Error::other("down"))?;
    }
    Ok(1)
}

#[test]
fn any_result_alias_works() {
    assert_eq!(io_alias(false).unwrap(), 1);
    assert_eq!(io_alias(true).unwrap_err().to_string(), "down");
}

fn cached(user: u32, _error: Error) -> Vec<u32> {
    vec![user, 0]
}

#[fallback(cached)]
#[bulkhead(max_concurrent = 1, name = "sync-shapes-fallback")]
fn recommendations(user: u32) -> Vec<u32> {
    vec![user; 3]
}

fn cached_or_err(_key: u32, e: E) -> Result<u32, E> {
    match e {
        E::Flaky => Ok(0),
        other => Err(other),
    }
}

#[fallback(cached_or_err)]
#[retry(attempts = 2, backoff = none)]
fn with_fallback(key: u32) -> Result<u32, E> {
    if key == 0 { Err(E::Flaky) } else { Ok(key) }
}

#[test]
fn a_fallback_supplies_the_value_of_a_plain_fn() {
    assert_eq!(recommendations(2), vec![2, 2, 2]);
    assert_eq!(with_fallback(5), Ok(5));
    assert_eq!(with_fallback(0), Ok(0));
}

#[test]
fn a_plain_return_type_gets_the_fallback_when_the_bulkhead_is_full() {
    let pool = resilience::registry()
        .bulkheads()
        .into_iter()
        .find(|b| b.name() == "sync-shapes-fallback");
    // Registered on its first call.
    assert_eq!(recommendations(1), vec![1, 1, 1]);
    let pool = pool.or_else(|| {
        resilience::registry()
            .bulkheads()
            .into_iter()
            .find(|b| b.name() == "sync-shapes-fallback")
    });
    let pool = pool.expect("registered");
    let place = pool.try_acquire().expect("free");
    assert_eq!(recommendations(4), vec![4, 0], "full: the fallback's value");
    drop(place);
    assert_eq!(recommendations(4), vec![4, 4, 4]);
}

struct Counter {
    n: u32,
}

impl Counter {
    /// `&mut self` under every waiting layer at once: the body's closure borrows `self`
    /// mutably inside the layers' closures, attempt after attempt.
    #[retry(attempts = 3, backoff = none)]
    #[rate_limit(rate = 1000/1s)]
    #[bulkhead(max_concurrent = 1)]
    fn bump(&mut self, fail_below: u32) -> Result<u32, E> {
        self.n += 1;
        if self.n < fail_below {
            Err(E::Flaky)
        } else {
            Ok(self.n)
        }
    }

    #[circuit_breaker]
    fn shared(self: std::sync::Arc<Self>) -> Result<u32, E> {
        Ok(self.n)
    }
}

#[test]
fn mut_self_under_nested_layers_and_an_arc_receiver() {
    let mut c = Counter { n: 0 };
    assert_eq!(c.bump(3), Ok(3));
    assert_eq!(c.bump(0), Ok(4));
    assert_eq!(std::sync::Arc::new(c).shared(), Ok(4));
}
