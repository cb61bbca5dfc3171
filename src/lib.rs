//! # resilience
//!
//! Attribute macros that make an `async fn` (or a [plain `fn`](#sync-functions)) resilient: retries with jittered backoff,
//! timeouts, circuit breakers, bulkheads, rate limits, fallbacks and fault injection. Each
//! attribute expands to plain code you can read ([see it](#seeing-the-expansion)) calling a
//! small runtime, which keeps every policy instance in a [`registry`] and reports through
//! `tracing` and (feature `metrics`) the `metrics` facade.
//!
//! This page is the guide: start here, then read each attribute's page for its keys.
//!
//! - [Getting started](#getting-started): the dependency lines and a first function
//! - [The attributes](#the-attributes): what each does, its keys on its own page
//! - [Where they go](#where-they-go): methods, `&mut self`, traits, `#[async_trait]`, generics;
//!   [sync functions](#sync-functions) (a plain `fn`)
//! - [Stacking](#stacking-and-the-recommended-order) and [errors](#errors-and-return-types)
//! - [Tokio](#tokio-is-required), [testing](#testing-with-the-paused-clock),
//!   [labels and logs](#labels-and-logs), [the expansion](#seeing-the-expansion),
//!   [compile errors](#compile-errors)
//!
//! # Getting started
//!
//! The crate is not on crates.io (`publish = false`): depend on it by path or git. Tokio is
//! required (see [below](#tokio-is-required)).
//!
//! ```toml
//! [dependencies]
//! resilience = { path = "../resilience" }   # or: { git = "<this repository's URL>" }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "time"] }
//! ```
//!
//! ```
//! use resilience::{retry, timeout};
//!
//! #[derive(Debug)]
//! enum PricingError { Unavailable, BadSku, Resilience(resilience::Error) }
//!
//! // `#[timeout]` can fail a call with `resilience::Error`: the error type must hold one.
//! impl From<resilience::Error> for PricingError {
//!     fn from(e: resilience::Error) -> Self { PricingError::Resilience(e) }
//! }
//!
//! fn is_transient(e: &PricingError) -> bool { !matches!(e, PricingError::BadSku) }
//!
//! // Up to 4 attempts, each cut off after 800ms, waiting up to 50ms, 100ms, 200ms between
//! // them (full jitter: a random wait below each), only for transient errors. The signature
//! // is unchanged.
//! #[retry(attempts = 4, backoff = exponential(50ms, max = 2s), when = is_transient)]
//! #[timeout(800ms)]
//! async fn quote(sku: &str) -> Result<u64, PricingError> {
//!     if sku.is_empty() { return Err(PricingError::BadSku); }
//!     Ok(sku.len() as u64 * 100)
//! }
//!
//! #[tokio::main]
//! async fn main() {
//!     assert_eq!(quote("ab").await.unwrap(), 200);
//!     assert!(matches!(quote("").await, Err(PricingError::BadSku)));
//! }
//! ```
//!
//! # The attributes
//!
//! | attribute | what it does | fails a call with |
//! |---|---|---|
//! | [`#[retry]`](macro@retry) `(attempts, backoff, jitter, max_elapsed, when, budget, name)` | runs the body again after failures | the last error |
//! | [`#[hedge]`](macro@hedge) `(delay, max_hedged, when, budget, name)` | starts the body again beside a slow call, first success wins | the last error |
//! | [`#[timeout]`](macro@timeout) `(800ms)` or `(duration, name)` | cancels the call when its time is up | [`Error::Timeout`] |
//! | [`#[circuit_breaker]`](macro@circuit_breaker) `(name, failure_rate, slow_call, slow_rate, window, min_calls, consecutive_failures, open_for, half_open_calls, when, key, max_keys, scope, store_timeout)` | stops calling a failing dependency | [`Error::CircuitOpen`] |
//! | [`#[bulkhead]`](macro@bulkhead) `(max_concurrent, max_wait, name, key, max_keys)` | bounds the calls inside at once | [`Error::BulkheadFull`] |
//! | [`#[rate_limit]`](macro@rate_limit) `(rate, burst, max_wait, name, key, max_keys, scope, on_store_error, store_timeout)` | bounds how often it runs (GCRA) | [`Error::RateLimited`] |
//! | [`#[fallback]`](macro@fallback) `(path, when)` | supplies the value when the layers beneath fail | — |
//! | [`#[chaos]`](macro@chaos) `(error_rate, latency, latency_rate, name)` | injects faults (feature `chaos`) | [`Error::Injected`] |
//!
//! Every key of every attribute is in the table on the attribute's page. Durations are a
//! suffixed literal — `250ms`, `2s`, `1.5s`, `100us`, `5m`, `1h` (also `ns`) — or any
//! expression of type [`std::time::Duration`] (a `const`, `Duration::from_millis(x)`,
//! `self.timeout`), evaluated at each call.
//!
//! ## Counts, rates and percentages from expressions
//!
//! Every count, rate and percentage may be an expression too, evaluated at each call:
//!
//! | key | type of an expression |
//! |---|---|
//! | `attempts`, `max_hedged`, `min_calls`, `consecutive_failures`, `half_open_calls`, `burst` | `u32` |
//! | `max_concurrent` | `usize` |
//! | `failure_rate`, `slow_rate`, `budget`, `error_rate`, `latency_rate` | `f64`, a share: `0.4` is 40% |
//! | `window` | `u32` (calls) or [`Duration`](std::time::Duration) |
//! | `rate` | [`Rate`], or `count/period` with either side an expression (`per_second/1s`) |
//!
//! A literal is checked when the crate compiles. A value from an expression is checked at each
//! call by the same rule: one it refuses fails that call with [`Error::InvalidValue`], naming
//! the key, the value and the rule in the compiler's words, and the body does not run (a
//! `#[retry]` above stops at once). So a lone `#[retry]` or `#[hedge]` with an expression
//! needs `E: From<resilience::Error>`. A breaker, bulkhead or rate limiter shared by a callsite
//! or a `name` is made from the values of the first call whose values pass; a later call's
//! other values do not change it (they are still checked), and with feature `config`,
//! `registry().apply` overrides them as it does literal values.
//!
//! ```
//! use resilience::{Error, Rate, bulkhead, rate_limit, retry};
//!
//! struct Settings { attempts: u32, max_concurrent: usize, rate: Rate }
//! struct Client { settings: Settings }
//!
//! impl Client {
//!     #[retry(attempts = self.settings.attempts, backoff = none)]
//!     #[rate_limit(rate = self.settings.rate)]
//!     #[bulkhead(max_concurrent = self.settings.max_concurrent)]
//!     async fn get(&self, key: &str) -> Result<usize, Error> { Ok(key.len()) }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let rate = Rate::per_second(100);
//! let client = Client { settings: Settings { attempts: 3, max_concurrent: 8, rate } };
//! assert_eq!(client.get("abc").await, Ok(3));
//!
//! let refused = Client { settings: Settings { attempts: 0, max_concurrent: 8, rate } };
//! let Err(Error::InvalidValue { invalid, .. }) = refused.get("abc").await else { panic!() };
//! assert_eq!((invalid.key(), invalid.value().as_str()), ("attempts", "0"));
//! assert_eq!(
//!     invalid.rule(),
//!     "`attempts` counts the first call too, so it must be at least 1 (1 means no retry)"
//! );
//! # }
//! ```
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tracing` | yes | events under target `resilience` (retries, transitions, rejections) |
//! | `metrics` | no | `resilience_calls_total` and the other metrics of the README |
//! | `serde` | no | `Serialize` for [`Snapshot`], e.g. for a `/health` endpoint |
//! | `chaos` | no | `#[chaos]` fault injection, inert until switched on |
//! | `config` | yes | [`Config`] and [`Registry::apply`]: values retuned by name at run time, [`config::watch`] |
//! | `test-util` | no | `testing::ManualClock`, the clock a sync test moves by hand (for `[dev-dependencies]`) |
//! | `redis` | no | `scope = fleet`: rate limits and breakers shared by every process on one Redis ([`fleet`]) |
//!
//! # Where they go
//!
//! On any `async fn` with a body: free functions, inherent methods with `&self`, `&mut self`,
//! `self` or `self: Arc<Self>`, trait impl methods, trait methods with a default body, methods
//! in an `#[async_trait]` impl (put `#[async_trait]` on the impl, the resilience attributes on
//! the method), generic functions (type, lifetime and const parameters, `impl Trait`
//! arguments, `where` clauses). Visibility, doc comments, other attributes and the signature
//! are kept as written. Attribute arguments may read the receiver (`#[timeout(self.limit)]`).
//!
//! ```
//! use resilience::{retry, timeout};
//! use std::io;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! struct Client { calls: u32, limit: Duration }
//!
//! impl Client {
//!     #[retry(attempts = 2)]
//!     async fn get(&self, key: &str) -> io::Result<usize> { Ok(key.len()) }
//!
//!     // `&mut self`: each attempt reborrows it, so the body may mutate the receiver.
//!     #[retry(attempts = 2)]
//!     async fn count(&mut self) -> io::Result<u32> { self.calls += 1; Ok(self.calls) }
//!
//!     // The duration may read the receiver.
//!     #[timeout(self.limit)]
//!     async fn limited(self: Arc<Self>) -> io::Result<u32> { Ok(self.calls) }
//! }
//!
//! // A trait method with a default body (async fn in traits), and a trait impl method.
//! trait Store {
//!     #[retry(attempts = 2)]
//!     async fn load(&self, id: u32) -> io::Result<u32> { Ok(id) }
//!     async fn save(&self, id: u32) -> io::Result<()>;
//! }
//! impl Store for Client {
//!     #[timeout(1s)]
//!     async fn save(&self, _id: u32) -> io::Result<()> { Ok(()) }
//! }
//!
//! // `#[async_trait]` on the impl, the resilience attributes on the method.
//! #[async_trait::async_trait]
//! trait Remote { async fn fetch(&self) -> io::Result<u8>; }
//! #[async_trait::async_trait]
//! impl Remote for Client {
//!     #[retry(attempts = 2)]
//!     #[timeout(1s)]
//!     async fn fetch(&self) -> io::Result<u8> { Ok(1) }
//! }
//!
//! // Generics, `impl Trait` arguments and `where` clauses.
//! #[retry(attempts = 2)]
//! async fn first<T: Clone, const N: usize>(items: [T; N], empty: impl Into<T> + Clone) -> io::Result<T>
//! where
//!     T: Send,
//! {
//!     // Each attempt runs the body afresh: clone what it consumes.
//!     Ok(items.first().cloned().unwrap_or_else(|| empty.clone().into()))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> io::Result<()> {
//! let mut c = Client { calls: 0, limit: Duration::from_secs(1) };
//! assert_eq!(c.get("abc").await?, 3);
//! assert_eq!(c.count().await?, 1);
//! c.save(1).await?;
//! assert_eq!(c.load(4).await?, 4);
//! assert_eq!(c.fetch().await?, 1);
//! assert_eq!(Arc::new(c).limited().await?, 1);
//! assert_eq!(first([7, 8], 0).await?, 7);
//! # Ok(()) }
//! ```
//!
//! `#[retry]` runs the body afresh on each attempt, so the body must not move out of its
//! arguments (clone inside instead: rustc points at the move). A trait method without a body
//! cannot carry an attribute: put it on each impl's method.
//!
//! # Sync functions
//!
//! `#[retry]`, `#[circuit_breaker]`, `#[bulkhead]`, `#[rate_limit]`, `#[fallback]` and
//! `#[chaos]` work on a plain `fn` too (blocking code: `reqwest::blocking`, diesel, FFI), with
//! the same keys, defaults and errors, `key = ..` included. Waiting blocks the thread: a retry's
//! delay and a rate limit's `max_wait` sleep, a bulkhead's `max_wait` parks the thread in the
//! same queue as async waiters. A sync and an async callsite with one `name` share one instance.
//! A `#[fallback]` on a plain `fn` calls a plain `fn`. `#[timeout]` does not go on a plain `fn`
//! (a thread cannot be cancelled): make the function `async`, or use the I/O library's own
//! timeout. Nor does `#[hedge]`: a hedged body runs twice at once in one task, which only an
//! `async fn` can. A wait inside a tokio task logs one warning per callsite (target
//! `resilience`): on a runtime worker it stalls the runtime, so call blocking code through
//! `tokio::task::spawn_blocking` (tokio's public API cannot tell a `spawn_blocking` thread from
//! a worker, so the warning also fires there, once). No tokio runtime is needed; tests move a
//! [`ManualClock`](testing#sync-functions-a-clock-moved-by-hand) (feature `test-util`) instead
//! of tokio's paused clock.
//!
//! ```
//! use resilience::{bulkhead, circuit_breaker, retry};
//! use std::io;
//!
//! #[derive(Debug)]
//! enum DbError { Io(io::Error), Resilience(resilience::Error) }
//! impl From<resilience::Error> for DbError {
//!     fn from(e: resilience::Error) -> Self { DbError::Resilience(e) }
//! }
//!
//! #[retry(attempts = 3, backoff = none)]
//! #[circuit_breaker(name = "db")]
//! #[bulkhead(max_concurrent = 4)]
//! fn query(id: u32) -> Result<u32, DbError> {
//!     if id == 0 { Err(DbError::Io(io::ErrorKind::NotFound.into())) } else { Ok(id * 2) }
//! }
//!
//! assert_eq!(query(21).unwrap(), 42); // no runtime, no `.await`
//! assert!(matches!(query(0), Err(DbError::Io(_))));
//! ```
//!
//! # Stacking, and the recommended order
//!
//! Stack attributes on one function: the topmost is the outermost layer, so
//! `#[timeout(5s)] #[retry]` bounds all attempts together and `#[retry] #[timeout(1s)]` bounds
//! each attempt. The first attribute collects the others and generates one expansion; one kind
//! twice is a compile error. Recommended order, outermost first:
//!
//! 1. **`fallback`**: the last line of defence, it sees every failure, rejections included.
//! 2. **`retry`**: around everything that can fail transiently, a timeout included.
//! 3. **`hedge`**: each attempt may run twice; each run passes the layers beneath, and a
//!    rejection from them (open breaker, full bulkhead, rate limit) starts no further hedge.
//! 4. **`circuit_breaker`**: each attempt is counted, and an open breaker stops the retries.
//! 5. **`rate_limit`**: a rejected call never reaches the dependency.
//! 6. **`timeout`**: bounds one attempt; a timeout counts as a breaker failure.
//! 7. **`bulkhead`**: a place is held only while the dependency is really called.
//! 8. **`chaos`**: faults right at the call, seen by every layer above.
//!
//! # Errors and return types
//!
//! The function returns a `Result<T, E>` (any alias: `io::Result<T>`, `anyhow::Result<T>`,
//! your own). When an attribute of the stack can reject a call (timeout, circuit breaker,
//! bulkhead, rate limit, chaos), `E` needs `From<`[`Error`]`>`: `std::io::Error`,
//! `anyhow::Error` and `Box<dyn Error + Send + Sync>` have it already; a lone `#[retry]` needs
//! nothing. [`Error`] is `#[non_exhaustive]`, `Clone`, and its messages say what happened and
//! what to do.
//!
//! A function returning anything else (`Vec<Item>`, `u64`) takes `#[fallback(f)]` on top: `f`
//! then receives the [`Error`] and supplies the value. `f` is called with the function's own
//! arguments, receiver first, then the error, and returns the function's return type (an
//! `async fn` is awaited):
//!
//! ```
//! use resilience::{Error, fallback, timeout};
//! use std::time::Duration;
//!
//! struct Shop;
//! impl Shop {
//!     // The fallback of `fn recommendations(&self, user: u32) -> Vec<String>`.
//!     fn popular(&self, _user: u32, error: Error) -> Vec<String> {
//!         vec![format!("popular ({})", error.kind())]
//!     }
//!
//!     #[fallback(Self::popular)]
//!     #[timeout(100ms)]
//!     async fn recommendations(&self, user: u32) -> Vec<String> {
//!         tokio::time::sleep(Duration::from_secs(1)).await; // a slow dependency
//!         vec![format!("for {user}")]
//!     }
//! }
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! assert_eq!(Shop.recommendations(7).await, ["popular (timeout)"]);
//! # }
//! ```
//!
//! # Tokio is required
//!
//! Timers and clocks are tokio's: the call must run inside a tokio runtime with the time
//! driver (`#[tokio::main]`, `#[tokio::test]`, or a `Runtime` built with `enable_time()` or
//! `enable_all()`), with tokio's features `rt` (or `rt-multi-thread`) and `time`. Outside
//! one, a `#[timeout]` call that has to wait panics with "`#[timeout]` needs a tokio runtime"
//! (tokio itself would say "there is no reactor running"), and a `#[retry]` about to sleep
//! before its next attempt with "`#[retry]` needs a tokio runtime". Polled by
//! `futures::executor::block_on` or another executor, a call that completes at once works,
//! one that has to wait does not:
//!
//! ```should_panic
//! #[resilience::timeout(1s)]
//! async fn waits() -> std::io::Result<()> {
//!     std::future::pending::<()>().await; // not ready at once
//!     Ok(())
//! }
//! // Panics: "`#[timeout]` needs a tokio runtime: ...".
//! futures::executor::block_on(waits()).unwrap();
//! ```
//!
//! When the body itself uses tokio (a tokio sleep, `reqwest`), tokio's own panic comes first.
//!
//! # Testing with the paused clock
//!
//! Every policy reads tokio's clock, so under `#[tokio::test(start_paused = true)]` backoffs,
//! timeouts, open breakers and rate windows run at once and exactly, with no real sleeping.
//! [`testing::seed`] fixes the jitter. The example's `main` stands for a
//! `#[tokio::test(start_paused = true)] async fn`:
//!
//! ```
//! use resilience::retry;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use tokio::time::{Duration, Instant};
//!
//! #[derive(Debug)]
//! struct Flaky;
//!
//! #[retry(attempts = 3, backoff = constant(1s), jitter = none)]
//! async fn flaky(calls: &AtomicU32) -> Result<u32, Flaky> {
//!     match calls.fetch_add(1, Ordering::SeqCst) {
//!         0 | 1 => Err(Flaky),
//!         n => Ok(n),
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)] // in tests: #[tokio::test(start_paused = true)]
//! async fn main() {
//!     let calls = AtomicU32::new(0);
//!     let start = Instant::now();
//!     assert_eq!(flaky(&calls).await.unwrap(), 2);
//!     // Two waits of exactly 1s, on the paused clock: the test took no real time.
//!     assert_eq!(start.elapsed(), Duration::from_secs(2));
//! }
//! ```
//!
//! Layers without a `name` keep their own state per function. Layers with one `name` share
//! one breaker, bulkhead, rate limiter or retry budget in the whole process, and `cargo test`
//! runs the tests of a binary as threads of one process: start each such test with
//! `let _registry = resilience::testing::isolated();` so that it gets instances (and events)
//! of its own, and one test's failures never open another test's breaker. See
//! [`testing`] for `cargo nextest` and for multi-thread runtimes.
//!
//! # Labels and logs
//!
//! Each function has one label, used by every layer on it without a `name` of its own: the
//! first `name = ".."` written on the function, else `module::fn` (the module path and the
//! function's name), and for a method taking `self`, `module::Type::method` (the type is named
//! at the method's first call, since a `static` cannot name `Self`; an associated function
//! without `self` keeps `module::fn`). Events go to `tracing` under target
//! `resilience` with stable fields (a retry: `name`, `attempt`, `delay_ms`, `error`); the
//! error is written with `Display` when it has one and `Debug` otherwise (so a retried error
//! type must implement `Debug`, which `#[retry]` says when the crate compiles), never with a
//! backtrace (an `anyhow::Error` logs its message and its causes, as `{:#}` writes them). The
//! same moments reach [`Registry::subscribe`] as typed [`Event`]s.
//!
//! # Seeing the expansion
//!
//! The expansion is plain code meant to be read. Install `cargo-expand` once, then expand the
//! module holding your function:
//!
//! ```sh
//! cargo install cargo-expand
//! cargo expand client            # the module `client` of your crate, expanded
//! ```
//!
//! `#[timeout(800ms)] pub async fn price(sku: &str) -> Result<u64, PricingError>` becomes:
//!
//! ```text
//! pub async fn price(sku: &str) -> Result<u64, PricingError> {
//!     #[allow(unused_imports)]
//!     use ::resilience::{__private as __resilience, __private::methods::*};
//!     const __RESILIENCE_NAME: &str = "shop::price"; // concat!(module_path!(), "::", "price")
//!     static __RESILIENCE_TIMEOUT: __resilience::TimeoutSite =
//!         __resilience::TimeoutSite::new(__RESILIENCE_NAME);
//!     let __resilience_outcome = __RESILIENCE_TIMEOUT
//!         .run(
//!             __resilience::ms(800),
//!             |returned| __resilience::lift(returned),
//!             async move {
//!                 if false {
//!                     return __resilience::returns::<Result<u64, PricingError>>();
//!                 }
//!                 lookup(sku).await
//!             },
//!         )
//!         .await;
//!     __resilience::finish::<Result<u64, PricingError>>(__resilience_outcome)
//! }
//! ```
//!
//! `__resilience` is the runtime's one door for generated code (every attribute accepts
//! `crate = path::to::resilience` for re-exporting crates). The `return` that never runs pins
//! the body's type, so `?` and `return` in it behave as in the function; the timeout owns the
//! body's future and `lift` turns its `Result` into the layers' result. The block is
//! `async move` here: it owns `sku`, a copy of the reference (a body borrows its arguments
//! instead when a `#[retry]`, `#[hedge]` or `#[fallback]` needs them again and they are not
//! all references or primitives). With feature `metrics`, a `static __RESILIENCE_CALL` and
//! `let _timer = __RESILIENCE_CALL.start();` also time the call. The macro's own locals
//! (`returned`, `_timer`) are hygienic: no name of yours meets them. The README's "Reading the expansion" walks through a four-attribute stack
//! line by line.
//!
//! # Compile errors
//!
//! Every misuse is an error spanned on the token at fault that says what to write, all the
//! mistakes of a function at once, and the function is still emitted, so the rest of the crate
//! and the IDE keep working. For instance a fallback of the wrong shape:
//!
//! ```text
//! error[E0277]: this fallback must have the signature `fn(&PaymentsClient, &str, PayError) -> Result<u64, PayError>` (or be an `async fn` with it)
//!   --> src/client.rs:20:22
//!    |
//! 20 |     #[fallback(Self::cached)]
//!    |                      ^^^^^^ expected a fallback `fn(&PaymentsClient, &str, PayError) -> Result<u64, PayError>`,
//!    |                             found `for<'a> fn(&'a PaymentsClient, String, PayError) -> Result<u64, PayError> {PaymentsClient::cached}`
//! ```
//!
//! The catalogue, one file per mistake with the compiler's message, is `tests/ui/` in the
//! repository.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Retries the function after failures, with backoff and jitter.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `attempts = 3` | total attempts, the first included (≥ 1) | 3 |
/// | `backoff = exponential(100ms, factor = 2.0, max = 10s)` · `constant(100ms)` · `fibonacci(100ms, max = 10s)` · `none` | delay before each retry | `exponential(100ms, factor = 2.0, max = 10s)` |
/// | `jitter = full` · `equal` · `decorrelated` · `none` | randomisation of each delay | `full` |
/// | `max_elapsed = 30s` | no retry whose delay would end past this since the first attempt | none |
/// | `when = path` | `fn(&E) -> bool` or `-> RetryDecision`: which errors to retry | every error |
/// | `budget = 20%` · `none` | retries at most this share of calls over a sliding 10 s, plus 10 retries/s always allowed; callsites with one `name` share it; when it says no, the last error is returned | 20% |
/// | `name = ".."` | label in telemetry and the registry; callsites with one name share one budget | [the function's label](crate#labels-and-logs) |
///
/// The body runs afresh on each attempt, so it must not move out of its arguments.
/// Rejections from layers beneath are classified by the runtime: a timeout, a full bulkhead
/// and an injected fault are retried, a rate limit after its `retry_after`, an open breaker
/// stops at once. The last error is returned.
///
/// ```
/// # #[derive(Debug)] struct Flaky;
/// #[resilience::retry(attempts = 3, backoff = constant(10ms), jitter = none)]
/// async fn fetch() -> Result<u32, Flaky> {
///     Ok(7)
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() { assert_eq!(fetch().await.unwrap(), 7); }
/// ```
pub use resilience_macros::retry;

