//! What differs for a plain `fn`: its body runs as a closure called on the spot (so `return`
//! and `?` leave the body only, as they leave an `async` block), and the layers that wait
//! block the thread through their `*_blocking` fronts, with one `BlockingSite` per callsite
//! for the "blocking a tokio worker" warning. The layers' settings, statics and checks are the
//! async ones: a sync and an async callsite with one `name` share one instance.
//!
//! Input:  `#[retry(attempts = 4)] #[bulkhead] fn f(x: u32) -> io::Result<u32> { body }`
//! Output:
//! ```text
//! fn f(x: u32) -> io::Result<u32> {
//!     static __RESILIENCE_BLOCKING: BlockingSite = BlockingSite::new("m::f");
//!     let mut __resilience_retry = __RESILIENCE_RETRY.begin(&const { .. });
//!     loop {
//!         let r = __RESILIENCE_BULKHEAD.call_blocking(DEFAULT, &__RESILIENCE_BLOCKING, || {
//!             lift(run_body(|| { body }))
//!         });
//!         match __resilience_retry.decide(r, retry_every_error) {
//!             Break(r) => break r,
//!             Continue(delay) => __resilience_retry.wait_blocking(delay, &__RESILIENCE_BLOCKING),
//!         }
//!     }
//! }
//! ```

use crate::ctxt::Ctxt;
use crate::kind::Kind;
use crate::layers::{Gen, Layer};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

/// Attributes that cannot go on a plain `fn`, each spanned on its attribute.
pub(crate) fn check(cx: &Ctxt, kinds: &[(Kind, Span)]) {
    for (kind, span) in kinds {
        if *kind == Kind::Timeout {
            cx.error(
                *span,
                "`#[timeout]` cannot go on a plain `fn`: a thread cannot be cancelled, so nothing could stop the call when its time is up; make the function `async` (a timeout then drops it), or use the I/O library's own timeout (such as `reqwest::blocking::ClientBuilder::timeout` or `TcpStream::set_read_timeout`)",
            );
        }
    }
}

/// `static __RESILIENCE_BLOCKING`, when a layer may wait.
pub(crate) fn blocking_static(g: &Gen, layers: &[Layer]) -> TokenStream {
    let waits = layers.iter().any(|l| {
        matches!(
            l,
            Layer::Retry(_) | Layer::Bulkhead(_) | Layer::RateLimit(_) | Layer::Chaos(_)
        )
    });
    if !g.sync || !waits {
        return TokenStream::new();
    }
    let krate = &g.krate;
    // The function's one label, as the layers without a `name` use.
    let name = g.name(None);
    let of_method = g.of_method(None);
    quote! {
        static __RESILIENCE_BLOCKING: #krate::__private::BlockingSite =
            #krate::__private::BlockingSite::new(#name)#of_method;
    }
}

/// `run_body(|| -> R { body })`: the closure returns the function's type, so `?`, `return`
/// and the tail's coercions behave as in the original function.
pub(crate) fn typed_body(
    krate: &TokenStream,
    output: &TokenStream,
    span: Span,
    body: TokenStream,
) -> TokenStream {
    quote_spanned! {span=>
        #krate::__private::run_body(|| -> #output { #body })
    }
}

