//! `#[rate_limit(rate = 100/1s, burst = 20, max_wait = 50ms, name = "api")]`.
//!
//! Input:  `#[rate_limit(rate = 100/1s)] async fn f() -> R { body }`
//! Output:
//! ```text
//! static __RESILIENCE_RATE_LIMIT: RateLimitSite = RateLimitSite::new("mod::f");
//! __RESILIENCE_RATE_LIMIT.call(RateLimitPolicy::new(100, Duration::from_secs(1)), async { <body> }).await
//! ```
//!
//! With `scope`, `on_store_error` or `store_timeout` written (an `async fn`):
//! `__RESILIENCE_RATE_LIMIT.fleet_call(policy, FleetPolicy { scope: Scope::Fleet, .. }, async { <body> }).await`.
//!
//! With `key = expr` (and a `name`): a `KeyedRateLimitSite`, and the call runs through the
//! limiter of that key: `__RESILIENCE_RATE_LIMIT.limiter(key(&(expr)), policy).run(max_wait, ..)`.

use super::Gen;
use crate::args::{
    Args, DurationArg, Fleet, FleetArgs, Given, KeyArgs, PerKey, Setting, Value, is_literal,
    parse_count, parse_int, parse_name, pinned, require_key, set_once, unknown_key,
};
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::LitStr;

const KEYS: &[&str] = resilience_grammar::keys::RATE_LIMIT;

/// A checked `#[rate_limit]`.
pub(crate) struct RateLimit {
    rate: RateArg,
    burst: Option<Given<u32>>,
    max_wait: Option<DurationArg>,
    pub(crate) name: Option<LitStr>,
    pub(crate) per_key: Option<PerKey>,
    pub(crate) fleet: Fleet,
}

/// `rate = 100/1s` (the count may be an expression of type `u32`, the period one of type
/// `Duration`), or `rate = <expression of type Rate>`.
enum RateArg {
    Split { count: Given<u32>, per: DurationArg },
    Expr(syn::Expr),
}

