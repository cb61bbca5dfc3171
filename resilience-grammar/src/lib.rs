//! The words of the `resilience` attributes, in one place: how a value is spelled (`800ms`,
//! `40%`, `100/1s`, `exponential(50ms, max = 2s)`), which values are allowed, which keys each
//! kind takes, and the messages that say what to write instead.
//!
//! The macros call it at compile time (and span the message on the token at fault); the
//! runtime configuration calls it when it reads a TOML file or the environment. So a value the
//! attribute rejects is rejected at run time with the same words.
//!
//! ```
//! use resilience_grammar::{duration, share};
//! assert_eq!(duration::parse("800ms", "timeout"), Ok(std::time::Duration::from_millis(800)));
//! assert_eq!(share::parse("40%", "failure_rate"), Ok(0.4));
//! assert_eq!(
//!     share::parse("150%", "failure_rate").unwrap_err(),
//!     "`failure_rate` must be between 0% and 100% (0.0 and 1.0); got 150%"
//! );
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod backoff;
pub mod count;
pub mod duration;
pub mod hedge;
pub mod keys;
pub mod rate;
pub mod rules;
pub mod share;
pub mod suggest;

/// What is wrong with a value, in the words shown to the user (compile error or `ConfigError`).
pub type Problem = String;
