//! The attribute macros of [`resilience`](https://docs.rs/resilience): parsing and code
//! generation only. Each attribute parses its arguments into a checked config (`layers/`), the
//! first attribute on a function collects the others (`compose.rs`), and `expand.rs` writes one
//! expansion calling `::resilience::__private`. Use them through the `resilience` crate.
#![forbid(unsafe_code)]

mod args;
mod compose;
mod ctxt;
mod expand;
mod expand_sync;
mod item;
mod kind;
mod layers;
mod locals;
mod moves;
mod paths;
#[cfg(test)]
mod snapshots_test;
mod suggest;

use kind::Kind;
use proc_macro::TokenStream;

/// Retries the function after failures, with backoff and jitter. See the `resilience` crate.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::Retry, args.into(), item.into()).into()
}

/// Starts the body again beside a slow call and takes the first success. See the `resilience` crate.
#[proc_macro_attribute]
pub fn hedge(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::Hedge, args.into(), item.into()).into()
}

/// Cancels the call when its time is up. See the `resilience` crate.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::Timeout, args.into(), item.into()).into()
}

/// Opens after failures and rejects calls until the dependency recovers. See the `resilience` crate.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::CircuitBreaker, args.into(), item.into()).into()
}

/// Bounds how many calls run at once. See the `resilience` crate.
#[proc_macro_attribute]
pub fn bulkhead(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::Bulkhead, args.into(), item.into()).into()
}

/// Bounds how often the function is called (GCRA). See the `resilience` crate.
#[proc_macro_attribute]
pub fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::RateLimit, args.into(), item.into()).into()
}

/// Supplies a value when the layers beneath fail. See the `resilience` crate.
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::Fallback, args.into(), item.into()).into()
}

/// Injects faults and latency when switched on (feature `chaos`). See the `resilience` crate.
#[proc_macro_attribute]
pub fn chaos(args: TokenStream, item: TokenStream) -> TokenStream {
    compose::expand(Kind::Chaos, args.into(), item.into()).into()
}