/// Cuts tail latency: when a call has not finished after `delay`, the body is started again
/// beside it, up to `max_hedged` extra runs; the first success wins and the other runs are
/// dropped (cancelled) at once.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `delay = p95` · `delay = 50ms` | when each hedge starts after the previous run: a percentile (`p50` … `p99.9`) of the function's own latencies over the last 5–10 s, or a duration | `p95` |
/// | `max_hedged = 1` | extra runs at most (1..=10) | 1 |
/// | `when = path` | `fn(&E) -> bool`: which errors start the next run at once; any other error is the answer | every error |
/// | `budget = 10%` · `none` | hedges at most this share of calls over a sliding 10 s (the retry budget's mechanism, no reserve) | 10% |
/// | `name = ".."` | label in telemetry and the registry; callsites with one name share latencies and budget | [the function's label](crate#labels-and-logs) |
///
/// Every run lives in the caller's task: the body's future is made up to `1 + max_hedged`
/// times and polled together, with no spawn and no `'static` bound, so the body borrows its
/// arguments as it would without the attribute. A failure accepted by `when` (or a timeout from
/// beneath) starts the next run at once; a rejection from beneath (`CircuitOpen`,
/// `BulkheadFull`, `RateLimited`) starts no further run. When every run fails, the last error
/// is returned. An adaptive delay does not fire before 20 latencies are known (a run that
/// ends at its first poll counts as 0, a run dropped as a loser as the time it ran). Because a
/// hedged body runs twice at once, `&mut self`, `&mut` arguments and a plain `fn` are compile
/// errors. Hedges are logged as `hedge` events (`name`, `run`, `after_ms`) and counted in
/// `resilience_hedges_total{name}` and [`Registry::hedge`].
///
/// ```
/// use std::time::Duration;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// static CALLS: AtomicU32 = AtomicU32::new(0);
///
/// #[resilience::hedge(delay = 50ms, budget = none)]
/// async fn lookup(key: &str) -> Result<String, std::io::Error> {
///     // The first run is slow, the hedge fast.
///     let slow = CALLS.fetch_add(1, Ordering::Relaxed) == 0;
///     tokio::time::sleep(Duration::from_millis(if slow { 500 } else { 10 })).await;
///     Ok(format!("{key}: {}", if slow { "first" } else { "hedge" }))
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let start = tokio::time::Instant::now();
/// assert_eq!(lookup("k").await.unwrap(), "k: hedge");
/// assert_eq!(start.elapsed(), Duration::from_millis(60));
/// # }
/// ```
pub use resilience_macros::hedge;

