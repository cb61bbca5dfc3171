//! A breaker with `scope = fleet` (feature `redis`): calls are still counted here, so a closed
//! breaker's calls never touch Redis. Only transitions do:
//!
//! * opening here (from closed, or after failed probes) writes the open key (it expires with
//!   the open time) and publishes it; every other replica opens on the message;
//! * when the open time is up, each replica asks for the fleet's probe lease (`SET NX PX`):
//!   the one that gets it goes half-open, the others stay open until its verdict, which
//!   closes (or reopens) the breaker everywhere;
//! * a replica that registers later reads the open key;
//! * when Redis fails, the breaker goes on locally (it goes half-open by itself).

use super::{CircuitBreaker, CircuitState, Transition};
use crate::fleet::{breakers, events, store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// A breaker's link to the fleet.
#[derive(Debug, Default)]
pub(crate) struct Link {
    /// The breaker itself, for the tasks its transitions spawn (set when it registers).
    me: OnceLock<Weak<CircuitBreaker>>,
    /// A task is waiting for the open time to end, then asks for the probe lease.
    lease_task: AtomicBool,
    /// The "no store connected" warning was logged.
    warned: AtomicBool,
}

impl CircuitBreaker {
    /// Whether it is fleet-wide now (attribute or configuration).
    pub(crate) fn is_fleet(&self) -> bool {
        self.fleet.is_fleet()
    }

    fn store_timeout(&self) -> Duration {
        self.fleet.get().store_timeout
    }

    /// The connected store, or `None` (and one warning per breaker) when there is none.
    fn store(&self) -> Option<&'static store::Store> {
        let s = store::get();
        if s.is_none() && !self.link.warned.swap(true, Ordering::Relaxed) {
            events::no_store("circuit_breaker", &self.label());
        }
        s
    }

    /// Registration: keeps a weak reference for the fleet's messages, and reads the fleet's
    /// state when the breaker is fleet-wide (a replica that starts while the fleet is open
    /// opens too).
    pub(crate) fn enlist(self: &Arc<Self>) {
        if self.link.me.set(Arc::downgrade(self)).is_err() {
            return;
        }
        breakers::enlist(Arc::downgrade(self));
        self.fleet_scope_changed();
    }

    /// Scope set to fleet (at registration, or by configuration): read the fleet's state.
    pub(crate) fn fleet_scope_changed(&self) {
        if !self.is_fleet() {
            self.machine.hold_probes(false);
            return;
        }
        let Some(store) = self.store() else { return };
        let Some(me) = self.link.me.get().and_then(Weak::upgrade) else {
            return;
        };
        store.spawn(async move { breakers::sync_one(&me).await });
    }

    /// A transition made here: published when the breaker is fleet-wide. Never inlined, so
    /// the closed path's code is the same with the feature as without it.
    #[cold]
    #[inline(never)]
    pub(crate) fn publish(&self, t: &Transition) {
        if !self.is_fleet() {
            return;
        }
        let opened = t.to == CircuitState::Open;
        let closed = t.from == CircuitState::HalfOpen && t.to == CircuitState::Closed;
        if !opened && !closed {
            return;
        }
        let Some(store) = self.store() else { return };
        let (label, timeout) = (self.label(), self.store_timeout());
        if opened {
            // Hold probes until this replica has the lease (or the store fails).
            self.machine.hold_probes(true);
            let open_for = self.open_left();
            store.spawn(async move {
                breakers::publish_open(store, &label, open_for, timeout).await;
            });
            self.watch_open_time();
        } else {
            store.spawn(async move { breakers::publish_closed(store, &label, timeout).await });
        }
    }

    /// Opens for `open_for` because another replica did (or the open key says so).
    pub(crate) fn follow_open(&self, open_for: Duration) {
        self.machine.hold_probes(true);
        if self
            .machine
            .follow_open(self.clock(), open_for, self.followed())
        {
            events::followed(&self.label(), "open", Some(open_for));
        }
        self.watch_open_time();
    }

    /// Closes because another replica's probes succeeded.
    pub(crate) fn follow_close(&self) {
        if self.machine.follow_close(self.clock(), self.followed()) {
            events::followed(&self.label(), "closed", None);
        }
    }

    /// Telemetry of a transition another replica made (not published again).
    fn followed(&self) -> impl Fn(&Transition) + '_ {
        move |t: &Transition| {
            self.state_gauge.set(t.to as usize);
            crate::telemetry::circuit_transition(self.name(), self.key.as_ref(), t)
        }
    }

    /// The breaker's clock, as `now()` reads it (a copy, so the closed path's inlining of
    /// `now()` is the same with the feature as without it).
    fn clock(&self) -> u64 {
        u64::try_from(
            tokio::time::Instant::now()
                .saturating_duration_since(self.origin)
                .as_nanos(),
        )
        .unwrap_or(u64::MAX)
    }

    /// The open time left.
    fn open_left(&self) -> Duration {
        Duration::from_nanos(self.machine.open_until().saturating_sub(self.clock()))
    }

    /// Starts the task that asks for the probe lease when the open time is up (unless one
    /// runs).
    fn watch_open_time(&self) {
        let (Some(store), Some(me)) = (store::get(), self.link.me.get().and_then(Weak::upgrade))
        else {
            // Not registered (or no store): the breaker goes half-open by itself.
            self.machine.hold_probes(false);
            return;
        };
        if self.link.lease_task.swap(true, Ordering::AcqRel) {
            return;
        }
        store.spawn(async move { me.ask_for_lease(store).await });
    }

    /// Waits for the open time to end, then asks for the probe lease: held, this replica goes
    /// half-open; taken by another, it waits for that lease to lapse (or a verdict to come);
    /// the store failing, it goes half-open locally.
    async fn ask_for_lease(self: Arc<Self>, store: &'static store::Store) {
        loop {
            if self.state() != CircuitState::Open || !self.is_fleet() {
                self.link.lease_task.store(false, Ordering::Release);
                // A transition to open may have found the task still running: look again.
                if self.state() == CircuitState::Open
                    && self.is_fleet()
                    && !self.link.lease_task.swap(true, Ordering::AcqRel)
                {
                    continue;
                }
                if !self.is_fleet() {
                    self.machine.hold_probes(false);
                }
                return;
            }
            let left = self.open_left();
            if !left.is_zero() {
                tokio::time::sleep(left).await;
                continue;
            }
            let label = self.label();
            let lease = breakers::lease_for(&self.policy());
            match breakers::try_lease(store, &label, lease, self.store_timeout()).await {
                Ok(None) => {
                    events::lease(&label, true);
                    self.machine.hold_probes(false);
                    self.link.lease_task.store(false, Ordering::Release);
                    return;
                }
                Ok(Some(taken_for)) => {
                    events::lease(&label, false);
                    tokio::time::sleep(taken_for.max(Duration::from_millis(1))).await;
                }
                Err(e) => {
                    events::store_error(&label, "probe lease", "local", &e.to_string());
                    self.machine.hold_probes(false);
                    self.link.lease_task.store(false, Ordering::Release);
                    return;
                }
            }
        }
    }
}
