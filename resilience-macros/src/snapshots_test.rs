//! Expansion snapshots: what `cargo expand` shows for typical functions, pretty-printed and
//! compared with the `.snap` files under `src/snapshots/`. A change in generated code shows up
//! here as a readable diff; review it with `cargo insta review` (or `INSTA_UPDATE=always`) and
//! read the result as a user would.

use crate::compose::{Options, expand_with};
use crate::kind::Kind;
use proc_macro2::TokenStream;
use quote::quote;

/// `#[kind(args)] item`, expanded and pretty-printed.
fn expanded(kind: Kind, args: TokenStream, item: TokenStream) -> String {
    pretty(expand(kind, args, item))
}

/// `#[kind(args)] item`, expanded as without feature `metrics`, whatever this build's features.
fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let options = Options {
        metrics: false,
        ..Options::default()
    };
    expand_with(kind, args, item, options)
}

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens.clone())
        .unwrap_or_else(|e| panic!("expansion is not valid Rust ({e}):\n{tokens}"));
    prettyplease::unparse(&file)
}

#[test]
fn timeout_alone() {
    let out = expanded(
        Kind::Timeout,
        quote!(800ms),
        quote! {
            /// Looks the price up.
            pub async fn price(sku: &str) -> Result<u64, PricingError> {
                lookup(sku).await
            }
        },
    );
    insta::assert_snapshot!("timeout_alone", out);
}

#[test]
fn metrics_time_each_call() {
    let out = pretty(expand_with(
        Kind::Timeout,
        quote!(800ms),
        quote! {
            pub async fn price(sku: &str) -> Result<u64, PricingError> {
                lookup(sku).await
            }
        },
        Options {
            metrics: true,
            ..Options::default()
        },
    ));
    insta::assert_snapshot!("metrics_time_each_call", out);
}

#[test]
fn retry_with_defaults() {
    let out = expanded(
        Kind::Retry,
        TokenStream::new(),
        quote! {
            async fn fetch(id: u32) -> std::io::Result<Vec<u8>> {
                download(id).await
            }
        },
    );
    insta::assert_snapshot!("retry_with_defaults", out);
}