/// Cancels the call when its time is up: the inner future is dropped and the call fails with
/// [`Error::Timeout`]. Written `#[timeout(800ms)]` or `#[timeout(duration = 2s, name = "..")]`;
/// the duration may be any `Duration` expression, evaluated at each call.
///
/// Above `#[retry]` it bounds all attempts together; below it, each attempt. The timer is
/// tokio's: a call that has to wait outside a tokio runtime panics saying so (see
/// [Tokio is required](crate#tokio-is-required)). Labelled by
/// [the function's label](crate#labels-and-logs) unless `name` is given.
///
/// ```
/// use std::time::Duration;
/// #[resilience::timeout(50ms)]
/// async fn slow() -> std::io::Result<()> {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(slow().await.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
pub use resilience_macros::timeout;

/// Bounds how many calls run at once: at most `max_concurrent` (default 25) inside together;
/// a caller waits up to `max_wait` (default 0) for a place, served first come first served,
/// else fails with [`Error::BulkheadFull`]. The place is given back when the call completes,
/// is cancelled (its future dropped) or panics. `name = ".."` shares one bulkhead among
/// callsites (the first to run sets its size).
///
/// | key | meaning | default |
/// |---|---|---|
/// | `max_concurrent = 10` | calls inside at once (≥ 1) | 25 |
/// | `max_wait = 50ms` | how long a caller waits for a place | 0 |
/// | `name = ".."` | shared bulkhead, label in telemetry and the registry | [the function's label](crate#labels-and-logs) |
/// | `key = expr` | one bulkhead per value of `expr` (`AsRef<str>`), listed as `name[key]`; needs `name` | one per name |
/// | `max_keys = 1000` | with `key`: bulkheads kept at most, the least recently used dropped past it | 1000 |
///
/// Taking and giving back a free place is one atomic compare-and-swap each; the queue's lock
/// is touched only when every place is taken.
///
/// ```
/// use std::time::Duration;
/// #[resilience::bulkhead(max_concurrent = 1)]
/// async fn exclusive() -> Result<(), resilience::Error> {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let (a, b) = tokio::join!(exclusive(), exclusive());
/// assert!(a.is_ok());
/// assert!(matches!(b, Err(resilience::Error::BulkheadFull { max_concurrent: 1, .. })));
/// # }
/// ```
pub use resilience_macros::bulkhead;

