//! The one connection to Redis of a process: the `redis` crate's connection manager, which
//! reconnects by itself. It speaks RESP3, so the same connection carries the commands and the
//! breakers' pub/sub channel (resubscribed after a reconnection).
//!
//! Every command goes through [`Store::run`]: bounded by the caller's `store_timeout`,
//! counted in `store_errors` when it fails, and the first answer after a failure is a
//! reconnection (an event, a count, and the breakers re-read their fleet state).

use super::events;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, RedisResult};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// The store of this process, once [`connect`](super::connect) has succeeded.
static STORE: OnceLock<Store> = OnceLock::new();

/// The connected store, if any.
#[inline]
pub(crate) fn get() -> Option<&'static Store> {
    STORE.get()
}

/// Why [`connect`](super::connect) failed.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::fleet::ConnectError;
/// assert!(ConnectError::AlreadyConnected.to_string().contains("once per process"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL does not read as a Redis URL.
    BadUrl(String),
    /// Redis did not answer (the message says why).
    Unreachable(String),
    /// A store is connected already: the fleet store is connected once per process.
    AlreadyConnected,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::BadUrl(e) => write!(
                f,
                "the fleet store's URL is not a Redis URL ({e}); write `redis://host:6379`"
            ),
            ConnectError::Unreachable(e) => write!(
                f,
                "could not connect to the fleet store ({e}); is Redis running at that address?"
            ),
            ConnectError::AlreadyConnected => f.write_str(
                "a fleet store is connected already: `resilience::fleet::connect` is called once per process",
            ),
        }
    }
}

impl std::error::Error for ConnectError {}

/// Why one command to the fleet store failed.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::fleet::StoreError;
/// assert!(StoreError::NotConnected.to_string().contains("connect"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// No answer within the caller's `store_timeout`.
    Timeout(Duration),
    /// Redis (or the connection) answered with an error.
    Redis(String),
    /// No store is connected in this process.
    NotConnected,
}

impl std::error::Error for StoreError {}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Timeout(d) => write!(f, "no answer within {d:?}"),
            StoreError::Redis(e) => f.write_str(e),
            StoreError::NotConnected => f.write_str(
                "no fleet store is connected: call `resilience::fleet::connect(url)` first",
            ),
        }
    }
}

/// The connection and what the process knows about it.
pub(crate) struct Store {
    conn: ConnectionManager,
    prefix: String,
    /// This process's id in published messages, so it skips its own.
    id: u64,
    /// The runtime `connect` ran on: a transition of a sync callsite spawns its publication
    /// here.
    runtime: tokio::runtime::Handle,
    errors: AtomicU64,
    reconnects: AtomicU64,
    healthy: AtomicBool,
    /// When the store stopped answering (while unhealthy).
    down_since: Mutex<Option<Instant>>,
    /// A task is asking the store whether it is back.
    probing: AtomicBool,
    /// While the store is down: when (ms since `origin`) a call may ask it again.
    next_try_ms: AtomicU64,
    origin: Instant,
}

