//! `#[fallback]`: called with the function's own arguments and the error, sync or async, for
//! `Result` and plain return types, with `when`, stacked on the other policies.

use resilience::{Error, bulkhead, fallback, rate_limit, retry, timeout};
use std::time::Duration;
use tokio::time::sleep;

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    NotFound,
    Unavailable,
    Resilience(Error),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Resilience(e)
    }
}

// A plain (non-`Result`) return type: the fallback gets the `resilience::Error`.

#[derive(Debug, Clone, PartialEq)]
struct Item(String);

fn cached_items(user: u32, error: Error) -> Vec<Item> {
    vec![Item(format!("cached for {user} after {}", error.kind()))]
}

fn items_fallback(user: u32, slow: bool, error: Error) -> Vec<Item> {
    let _ = slow;
    cached_items(user, error)
}

#[fallback(items_fallback)]
#[timeout(100ms)]
async fn recommendations_2(user: u32, slow: bool) -> Vec<Item> {
    if slow {
        sleep(Duration::from_secs(1)).await;
    }
    vec![Item(format!("fresh for {user}"))]
}

#[tokio::test(start_paused = true)]
async fn a_plain_return_type_gets_its_value_from_the_fallback() {
    assert_eq!(
        recommendations_2(7, false).await,
        vec![Item("fresh for 7".into())]
    );
    assert_eq!(
        recommendations_2(7, true).await,
        vec![Item("cached for 7 after timeout".into())]
    );
}

// A `Result` return type: the fallback gets `E`; an async fallback is awaited.

async fn from_replica(id: u32, error: ApiError) -> Result<String, ApiError> {
    match error {
        ApiError::NotFound => Err(ApiError::NotFound),
        _ => Ok(format!("replica {id}")),
    }
}

#[fallback(from_replica)]
#[retry(attempts = 2, backoff = constant(10ms), jitter = none, budget = none)]
async fn primary(id: u32) -> Result<String, ApiError> {
    if id == 0 {
        return Err(ApiError::NotFound);
    }
    Err(ApiError::Unavailable)
}

#[tokio::test(start_paused = true)]
async fn an_async_fallback_is_awaited_with_the_functions_own_error() {
    assert_eq!(primary(3).await, Ok("replica 3".to_owned()));
    assert_eq!(primary(0).await, Err(ApiError::NotFound));
}

// `when`: the errors it turns down go back to the caller.

fn is_unavailable(e: &ApiError) -> bool {
    matches!(e, ApiError::Unavailable | ApiError::Resilience(_))
}

fn default_price(_sku: &str, _e: ApiError) -> Result<u64, ApiError> {
    Ok(100)
}

#[fallback(default_price, when = is_unavailable)]
async fn price(sku: &str) -> Result<u64, ApiError> {
    match sku {
        "gone" => Err(ApiError::NotFound),
        "down" => Err(ApiError::Unavailable),
        _ => Ok(sku.len() as u64),
    }
}

#[tokio::test]
async fn errors_turned_down_by_when_propagate() {
    assert_eq!(price("abc").await, Ok(3));
    assert_eq!(price("down").await, Ok(100));
    assert_eq!(price("gone").await, Err(ApiError::NotFound));
}

// Receivers come first.

struct Catalog {
    default: Vec<Item>,
}

impl Catalog {
    fn stale(&self, _user: u32, _e: Error) -> Vec<Item> {
        self.default.clone()
    }

    #[fallback(Self::stale)]
    #[bulkhead(max_concurrent = 1)]
    async fn items(&self, user: u32) -> Vec<Item> {
        sleep(Duration::from_millis(10)).await;
        vec![Item(format!("live {user}"))]
    }
}

#[tokio::test(start_paused = true)]
async fn the_receiver_is_passed_first() {
    let c = Catalog {
        default: vec![Item("default".into())],
    };
    let (a, b) = tokio::join!(c.items(1), c.items(2));
    assert_eq!(a, vec![Item("live 1".into())]);
    assert_eq!(b, vec![Item("default".into())]);
}

// A full stack on a plain return type: fallback, retry, rate limit, timeout, bulkhead.

