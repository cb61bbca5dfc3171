//! The Redis side of fleet breakers: their keys, their channel, the probe lease, and the
//! messages of other replicas. (The breaker side is `circuit_breaker/fleet.rs`.)
//!
//! * `<prefix>circuit_breaker:<name>:open`: set while the fleet is open, expiring with the
//!   open time; a replica that registers later reads it.
//! * `<prefix>circuit_breaker:<name>:lease`: the probe lease, `SET NX PX`; its holder's probes
//!   decide for the fleet.
//! * channel `<prefix>circuit_breaker`: `open <replica> <ms> <name>` and
//!   `closed <replica> <name>`.

use super::events;
use super::store::{self, Store, StoreError};
use crate::circuit_breaker::{BreakerPolicy, CircuitBreaker};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

/// Every breaker registered in this process (weakly held; a dropped per-key breaker leaves).
static ENLISTED: Mutex<Vec<Weak<CircuitBreaker>>> = Mutex::new(Vec::new());

/// The breakers' channel.
pub(crate) fn channel(prefix: &str) -> String {
    format!("{prefix}circuit_breaker")
}

fn open_key(prefix: &str, label: &str) -> String {
    format!("{prefix}circuit_breaker:{label}:open")
}

fn lease_key(prefix: &str, label: &str) -> String {
    format!("{prefix}circuit_breaker:{label}:lease")
}

/// How long a probe lease lasts: the breaker's first open time, between 100 ms and 30 s. A
/// holder that has not decided by then (no calls, or gone) lets another replica probe.
pub(crate) fn lease_for(policy: &BreakerPolicy) -> Duration {
    policy
        .open_for
        .after_failed_probes(0)
        .clamp(Duration::from_millis(100), Duration::from_secs(30))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

pub(crate) fn enlist(b: Weak<CircuitBreaker>) {
    let mut all = ENLISTED.lock().unwrap_or_else(PoisonError::into_inner);
    all.retain(|w| w.strong_count() > 0);
    all.push(b);
}

/// The fleet breakers labelled `label` (or all of them).
fn fleet_breakers(label: Option<&str>) -> Vec<Arc<CircuitBreaker>> {
    let all = ENLISTED.lock().unwrap_or_else(PoisonError::into_inner);
    all.iter()
        .filter_map(Weak::upgrade)
        .filter(|b| b.is_fleet() && label.is_none_or(|l| b.label() == l))
        .collect()
}

/// A message of the breakers' channel.
pub(crate) fn on_message(payload: &[u8]) {
    let Some(store) = store::get() else { return };
    let Ok(text) = std::str::from_utf8(payload) else {
        return;
    };
    let mut words = text.splitn(4, ' ');
    let (Some(what), Some(from)) = (words.next(), words.next()) else {
        return;
    };
    if from.parse::<u64>().ok() == Some(store.id()) {
        return;
    }
    match what {
        "open" => {
            let (Some(ms), Some(label)) = (words.next(), words.next()) else {
                return;
            };
            let Ok(ms) = ms.parse::<u64>() else { return };
            for b in fleet_breakers(Some(label)) {
                b.follow_open(Duration::from_millis(ms));
            }
        }
        "closed" => {
            let rest: Vec<&str> = words.collect();
            let label = rest.join(" ");
            for b in fleet_breakers(Some(&label)) {
                b.follow_close();
            }
        }
        _ => {}
    }
}

/// Reads the fleet's state of one breaker: open if the open key lives.
pub(crate) async fn sync_one(b: &Arc<CircuitBreaker>) {
    let Some(store) = store::get() else { return };
    let label = b.label();
    let key = open_key(store.prefix(), &label);
    let mut conn = store.conn();
    let timeout = b.fleet_policy().store_timeout;
    let mut ttl = redis::cmd("PTTL");
    ttl.arg(&key);
    match store.run(timeout, ttl.query_async::<i64>(&mut conn)).await {
        Ok(ms) if ms > 0 => b.follow_open(Duration::from_millis(ms.unsigned_abs())),
        Ok(_) => {}
        Err(e) => events::store_error(&label, "read open state", "local", &e.to_string()),
    }
}

/// After a reconnection: every fleet breaker reads the fleet's state again.
pub(crate) async fn resync_all() {
    for b in fleet_breakers(None) {
        sync_one(&b).await;
    }
}

/// Writes the open key (expiring with the open time), frees the lease, and publishes.
pub(crate) async fn publish_open(
    store: &Store,
    label: &str,
    open_for: Duration,
    timeout: Duration,
) {
    let ms = millis(open_for);
    let prefix = store.prefix();
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("SET")
        .arg(open_key(prefix, label))
        .arg(store.id())
        .arg("PX")
        .arg(ms)
        .ignore()
        .cmd("DEL")
        .arg(lease_key(prefix, label))
        .ignore()
        .cmd("PUBLISH")
        .arg(channel(prefix))
        .arg(format!("open {} {ms} {label}", store.id()))
        .ignore();
    let mut conn = store.conn();
    if let Err(e) = store.run(timeout, pipe.query_async::<()>(&mut conn)).await {
        events::store_error(label, "publish open", "local", &e.to_string());
    }
}

/// Removes the open key and the lease, and publishes the close.
pub(crate) async fn publish_closed(store: &Store, label: &str, timeout: Duration) {
    let prefix = store.prefix();
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("DEL")
        .arg(open_key(prefix, label))
        .arg(lease_key(prefix, label))
        .ignore()
        .cmd("PUBLISH")
        .arg(channel(prefix))
        .arg(format!("closed {} {label}", store.id()))
        .ignore();
    let mut conn = store.conn();
    if let Err(e) = store.run(timeout, pipe.query_async::<()>(&mut conn)).await {
        events::store_error(label, "publish closed", "local", &e.to_string());
    }
}

/// Asks for the probe lease for `lease`: `Ok(None)` held now, `Ok(Some(left))` held by
/// another replica for `left` more.
pub(crate) async fn try_lease(
    store: &Store,
    label: &str,
    lease: Duration,
    timeout: Duration,
) -> Result<Option<Duration>, StoreError> {
    let key = lease_key(store.prefix(), label);
    let mut pipe = redis::pipe();
    pipe.cmd("SET")
        .arg(&key)
        .arg(store.id())
        .arg("NX")
        .arg("PX")
        .arg(millis(lease))
        .cmd("PTTL")
        .arg(&key);
    let mut conn = store.conn();
    let (set, ttl): (Option<String>, i64) = store.run(timeout, pipe.query_async(&mut conn)).await?;
    Ok(match set {
        Some(_) => None,
        None => Some(Duration::from_millis(ttl.max(1).unsigned_abs())),
    })
}
