//! `#[bulkhead(max_concurrent = 10, max_wait = 50ms, name = "db")]`.
//!
//! Input:  `#[bulkhead(max_concurrent = 10)] async fn f() -> R { body }`
//! Output:
//! ```text
//! static __RESILIENCE_BULKHEAD: BulkheadSite = BulkheadSite::new("mod::f");
//! __RESILIENCE_BULKHEAD.call(BulkheadPolicy { max_concurrent: 10, ..DEFAULT }, async { <body> }).await
//! ```
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
    per_key: Option<PerKey>,
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
        g.site_static(
            "__RESILIENCE_BULKHEAD",
            "BulkheadSite",
            self.name.as_ref(),
            TokenStream::new(),
            TokenStream::new(),
        )
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        let p = quote!(#krate::__private);
        let max_concurrent = self.max_concurrent.as_ref().map(|n| {
            n.to_tokens(krate, "max_concurrent", |n| {
                let n = proc_macro2::Literal::usize_unsuffixed(n);
                quote!(#n)
            })
        });
        let policy = match (max_concurrent, &self.max_wait) {
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
        };
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
                None => crate::expand_sync::call(g, quote!(__RESILIENCE_BULKHEAD), policy, inner),
            },
        )
    }
}