fn degraded(_user: u32, e: Error) -> Vec<Item> {
    vec![Item(format!("degraded: {}", e.kind()))]
}

#[fallback(degraded)]
#[retry(attempts = 2, backoff = none, budget = none)]
#[rate_limit(rate = 2/1s, name = "fb-stack")]
#[timeout(50ms)]
#[bulkhead(max_concurrent = 4)]
async fn stacked(user: u32) -> Vec<Item> {
    if user == 0 {
        sleep(Duration::from_secs(1)).await;
    }
    vec![Item(format!("ok {user}"))]
}

#[tokio::test(start_paused = true)]
async fn a_full_stack_degrades_to_the_fallback() {
    // Two timeouts (two attempts) use both permits; the fallback says why it failed last.
    assert_eq!(stacked(0).await, vec![Item("degraded: timeout".into())]);
    // No permit left: the first attempt is rate limited, and the retry waits its
    // `retry_after` for the next permit.
    let third = stacked(1).await;
    assert_eq!(third, vec![Item("ok 1".into())]);
}

// `()` results and `Box<dyn Error>` need nothing special.

fn log_and_continue(
    _e: Box<dyn std::error::Error + Send + Sync>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Ok(())
}

#[fallback(log_and_continue)]
#[timeout(10ms)]
async fn fire_and_forget() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn boxed_errors_work() {
    fire_and_forget().await.unwrap();
}

// `#[async_trait]` methods: the receiver async-trait moved into `__self` is passed on.

#[async_trait::async_trait]
trait Store {
    async fn load(&self, key: u32) -> Vec<Item>;
}

struct Remote {
    down: bool,
}

impl Remote {
    fn local_copy(&self, key: u32, e: Error) -> Vec<Item> {
        vec![Item(format!(
            "local {key} ({}, down: {})",
            e.kind(),
            self.down
        ))]
    }
}

#[async_trait::async_trait]
impl Store for Remote {
    #[fallback(Self::local_copy)]
    #[timeout(10ms)]
    async fn load(&self, key: u32) -> Vec<Item> {
        if self.down {
            sleep(Duration::from_secs(1)).await;
        }
        vec![Item(format!("remote {key}"))]
    }
}

#[tokio::test(start_paused = true)]
async fn async_trait_methods_pass_their_receiver() {
    assert_eq!(
        Remote { down: false }.load(1).await,
        vec![Item("remote 1".into())]
    );
    assert_eq!(
        Remote { down: true }.load(2).await,
        vec![Item("local 2 (timeout, down: true)".into())]
    );
}

// A generic function and a closure `when`.

fn zero<T: Default>(_: T, _e: ApiError) -> Result<T, ApiError> {
    Ok(T::default())
}

#[fallback(zero, when = |e: &ApiError| *e != ApiError::NotFound)]
async fn parse_or_zero<T: Default + std::str::FromStr>(value: T) -> Result<T, ApiError> {
    let _ = &value;
    Err(ApiError::Unavailable)
}

#[tokio::test]
async fn generic_functions_and_closure_predicates_work() {
    assert_eq!(parse_or_zero(5u32).await, Ok(0));
}

// No return type at all: the fallback returns `()` too.

static LOGGED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn log_it(_e: Error) {
    LOGGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

#[fallback(log_it)]
#[timeout(10ms)]
async fn notify() {
    sleep(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn a_unit_function_can_fall_back() {
    notify().await;
    assert_eq!(LOGGED.load(std::sync::atomic::Ordering::Relaxed), 1);
}

// A generic fallback: its error parameter is inferred from the error it is called with.

fn generic_default<E: std::fmt::Display>(user: u32, error: E) -> Vec<String> {
    vec![format!("default for {user} ({error})")]
}

#[fallback(generic_default)]
#[timeout(10ms)]
async fn generic_fallback(user: u32) -> Vec<String> {
    sleep(Duration::from_secs(1)).await;
    vec![format!("fresh for {user}")]
}

#[tokio::test(start_paused = true)]
async fn a_generic_fallback_is_inferred() {
    let out = generic_fallback(3).await;
    assert_eq!(out.len(), 1);
    assert!(out[0].starts_with("default for 3 ("), "{out:?}");
}