/// Bounds how often the function runs, with GCRA (the `governor` crate) on tokio's clock:
/// `rate = 100/1s` permits, `burst` (default: the rate's count) at once after a quiet spell.
/// A call that would get a permit within `max_wait` (default 0) sleeps for it; otherwise it
/// fails with [`Error::RateLimited`] whose `retry_after` is the time until a permit frees.
/// `name = ".."` shares one limiter among callsites.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `rate = 100/1s` | permits per period (required) | — |
/// | `burst = 20` | permits available at once | the rate's count |
/// | `max_wait = 50ms` | how long a call may wait for its permit | 0 |
/// | `name = ".."` | shared limiter, label in telemetry and the registry | [the function's label](crate#labels-and-logs) |
/// | `key = expr` | one limiter per value of `expr` (`AsRef<str>`, such as `user.id.as_str()`), listed as `name[key]`; needs `name` | one per name |
/// | `max_keys = 1000` | with `key`: limiters kept at most, the least recently used dropped past it | 1000 |
/// | `scope = fleet` | one limit for every process on one Redis ([`fleet`], feature `redis`; an `async fn`, no `key`) | `local` |
/// | `on_store_error = deny` | with `scope = fleet`, when Redis fails: `allow` by the local limiter's verdict, or reject | `allow` |
/// | `store_timeout = 20ms` | with `scope = fleet`, the longest a call waits on Redis | 50ms |
///
/// A waiting call holds no permit, so cancelling it costs none.
///
/// ```
/// use std::time::Duration;
/// #[resilience::rate_limit(rate = 2/1s)]
/// async fn ping() -> Result<(), resilience::Error> { Ok(()) }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// ping().await.unwrap();
/// ping().await.unwrap();
/// let e = ping().await.unwrap_err();
/// assert!(matches!(e, resilience::Error::RateLimited { retry_after, .. } if retry_after == Duration::from_millis(500)));
/// # }
/// ```
pub use resilience_macros::rate_limit;

