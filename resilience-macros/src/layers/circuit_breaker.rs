//! `#[circuit_breaker(failure_rate = 50%, window = 100, open_for = 30s, name = "payments")]`.
//!
//! Input:  `#[circuit_breaker(failure_rate = 25%)] async fn f() -> R { body }`
//! Output:
//! ```text
//! static __RESILIENCE_BREAKER: BreakerSite = {
//!     use __resilience::*;
//!     BreakerSite::new("mod::f", "src/m.rs:12").with(BreakerPolicy { failure_rate: 0.25, ..DEFAULT })
//! };
//! '__resilience_breaker: {
//!     let __resilience_permit = match __RESILIENCE_BREAKER.admit() {
//!         Ok(permit) => permit,
//!         Err(rejection) => break '__resilience_breaker rejected(rejection),
//!     };
//!     let __resilience_result = <body>;
//!     __resilience_permit.finish(__resilience_result, every_error_fails)
//! }
//! ```
//!
//! When a value is not a literal, the policy is passed at the call instead,
//! `acquire_with(|| policy)`, the closure run only by the first call, which registers the
//! breaker; a count or a percentage given as an expression is also checked at each call.
//!
//! With `key = expr` (and a `name`): `static __RESILIENCE_BREAKER: KeyedBreakerSite =
//! KeyedBreakerSite::new("upstream", DEFAULT_MAX_KEYS);` and the admission goes through
//! `__RESILIENCE_BREAKER.breaker(key(&(expr)), || policy)`, the breaker of that key.

use super::Gen;
use crate::args::{
    Args, DurationArg, Fleet, FleetArgs, Given, KeyArgs, PerKey, Setting, Value, parse_count,
    parse_name, parse_predicate, parse_share, pinned, require_key, set_once, unknown_key,
};
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, LitStr};

const KEYS: &[&str] = resilience_grammar::keys::CIRCUIT_BREAKER;

/// A checked `#[circuit_breaker]`.
pub(crate) struct CircuitBreaker {
    failure_rate: Option<Given<f64>>,
    slow_call: Option<DurationArg>,
    slow_rate: Option<Given<f64>>,
    window: Option<WindowArg>,
    min_calls: Option<Given<u32>>,
    consecutive_failures: Option<Given<u32>>,
    open_for: Option<OpenForArg>,
    half_open_calls: Option<Given<u32>>,
    when: Option<Expr>,
    pub(crate) name: Option<LitStr>,
    per_key: Option<PerKey>,
    pub(crate) fleet: Fleet,
}

/// `window = 100` (calls), `window = 60s`, or an expression: a number of calls (`u32`) or a
/// `Duration`.
enum WindowArg {
    Calls(u32),
    Time(DurationArg),
    Expr(Expr),
}

/// `open_for = 30s` or `open_for = exponential(10s, max = 5m)`.
enum OpenForArg {
    Fixed(DurationArg),
    Exponential { base: DurationArg, max: DurationArg },
}

