//! A retry retuned at run time (feature `config`): a call takes the configured values at its
//! first failure, over its attribute's, and keeps them for the rest of the call. A success
//! never looks (the hot path pays nothing), and a call already retrying keeps its values.

use super::stats::{KIND, RetryStats};
use super::{Backoff, Budget, Jitter, RetryPolicy};
use crate::config::{Change, Table, Value, change};
use crate::registry::lock;
use resilience_grammar::backoff::Backoff as WrittenBackoff;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The values configured for a retry name, over each call's attribute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct RetryOverrides {
    attempts: Option<u32>,
    backoff: Option<Backoff>,
    jitter: Option<Jitter>,
    max_elapsed: Option<Duration>,
}

impl RetryOverrides {
    /// `written` with these values over it.
    pub(crate) fn over(&self, written: &RetryPolicy) -> RetryPolicy {
        RetryPolicy {
            attempts: self.attempts.unwrap_or(written.attempts),
            backoff: self.backoff.unwrap_or(written.backoff),
            jitter: self.jitter.unwrap_or(written.jitter),
            max_elapsed: self.max_elapsed.or(written.max_elapsed),
            budget: written.budget,
        }
    }

    fn from_table(table: &Table) -> Self {
        let mut o = RetryOverrides::default();
        for (key, value) in table {
            match (key.as_str(), value) {
                ("attempts", Value::Count(n)) => o.attempts = Some(*n),
                ("backoff", Value::Backoff(b)) => o.backoff = Some(backoff(b)),
                ("jitter", Value::Jitter(j)) => o.jitter = Some(jitter(j)),
                ("max_elapsed", Value::Duration(d)) => o.max_elapsed = Some(*d),
                // `enabled = false`: one attempt, no retry.
                ("enabled", Value::Enabled(false)) => o.attempts = Some(1),
                _ => {}
            }
        }
        o
    }
}

/// A written backoff with the attribute's defaults (factor 2, at most 10 s).
fn backoff(b: &WrittenBackoff) -> Backoff {
    const MAX: Duration = Duration::from_secs(10);
    match *b {
        WrittenBackoff::None => Backoff::None,
        WrittenBackoff::Constant(d) => Backoff::constant(d),
        WrittenBackoff::Exponential { base, factor, max } => {
            Backoff::exponential(base, factor.unwrap_or(2.0), max.unwrap_or(MAX))
        }
        WrittenBackoff::Fibonacci { base, max } => Backoff::fibonacci(base, max.unwrap_or(MAX)),
    }
}

/// The value of `key` in `p`, as configuration writes it (`None`: off).
fn value_of(p: &RetryPolicy, key: &str) -> Option<Value> {
    Some(match key {
        "attempts" => Value::Count(p.attempts),
        "backoff" => Value::Backoff(match p.backoff {
            Backoff::None => WrittenBackoff::None,
            Backoff::Constant(d) => WrittenBackoff::Constant(d),
            Backoff::Exponential { base, factor, max } => WrittenBackoff::Exponential {
                base,
                factor: Some(factor),
                max: Some(max),
            },
            Backoff::Fibonacci { base, max } => WrittenBackoff::Fibonacci {
                base,
                max: Some(max),
            },
        }),
        "jitter" => Value::Jitter(match p.jitter {
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
            Jitter::None => "none",
        }),
        "max_elapsed" => Value::Duration(p.max_elapsed?),
        _ => return None,
    })
}

fn jitter(name: &str) -> Jitter {
    match name {
        "equal" => Jitter::Equal,
        "decorrelated" => Jitter::Decorrelated,
        "none" => Jitter::None,
        _ => Jitter::Full,
    }
}

/// What configuration set for a retry name (cold: apply, snapshot, and a call's first failure).
#[derive(Debug, Default)]
pub(crate) struct Settings {
    /// The values a call failing for the first time now takes, if any are configured.
    pub(crate) current: Option<RetryOverrides>,
    /// The policies configured calls have taken (an attribute's values with `current` over
    /// them), each kept for good so a call can hold it: one per distinct pair, at most
    /// `config::kept::MERGED` (1024).
    merged: crate::config::Kept<RetryPolicy>,
    /// The configured table, `key = value`, for the snapshot.
    pub(crate) configured: Vec<String>,
    /// The configured budget, if any.
    budget: Option<Budget>,
}

impl RetryStats {
    /// The policy a call with `written` takes at its first failure, if configuration sets any
    /// of its values: kept for good, so the call can hold it as its own.
    #[cold]
    pub(crate) fn configured_policy(&self, written: &RetryPolicy) -> Option<&'static RetryPolicy> {
        if !self.configured.load(Ordering::Relaxed) {
            return None;
        }
        let mut settings = lock(&self.settings);
        let policy = settings.current?.over(written);
        settings.merged.keep(policy, KIND, self.name())
    }

    /// Takes `table` for the calls that start from now (`None`: the attributes' values again).
    pub(crate) fn apply_config(&self, table: Option<&Table>) -> Vec<Change> {
        let mut settings = lock(&self.settings);
        let written = self.written_policy();
        let old = settings.current.unwrap_or_default();
        let new = table.map(RetryOverrides::from_table).unwrap_or_default();
        let mut changes = Vec::new();
        let (before, after) = (old.over(&written), new.over(&written));
        // `enabled` reads as itself (its effect, one attempt, follows as `attempts`).
        let off = |t: &[String]| t.iter().any(|kv| kv == "enabled = false");
        let (was_on, is_on) = (
            !off(&settings.configured),
            !off(&crate::config::shown_table(table)),
        );
        if was_on != is_on {
            changes.push(Change::new(KIND, self.name(), "enabled", was_on, is_on));
        }
        for key in ["attempts", "backoff", "jitter", "max_elapsed"] {
            let (from, to) = (value_of(&before, key), value_of(&after, key));
            changes.extend(change(KIND, self.name(), key, from, to));
        }
        changes.extend(self.budget.apply_config(
            (KIND, self.name()),
            table,
            &mut settings.budget,
            written.budget,
        ));
        settings.current = (new != RetryOverrides::default()).then_some(new);
        settings.configured = crate::config::shown_table(table);
        self.configured
            .store(settings.current.is_some(), Ordering::Relaxed);
        changes
    }
}
