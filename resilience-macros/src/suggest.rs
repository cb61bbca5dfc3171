//! "Did you mean …?" for unknown keys and values: the shared grammar's, so the runtime
//! configuration suggests the same words.

pub(crate) use resilience_grammar::suggest::{closest, hint};