/// Supplies the function's value when the layers beneath fail: `#[fallback(path)]` calls
/// `path(<the function's arguments, receiver first>, error)` and returns what it returns (the
/// function's own return type). The fallback may be an `async fn` (its future is awaited) or a
/// plain `fn` (told apart by its return type, no annotation needed).
///
/// - When the function returns `Result<T, E>` (any alias), `error` is `E`; a policy's
///   rejection reaches it converted with `From<resilience::Error>`.
/// - When it returns anything else (`Vec<Item>`), `error` is [`Error`]: the function can then
///   use timeout, circuit breaker, bulkhead and rate limit while the fallback supplies the
///   degraded value.
/// - `#[fallback(path, when = pred)]`: only errors for which `pred(&error)` is true go to the
///   fallback; the others are returned (so this needs a `Result` return type).
///
/// A fallback of another shape is one compile error on its path naming the signature it must
/// have, such as `fn(&PaymentsClient, &str, PayError) -> Result<u64, PayError>`.
///
/// `#[fallback]` must be the outermost attribute (written first). Every argument needs a name,
/// since it is passed on: write `pair: (u32, u32)` rather than `(a, b): (u32, u32)`. Like
/// `#[retry]`, the body must not move out of its arguments.
///
/// ```
/// use resilience::Error;
/// use std::time::Duration;
///
/// fn cached(user: u32, error: Error) -> Vec<String> {
///     vec![format!("popular items (for {user}: {})", error.kind())]
/// }
///
/// #[resilience::fallback(cached)]
/// #[resilience::timeout(100ms)]
/// async fn recommendations(user: u32) -> Vec<String> {
///     tokio::time::sleep(Duration::from_secs(1)).await; // a slow dependency
///     vec![format!("for {user}")]
/// }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert_eq!(recommendations(7).await, vec!["popular items (for 7: timeout)"]);
/// # }
/// ```
pub use resilience_macros::fallback;