/// While the store is down, at most one call per this much asks it (the others decide by
/// `on_store_error` at once, instead of each waiting `store_timeout`).
const DOWN_RETRY: Duration = Duration::from_millis(100);

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("prefix", &self.prefix)
            .field("id", &self.id)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects the process's store; fails if one is connected already.
    pub(crate) async fn connect(url: &str, prefix: String) -> Result<&'static Store, ConnectError> {
        if STORE.get().is_some() {
            return Err(ConnectError::AlreadyConnected);
        }
        let info = url
            .into_connection_info()
            .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let info = info.set_redis_settings(settings);
        let client = redis::Client::open(info).map_err(|e| ConnectError::BadUrl(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(200))
            .set_automatic_resubscription()
            .set_push_sender(on_push);
        let mut conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
        let channel = super::breakers::channel(&prefix);
        conn.subscribe(&channel)
            .await
            .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
        let store = Store {
            conn,
            prefix,
            id: fastrand::u64(1..),
            runtime: tokio::runtime::Handle::current(),
            errors: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
            down_since: Mutex::new(None),
            probing: AtomicBool::new(false),
            next_try_ms: AtomicU64::new(0),
            origin: Instant::now(),
        };
        STORE
            .set(store)
            .map_err(|_| ConnectError::AlreadyConnected)?;
        Ok(STORE.get().expect("set just above"))
    }

    /// A handle on the connection for one command (a clone shares the one connection).
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The key prefix (`resilience:` unless set).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// This process's id in messages.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Spawns `task` on the runtime the store was connected on.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// Runs one command, waiting at most `timeout`; counts a failure.
    pub(crate) async fn run<T>(
        &self,
        timeout: Duration,
        command: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let error = match tokio::time::timeout(timeout, command).await {
            Ok(Ok(v)) => {
                self.answered();
                return Ok(v);
            }
            Ok(Err(e)) => StoreError::Redis(e.to_string()),
            Err(_) => StoreError::Timeout(timeout),
        };
        self.failed();
        Err(error)
    }

    /// Store errors so far (each one a fallback).
    pub(crate) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Reconnections noticed so far.
    pub(crate) fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    /// Whether the last command was answered.
    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Whether a call should not ask the store now: it is known to be down, and another call
    /// asked it less than [`DOWN_RETRY`] ago. (A background probe, and that one call per
    /// `DOWN_RETRY`, notice its return.) A call that skips decides by `on_store_error` at once.
    pub(crate) fn skip_while_down(&self) -> bool {
        if self.is_healthy() {
            return false;
        }
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        let next = self.next_try_ms.load(Ordering::Relaxed);
        if now < next {
            return true;
        }
        let retry = u64::try_from(DOWN_RETRY.as_millis()).unwrap_or(u64::MAX);
        // One call wins the right to ask; the others skip.
        self.next_try_ms
            .compare_exchange(
                next,
                now.saturating_add(retry),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
    }

    #[inline]
    fn answered(&self) {
        if !self.healthy.load(Ordering::Relaxed) {
            self.back();
        }
    }

    /// The first answer after a failure: a reconnection.
    #[cold]
    fn back(&self) {
        if self.healthy.swap(true, Ordering::AcqRel) {
            return;
        }
        let since = self
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.reconnects.fetch_add(1, Ordering::Relaxed);
        events::reconnected(since.map_or(Duration::ZERO, |s| s.elapsed()));
        self.spawn(super::breakers::resync_all());
    }

    #[cold]
    fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.down();
    }

    /// The store stopped answering: note when, and ask it until it is back (so a process
    /// with no traffic notices the reconnection too).
    #[cold]
    fn down(&self) {
        if self.healthy.swap(false, Ordering::AcqRel) {
            *self
                .down_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        }
        if !self.probing.swap(true, Ordering::AcqRel) {
            self.spawn(probe_until_back());
        }
    }
}

/// PINGs the store every 100 ms until it answers (the connection manager reconnects on the
/// way); not counted as store errors.
async fn probe_until_back() {
    let Some(store) = get() else { return };
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut conn = store.conn();
        let ping = redis::cmd("PING");
        let answer = ping.query_async::<String>(&mut conn);
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), answer).await {
            store.probing.store(false, Ordering::Release);
            store.answered();
            return;
        }
    }
}

/// What the connection pushes: messages on the breakers' channel, and its own disconnection.
fn on_push(push: PushInfo) -> Result<(), redis::aio::SendError> {
    match push.kind {
        PushKind::Message => {
            if let [_channel, redis::Value::BulkString(payload)] = push.data.as_slice() {
                super::breakers::on_message(payload);
            }
        }
        PushKind::Disconnection => {
            if let Some(store) = get() {
                events::disconnected();
                store.down();
            }
        }
        _ => {}
    }
    Ok(())
}
