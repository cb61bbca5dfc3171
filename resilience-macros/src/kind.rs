//! The resilience attributes, by name.

/// One resilience attribute. Declaration order here is the recommended stacking order
/// (outermost first), which the README explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Fallback,
    Retry,
    Hedge,
    CircuitBreaker,
    RateLimit,
    Timeout,
    Bulkhead,
    Chaos,
}

impl Kind {
    pub(crate) const ALL: &'static [Kind] = &[
        Kind::Fallback,
        Kind::Retry,
        Kind::Hedge,
        Kind::CircuitBreaker,
        Kind::RateLimit,
        Kind::Timeout,
        Kind::Bulkhead,
        Kind::Chaos,
    ];

    /// The attribute's name as written: `retry`, `timeout`, …
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Fallback => "fallback",
            Kind::Retry => "retry",
            Kind::Hedge => "hedge",
            Kind::CircuitBreaker => "circuit_breaker",
            Kind::RateLimit => "rate_limit",
            Kind::Timeout => "timeout",
            Kind::Bulkhead => "bulkhead",
            Kind::Chaos => "chaos",
        }
    }

    /// The kind an attribute's last path segment names, if any.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }
}
