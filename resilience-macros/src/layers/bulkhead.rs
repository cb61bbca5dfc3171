//! `#[bulkhead(max_concurrent = 10, max_wait = 50ms, name = "db")]`.
//!
//! Input:  `#[bulkhead(max_concurrent = 10)] async fn f() -> R { body }`
//! Output:
//! ```text
//! static __RESILIENCE_BULKHEAD: BulkheadSite = {
//!     use __resilience::*;
//!     BulkheadSite::new("mod::f").per_callsite().with(BulkheadPolicy { max_concurrent: 10, ..DEFAULT })
//! };
//! '__resilience_bulkhead: { <a place, taken or awaited (see `flat`)>; <body>; place.finish(..) }
//! ```
//!
//! On a plain `fn`: `__RESILIENCE_BULKHEAD.call_blocking(policy, &__RESILIENCE_BLOCKING, || <body>)`.
//!
//! With `key = expr` (and a `name`): a `KeyedBulkheadSite`, and the call runs through the
//! bulkhead of that key: `__RESILIENCE_BULKHEAD.bulkhead(key(&(expr)), policy).run(max_wait, ..)`.

use super::Gen;
use crate::args::{
    Args, DurationArg, Given, KeyArgs, PerKey, Setting, parse_count, parse_name, require_key,
    set_once, unknown_key,
};
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

const KEYS: &[&str] = resilience_grammar::keys::BULKHEAD;

/// A checked `#[bulkhead]`.
pub(crate) struct Bulkhead {
    max_concurrent: Option<Given<usize>>,
    max_wait: Option<DurationArg>,
    pub(crate) name: Option<LitStr>,
    pub(crate) per_key: Option<PerKey>,
}