/// Stops calling a failing dependency: after too many failures the breaker opens and rejects
/// calls with [`Error::CircuitOpen`] (without running the body) for `open_for`, then lets
/// `half_open_calls` probes through, which close it again or reopen it for longer.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `name = "payments"` | callsites with one name share one breaker | one per function, [the function's label](crate#labels-and-logs) |
/// | `failure_rate = 50%` | open when the window's failure rate reaches this | 50% |
/// | `slow_call = 2s`, `slow_rate = 100%` | calls lasting at least `slow_call` are slow; open when the slow rate reaches `slow_rate` | off |
/// | `window = 100` · `window = 60s` | exactly the last N calls; or the calls of the last D, in buckets of D/16 (nothing older than D counts, however long the breaker was idle) | 100 calls |
/// | `min_calls = 20` | no rate decision before the window holds this many calls | 20 |
/// | `consecutive_failures = 5` | also open after N failures in a row | off |
/// | `open_for = 30s` · `open_for = exponential(10s, max = 5m)` | time open before probing; exponential doubles each time the probes fail | 30s |
/// | `half_open_calls = 5` | probes; when all have finished, close if their failure rate is below `failure_rate`, else reopen | 5 |
/// | `when = path` | `fn(&E) -> bool`: which errors count as failures | every error |
/// | `key = expr` | one breaker per value of `expr` (`AsRef<str>`, such as `self.host.as_str()`), listed as `name[key]`; needs `name` | one breaker per name |
/// | `max_keys = 1000` | with `key`: breakers kept at most; past it the least recently used is dropped (and counted) | 1000 |
/// | `scope = fleet` | opening, half-open probes and closing shared by every process on one Redis ([`fleet`], feature `redis`; no `key`) | `local` |
/// | `store_timeout = 20ms` | with `scope = fleet`, the longest a transition waits on Redis | 50ms |
///
/// A timeout from a layer beneath and a panic count as failures; a cancelled call counts as
/// nothing and gives its probe slot back. With `key`, errors and metrics carry the attribute's
/// `name` (a `&'static str`, and a bounded number of metric labels), a breaker's transition
/// (its log line and [`Event::CircuitTransition`]) also names the `key`, and the registry lists
/// each key's breaker as `name[key]`.
///
/// **The window** is exact, and `metrics()` reports the very window the breaker decides on. The
/// breaker decides when a failure or slow call is recorded, never on a success (a success
/// cannot raise a rate): a window that reaches the threshold on a success opens at the next
/// failure. No rate decision is taken below `min_calls`. Closing after half-open, or `reset`,
/// starts an empty window. A time window counts in buckets of D/16: a call younger than 15/16
/// of the window always counts, and one as old as the window never does, however long the
/// breaker was idle. A closed success costs two atomic operations on the calling thread's own
/// cache line (plus a clock read with a time window or `slow_call`), no lock and no
/// allocation; a failure takes the breaker's mutex to log it in order. Inspect and override
/// breakers through [`registry()`]: [`Registry::circuit_breaker`], whose `metrics()` is a
/// [`CircuitMetrics`].
///
/// ```
/// use resilience::{CircuitState, Error};
///
/// #[derive(Debug)]
/// enum PayError { Down, Resilience(Error) }
/// impl From<Error> for PayError {
///     fn from(e: Error) -> Self { PayError::Resilience(e) }
/// }
///
/// #[resilience::circuit_breaker(consecutive_failures = 2, open_for = 30s, name = "docs-payments")]
/// async fn charge(ok: bool) -> Result<u32, PayError> {
///     if ok { Ok(1) } else { Err(PayError::Down) }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// assert!(charge(false).await.is_err());
/// assert!(charge(false).await.is_err());
/// // Open: the body does not run.
/// assert!(matches!(charge(true).await, Err(PayError::Resilience(Error::CircuitOpen { .. }))));
/// let b = resilience::registry().circuit_breaker("docs-payments").unwrap();
/// assert_eq!(b.state(), CircuitState::Open);
/// b.reset();
/// assert_eq!(charge(true).await.unwrap(), 1);
/// # }
/// ```
pub use resilience_macros::circuit_breaker;

