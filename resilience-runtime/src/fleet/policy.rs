//! Where an instance's state lives (`scope`), and what a fleet instance does when Redis fails
//! (`on_store_error`, `store_timeout`): the settings every build knows, with or without the
//! feature `redis`.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

/// Where a rate limiter's or breaker's state lives.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::fleet::Scope;
/// assert_eq!(Scope::default(), Scope::Local);
/// assert_eq!(Scope::Fleet.as_str(), "fleet");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum Scope {
    /// In this process only (the default).
    #[default]
    Local,
    /// Shared by name by every process connected to one Redis (feature `redis`).
    Fleet,
}

impl Scope {
    /// The word as written in attributes and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Local => "local",
            Scope::Fleet => "fleet",
        }
    }

    /// The scope of a checked word (`"local"` or `"fleet"`).
    pub fn from_word(word: &str) -> Option<Scope> {
        match word {
            "local" => Some(Scope::Local),
            "fleet" => Some(Scope::Fleet),
            _ => None,
        }
    }
}

/// What a fleet rate limit does with a call when Redis does not answer in time.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::fleet::OnStoreError;
/// assert_eq!(OnStoreError::default(), OnStoreError::Allow);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum OnStoreError {
    /// Admit by the local limiter's verdict (the default, as Envoy's global rate limit).
    #[default]
    Allow,
    /// Reject with [`Error::RateLimited`](crate::Error::RateLimited).
    Deny,
}

impl OnStoreError {
    /// The word as written in attributes and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            OnStoreError::Allow => "allow",
            OnStoreError::Deny => "deny",
        }
    }

    /// The choice of a checked word (`"allow"` or `"deny"`).
    pub fn from_word(word: &str) -> Option<OnStoreError> {
        match word {
            "allow" => Some(OnStoreError::Allow),
            "deny" => Some(OnStoreError::Deny),
            _ => None,
        }
    }
}

/// The fleet settings of one `#[rate_limit]` or `#[circuit_breaker]`.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::fleet::{FleetPolicy, Scope};
/// let p = FleetPolicy { scope: Scope::Fleet, ..FleetPolicy::LOCAL };
/// assert_eq!(p.store_timeout, std::time::Duration::from_millis(50));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FleetPolicy {
    /// Where the state lives.
    pub scope: Scope,
    /// A fleet rate limit's answer when Redis fails.
    pub on_store_error: OnStoreError,
    /// The longest a call waits on Redis.
    pub store_timeout: Duration,
}

impl FleetPolicy {
    /// The defaults: local, `on_store_error = allow`, `store_timeout = 50ms`.
    pub const LOCAL: FleetPolicy = FleetPolicy {
        scope: Scope::Local,
        on_store_error: OnStoreError::Allow,
        store_timeout: Duration::from_millis(50),
    };
}

impl Default for FleetPolicy {
    fn default() -> Self {
        FleetPolicy::LOCAL
    }
}

/// The effective fleet settings of one instance: the attribute's, or the configuration's by
/// name. Read with one `Relaxed` load (the scope) on a rate limit's call.
#[derive(Debug)]
pub(crate) struct FleetCell {
    /// The attribute's settings, which a configuration leaving a key out goes back to.
    #[cfg_attr(not(feature = "config"), allow(dead_code))]
    written: FleetPolicy,
    scope: AtomicU8,
    on_store_error: AtomicU8,
    store_timeout_ns: AtomicU64,
}

impl FleetCell {
    pub(crate) fn new(written: FleetPolicy) -> Self {
        let cell = FleetCell {
            written,
            scope: AtomicU8::new(0),
            on_store_error: AtomicU8::new(0),
            store_timeout_ns: AtomicU64::new(0),
        };
        cell.set(written);
        cell
    }

    /// Whether the instance is fleet-wide now.
    #[inline]
    pub(crate) fn is_fleet(&self) -> bool {
        self.scope.load(Ordering::Relaxed) == Scope::Fleet as u8
    }

    /// The settings in force.
    pub(crate) fn get(&self) -> FleetPolicy {
        FleetPolicy {
            scope: if self.is_fleet() {
                Scope::Fleet
            } else {
                Scope::Local
            },
            on_store_error: if self.on_store_error.load(Ordering::Relaxed)
                == OnStoreError::Deny as u8
            {
                OnStoreError::Deny
            } else {
                OnStoreError::Allow
            },
            store_timeout: Duration::from_nanos(self.store_timeout_ns.load(Ordering::Relaxed)),
        }
    }

    /// Puts `p` in force.
    pub(crate) fn set(&self, p: FleetPolicy) {
        self.on_store_error
            .store(p.on_store_error as u8, Ordering::Relaxed);
        self.store_timeout_ns.store(
            u64::try_from(p.store_timeout.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.scope.store(p.scope as u8, Ordering::Relaxed);
    }
}

#[cfg(feature = "config")]
impl FleetCell {
    /// Puts the fleet keys of `table` in force (the attribute's value for a key it leaves
    /// out); the changes, named `kind`/`name`.
    pub(crate) fn apply(
        &self,
        kind: &'static str,
        name: &'static str,
        table: Option<&crate::config::Table>,
    ) -> Vec<crate::config::Change> {
        use crate::config::{Change, Value};
        let get = |key: &str| table.and_then(|t| t.get(key));
        let before = self.get();
        let mut now = self.written;
        if let Some(Value::Word(w)) = get("scope") {
            now.scope = Scope::from_word(w).unwrap_or(now.scope);
        }
        if let Some(Value::Word(w)) = get("on_store_error") {
            now.on_store_error = OnStoreError::from_word(w).unwrap_or(now.on_store_error);
        }
        if let Some(Value::Duration(d)) = get("store_timeout") {
            now.store_timeout = *d;
        }
        let mut changes = Vec::new();
        if now.scope != before.scope {
            changes.push(Change::new(
                kind,
                name,
                "scope",
                before.scope.as_str(),
                now.scope.as_str(),
            ));
        }
        if now.on_store_error != before.on_store_error {
            changes.push(Change::new(
                kind,
                name,
                "on_store_error",
                before.on_store_error.as_str(),
                now.on_store_error.as_str(),
            ));
        }
        if now.store_timeout != before.store_timeout {
            let show = |d| resilience_grammar::duration::display(d);
            changes.push(Change::new(
                kind,
                name,
                "store_timeout",
                show(before.store_timeout),
                show(now.store_timeout),
            ));
        }
        self.set(now);
        changes
    }
}