impl RateLimit {
    pub(crate) fn parse(cx: &Ctxt, args: Args, span: Span) -> Option<Self> {
        let mut rate: Setting<RateArg> = None;
        let mut burst: Setting<Given<u32>> = None;
        let mut max_wait: Setting<DurationArg> = None;
        let mut name: Setting<LitStr> = None;
        // A `rate` written wrongly is reported once, not again as missing.
        let mut rate_written = false;
        let mut per_key = KeyArgs::new();
        let mut fleet = FleetArgs::default();
        for arg in args.0 {
            let Some(key) = require_key(cx, "rate_limit", "rate = 100/1s", &arg) else {
                continue;
            };
            let v = &arg.value;
            if per_key.parse(cx, key, v) || fleet.parse(cx, key, v, true) {
                continue;
            }
            match key.to_string().as_str() {
                "rate" => {
                    rate_written = true;
                    set_once(cx, &mut rate, key, parse_rate(cx, v));
                }
                "burst" => {
                    let n = parse_count(cx, v, "burst", "u32", resilience_grammar::rules::burst);
                    set_once(cx, &mut burst, key, n);
                }
                "max_wait" => {
                    let d = cx.check(DurationArg::parse(v, "max_wait"));
                    set_once(cx, &mut max_wait, key, d);
                }
                "name" => set_once(cx, &mut name, key, parse_name(cx, v)),
                "crate" => {}
                "per_second" | "rps" | "limit" | "per" | "period" => {
                    rate_written = true;
                    cx.error(
                        key.span(),
                        format!("unknown key `{key}` for `#[rate_limit]`; write the rate as a count per duration: `rate = 100/1s`"),
                    );
                }
                _ => unknown_key(cx, "rate_limit", key, KEYS),
            }
        }
        let name = name.map(|(n, _)| n);
        let per_key = per_key.finish(cx, "rate_limit", name.as_ref());
        let fleet = fleet.finish(cx, "rate_limit", per_key.is_some());
        let Some((rate, _)) = rate else {
            if rate_written {
                return None;
            }
            cx.error(
                span,
                "`#[rate_limit]` needs a rate: `#[rate_limit(rate = 100/1s)]`",
            );
            return None;
        };
        Some(RateLimit {
            rate,
            burst: burst.map(|(b, _)| b),
            max_wait: max_wait.map(|(d, _)| d),
            name,
            per_key,
            fleet,
        })
    }

    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        if let Some(per_key) = &self.per_key {
            let krate = &g.krate;
            let name = g.name(self.name.as_ref());
            let max_keys = per_key.max_keys(krate);
            return quote! {
                static __RESILIENCE_RATE_LIMIT: #krate::__private::KeyedRateLimitSite =
                    #krate::__private::KeyedRateLimitSite::new(#name, #max_keys);
            };
        }
        g.site_static(
            "__RESILIENCE_RATE_LIMIT",
            "RateLimitSite",
            self.name.as_ref(),
            TokenStream::new(),
            TokenStream::new(),
        )
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        let p = quote!(#krate::__private);
        let base = match &self.rate {
            RateArg::Split { count, per } => {
                let count = count.to_tokens(krate, "count", |n| {
                    let n = proc_macro2::Literal::u32_unsuffixed(n);
                    quote!(#n)
                });
                let per = per.to_tokens(krate);
                quote!(#p::RateLimitPolicy::new(#count, #per))
            }
            RateArg::Expr(e) => {
                let rate = pinned(krate, "rate", e);
                quote!(#rate.policy())
            }
        };
        let mut fields = Vec::new();
        if let Some(b) = &self.burst {
            let b = b.to_tokens(krate, "count", |b| {
                let b = proc_macro2::Literal::u32_unsuffixed(b);
                quote!(#b)
            });
            fields.push(quote!(burst: #b));
        }
        if let Some(d) = &self.max_wait {
            let d = d.to_tokens(krate);
            fields.push(quote!(max_wait: #d));
        }
        let policy = if fields.is_empty() {
            base
        } else {
            quote!(#p::RateLimitPolicy { #(#fields,)* ..#base })
        };
        g.checked_if(self.has_expr(), "rate_limit", self.name.as_ref(), policy, |policy| {
            if let Some(per_key) = &self.per_key {
                crate::expand_sync::keyed_call(
                    g,
                    quote!(__RESILIENCE_RATE_LIMIT),
                    quote!(limiter),
                    per_key.key(krate),
                    policy,
                    inner,
                )
            } else if let Some(fleet) = self.fleet.policy(krate).filter(|_| !g.sync) {
                // Fleet settings written: the limiter registers with them (a plain `fn` is
                // local, and `scope = fleet` on one is an error).
                let capture = g.capture();
                quote!(__RESILIENCE_RATE_LIMIT.fleet_call(#policy, #fleet, async #capture { #inner }).await)
            } else {
                crate::expand_sync::call(g, quote!(__RESILIENCE_RATE_LIMIT), policy, inner)
            }
        })
    }

    /// Whether the rate's count, the rate or the burst is an expression, checked at each call
    /// (a period alone is a duration, as before).
    fn has_expr(&self) -> bool {
        let rate = match &self.rate {
            RateArg::Split { count, .. } => count.is_expr(),
            RateArg::Expr(_) => true,
        };
        rate || self.burst.as_ref().is_some_and(Given::is_expr)
    }
}

/// `100/1s`, `5 / 250ms`, `10/PERIOD`, `self.per_second/1s`, or an expression of type `Rate`.
fn parse_rate(cx: &Ctxt, v: &Value) -> Option<RateArg> {
    let tokens: Vec<TokenTree> = v.tokens.clone().into_iter().collect();
    let example = resilience_grammar::rate::EXPECTED;
    let slash = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '/'));
    let Some(slash) = slash.filter(|&i| i > 0 && i + 1 < tokens.len()) else {
        // No `/`: an expression giving a `Rate`, unless a literal (`rate = 100`).
        if slash.is_none()
            && !is_literal(v)
            && let Ok(e) = v.parse::<syn::Expr>()
        {
            return Some(RateArg::Expr(e));
        }
        cx.error(v.span(), example);
        return None;
    };
    let count_value = Value {
        tokens: tokens[..slash].iter().cloned().collect(),
    };
    let per_value = Value {
        tokens: tokens[slash + 1..].iter().cloned().collect(),
    };
    let count = if is_literal(&count_value) {
        match cx.check(parse_int::<u32>(&count_value, "the rate's count")) {
            Some(0) => {
                cx.error(
                    count_value.span(),
                    resilience_grammar::rules::rate_count(0).unwrap_err(),
                );
                None
            }
            n => n.map(Given::Literal),
        }
    } else {
        parse_count(cx, &count_value, "rate", "u32", |_| Ok(()))
    };
    let per = cx.check(DurationArg::parse(&per_value, "rate"));
    if let Some(d) = &per
        && let Some(Err(message)) = d.literal.map(resilience_grammar::rules::rate_period)
    {
        cx.error(d.span, message);
        return None;
    }
    Some(RateArg::Split {
        count: count?,
        per: per?,
    })
}