impl Bulkhead {
    pub(crate) fn parse(cx: &Ctxt, args: Args) -> Option<Self> {
        let mut max_concurrent: Setting<Given<usize>> = None;
        let mut max_wait: Setting<DurationArg> = None;
        let mut name: Setting<LitStr> = None;
        let mut per_key = KeyArgs::new();
        for arg in args.0 {
            let Some(key) = require_key(cx, "bulkhead", "max_concurrent = 10", &arg) else {
                continue;
            };
            let v = &arg.value;
            if per_key.parse(cx, key, v) {
                continue;
            }
            match key.to_string().as_str() {
                "max_concurrent" => {
                    let n = parse_count::<usize>(
                        cx,
                        v,
                        "max_concurrent",
                        "usize",
                        resilience_grammar::rules::max_concurrent,
                    );
                    set_once(cx, &mut max_concurrent, key, n);
                }
                "max_wait" => {
                    let d = cx.check(DurationArg::parse(v, "max_wait"));
                    set_once(cx, &mut max_wait, key, d);
                }
                "name" => set_once(cx, &mut name, key, parse_name(cx, v)),
                "crate" => {}
                "max_calls" | "limit" | "permits" | "concurrency" | "size" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[bulkhead]`; use `max_concurrent`"),
                ),
                "timeout" | "wait" | "queue_timeout" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[bulkhead]`; use `max_wait` (how long a caller waits for a place)"),
                ),
                _ => unknown_key(cx, "bulkhead", key, KEYS),
            }
        }
        let name = name.map(|(n, _)| n);
        let per_key = per_key.finish(cx, "bulkhead", name.as_ref());
        Some(Bulkhead {
            max_concurrent: max_concurrent.map(|(n, _)| n),
            max_wait: max_wait.map(|(d, _)| d),
            name,
            per_key,
        })
    }

    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        if let Some(per_key) = &self.per_key {
            let krate = &g.krate;
            let name = g.name(self.name.as_ref());
            let max_keys = per_key.max_keys(krate);
            return quote! {
                static __RESILIENCE_BULKHEAD: #krate::__private::KeyedBulkheadSite =
                    #krate::__private::KeyedBulkheadSite::new(#name, #max_keys);
            };
        }
        // A literal policy lives in the site (read on the first call and by a call that
        // waits); a plain `fn` passes it at each call.
        let with = if self.is_const() && !g.sync {
            Gen::with_policy(self.policy(&g.krate), "BulkheadPolicy")
        } else {
            TokenStream::new()
        };
        g.site_static(
            "__RESILIENCE_BULKHEAD",
            "BulkheadSite",
            self.name.as_ref(),
            TokenStream::new(),
            with,
        )
    }

    /// Whether every value is a literal.
    fn is_const(&self) -> bool {
        !self.max_concurrent.as_ref().is_some_and(Given::is_expr)
            && self.max_wait.as_ref().is_none_or(|d| d.literal.is_some())
    }

    /// `BulkheadPolicy { .. }`, naming only what was written.
    fn policy(&self, krate: &TokenStream) -> TokenStream {
        let p = quote!(#krate::__private);
        let max_concurrent = self.max_concurrent.as_ref().map(|n| {
            n.to_tokens(krate, "max_concurrent", |n| {
                let n = proc_macro2::Literal::usize_unsuffixed(n);
                quote!(#n)
            })
        });
        match (max_concurrent, &self.max_wait) {
            (None, None) => quote!(#p::BulkheadPolicy::DEFAULT),
            (Some(n), None) => {
                quote!(#p::BulkheadPolicy { max_concurrent: #n, ..#p::BulkheadPolicy::DEFAULT })
            }
            (None, Some(d)) => {
                let d = d.to_tokens(krate);
                quote!(#p::BulkheadPolicy { max_wait: #d, ..#p::BulkheadPolicy::DEFAULT })
            }
            (Some(n), Some(d)) => {
                let d = d.to_tokens(krate);
                quote!(#p::BulkheadPolicy { max_concurrent: #n, max_wait: #d })
            }
        }
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        let p = quote!(#krate::__private);
        let policy = self.policy(krate);
        let site_policy = self.is_const();
        let checked = self.max_concurrent.as_ref().is_some_and(Given::is_expr);
        g.checked_if(
            checked,
            "bulkhead",
            self.name.as_ref(),
            policy,
            |policy| match &self.per_key {
                Some(per_key) => crate::expand_sync::keyed_call(
                    g,
                    quote!(__RESILIENCE_BULKHEAD),
                    quote!(bulkhead),
                    per_key.key(krate),
                    policy,
                    inner,
                ),
                None if g.sync => {
                    crate::expand_sync::call(g, quote!(__RESILIENCE_BULKHEAD), policy, inner)
                }
                None => flat(&p, (!site_policy).then_some(policy), inner),
            },
        )
    }
}

/// The bulkhead as straight-line code in the function's own future: a free place is taken
/// inline, only a full bulkhead awaits one, and the place is held across the layers beneath
/// (given back when dropped: completion, cancellation or panic).
///
/// Input:  `BulkheadPolicy { .. }` (none when the site holds it), the layers beneath
/// Output:
/// ```text
/// '__resilience_bulkhead: {
///     let __resilience_place = match __RESILIENCE_BULKHEAD.try_enter_with(|| policy) {
///         Some(place) => place,
///         None => match __RESILIENCE_BULKHEAD.enter_with(|| policy).await {
///             Ok(place) => place,
///             Err(rejection) => break '__resilience_bulkhead rejected(rejection), // BulkheadFull
///         },
///     };
///     let __resilience_result = <the layers beneath>;
///     __resilience_place.finish(__resilience_result)
/// }
/// ```
fn flat(p: &TokenStream, policy: Option<TokenStream>, inner: TokenStream) -> TokenStream {
    // The arms' bindings are the macro's own (`mixed_site`), never a name of the function's.
    let place = syn::Ident::new("place", proc_macro2::Span::mixed_site());
    let rejection = syn::Ident::new("rejection", proc_macro2::Span::mixed_site());
    // The result is bound before `finish`: as its argument it would await while the place is
    // borrowed as the receiver, which keeps the place in memory across the await.
    // The site's own policy when it is a literal, else the one of this call.
    let (try_enter, enter) = match policy {
        None => (quote!(try_enter()), quote!(enter())),
        Some(policy) => (
            quote!(try_enter_with(|| #policy)),
            quote!(enter_with(|| #policy)),
        ),
    };
    quote! {
        '__resilience_bulkhead: {
            let __resilience_place = match __RESILIENCE_BULKHEAD.#try_enter {
                #p::Some(#place) => #place,
                #p::None => match __RESILIENCE_BULKHEAD.#enter.await {
                    #p::Ok(#place) => #place,
                    #p::Err(#rejection) => break '__resilience_bulkhead #p::rejected(#rejection),
                },
            };
            let __resilience_result = #inner;
            __resilience_place.finish(__resilience_result)
        }
    }
}