impl CircuitBreaker {
    pub(crate) fn parse(cx: &Ctxt, args: Args) -> Option<Self> {
        let mut failure_rate: Setting<Given<f64>> = None;
        let mut slow_call: Setting<DurationArg> = None;
        let mut slow_rate: Setting<Given<f64>> = None;
        let mut window: Setting<WindowArg> = None;
        let mut min_calls: Setting<(Given<u32>, Span)> = None;
        let mut consecutive: Setting<Given<u32>> = None;
        let mut open_for: Setting<OpenForArg> = None;
        let mut half_open: Setting<Given<u32>> = None;
        let mut when: Setting<Expr> = None;
        let mut name: Setting<LitStr> = None;
        let mut per_key = KeyArgs::new();
        let mut fleet = FleetArgs::default();
        for arg in args.0 {
            let Some(key) = require_key(cx, "circuit_breaker", "failure_rate = 50%", &arg) else {
                continue;
            };
            let v = &arg.value;
            if per_key.parse(cx, key, v) || fleet.parse(cx, key, v, false) {
                continue;
            }
            match key.to_string().as_str() {
                "failure_rate" => set_once(cx, &mut failure_rate, key, parse_rate(cx, v, "failure_rate")),
                "slow_rate" => set_once(cx, &mut slow_rate, key, parse_rate(cx, v, "slow_rate")),
                "slow_call" => set_once(cx, &mut slow_call, key, parse_positive(cx, v, "slow_call")),
                "window" => set_once(cx, &mut window, key, parse_window(cx, v)),
                "min_calls" => set_once(
                    cx,
                    &mut min_calls,
                    key,
                    parse_at_least_one(cx, v, "min_calls", resilience_grammar::rules::MIN_CALLS_HINT).map(|n| (n, v.span())),
                ),
                "consecutive_failures" => set_once(
                    cx,
                    &mut consecutive,
                    key,
                    parse_at_least_one(cx, v, "consecutive_failures", resilience_grammar::rules::CONSECUTIVE_FAILURES_HINT),
                ),
                "open_for" => set_once(cx, &mut open_for, key, parse_open_for(cx, v)),
                "half_open_calls" => set_once(cx, &mut half_open, key, parse_half_open(cx, v)),
                "when" => set_once(cx, &mut when, key, parse_when(cx, v)),
                "name" => set_once(cx, &mut name, key, parse_name(cx, v)),
                "crate" => {}
                "threshold" | "failure_threshold" | "failures" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[circuit_breaker]`; use `failure_rate = 50%` (share of the window) or `consecutive_failures = 5`"),
                ),
                "timeout" | "reset_timeout" | "wait" | "cooldown" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[circuit_breaker]`; use `open_for = 30s` (time spent open before probing)"),
                ),
                _ => unknown_key(cx, "circuit_breaker", key, KEYS),
            }
        }
        if let (Some((_, span)), None) = (&slow_rate, &slow_call) {
            cx.error(
                *span,
                resilience_grammar::rules::SLOW_RATE_WITHOUT_SLOW_CALL,
            );
        }
        if let (Some(((Given::Literal(m), m_span), _)), Some((WindowArg::Calls(n), _))) =
            (&min_calls, &window)
            && let Err(message) =
                resilience_grammar::rules::min_calls_in_window(u64::from(*m), u64::from(*n))
        {
            cx.error(*m_span, message);
        }
        let name = name.map(|(n, _)| n);
        let per_key = per_key.finish(cx, "circuit_breaker", name.as_ref());
        let fleet = fleet.finish(cx, "circuit_breaker", per_key.is_some());
        Some(CircuitBreaker {
            per_key,
            fleet,
            failure_rate: failure_rate.map(|(r, _)| r),
            slow_call: slow_call.map(|(d, _)| d),
            slow_rate: slow_rate.map(|(r, _)| r),
            window: window.map(|(w, _)| w),
            min_calls: min_calls.map(|((m, _), _)| m),
            consecutive_failures: consecutive.map(|(c, _)| c),
            open_for: open_for.map(|(o, _)| o),
            half_open_calls: half_open.map(|(h, _)| h),
            when: when.map(|(w, _)| w),
            name,
        })
    }

    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        if let Some(per_key) = &self.per_key {
            let krate = &g.krate;
            let name = g.name(self.name.as_ref());
            let max_keys = per_key.max_keys(krate);
            return quote! {
                static __RESILIENCE_BREAKER: #krate::__private::KeyedBreakerSite =
                    #krate::__private::KeyedBreakerSite::new(#name, #max_keys);
            };
        }
        // The callsite, for the warning when two callsites configure one name differently.
        let callsite = quote!(, ::core::concat!(::core::file!(), ":", ::core::line!()));
        g.site_static(
            "__RESILIENCE_BREAKER",
            "BreakerSite",
            self.name.as_ref(),
            callsite,
            self.site_policy(g),
        )
    }

    /// `.with(BreakerPolicy { .. })` when the policy is a constant: the site keeps it, so the
    /// call reads only `__RESILIENCE_BREAKER.admit()`.
    fn site_policy(&self, g: &Gen) -> TokenStream {
        if !self.is_const() {
            return TokenStream::new();
        }
        Gen::with_policy(self.policy(&g.krate), "BreakerPolicy")
    }

    /// Whether the policy is a constant: no key, every value a literal.
    fn is_const(&self) -> bool {
        let literal = |d: &DurationArg| d.literal.is_some();
        self.per_key.is_none()
            && !self.has_expr()
            && self.slow_call.as_ref().is_none_or(literal)
            && !matches!(&self.window, Some(WindowArg::Time(d)) if !literal(d))
            && match &self.open_for {
                None => true,
                Some(OpenForArg::Fixed(d)) => literal(d),
                Some(OpenForArg::Exponential { base, max }) => literal(base) && literal(max),
            }
    }

    /// Whether a count, percentage or window is an expression, checked at each call.
    fn has_expr(&self) -> bool {
        let given = [
            &self.min_calls,
            &self.consecutive_failures,
            &self.half_open_calls,
        ];
        [&self.failure_rate, &self.slow_rate]
            .into_iter()
            .any(|r| r.as_ref().is_some_and(Given::is_expr))
            || given
                .into_iter()
                .any(|n| n.as_ref().is_some_and(Given::is_expr))
            || matches!(self.window, Some(WindowArg::Expr(_)))
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        // With an expression, built and checked at each call; the site keeps the values of the
        // call that created its breaker.
        let policy = self.policy(&g.krate);
        g.checked_if(
            self.has_expr(),
            "circuit_breaker",
            self.name.as_ref(),
            policy,
            |policy| self.layer(g, policy, inner),
        )
    }

    /// Whether a key or a `when` closure may use the function's arguments while or after the
    /// body runs.
    pub(crate) fn has_key_or_closure(&self) -> bool {
        self.per_key.is_some() || matches!(&self.when, Some(w) if !matches!(w, Expr::Path(_)))
    }

    /// The breaker's admission and recording around `inner`, `policy` built on first use.
    fn layer(&self, g: &Gen, policy: TokenStream, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        // A path is called from a closure, so a predicate taking the wrong error type is one
        // "mismatched types" on it, naming both types (passed as the bound's argument, it was
        // a closure-signature error with a wrong suggestion). Only the call carries the
        // user's span: a closure spanned wholly on user code would trip clippy's
        // `redundant_closure` in the user's crate.
        let when = match &self.when {
            Some(w @ syn::Expr::Path(_)) => {
                let call = quote_spanned!(w.span()=> #w(__resilience_error));
                quote!(|__resilience_error| #call)
            }
            // A closure is passed as written: its argument's type comes from `finish`'s bound.
            Some(w) => quote_spanned!(w.span()=> #w),
            None => quote!(#krate::__private::every_error_fails),
        };
        // The arms' bindings are the macro's own (`mixed_site`): short, and never a name of
        // the function's.
        let permit = syn::Ident::new("permit", proc_macro2::Span::mixed_site());
        let rejection = syn::Ident::new("err", proc_macro2::Span::mixed_site());
        if let Some(per_key) = &self.per_key {
            let key = per_key.key(krate);
            return quote! {
                '__resilience_breaker: {
                    let __resilience_instance = __RESILIENCE_BREAKER.breaker(#key, || #policy);
                    let __resilience_permit = match __resilience_instance.acquire() {
                        #krate::__private::Ok(#permit) => #permit,
                        #krate::__private::Err(#rejection) => {
                            break '__resilience_breaker #krate::__private::rejected(#rejection)
                        }
                    };
                    let __resilience_result = #inner;
                    __resilience_permit.finish(__resilience_result, #when)
                }
            };
        }
        let admit = if self.is_const() {
            quote!(admit())
        } else {
            quote!(acquire_with(|| #policy))
        };
        // The admission's `Result` is a temporary of the `let`, not of a `match` around the
        // body: it ends before the body's `.await`, so the future does not keep it.
        quote! {
            '__resilience_breaker: {
                let __resilience_permit = match __RESILIENCE_BREAKER.#admit {
                    #krate::__private::Ok(#permit) => #permit,
                    #krate::__private::Err(#rejection) =>
                        break '__resilience_breaker #krate::__private::rejected(#rejection),
                };
                let __resilience_result = #inner;
                __resilience_permit.finish(__resilience_result, #when)
            }
        }
    }

    /// `BreakerPolicy { failure_rate: 0.25, ..BreakerPolicy::DEFAULT }`, naming only what was
    /// written.
    fn policy(&self, krate: &TokenStream) -> TokenStream {
        let p = quote!(#krate::__private);
        let float = |r: &Given<f64>| {
            r.to_tokens(krate, "share", |r| {
                let r = proc_macro2::Literal::f64_unsuffixed(r);
                quote!(#r)
            })
        };
        let count = |n: &Given<u32>| {
            n.to_tokens(krate, "count", |n| {
                let n = proc_macro2::Literal::u32_unsuffixed(n);
                quote!(#n)
            })
        };
        let int = proc_macro2::Literal::u32_unsuffixed;
        let mut fields = Vec::new();
        if let Some(r) = &self.failure_rate {
            let r = float(r);
            fields.push(quote!(failure_rate: #r));
        }
        if let Some(d) = &self.slow_call {
            let d = d.to_tokens(krate);
            fields.push(quote!(slow_call: #krate::__private::Some(#d)));
        }
        if let Some(r) = &self.slow_rate {
            let r = float(r);
            fields.push(quote!(slow_rate: #r));
        }
        match &self.window {
            Some(WindowArg::Calls(n)) => {
                let n = int(*n);
                fields.push(quote!(window: #p::Window::Calls(#n)));
            }
            Some(WindowArg::Time(d)) => {
                let d = d.to_tokens(krate);
                fields.push(quote!(window: #p::Window::Time(#d)));
            }
            Some(WindowArg::Expr(e)) => {
                let w = pinned(krate, "window", e);
                fields.push(quote!(window: #w));
            }
            None => {}
        }
        if let Some(m) = &self.min_calls {
            let m = count(m);
            fields.push(quote!(min_calls: #m));
        }
        if let Some(c) = &self.consecutive_failures {
            let c = count(c);
            fields.push(quote!(consecutive_failures: #krate::__private::Some(#c)));
        }
        match &self.open_for {
            Some(OpenForArg::Fixed(d)) => {
                let d = d.to_tokens(krate);
                fields.push(quote!(open_for: #p::OpenFor::Fixed(#d)));
            }
            Some(OpenForArg::Exponential { base, max }) => {
                let (base, max) = (base.to_tokens(krate), max.to_tokens(krate));
                fields.push(quote!(open_for: #p::OpenFor::exponential(#base, #max)));
            }
            None => {}
        }
        if let Some(h) = &self.half_open_calls {
            let h = count(h);
            fields.push(quote!(half_open_calls: #h));
        }
        fields.extend(self.fleet.field(krate));
        if fields.is_empty() {
            quote!(#p::BreakerPolicy::DEFAULT)
        } else {
            quote!(#p::BreakerPolicy { #(#fields,)* ..#p::BreakerPolicy::DEFAULT })
        }
    }
}

/// A share above 0% and at most 100%.
fn parse_rate(cx: &Ctxt, v: &Value, what: &str) -> Option<Given<f64>> {
    parse_share(cx, v, what, |r| {
        resilience_grammar::rules::opening_share(what, r)
    })
}

fn parse_positive(cx: &Ctxt, v: &Value, what: &str) -> Option<DurationArg> {
    let d = cx.check(DurationArg::parse(v, what))?;
    if let Some(Err(message)) = d
        .literal
        .map(|d| resilience_grammar::rules::positive(what, d))
    {
        cx.error(d.span, message);
        return None;
    }
    Some(d)
}

/// A whole number of at least 1.
fn parse_at_least_one(cx: &Ctxt, v: &Value, what: &str, hint: &str) -> Option<Given<u32>> {
    parse_count(cx, v, what, "u32", |n| {
        resilience_grammar::rules::at_least_one(what, n, hint)
    })
}

fn parse_half_open(cx: &Ctxt, v: &Value) -> Option<Given<u32>> {
    parse_count(
        cx,
        v,
        "half_open_calls",
        "u32",
        resilience_grammar::rules::half_open_calls,
    )
}

/// `100` (calls), a duration, or an expression giving either.
fn parse_window(cx: &Ctxt, v: &Value) -> Option<WindowArg> {
    let tokens: Vec<TokenTree> = v.tokens.clone().into_iter().collect();
    if let [TokenTree::Literal(l)] = tokens.as_slice()
        && let syn::Lit::Int(i) = syn::Lit::new(l.clone())
        && i.suffix().is_empty()
    {
        let n = cx.check(i.base10_parse::<u32>())?;
        if let Err(message) = resilience_grammar::rules::window_calls(u64::from(n)) {
            cx.error(i.span(), message);
            return None;
        }
        return Some(WindowArg::Calls(n));
    }
    let d = cx.check(DurationArg::parse(v, "window"))?;
    if d.literal.is_none() {
        // `DurationArg` has refused a unit literal inside an expression (`2 * 1s`).
        return cx.check(v.parse::<Expr>()).map(WindowArg::Expr);
    }
    if let Some(Err(message)) = d.literal.map(resilience_grammar::rules::window_time) {
        cx.error(d.span, message);
        return None;
    }
    Some(WindowArg::Time(d))
}

/// `30s` or `exponential(10s, max = 5m)`.
fn parse_open_for(cx: &Ctxt, v: &Value) -> Option<OpenForArg> {
    let tokens: Vec<TokenTree> = v.tokens.clone().into_iter().collect();
    let (kind, group) = match tokens.as_slice() {
        [TokenTree::Ident(id), TokenTree::Group(g)]
            if g.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            (id.clone(), g.clone())
        }
        _ => return parse_positive(cx, v, "open_for").map(OpenForArg::Fixed),
    };
    if kind != "exponential" {
        cx.error(
            kind.span(),
            resilience_grammar::backoff::unknown_open_for(&kind.to_string()),
        );
        return None;
    }
    let args: Args = cx.check(syn::parse2(group.stream()))?;
    let mut base: Option<DurationArg> = None;
    let mut max: Setting<DurationArg> = None;
    for arg in args.0 {
        match &arg.key {
            None if base.is_none() => base = parse_positive(cx, &arg.value, "open_for"),
            None => cx.error(
                arg.value.span(),
                "`exponential` takes one first duration; name the cap: `max = 5m`",
            ),
            Some(key) if key == "max" => {
                let m = parse_positive(cx, &arg.value, "max");
                set_once(cx, &mut max, key, m);
            }
            Some(key) => cx.error(
                key.span(),
                format!(
                    "unknown key `{key}` for `exponential`; it takes its first duration and `max`"
                ),
            ),
        }
    }
    let Some(base) = base else {
        cx.error(group.span(), resilience_grammar::rules::OPEN_FOR_NEEDS_BASE);
        return None;
    };
    let Some((max, _)) = max else {
        cx.error(group.span(), resilience_grammar::rules::OPEN_FOR_NEEDS_CAP);
        return None;
    };
    if let (Some(b), Some(m)) = (base.literal, max.literal)
        && let Err(message) = resilience_grammar::rules::open_for_max(b, m)
    {
        cx.error(max.span, message);
        return None;
    }
    Some(OpenForArg::Exponential { base, max })
}

fn parse_when(cx: &Ctxt, v: &Value) -> Option<Expr> {
    parse_predicate(
        cx,
        v,
        "`when` takes the path of a function `fn(&E) -> bool` saying which errors count as failures, such as `when = is_outage`",
    )
}