/// `<site>.call_blocking(policy, &__RESILIENCE_BLOCKING, || inner)` for a plain `fn`,
/// `<site>.call(policy, async { inner }).await` for an async one.
pub(crate) fn call(
    g: &Gen,
    site: TokenStream,
    policy: TokenStream,
    inner: TokenStream,
) -> TokenStream {
    if g.sync {
        quote!(#site.call_blocking(#policy, &__RESILIENCE_BLOCKING, || #inner))
    } else {
        let capture = g.capture();
        quote!(#site.call(#policy, async #capture { #inner }).await)
    }
}

/// A per-key bulkhead or rate limit (`key = ..`): `site.lookup(key, policy)` finds the key's
/// instance for this call, which then runs `inner` ([`run_instance`]) within the policy's
/// `max_wait`.
pub(crate) fn keyed_call(
    g: &Gen,
    site: TokenStream,
    lookup: TokenStream,
    key: TokenStream,
    policy: TokenStream,
    inner: TokenStream,
) -> TokenStream {
    let run = run_instance(
        g,
        quote!(__resilience_instance),
        quote!(__resilience_policy.max_wait),
        inner,
    );
    quote! {
        {
            let __resilience_policy = #policy;
            let __resilience_instance = #site.#lookup(#key, __resilience_policy);
            #run
        }
    }
}

/// `<instance>.run_blocking(max_wait, &__RESILIENCE_BLOCKING, || inner)` for a plain `fn`,
/// `<instance>.run(max_wait, async { inner }).await` for an async one: a per-key instance
/// (`key = ..`) found for this call.
pub(crate) fn run_instance(
    g: &Gen,
    instance: TokenStream,
    max_wait: TokenStream,
    inner: TokenStream,
) -> TokenStream {
    if g.sync {
        quote!(#instance.run_blocking(#max_wait, &__RESILIENCE_BLOCKING, || #inner))
    } else {
        let capture = g.capture();
        quote!(#instance.run(#max_wait, async #capture { #inner }).await)
    }
}

/// The retry's wait for `delay`: blocking for a plain `fn`, awaited otherwise.
pub(crate) fn retry_wait(g: &Gen) -> TokenStream {
    if g.sync {
        quote!(__resilience_retry.wait_blocking(__resilience_delay, &__RESILIENCE_BLOCKING))
    } else {
        quote!(__resilience_retry.wait(__resilience_delay).await)
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::{Options, expand_with};
    use crate::kind::Kind;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn run(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        expand_with(
            kind,
            args,
            item,
            Options {
                chaos: true,
                redis: true,
                metrics: false,
            },
        )
        .to_string()
    }

    fn pretty(tokens: TokenStream) -> String {
        let file: syn::File = syn::parse2(tokens.clone())
            .unwrap_or_else(|e| panic!("expansion is not valid Rust ({e}):\n{tokens}"));
        prettyplease::unparse(&file)
    }

    /// A sync stack, as `cargo expand` shows it. The circuit breaker is left out: its code is
    /// the async one (nothing in it waits), and prettyplease cannot print its labeled block's
    /// `break 'label ::path(..)`.
    #[test]
    fn sync_stack() {
        let out = expand_with(
            Kind::Fallback,
            quote!(cached),
            quote! {
                #[retry(attempts = 4, backoff = exponential(50ms, max = 2s))]
                #[rate_limit(rate = 100/1s, max_wait = 20ms, name = "inventory")]
                #[bulkhead(max_concurrent = 8, max_wait = 50ms)]
                #[chaos(error_rate = 10%)]
                pub fn stock(&self, sku: &str) -> Result<u32, StockError> {
                    self.db.query(sku)
                }
            },
            Options {
                chaos: true,
                redis: true,
                metrics: false,
            },
        );
        insta::assert_snapshot!("sync_stack", pretty(out));
    }

    #[test]
    fn a_plain_fn_waits_by_blocking_and_never_awaits() {
        for (kind, args) in [
            (Kind::Retry, quote!()),
            (Kind::Bulkhead, quote!(max_wait = 10ms)),
            (Kind::RateLimit, quote!(rate = 1 / 1s, max_wait = 1s)),
            (Kind::Chaos, quote!(latency = 1s)),
            (Kind::CircuitBreaker, quote!()),
            (Kind::Fallback, quote!(f)),
            // Per-key instances: found per call, then run by their blocking front.
            (Kind::Bulkhead, quote!(name = "b", key = x, max_wait = 10ms)),
            (Kind::RateLimit, quote!(name = "r", key = x, rate = 1 / 1s)),
            (Kind::CircuitBreaker, quote!(name = "c", key = x)),
        ] {
            let out = run(
                kind,
                args,
                quote!(
                    fn f(x: u32) -> Result<u32, E> {
                        Ok(x)
                    }
                ),
            );
            assert!(!out.contains("compile_error"), "{out}");
            assert!(!out.contains("await"), "{out}");
            assert!(!out.contains("async"), "{out}");
        }
        let out = run(
            Kind::Retry,
            quote!(),
            quote!(
                fn f() -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("wait_blocking"), "{out}");
        let out = run(
            Kind::Bulkhead,
            quote!(name = "b", key = x),
            quote!(
                fn f(x: &str) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("run_blocking"), "{out}");
    }

    #[test]
    fn a_timeout_on_a_plain_fn_is_an_error_on_the_timeout_and_keeps_the_function() {
        let out = run(
            Kind::Retry,
            quote!(),
            quote! {
                #[timeout(1s)]
                fn f() -> Result<(), E> { Ok(()) }
            },
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        assert!(out.contains("a thread cannot be cancelled"), "{out}");
        assert!(out.contains("fn f ()"), "{out}");
        let out = run(
            Kind::Timeout,
            quote!(1s),
            quote!(
                fn f() -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("a thread cannot be cancelled"), "{out}");
    }

    #[test]
    fn a_plain_fn_returning_a_boxed_future_is_an_error() {
        let out = run(
            Kind::Retry,
            quote!(),
            quote!(
                fn f() -> Pin<Box<dyn Future<Output = Result<(), E>>>> {
                    Box::pin(g())
                }
            ),
        );
        assert!(out.contains("returns a future"), "{out}");
    }
}
