//! The resilience attributes, by name.

/// One resilience attribute. Declaration order here is the recommended stacking order
/// (outermost first), which the README explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Retry,
    Timeout,
}

impl Kind {
    pub(crate) const ALL: &'static [Kind] = &[Kind::Retry, Kind::Timeout];

    /// The attribute's name as written: `retry`, `timeout`, …
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Retry => "retry",
            Kind::Timeout => "timeout",
        }
    }

    /// The kind an attribute's last path segment names, if any.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }
}