#[test]
fn retry_over_timeout_on_a_method() {
    // `#[retry]` runs first and collects `#[timeout]` beneath it.
    let method = expand(
        Kind::Retry,
        quote!(
            attempts = 4,
            backoff = exponential(50ms, max = 2s),
            when = is_transient
        ),
        quote! {
            #[timeout(800ms)]
            async fn quote(&self, sku: &str) -> Result<Quote, PricingError> {
                self.client.get(sku).await
            }
        },
    );
    let out = pretty(quote!(impl Pricing { #method }));
    insta::assert_snapshot!("retry_over_timeout_on_a_method", out);
}

#[test]
fn async_trait_method() {
    // What `#[async_trait]` 0.1 makes of
    // `#[retry(attempts = 2)] async fn get(&self, x: u32) -> Result<u32, E> { self.load(x).await }`
    // when it runs before the resilience attribute.
    let out = expand(
        Kind::Retry,
        quote!(attempts = 2),
        quote! {
            fn get<'life0, 'async_trait>(
                &'life0 self,
                x: u32,
            ) -> ::core::pin::Pin<Box<
                dyn ::core::future::Future<Output = Result<u32, E>> + ::core::marker::Send + 'async_trait,
            >>
            where
                'life0: 'async_trait,
                Self: 'async_trait,
            {
                Box::pin(async move {
                    if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<Result<u32, E>> {
                        #[allow(unreachable_code)]
                        return __ret;
                    }
                    let __self = self;
                    let x = x;
                    let __ret: Result<u32, E> = { __self.load(x).await };
                    #[allow(unreachable_code)]
                    __ret
                })
            }
        },
    );
    let out = pretty(quote!(impl Store for Db { #out }));
    insta::assert_snapshot!("async_trait_method", out);
}

#[test]
fn error_keeps_the_function() {
    let out = expanded(
        Kind::Retry,
        quote!(attempts = 0, backof = none),
        quote! {
            #[timeout(1s)]
            async fn fetch(id: u32) -> Result<u32, E> {
                Ok(id)
            }
        },
    );
    insta::assert_snapshot!("error_keeps_the_function", out);
}

#[test]
fn crate_override_and_duration_expression() {
    let out = expanded(
        Kind::Timeout,
        quote!(
            duration = LIMIT,
            name = "pricing",
            crate = my_app::resilience
        ),
        quote! {
            async fn price(sku: &str) -> anyhow::Result<u64> {
                lookup(sku).await
            }
        },
    );
    insta::assert_snapshot!("crate_override_and_duration_expression", out);
}

#[test]
fn rate_limit_over_bulkhead() {
    let out = expanded(
        Kind::RateLimit,
        quote!(rate = 100 / 1s, max_wait = 50ms, name = "db"),
        quote! {
            #[bulkhead(max_concurrent = 10)]
            async fn query(sql: &str) -> Result<Rows, DbError> {
                run(sql).await
            }
        },
    );
    insta::assert_snapshot!("rate_limit_over_bulkhead", out);
}

#[test]
fn retry_over_breaker_with_expressions() {
    // Counts and percentages from the receiver's settings: each layer builds its policy at the
    // call and checks it before it runs.
    let out = pretty(expand(
        Kind::Retry,
        quote!(attempts = self.cfg.attempts, backoff = none),
        quote! {
            #[circuit_breaker(name = "payments", failure_rate = self.cfg.failure_rate, window = 50)]
            async fn charge(&self, cents: u64) -> Result<Receipt, PayError> {
                self.gateway.charge(cents).await
            }
        },
    ));
    insta::assert_snapshot!("retry_over_breaker_with_expressions", out);
}

#[test]
fn fallback_on_a_plain_return_type() {
    let out = expanded(
        Kind::Fallback,
        quote!(cached_items),
        quote! {
            #[timeout(200ms)]
            async fn recommendations(&self, user: UserId) -> Vec<Item> {
                self.engine.recommend(user).await
            }
        },
    );
    insta::assert_snapshot!("fallback_on_a_plain_return_type", out);
}

/// `#[chaos(..)]` alone, expanded with and without the `chaos` feature.
fn chaos_alone(chaos: bool) -> String {
    pretty(expand_with(
        Kind::Chaos,
        quote!(error_rate = 10%, latency = 200ms, latency_rate = 20%),
        quote! {
            pub async fn charge(&self, cents: u64) -> Result<Receipt, PayError> {
                self.gateway.charge(cents).await
            }
        },
        Options {
            chaos,
            redis: true,
            metrics: false,
        },
    ))
}

#[test]
fn chaos_alone_with_the_feature() {
    insta::assert_snapshot!("chaos_alone_with_the_feature", chaos_alone(true));
}

#[test]
fn chaos_alone_without_the_feature() {
    // The plain function, unchanged.
    insta::assert_snapshot!("chaos_alone_without_the_feature", chaos_alone(false));
}

/// `#[retry] #[chaos(..)]`, expanded with and without the `chaos` feature.
fn retry_over_chaos(chaos: bool) -> String {
    pretty(expand_with(
        Kind::Retry,
        quote!(attempts = 3, backoff = constant(50ms)),
        quote! {
            #[chaos(error_rate = 50%, name = "payments")]
            async fn charge(cents: u64) -> Result<Receipt, PayError> {
                gateway::charge(cents).await
            }
        },
        Options {
            chaos,
            redis: true,
            metrics: false,
        },
    ))
}

#[test]
fn retry_over_chaos_with_the_feature() {
    insta::assert_snapshot!("retry_over_chaos_with_the_feature", retry_over_chaos(true));
}

#[test]
fn retry_over_chaos_without_the_feature() {
    // The retry alone: no `chaos(..)` call, and the retry needs no `From<resilience::Error>`.
    insta::assert_snapshot!(
        "retry_over_chaos_without_the_feature",
        retry_over_chaos(false)
    );
}

#[test]
fn keyed_rate_limit_over_keyed_bulkhead() {
    // `key = ..`: a keyed site per attribute, and the key's instance looked up at each call.
    // (No breaker here: syn reads its `break 'label ::path` as a labeled loop; rustc does not.)
    let out = expanded(
        Kind::RateLimit,
        quote!(name = "per_user", key = user, rate = 10 / 1s),
        quote! {
            #[bulkhead(name = "per_user_pool", key = user, max_concurrent = 4, max_keys = 100)]
            async fn search(user: &str, q: &str) -> Result<Vec<Hit>, SearchError> {
                index(user, q).await
            }
        },
    );
    insta::assert_snapshot!("keyed_rate_limit_over_keyed_bulkhead", out);
}

#[test]
fn hedge_over_bulkhead() {
    // Each run is a fresh `async` block of the closure, the bulkhead inside it.
    let out = expanded(
        Kind::Hedge,
        quote!(delay = p95, max_hedged = 2, name = "search"),
        quote! {
            #[bulkhead(max_concurrent = 4)]
            async fn search(&self, q: &str) -> Result<Hits, SearchError> {
                self.index.query(q).await
            }
        },
    );
    insta::assert_snapshot!("hedge_over_bulkhead", out);
}
