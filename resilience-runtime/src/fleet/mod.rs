//! Fleet-wide rate limits and circuit breakers on Redis (SPEC §15; the store needs the feature
//! `redis`).
//!
//! A limit of 100/s on a service with 20 replicas lets 2,000/s reach the dependency, and each
//! replica learns of an outage only through its own failures. Connect a fleet store once per
//! process, and `scope = fleet` shares a limiter's or breaker's state by name with every
//! process connected to the same Redis:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn start() -> Result<(), resilience_runtime::fleet::ConnectError> {
//! resilience_runtime::fleet::connect("redis://127.0.0.1:6379").await?;
//! # Ok(()) }
//! ```
//!
//! * **Rate limit** (`#[rate_limit(rate = 1000/1s, scope = fleet)]`): GCRA evaluated
//!   atomically in Redis by one Lua script on the server's clock; whatever the number of
//!   replicas, the fleet admits at most `rate × t + burst` over any interval t. A call costs
//!   one round trip (`EVALSHA`).
//! * **Circuit breaker** (`#[circuit_breaker(name = "payments", scope = fleet)]`): calls are
//!   counted locally (a closed breaker makes no round trip); opening is written to Redis and
//!   published, and every connected replica opens on the message; when the open time is up,
//!   one replica at a time holds the probe lease, and its verdict closes or reopens the
//!   breaker everywhere.
//! * **Redis failing never fails a call by itself.** No call waits on it longer than
//!   `store_timeout` (default 50 ms). A fleet rate limit then admits by the local limiter's
//!   verdict (`on_store_error = allow`, the default) or rejects (`deny`); a fleet breaker goes
//!   on locally. Each fallback and reconnection is a `tracing` event and counts in
//!   [`status`] (and in the registry's snapshot, `fleet.store_errors`).
//! * With no store connected, `scope = fleet` runs locally and logs one warning per name.

mod policy;

pub(crate) use policy::FleetCell;
pub use policy::{FleetPolicy, OnStoreError, Scope};

#[cfg(feature = "redis")]
pub(crate) mod breakers;
#[cfg(feature = "redis")]
pub(crate) mod events;
#[cfg(feature = "redis")]
pub(crate) mod gcra;
#[cfg(feature = "redis")]
pub(crate) mod store;

#[cfg(feature = "redis")]
pub use store::{ConnectError, StoreError};

/// The key prefix when none is given: `resilience:`.
pub const DEFAULT_PREFIX: &str = "resilience:";

/// Connects this process's fleet store, once, with the key prefix `resilience:`.
///
/// Uses the `redis` crate's async connection manager, which reconnects by itself; call it
/// inside the tokio runtime the service runs on.
///
/// ```no_run
/// # use resilience_runtime as resilience;
/// # async fn start() -> Result<(), resilience::fleet::ConnectError> {
/// resilience::fleet::connect("redis://127.0.0.1:6379").await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "redis")]
pub async fn connect(url: &str) -> Result<(), ConnectError> {
    connect_with_prefix(url, DEFAULT_PREFIX).await
}

/// [`connect`], with every key and channel under `prefix` (so several services, or tests,
/// share one Redis without seeing each other's limits).
///
/// ```no_run
/// # use resilience_runtime as resilience;
/// # async fn start() -> Result<(), resilience::fleet::ConnectError> {
/// resilience::fleet::connect_with_prefix("redis://127.0.0.1:6379", "checkout:").await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "redis")]
pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<(), ConnectError> {
    store::Store::connect(url, prefix.to_owned()).await?;
    // Breakers registered before the store: read the fleet's state now.
    breakers::resync_all().await;
    Ok(())
}

/// Sends `PING` to the fleet store through the process's one connection, waiting at most
/// `timeout`: a health check, and the round trip a fleet call is measured against.
///
/// ```no_run
/// # use resilience_runtime as resilience;
/// # async fn check() {
/// use std::time::Duration;
/// match resilience::fleet::ping(Duration::from_millis(50)).await {
///     Ok(()) => println!("fleet store up"),
///     Err(e) => println!("fleet store down: {e}"),
/// }
/// # }
/// ```
#[cfg(feature = "redis")]
pub async fn ping(timeout: std::time::Duration) -> Result<(), StoreError> {
    let store = store::get().ok_or(StoreError::NotConnected)?;
    let mut conn = store.conn();
    let ping = redis::cmd("PING");
    store.run(timeout, ping.query_async::<()>(&mut conn)).await
}

/// The fleet store as this process sees it.
///
/// ```
/// # use resilience_runtime as resilience;
/// let s = resilience::fleet::status();
/// if !s.connected { println!("fleet scope runs locally"); }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FleetStatus {
    /// Whether [`connect`] has succeeded in this process.
    pub connected: bool,
    /// Whether the last command to the store was answered.
    pub healthy: bool,
    /// Commands that failed or timed out, each one a fallback to local state.
    pub store_errors: u64,
    /// Times the store answered again after failing.
    pub reconnects: u64,
}

/// The fleet store's status: connected, healthy, `store_errors`, `reconnects`.
pub fn status() -> FleetStatus {
    #[cfg(feature = "redis")]
    if let Some(s) = store::get() {
        return FleetStatus {
            connected: true,
            healthy: s.is_healthy(),
            store_errors: s.errors(),
            reconnects: s.reconnects(),
        };
    }
    FleetStatus::default()
}
