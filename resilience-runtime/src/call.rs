//! The per-function part of an expansion: how long each call of an annotated fn takes, all
//! layers included (`resilience_call_duration_seconds{name}`, feature `metrics`).
//!
//! Without the feature both types are empty and cost nothing.

use crate::label::{FnLabel, Name};

/// The per-function state of an annotated fn, held in a `static` the macro generates; `name`
/// is the first explicit `name = ".."` of its attributes, else `module::fn`.
///
/// ```
/// use resilience_runtime::call::CallSite;
/// static CALL: CallSite = CallSite::new("docs::quote");
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let _timer = CALL.start(); // records the call's duration when dropped (feature `metrics`)
/// # }
/// ```
#[derive(Debug)]
pub struct CallSite {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    name: Name,
    #[cfg(feature = "metrics")]
    duration: std::sync::OnceLock<crate::instruments::CallDuration>,
}

impl CallSite {
    /// The state of a function labelled `name`.
    pub const fn new(name: &'static str) -> Self {
        CallSite {
            name: Name::Fixed(name),
            #[cfg(feature = "metrics")]
            duration: std::sync::OnceLock::new(),
        }
    }

    /// The site of a method whose default label names its type (see [`FnLabel`]).
    pub const fn of_method(mut self, label: &'static FnLabel) -> Self {
        self.name = Name::Method(label);
        self
    }

    /// Starts timing one call; the duration is recorded when the returned guard is dropped,
    /// whether the call returned, was cancelled or panicked.
    #[inline]
    pub fn start(&'static self) -> CallTimer {
        CallTimer {
            #[cfg(feature = "metrics")]
            started: tokio::time::Instant::now(),
            #[cfg(feature = "metrics")]
            duration: self
                .duration
                .get_or_init(|| crate::instruments::CallDuration::new(self.name.get())),
        }
    }
}

/// Times one call of an annotated fn; see [`CallSite::start`].
#[derive(Debug)]
#[must_use = "the call is timed until this is dropped"]
pub struct CallTimer {
    #[cfg(feature = "metrics")]
    started: tokio::time::Instant,
    #[cfg(feature = "metrics")]
    duration: &'static crate::instruments::CallDuration,
}

#[cfg(feature = "metrics")]
impl Drop for CallTimer {
    fn drop(&mut self) {
        self.duration.record(self.started.elapsed());
    }
}
