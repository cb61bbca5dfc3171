//! `#[retry(attempts = 4, backoff = exponential(50ms, max = 2s), when = is_transient)]`.
//!
//! Input:  `#[retry(attempts = 4)] async fn f() -> R { body }`
//! Output:
//! ```text
//! static __RESILIENCE_RETRY: RetrySite = RetrySite::new("mod::f");
//! let mut __resilience_retry = __RESILIENCE_RETRY.begin(&const { RetryPolicy { attempts: 4, ..DEFAULT } });
//! loop {
//!     match {
//!         let __resilience_result = <body>;
//!         // The error is logged with its `Display` when it has one, else its `Debug`.
//!         let __resilience_show = (&ShowError::of(&__resilience_result)).resilience_show();
//!         __resilience_retry.decide(__resilience_result, retry_every_error, __resilience_show)
//!     } {
//!         Break(r) => break r,
//!         Continue(delay) => __resilience_retry.wait(delay).await,
//!     }
//! }
//! ```

use super::Gen;
use crate::args::{
    Args, DurationArg, Given, Setting, Value, parse_count, parse_float, parse_name,
    parse_predicate, parse_share, require_key, set_once, unknown_key,
};
use crate::ctxt::Ctxt;
use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use std::time::Duration;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr};

const KEYS: &[&str] = resilience_grammar::keys::RETRY;
const BACKOFFS: &[&str] = resilience_grammar::backoff::BACKOFFS;
const JITTERS: &[&str] = resilience_grammar::keys::JITTERS;

/// A checked `#[retry]`.
pub(crate) struct Retry {
    attempts: Option<Given<u32>>,
    pub(crate) backoff: Option<Backoff>,
    jitter: Option<Ident>,
    max_elapsed: Option<DurationArg>,
    when: Option<Expr>,
    budget: Option<Budget>,
    pub(crate) name: Option<LitStr>,
}

/// `backoff = ..`.
pub(crate) enum Backoff {
    Exponential {
        base: DurationArg,
        factor: Option<f64>,
        max: Option<DurationArg>,
    },
    Constant(DurationArg),
    Fibonacci {
        base: DurationArg,
        max: Option<DurationArg>,
    },
    None,
}

/// `budget = 20%` or `budget = none`.
enum Budget {
    Ratio(Given<f64>),
    Unlimited,
}