/// Injects faults for game days and tests (feature `chaos`): a call is delayed by `latency`
/// (for a `latency_rate` share of calls), then fails with [`Error::Injected`] (for an
/// `error_rate` share) before its body runs.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `error_rate = 10%` | share of calls failed with [`Error::Injected`] | none |
/// | `latency = 200ms` | delay injected before the body (any `Duration` expression) | none |
/// | `latency_rate = 20%` | share of calls delayed (needs `latency`) | 100% |
/// | `name = ".."` | label in [`Error::Injected`] and telemetry | [the function's label](crate#labels-and-logs) |
///
/// At least one of `error_rate` and `latency` is required. It is inert until switched on at
/// run time, by `resilience::chaos::enable()` or the environment variable
/// `RESILIENCE_CHAOS=1`; `resilience::chaos::seed(u64)` makes the faults repeat. Put it
/// innermost (written last), so every layer above sees the faults as it would see the
/// dependency's: a retry retries them, a breaker counts them as failures.
///
/// Without the feature `chaos` the attribute expands to the plain function (its arguments are
/// still checked, so turning the feature on reveals no mistake). With it, a function returning
/// `Result<T, E>` needs `E: From<resilience::Error>`.
///
#[cfg_attr(feature = "chaos", doc = "```")]
#[cfg_attr(not(feature = "chaos"), doc = "```ignore")]
/// use resilience::Error;
///
/// #[resilience::chaos(error_rate = 100%, name = "docs-payments")]
/// async fn charge(cents: u64) -> Result<u64, Error> {
///     Ok(cents)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// resilience::chaos::disable();
/// assert_eq!(charge(5).await, Ok(5)); // inert until switched on
/// resilience::chaos::enable();
/// assert_eq!(charge(5).await, Err(Error::Injected { name: "docs-payments" }));
/// resilience::chaos::disable();
/// # }
/// ```
pub use resilience_macros::chaos;

/// Switches `#[chaos]` on and off, and seeds it (feature `chaos`).
///
/// Chaos is off until [`enable`](chaos::enable) is called, or, when neither
/// [`enable`](chaos::enable) nor [`disable`](chaos::disable) has been, while the environment
/// variable `RESILIENCE_CHAOS` is `1` (also `true`, `on`, `yes`; read once, at the first chaos
/// call). Switched off, a `#[chaos]` call costs one relaxed atomic load. The switch and the
/// generator are process-wide: tests that switch chaos on should not run alongside tests that
/// expect it off (serialise them, or give them a binary of their own).
///
/// ```
/// use resilience::Error;
/// use std::time::Duration;
///
/// #[resilience::chaos(latency = 200ms, latency_rate = 50%, error_rate = 10%, name = "docs-db")]
/// async fn query() -> Result<u32, Error> {
///     Ok(1)
/// }
///
/// /// The outcomes of ten calls after `seed(s)`.
/// async fn ten(s: u64) -> Vec<Result<u32, Error>> {
///     resilience::chaos::seed(s);
///     let mut out = Vec::new();
///     for _ in 0..10 {
///         out.push(query().await);
///     }
///     out
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// resilience::chaos::enable();
/// assert!(resilience::chaos::is_enabled());
/// // The same seed, the same faults and delays.
/// let start = tokio::time::Instant::now();
/// let first = ten(7).await;
/// let took = start.elapsed();
/// let start = tokio::time::Instant::now();
/// assert_eq!(ten(7).await, first);
/// assert_eq!(start.elapsed(), took);
/// resilience::chaos::disable();
/// # }
/// ```
#[cfg(feature = "chaos")]
pub mod chaos {
    pub use resilience_runtime::chaos::{ChaosHandle, disable, enable, is_enabled, seed};
}

/// Configuration by name, at run time (feature `config`): the values written in an attribute
/// are defaults, overridden by name from TOML ([`Config::from_toml_str`], [`Config::from_file`]),
/// the environment ([`Config::from_env`]) or any serde source, applied all or nothing with
/// [`Registry::apply`], or re-read from a file with [`watch`](config::watch). Values are spelled
/// as in the attributes and refused with the attributes' words. On by default.
///
/// Every kind is retuned live: a breaker keeps its state and counts (a new `window` starts
/// empty) and takes its new values from its next call or decision; a retry call takes the
/// configured values at its first failure and a hedged call when its first run waits, each
/// keeping them to its end; a bulkhead's size, a rate limiter's rate and burst, a timeout and
/// chaos rates apply at once; `enabled = false` passes calls straight through.
/// A `[kind.name]` table of a per-key name (`key = ..`) retunes every key's instance.
///
/// ```
/// use resilience::{Config, Error, bulkhead, registry};
///
/// #[bulkhead(name = "docs_inventory", max_concurrent = 2)]
/// async fn inventory() -> Result<(), Error> {
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// inventory().await.unwrap();
/// let config = Config::from_toml_str("[bulkhead.docs_inventory]\nmax_concurrent = 4").unwrap();
/// let applied = registry().apply(&config).unwrap();
/// assert_eq!(applied.changes[0].to_string(), "[bulkhead.docs_inventory] max_concurrent: 2 → 4");
/// assert_eq!(registry().bulkhead("docs_inventory").unwrap().max_concurrent(), 4);
///
/// let typo = Config::from_toml_str("[bulkhead.docs_inventory]\nmax_concurent = 4").unwrap_err();
/// assert!(typo.to_string().contains("did you mean `max_concurrent`?"));
/// # }
/// ```
#[cfg(feature = "config")]
pub mod config {
    pub use resilience_runtime::config::*;
}
#[cfg(feature = "config")]
pub use resilience_runtime::config::{Config, ConfigError};

/// Fleet-wide rate limits and breakers on Redis (SPEC §15, feature `redis`): connect a store
/// once per process, and `scope = fleet` shares a limiter's or breaker's state by name with
/// every process connected to the same Redis. Without the feature, `scope = fleet` is a
/// compile error naming it; with it but no store connected, the instance runs locally and
/// logs one warning per name.
///
/// ```no_run
/// # #[cfg(feature = "redis")] mod doc {
/// use resilience::{Error, circuit_breaker, rate_limit};
///
/// // 1000 calls/s for the whole fleet, however many replicas run.
/// #[rate_limit(rate = 1000/1s, scope = fleet)]
/// async fn search(q: &str) -> Result<usize, Error> { Ok(q.len()) }
///
/// // One replica's opening opens it everywhere; one replica at a time probes.
/// #[circuit_breaker(name = "payments", scope = fleet)]
/// async fn charge(cents: u64) -> Result<u64, Error> { Ok(cents) }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// resilience::fleet::connect("redis://127.0.0.1:6379").await?;
/// search("shoes").await?;
/// charge(1200).await?;
/// println!("{:?}", resilience::fleet::status()); // connected, healthy, store_errors, …
/// # Ok(()) } }
/// ```
pub mod fleet {
    pub use resilience_runtime::fleet::*;
}

