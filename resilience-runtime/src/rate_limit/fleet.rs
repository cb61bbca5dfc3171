//! A rate limit with `scope = fleet` (feature `redis`): each call asks Redis's GCRA script for
//! a permit (one round trip, at most `store_timeout`). When Redis fails, `on_store_error`
//! decides: `allow` admits by this process's own limiter (same rate and burst), `deny`
//! rejects. With no store connected, the limit is local (one warning).

use super::RateLimiter;
use crate::Error;
use crate::fleet::{OnStoreError, events, gcra, store};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::time::Instant;

/// A limiter's link to the fleet store.
#[derive(Debug, Default)]
pub(super) struct Remote {
    /// Its Redis key, made on the first fleet call.
    key: OnceLock<String>,
    /// The "no store connected" warning was logged.
    warned: AtomicBool,
    /// Calls that found the store failing.
    store_errors: AtomicU64,
}

impl RateLimiter {
    /// Takes a permit from the fleet's limit, waiting for it until `deadline`.
    pub(super) async fn acquire_fleet(&self, deadline: Instant) -> Result<(), Error> {
        let Some(store) = store::get() else {
            if !self.remote.warned.swap(true, Ordering::Relaxed) {
                events::no_store("rate_limit", self.name);
            }
            return self.acquire_local(deadline).await;
        };
        let policy = self.fleet.get();
        let key = self
            .remote
            .key
            .get_or_init(|| gcra::key(store.prefix(), self.name));
        let emission = gcra::emission_us(self.policy.count, self.policy.per);
        if store.skip_while_down() {
            return self.store_fallback(policy, deadline, None).await;
        }
        loop {
            match gcra::admit(
                store,
                key,
                emission,
                self.policy.burst,
                policy.store_timeout,
            )
            .await
            {
                Ok(None) => {
                    self.admitted.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Ok(Some(wait)) => {
                    if Instant::now() + wait > deadline {
                        return Err(self.refuse(wait));
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return self.store_fallback(policy, deadline, Some(e)).await,
            }
        }
    }

    /// A call the store could not answer (`error`), or that did not ask it since it is known
    /// to be down (`None`, an event at debug level: one per call would flood a log while the
    /// store is down): `on_store_error` decides.
    async fn store_fallback(
        &self,
        policy: crate::fleet::FleetPolicy,
        deadline: Instant,
        error: Option<crate::fleet::StoreError>,
    ) -> Result<(), Error> {
        self.remote.store_errors.fetch_add(1, Ordering::Relaxed);
        let fallback = policy.on_store_error.as_str();
        match error {
            Some(e) => events::store_error(self.name, "rate limit", fallback, &e.to_string()),
            None => events::store_down(self.name, "rate limit", fallback),
        }
        match policy.on_store_error {
            OnStoreError::Allow => self.acquire_local(deadline).await,
            OnStoreError::Deny => Err(self.refuse(policy.store_timeout)),
        }
    }

    /// Calls of this limiter that found the fleet store failing (each one decided by
    /// `on_store_error`).
    pub fn store_errors(&self) -> u64 {
        self.remote.store_errors.load(Ordering::Relaxed)
    }
}
