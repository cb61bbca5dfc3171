//! The policies configured calls hold: an attribute's values with the configured ones over
//! them, each kept for good so that a call can hold it as a `&'static` (retry and hedge read
//! configuration off the fast path and keep what they read to the end of the call).

/// The most policies a name keeps; past it (an attribute whose values are expressions taking
/// very many values), a call keeps its attribute's values.
pub(crate) const MERGED: usize = 1024;

/// The merged policies of one name, at most [`MERGED`].
#[derive(Debug)]
pub(crate) struct Kept<P: 'static>(Vec<&'static P>);

impl<P> Default for Kept<P> {
    fn default() -> Self {
        Kept(Vec::new())
    }
}

impl<P: PartialEq> Kept<P> {
    /// `policy` as a `&'static`: the one kept already, or a new one (one small allocation per
    /// distinct policy); `None` past [`MERGED`], logged as `kind` and `name`'s.
    pub(crate) fn keep(&mut self, policy: P, kind: &'static str, name: &str) -> Option<&'static P> {
        if let Some(kept) = self.0.iter().find(|p| ***p == policy) {
            return Some(kept);
        }
        if self.0.len() >= MERGED {
            crate::telemetry::config_not_taken(kind, name, MERGED);
            return None;
        }
        let kept: &'static P = Box::leak(Box::new(policy));
        self.0.push(kept);
        Some(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::{Kept, MERGED};

    #[test]
    fn one_kept_per_distinct_policy_up_to_the_limit() {
        let mut kept = Kept::default();
        let a = kept.keep(1u32, "retry", "docs").unwrap();
        assert!(std::ptr::eq(a, kept.keep(1, "retry", "docs").unwrap()));
        for n in 2..=MERGED as u32 {
            assert!(kept.keep(n, "retry", "docs").is_some());
        }
        assert_eq!(kept.keep(MERGED as u32 + 1, "retry", "docs"), None);
        assert_eq!(
            kept.keep(7, "retry", "docs"),
            Some(&7),
            "a kept one is still found"
        );
    }
}
