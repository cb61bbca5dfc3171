//! Metric handles (feature `metrics`, on the [`metrics`](https://docs.rs/metrics) facade).
//!
//! Each policy instance registers its handles once, when it is created on its first call, so a
//! call only bumps atomics: no label is built and nothing is looked up per call. Install the
//! recorder (e.g. `metrics-exporter-prometheus`) before the first resilient call; handles
//! registered before any recorder exists stay no-ops. Without the feature every type here is
//! empty and every method does nothing.
//!
//! | metric | type | labels | recorded |
//! |---|---|---|---|
//! | `resilience_calls_total` | counter | `name`, `kind`, `outcome` | once per call by each layer |
//! | `resilience_retries_total` | counter | `name` | once per retry |
//! | `resilience_hedges_total` | counter | `name` | once per hedge started |
//! | `resilience_circuit_state` | gauge | `name` | 0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled |
//! | `resilience_bulkhead_available` | gauge | `name` | free places, after each take and release |
//! | `resilience_call_duration_seconds` | histogram | `name` | once per call of an annotated fn |
//!
//! `kind` is the layer: `retry`, `timeout`, `circuit_breaker`, `bulkhead`, `rate_limit` or
//! `chaos` (which counts only its injected faults, as `rejected`). `outcome` is `success` (the layer passed on an `Ok`), `failure` (it passed on an
//! error: the function's own, or one from a layer beneath) or `rejected` (the layer itself
//! failed the call: circuit open, bulkhead full, rate limited, timed out, fault injected).

#[cfg(feature = "metrics")]
use metrics::{Counter, Gauge, Histogram};

/// `resilience_calls_total{name, kind, outcome}` for one layer of one policy instance.
#[derive(Debug, Clone)]
pub(crate) struct CallCounters {
    #[cfg(feature = "metrics")]
    success: Counter,
    #[cfg(feature = "metrics")]
    failure: Counter,
    #[cfg(feature = "metrics")]
    rejected: Counter,
}

impl CallCounters {
    /// Registers the three outcomes of layer `kind` named `name`.
    pub(crate) fn new(name: &'static str, kind: &'static str) -> Self {
        #[cfg(feature = "metrics")]
        {
            describe();
            let counter = |outcome: &'static str| metrics::counter!(CALLS, "name" => name, "kind" => kind, "outcome" => outcome);
            CallCounters {
                success: counter("success"),
                failure: counter("failure"),
                rejected: counter("rejected"),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = (name, kind);
            CallCounters {}
        }
    }

    /// The layer passed on a result: `ok` or an error.
    #[inline]
    pub(crate) fn passed(&self, ok: bool) {
        #[cfg(feature = "metrics")]
        if ok {
            self.success.increment(1);
        } else {
            self.failure.increment(1);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = ok;
    }

    /// The layer failed the call itself.
    #[inline]
    pub(crate) fn rejected(&self) {
        #[cfg(feature = "metrics")]
        self.rejected.increment(1);
    }
}

/// `#[chaos]` failed a call: `resilience_calls_total{name, kind="chaos", outcome="rejected"}`.
/// Chaos has no per-callsite state, and this runs only on an injected fault (chaos switched
/// on), so the handle is looked up here rather than kept.
#[cfg(feature = "chaos")]
#[cold]
pub(crate) fn fault_injected(name: &'static str) {
    #[cfg(feature = "metrics")]
    {
        describe();
        metrics::counter!(CALLS, "name" => name, "kind" => "chaos", "outcome" => "rejected")
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = name;
}

/// A counter with one `name` label (`resilience_retries_total`).
#[derive(Debug, Clone)]
pub(crate) struct NamedCounter {
    #[cfg(feature = "metrics")]
    counter: Counter,
}

impl NamedCounter {
    /// `resilience_retries_total{name}`.
    pub(crate) fn retries(name: &'static str) -> Self {
        #[cfg(feature = "metrics")]
        {
            describe();
            NamedCounter {
                counter: metrics::counter!(RETRIES, "name" => name),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = name;
            NamedCounter {}
        }
    }

    /// `resilience_hedges_total{name}`.
    pub(crate) fn hedges(name: &'static str) -> Self {
        #[cfg(feature = "metrics")]
        {
            describe();
            NamedCounter {
                counter: metrics::counter!(HEDGES, "name" => name),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = name;
            NamedCounter {}
        }
    }

    #[inline]
    pub(crate) fn increment(&self) {
        #[cfg(feature = "metrics")]
        self.counter.increment(1);
    }
}

/// A gauge with one `name` label.
#[derive(Debug, Clone)]
pub(crate) struct NamedGauge {
    #[cfg(feature = "metrics")]
    gauge: Gauge,
}

impl NamedGauge {
    /// `resilience_circuit_state{name}`.
    pub(crate) fn circuit_state(name: &'static str) -> Self {
        Self::new(CIRCUIT_STATE, name)
    }

    /// `resilience_bulkhead_available{name}`.
    pub(crate) fn bulkhead_available(name: &'static str) -> Self {
        Self::new(BULKHEAD_AVAILABLE, name)
    }

    fn new(metric: &'static str, name: &'static str) -> Self {
        #[cfg(feature = "metrics")]
        {
            describe();
            NamedGauge {
                gauge: metrics::gauge!(metric, "name" => name),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = (metric, name);
            NamedGauge {}
        }
    }

    #[inline]
    pub(crate) fn set(&self, value: usize) {
        #[cfg(feature = "metrics")]
        self.gauge.set(value as f64);
        #[cfg(not(feature = "metrics"))]
        let _ = value;
    }
}

/// `resilience_call_duration_seconds{name}`.
#[cfg(feature = "metrics")]
#[derive(Debug, Clone)]
pub(crate) struct CallDuration {
    #[cfg(feature = "metrics")]
    histogram: Histogram,
}

#[cfg(feature = "metrics")]
impl CallDuration {
    pub(crate) fn new(name: &'static str) -> Self {
        describe();
        CallDuration {
            histogram: metrics::histogram!(CALL_DURATION, "name" => name),
        }
    }

    pub(crate) fn record(&self, took: std::time::Duration) {
        self.histogram.record(took.as_secs_f64());
    }
}

#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const CALLS: &str = "resilience_calls_total";
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const RETRIES: &str = "resilience_retries_total";
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const HEDGES: &str = "resilience_hedges_total";
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const CIRCUIT_STATE: &str = "resilience_circuit_state";
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const BULKHEAD_AVAILABLE: &str = "resilience_bulkhead_available";
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
const CALL_DURATION: &str = "resilience_call_duration_seconds";

/// Describes every metric to the recorder, once.
#[cfg(feature = "metrics")]
fn describe() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use metrics::Unit;
        metrics::describe_counter!(CALLS, "Calls through a resilience layer, by outcome");
        metrics::describe_counter!(RETRIES, "Retries made (attempts after the first)");
        metrics::describe_counter!(HEDGES, "Hedges started (runs beside a slow call)");
        metrics::describe_gauge!(
            CIRCUIT_STATE,
            "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled"
        );
        metrics::describe_gauge!(BULKHEAD_AVAILABLE, "Free places in a bulkhead");
        metrics::describe_histogram!(
            CALL_DURATION,
            Unit::Seconds,
            "Duration of calls to a resilient function, all layers included"
        );
    });
}