pub use resilience_runtime::{
    CircuitBreakerHandle, CircuitMetrics, CircuitState,
    bulkhead::{Bulkhead, BulkheadHandle, BulkheadPolicy, Place},
    circuit_breaker::{BreakerPolicy, OpenFor, Window},
    rate_limit::{Rate, RateLimitPolicy, RateLimiter, RateLimiterHandle},
};

pub use resilience_runtime::{
    Error, FromResilienceError, HedgeHandle, InvalidValue, Outcome, Registry, RetryDecision,
    RetryHandle, hedge::HedgeDelay, hedge::HedgePolicy, registry, retry::Backoff, retry::Jitter,
    retry::RetryPolicy,
};

// Operating it: the registry's `Snapshot` (`serde::Serialize` with feature `serde`) and the
// `Event` stream of `Registry::subscribe`. (A plain comment: a doc comment here would be
// prepended to each item's own page.)
pub use resilience_runtime::{
    BulkheadSnapshot, ChaosSnapshot, CircuitBreakerSnapshot, EVENT_BUFFER, Event, HedgeSnapshot,
    KeyedSnapshot, RateLimiterSnapshot, RetrySnapshot, Snapshot, TimeoutHandle, TimeoutSnapshot,
};

/// Helpers for tests: a registry of a test's own, so tests that share names run in parallel
/// ([`isolated`](testing::isolated)), seeded jitter, cancellation at every poll, and for sync
/// functions a clock moved by hand (`ManualClock`, feature `test-util`).
///
/// # Tests that share names, in parallel
///
/// Named policies are process-wide, so two tests calling `#[circuit_breaker(name =
/// "payments")]` functions share one breaker. Start each such test with
/// `let _registry = resilience::testing::isolated();`: until the guard drops, the callsites
/// called on the test's thread and [`registry()`](crate::registry) use fresh instances of the
/// test's own, created under its own (paused) clock.
///
/// ```
/// use resilience::{testing, CircuitState, Error};
///
/// #[derive(Debug)]
/// struct Down;
/// impl From<Error> for Down { fn from(_: Error) -> Self { Down } }
///
/// #[resilience::circuit_breaker(name = "docs-testing-payments", consecutive_failures = 1)]
/// async fn pay(ok: bool) -> Result<(), Down> { if ok { Ok(()) } else { Err(Down) } }
///
/// // `#[tokio::test(start_paused = true)] async fn opens() {`
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let _registry = testing::isolated();
/// assert!(pay(false).await.is_err());
/// let b = resilience::registry().circuit_breaker("docs-testing-payments").unwrap();
/// assert_eq!(b.state(), CircuitState::Open); // only in this test's registry
/// # }
/// ```
///
/// * **`cargo test`** runs a binary's tests on several threads of one process: every test that
///   shares a name needs `isolated()` (keep those tests on tokio's current-thread runtime, the
///   `#[tokio::test]` default, whose tasks run on the test's thread; a multi-thread runtime's
///   workers do not see the test's registry).
/// * **`cargo nextest`** runs each test in a process of its own, so tests never share
///   instances; `isolated()` is harmless there and keeps the test right under `cargo test`.
/// * **Paused clocks**: an instant of one test's paused clock means nothing to another's (each
///   starts where the real clock stood and moves by its own sleeps). A breaker shared by two
///   tests would measure `open_for` from an instant of the first test's clock with the second's,
///   and report a `retry_after` neither test waited for. A test's own instances are created and
///   read under its clock alone.
///
/// Outside tests this costs nothing measurable: until a test registry is first created, each
/// call reads one relaxed flag that is false. [`Registry::subscribe`] on a test registry hears
/// only the calls made on the test's thread. Timeout counts are per callsite and process-wide
/// (they change no behaviour, so they are not isolated; a test registry's `timeouts()` and
/// snapshot show the process-wide ones).
///
/// # Sync functions: a clock moved by hand
///
/// tokio's paused clock does not reach a thread that sleeps, so a test of a plain `fn` uses
/// `ManualClock` (feature `test-util`, for dev-dependencies:
/// `resilience = { .., features = ["test-util"] }`). While it lives on the test's thread, the
/// policies read it, and every sync wait (a retry's delay, a `max_wait`, chaos latency) moves
/// it instead of sleeping.
///
#[cfg_attr(feature = "test-util", doc = "```")]
#[cfg_attr(not(feature = "test-util"), doc = "```ignore")]
/// use resilience::testing::ManualClock;
/// use resilience::{Error, circuit_breaker, retry};
/// use std::time::Duration;
///
/// #[retry(attempts = 3, backoff = exponential(100ms), jitter = none)]
/// fn always_fails() -> Result<(), Error> {
///     Err(Error::Injected { name: "docs" })
/// }
///
/// #[circuit_breaker(name = "docs-clock", min_calls = 1, open_for = 30s)]
/// fn guarded() -> Result<(), Error> {
///     Err(Error::Injected { name: "docs" })
/// }
///
/// let clock = ManualClock::new();
/// assert!(always_fails().is_err());
/// assert_eq!(clock.elapsed(), Duration::from_millis(300)); // 100ms, then 200ms: no real sleep
///
/// assert!(guarded().is_err()); // opens the breaker
/// assert!(matches!(guarded(), Err(Error::CircuitOpen { .. })));
/// clock.advance(Duration::from_secs(30));
/// assert!(matches!(guarded(), Err(Error::Injected { .. }))); // half-open: the probe runs
/// ```
pub mod testing {
    #[cfg(feature = "test-util")]
    pub use resilience_runtime::testing::ManualClock;
    pub use resilience_runtime::testing::{Isolated, cancel_at_every_poll, isolated, seed};
}

#[doc(hidden)]
pub mod __private {
    pub use resilience_runtime::__private::*;
}