impl Retry {
    pub(crate) fn parse(cx: &Ctxt, args: Args) -> Option<Self> {
        let mut attempts: Setting<Given<u32>> = None;
        let mut backoff: Setting<Backoff> = None;
        let mut jitter: Setting<Ident> = None;
        let mut max_elapsed: Setting<DurationArg> = None;
        let mut when: Setting<Expr> = None;
        let mut budget: Setting<Budget> = None;
        let mut name: Setting<LitStr> = None;
        for arg in args.0 {
            let Some(key) = require_key(cx, "retry", "attempts = 3", &arg) else {
                continue;
            };
            let v = &arg.value;
            match key.to_string().as_str() {
                "attempts" => set_once(cx, &mut attempts, key, parse_attempts(cx, v)),
                "backoff" => set_once(cx, &mut backoff, key, parse_backoff(cx, v)),
                "jitter" => set_once(cx, &mut jitter, key, parse_choice(cx, v, "jitter", JITTERS)),
                "max_elapsed" => set_once(cx, &mut max_elapsed, key, parse_positive(cx, v, "max_elapsed")),
                "when" => set_once(cx, &mut when, key, parse_when(cx, v)),
                "budget" => set_once(cx, &mut budget, key, parse_budget(cx, v)),
                "name" => set_once(cx, &mut name, key, parse_name(cx, v)),
                "crate" => {}
                "retries" | "max_attempts" | "times" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[retry]`; use `attempts` (total attempts, the first included)"),
                ),
                "delay" | "backoff_ms" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[retry]`; use `backoff = constant(100ms)` or `backoff = exponential(100ms)`"),
                ),
                _ => unknown_key(cx, "retry", key, KEYS),
            }
        }
        if let (Some((Backoff::None, _)), Some((j, span))) = (&backoff, &jitter)
            && j != "none"
        {
            cx.error(
                *span,
                "`jitter` has no effect with `backoff = none`; remove it or choose a backoff",
            );
        }
        Some(Retry {
            attempts: attempts.map(|(a, _)| a),
            backoff: backoff.map(|(b, _)| b),
            jitter: jitter.map(|(j, _)| j),
            max_elapsed: max_elapsed.map(|(d, _)| d),
            when: when.map(|(w, _)| w),
            budget: budget.map(|(b, _)| b),
            name: name.map(|(n, _)| n),
        })
    }

    /// The shortest wait before the first retry, jitter included, when the backoff is written
    /// as a literal: `full` jitter (the default) can wait no time at all.
    pub(crate) fn shortest_first_delay(&self) -> Option<Duration> {
        let base = match self.backoff.as_ref() {
            None => Duration::from_millis(100),
            Some(
                Backoff::Exponential { base, .. }
                | Backoff::Fibonacci { base, .. }
                | Backoff::Constant(base),
            ) => base.literal?,
            Some(Backoff::None) => Duration::ZERO,
        };
        match self.jitter.as_ref().map(Ident::to_string).as_deref() {
            None | Some("full") => Some(Duration::ZERO),
            Some("equal") => Some(base / 2),
            _ => Some(base),
        }
    }

    /// Whether a retry can happen at all (`attempts = 1` makes one call).
    pub(crate) fn retries(&self) -> bool {
        self.attempts.as_ref().and_then(Given::literal) != Some(1)
    }

    /// Whether a count or percentage is given as an expression, checked at each call.
    pub(crate) fn has_expr(&self) -> bool {
        self.attempts.as_ref().is_some_and(Given::is_expr)
            || matches!(&self.budget, Some(Budget::Ratio(r)) if r.is_expr())
    }

    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        let site = g.site_static(
            "__RESILIENCE_RETRY",
            "RetrySite",
            self.name.as_ref(),
            TokenStream::new(),
            TokenStream::new(),
        );
        if !self.is_const() {
            return site;
        }
        // A `const`, not a field of the site: a `static` holding a `OnceLock` is not constant
        // to LLVM, and reading the policy from it cost 5 instructions per call (callgrind retry
        // 42 -> 47).
        let krate = &g.krate;
        let policy = g.in_runtime_scope(self.policy(krate));
        quote! {
            #site
            const __RESILIENCE_RETRY_POLICY: #krate::__private::RetryPolicy = #policy;
        }
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        let policy = self.policy(krate);
        let when = match &self.when {
            // A path is called from a closure, so a predicate taking the wrong error type gives
            // one "mismatched types" on it rather than two trait errors. A closure is passed
            // as written: its argument's type comes from `decide`'s bound.
            Some(w @ Expr::Path(_)) => {
                // Only the call carries the user's span: a closure spanned wholly on user code
                // would trip clippy's `redundant_closure` in the user's crate.
                let call = quote_spanned!(w.span()=> #w(__resilience_error));
                quote!(|__resilience_error| #call)
            }
            Some(w) => quote_spanned!(w.span()=> #w),
            None => quote!(#krate::__private::retry_every_error),
        };
        // The policy is borrowed: a constant when every setting is a literal (nothing is
        // written out per call), else a local built at each call.
        let (local, start) = if self.is_const() {
            (quote!(), quote!(begin(&__RESILIENCE_RETRY_POLICY)))
        } else if self.has_expr() {
            (quote!(), quote!(begin(&__resilience_checked)))
        } else {
            (
                quote!(let __resilience_policy = #policy;),
                quote!(begin(&__resilience_policy)),
            )
        };
        let wait = crate::expand_sync::retry_wait(g);
        // `decide` is not async: a success breaks out at once, and only a retry awaits.
        let layer = quote! {{
            #local
            let mut __resilience_retry = __RESILIENCE_RETRY.#start;
            loop {
                // The attempt's result lives in the scrutinee's block only: it is borrowed (to
                // pick how its error is logged), and a borrowed local of the loop body would be
                // kept in the future across the retry's wait.
                match {
                    let __resilience_attempt = #inner;
                    let __resilience_show =
                        (&#krate::__private::ShowError::of(&__resilience_attempt)).resilience_show();
                    __resilience_retry.decide(__resilience_attempt, #when, __resilience_show)
                } {
                    #krate::__private::Break(__resilience_result) => break __resilience_result,
                    #krate::__private::Continue(__resilience_delay) => {
                        #wait
                    }
                }
            }
        }};
        if self.has_expr() {
            let name = g.call_name(self.name.as_ref());
            return g.checked("retry", &name, self.policy(krate), layer);
        }
        layer
    }

    /// Whether the policy is a constant: every value written as a literal.
    fn is_const(&self) -> bool {
        if self.has_expr() {
            return false;
        }
        let literal = |d: &DurationArg| d.literal.is_some();
        let backoff = match &self.backoff {
            None => true,
            Some(Backoff::Exponential { base, max, .. } | Backoff::Fibonacci { base, max }) => {
                literal(base) && max.as_ref().is_none_or(literal)
            }
            Some(Backoff::Constant(d)) => literal(d),
            Some(Backoff::None) => true,
        };
        backoff && self.max_elapsed.as_ref().is_none_or(literal)
    }

    /// `RetryPolicy { attempts: 4, ..RetryPolicy::DEFAULT }`, naming only what was written.
    fn policy(&self, krate: &TokenStream) -> TokenStream {
        let p = quote!(#krate::__private);
        let mut fields = Vec::new();
        if let Some(a) = &self.attempts {
            let a = a.to_tokens(krate, "count", |a| {
                let a = proc_macro2::Literal::u32_unsuffixed(a);
                quote!(#a)
            });
            fields.push(quote!(attempts: #a));
        }
        if let Some(b) = &self.backoff {
            let b = backoff_tokens(b, krate);
            fields.push(quote!(backoff: #b));
        }
        if let Some(j) = &self.jitter {
            let variant = Ident::new(&capitalise(&j.to_string()), j.span());
            fields.push(quote!(jitter: #p::Jitter::#variant));
        }
        if let Some(d) = &self.max_elapsed {
            let d = d.to_tokens(krate);
            fields.push(quote!(max_elapsed: #krate::__private::Some(#d)));
        }
        match &self.budget {
            Some(Budget::Ratio(r)) => {
                let r = r.to_tokens(krate, "share", |r| {
                    let r = proc_macro2::Literal::f64_unsuffixed(r);
                    quote!(#r)
                });
                fields.push(quote!(budget: #p::Budget::Ratio(#r)))
            }
            Some(Budget::Unlimited) => fields.push(quote!(budget: #p::Budget::Unlimited)),
            None => {}
        }
        if fields.is_empty() {
            quote!(#p::RetryPolicy::DEFAULT)
        } else {
            quote!(#p::RetryPolicy { #(#fields,)* ..#p::RetryPolicy::DEFAULT })
        }
    }
}

fn backoff_tokens(b: &Backoff, krate: &TokenStream) -> TokenStream {
    let p = quote!(#krate::__private);
    let max_or = |m: &Option<DurationArg>, default: TokenStream| {
        m.as_ref().map_or(default, |m| m.to_tokens(krate))
    };
    match b {
        Backoff::Exponential { base, factor, max } => {
            let base = base.to_tokens(krate);
            let factor = proc_macro2::Literal::f64_unsuffixed(factor.unwrap_or(2.0));
            let max = max_or(max, quote!(#p::secs(10)));
            quote!(#p::Backoff::exponential(#base, #factor, #max))
        }
        Backoff::Constant(d) => {
            let d = d.to_tokens(krate);
            quote!(#p::Backoff::constant(#d))
        }
        Backoff::Fibonacci { base, max } => {
            let base = base.to_tokens(krate);
            let max = max_or(max, quote!(#p::secs(10)));
            quote!(#p::Backoff::fibonacci(#base, #max))
        }
        Backoff::None => quote!(#p::Backoff::None),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn parse_attempts(cx: &Ctxt, v: &Value) -> Option<Given<u32>> {
    parse_count(
        cx,
        v,
        "attempts",
        "u32",
        resilience_grammar::rules::attempts,
    )
}

fn parse_positive(cx: &Ctxt, v: &Value, what: &str) -> Option<DurationArg> {
    let d = cx.check(DurationArg::parse(v, what))?;
    if let Some(Err(message)) = d.literal.map(resilience_grammar::rules::max_elapsed) {
        cx.error(d.span, message);
        return None;
    }
    Some(d)
}

/// One of a fixed set of identifiers (`jitter = full`).
fn parse_choice(cx: &Ctxt, v: &Value, what: &str, choices: &[&str]) -> Option<Ident> {
    match v.parse::<Ident>() {
        Ok(id) if choices.contains(&id.to_string().as_str()) => Some(id),
        Ok(id) => {
            if let Err(message) = resilience_grammar::keys::choice(what, &id.to_string(), choices) {
                cx.error(id.span(), message);
            }
            None
        }
        Err(_) => {
            let list: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
            cx.error(v.span(), format!("expected a {what}: {}", list.join(", ")));
            None
        }
    }
}

fn parse_when(cx: &Ctxt, v: &Value) -> Option<Expr> {
    parse_predicate(
        cx,
        v,
        "`when` takes the path of a function `fn(&E) -> bool` (or `-> RetryDecision`), such as `when = is_transient`",
    )
}

fn parse_budget(cx: &Ctxt, v: &Value) -> Option<Budget> {
    if v.parse::<Ident>().is_ok_and(|id| id == "none") {
        return Some(Budget::Unlimited);
    }
    parse_share(cx, v, "budget", |_| Ok(())).map(Budget::Ratio)
}

/// `none`, `constant(100ms)`, `exponential(100ms, factor = 2.0, max = 10s)`, `fibonacci(100ms, max = 10s)`.
fn parse_backoff(cx: &Ctxt, v: &Value) -> Option<Backoff> {
    let tokens: Vec<TokenTree> = v.tokens.clone().into_iter().collect();
    let example = resilience_grammar::backoff::EXAMPLE;
    let (kind, group) = match tokens.as_slice() {
        [TokenTree::Ident(id)] => (id.clone(), None),
        [TokenTree::Ident(id), TokenTree::Group(g)]
            if g.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            (id.clone(), Some(g.clone()))
        }
        _ => {
            cx.error(v.span(), format!("expected a backoff: {example}"));
            return None;
        }
    };
    let name = kind.to_string();
    if !BACKOFFS.contains(&name.as_str()) {
        cx.error(kind.span(), resilience_grammar::backoff::unknown(&name));
        return None;
    }
    if name == "none" {
        if let Some(g) = group {
            cx.error(g.span(), "`none` takes no arguments");
        }
        return Some(Backoff::None);
    }
    let Some(group) = group else {
        cx.error(
            kind.span(),
            resilience_grammar::backoff::needs_first_delay(&name),
        );
        return None;
    };
    let args: Args = cx.check(syn::parse2(group.stream()))?;
    let allowed: &[&str] = resilience_grammar::backoff::allowed_keys(&name);
    let mut base: Setting<DurationArg> = None;
    let mut factor: Setting<f64> = None;
    let mut max: Setting<DurationArg> = None;
    // The delay was written, even if wrongly: its own error says what to fix.
    let mut base_written = false;
    for arg in args.0 {
        match &arg.key {
            None if !base_written => {
                base_written = true;
                base = cx
                    .check(DurationArg::parse(&arg.value, "backoff"))
                    .map(|d| (d, arg.value.span()))
            }
            None => cx.error(
                arg.value.span(),
                resilience_grammar::backoff::extra_delay(&name),
            ),
            Some(key) if !allowed.contains(&key.to_string().as_str()) => cx.error(
                key.span(),
                resilience_grammar::backoff::unknown_key(&name, &key.to_string()),
            ),
            Some(key) if key == "factor" => {
                let f = cx.check(parse_float(&arg.value, "`factor`"));
                if let Some(Err(message)) = f.map(resilience_grammar::rules::factor) {
                    cx.error(arg.value.span(), message);
                }
                set_once(cx, &mut factor, key, f);
            }
            Some(key) => {
                let m = cx.check(DurationArg::parse(&arg.value, "max"));
                set_once(cx, &mut max, key, m);
            }
        }
    }
    let Some((base, base_span)) = base else {
        if base_written {
            return None;
        }
        cx.error(
            group.span(),
            resilience_grammar::backoff::needs_first_delay(&name),
        );
        return None;
    };
    if let (Some(b), Some((m, _))) = (base.literal, &max)
        && let Some(Err(message)) = m
            .literal
            .map(|m| resilience_grammar::rules::backoff_max(b, m))
    {
        cx.error(m.span, message);
    }
    let _ = base_span;
    Some(match name.as_str() {
        "exponential" => Backoff::Exponential {
            base,
            factor: factor.map(|(f, _)| f),
            max: max.map(|(m, _)| m),
        },
        "fibonacci" => Backoff::Fibonacci {
            base,
            max: max.map(|(m, _)| m),
        },
        _ => Backoff::Constant(base),
    })
}
