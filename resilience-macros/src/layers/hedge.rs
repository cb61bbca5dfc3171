//! `#[hedge(delay = p95, max_hedged = 1, when = is_transient, budget = 10%, name = "search")]`.
//!
//! Input:  `#[hedge(delay = 50ms)] async fn f(q: &str) -> R { body }`
//! Output:
//! ```text
//! static __RESILIENCE_HEDGE: HedgeSite = HedgeSite::new("mod::f");
//! __RESILIENCE_HEDGE
//!     .call(&const { HedgePolicy { delay: HedgeDelay::Fixed(50ms), ..DEFAULT } },
//!           runs::<Hedged1<_>>(), || async { <body> }, hedge_every_error)
//!     .await
//! ```
//! The closure borrows the arguments as the body does, so each run borrows them too: nothing
//! is moved or spawned, and the runs are polled together in the caller's task.

use super::Gen;
use crate::args::{
    Args, DurationArg, Given, Setting, Value, parse_count, parse_name, parse_predicate,
    parse_share, require_key, set_once, unknown_key,
};
use crate::ctxt::Ctxt;
use crate::item::{ItemFn, Shape};
use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, FnArg, LitStr, Type};

const KEYS: &[&str] = &["delay", "max_hedged", "when", "budget", "name", "crate"];
const PERCENTILE_HELP: &str = "a percentile from `p50` to `p99.9` (such as `p95` or `p99.9`) of the function's own recent latencies, or a duration such as `50ms`";

/// A checked `#[hedge]`.
pub(crate) struct Hedge {
    delay: Option<Delay>,
    max_hedged: Option<Given<u32>>,
    when: Option<Expr>,
    budget: Option<Budget>,
    pub(crate) name: Option<LitStr>,
}

/// `delay = p95` or `delay = 50ms`.
enum Delay {
    /// A share from 0.5 to 0.999.
    Percentile(f64),
    Fixed(DurationArg),
}

/// `budget = 10%` or `budget = none`.
enum Budget {
    Ratio(Given<f64>),
    Unlimited,
}

impl Hedge {
    pub(crate) fn parse(cx: &Ctxt, args: Args) -> Option<Self> {
        let mut delay: Setting<Delay> = None;
        let mut max_hedged: Setting<Given<u32>> = None;
        let mut when: Setting<Expr> = None;
        let mut budget: Setting<Budget> = None;
        let mut name: Setting<LitStr> = None;
        for arg in args.0 {
            let Some(key) = require_key(cx, "hedge", "delay = p95", &arg) else {
                continue;
            };
            let v = &arg.value;
            match key.to_string().as_str() {
                "delay" | "after" => {
                    if key == "after" {
                        cx.error(key.span(), "unknown key `after` for `#[hedge]`; use `delay`");
                        continue;
                    }
                    set_once(cx, &mut delay, key, parse_delay(cx, v))
                }
                "max_hedged" => set_once(cx, &mut max_hedged, key, parse_max_hedged(cx, v)),
                "attempts" | "max_attempts" | "hedges" | "max_hedges" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[hedge]`; use `max_hedged` (extra runs beside the first, 1 to 10)"),
                ),
                "when" => set_once(cx, &mut when, key, parse_predicate(
                    cx,
                    v,
                    "`when` takes the path of a function `fn(&E) -> bool` saying which errors start the next run at once, such as `when = is_transient`",
                )),
                "budget" => set_once(cx, &mut budget, key, parse_budget(cx, v)),
                "name" => set_once(cx, &mut name, key, parse_name(cx, v)),
                "crate" => {}
                _ => unknown_key(cx, "hedge", key, KEYS),
            }
        }
        Some(Hedge {
            delay: delay.map(|(d, _)| d),
            max_hedged: max_hedged.map(|(m, _)| m),
            when: when.map(|(w, _)| w),
            budget: budget.map(|(b, _)| b),
            name: name.map(|(n, _)| n),
        })
    }

    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        g.site_static(
            "__RESILIENCE_HEDGE",
            "HedgeSite",
            self.name.as_ref(),
            TokenStream::new(),
            TokenStream::new(),
        )
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        let p = quote!(#krate::__private);
        let when = match &self.when {
            Some(w @ Expr::Path(_)) => {
                let call = quote_spanned!(w.span()=> #w(__resilience_error));
                quote!(|__resilience_error| #call)
            }
            Some(w) => quote_spanned!(w.span()=> #w),
            None => quote!(#p::hedge_every_error),
        };
        // The places for the runs are a type: an expression's `max_hedged` gets the most
        // places, and the runs stop at its value.
        let places = match &self.max_hedged {
            None => 1,
            Some(Given::Literal(m)) => *m,
            Some(Given::Expr(_)) => resilience_grammar::rules::MAX_HEDGED,
        };
        let runs = syn::Ident::new(&format!("Hedged{places}"), proc_macro2::Span::call_site());
        let policy = self.policy(krate);
        let (local, policy) = match &self.delay {
            _ if self.has_expr() => (quote!(), quote!(&__resilience_checked)),
            Some(Delay::Fixed(d)) if d.literal.is_none() => (
                quote!(let __resilience_policy = #policy;),
                quote!(&__resilience_policy),
            ),
            _ => (quote!(), quote!(&const { #policy })),
        };
        let capture = g.capture();
        let layer = quote! {{
            #local
            __RESILIENCE_HEDGE
                .call(#policy, #p::runs::<#p::#runs<_>>(), || async #capture { #inner }, #when)
                .await
        }};
        if self.has_expr() {
            let name = g.call_name(self.name.as_ref());
            return g.checked("hedge", &name, self.policy(krate), layer);
        }
        layer
    }

    /// Whether a count or percentage is given as an expression, checked at each call.
    pub(crate) fn has_expr(&self) -> bool {
        self.max_hedged.as_ref().is_some_and(Given::is_expr)
            || matches!(&self.budget, Some(Budget::Ratio(r)) if r.is_expr())
    }

    /// `HedgePolicy { delay: .., ..HedgePolicy::DEFAULT }`, naming only what was written.
    fn policy(&self, krate: &TokenStream) -> TokenStream {
        let p = quote!(#krate::__private);
        let mut fields = Vec::new();
        match &self.delay {
            Some(Delay::Percentile(q)) => {
                let q = proc_macro2::Literal::f64_unsuffixed(*q);
                fields.push(quote!(delay: #p::HedgeDelay::Percentile(#q)));
            }
            Some(Delay::Fixed(d)) => {
                let d = d.to_tokens(krate);
                fields.push(quote!(delay: #p::HedgeDelay::Fixed(#d)));
            }
            None => {}
        }
        if let Some(m) = &self.max_hedged {
            let m = m.to_tokens(krate, "count", |m| {
                let m = proc_macro2::Literal::u32_unsuffixed(m);
                quote!(#m)
            });
            fields.push(quote!(max_hedged: #m));
        }
        match &self.budget {
            Some(Budget::Ratio(r)) => {
                let r = r.to_tokens(krate, "share", |r| {
                    let r = proc_macro2::Literal::f64_unsuffixed(r);
                    quote!(#r)
                });
                fields.push(quote!(budget: #p::Budget::Ratio(#r)));
            }
            Some(Budget::Unlimited) => fields.push(quote!(budget: #p::Budget::Unlimited)),
            None => {}
        }
        if fields.is_empty() {
            quote!(#p::HedgePolicy::DEFAULT)
        } else if fields.len() == 3 {
            // Every field written: `..DEFAULT` would be a needless update (clippy).
            quote!(#p::HedgePolicy { #(#fields,)* })
        } else {
            quote!(#p::HedgePolicy { #(#fields,)* ..#p::HedgePolicy::DEFAULT })
        }
    }
}

/// A hedged body runs twice at once, so the function must be `async` and must not take
/// anything by `&mut`: each mistake is reported on its token. True when the item is fine.
pub(crate) fn check_item(cx: &Ctxt, item: &ItemFn) -> bool {
    let mut fine = true;
    // An `async fn` or an `#[async_trait]` method; anything else (a plain `fn`) is not.
    if !matches!(
        item.shape(),
        Some(Shape::Async { .. } | Shape::AsyncTrait(_))
    ) {
        cx.error(
            item.sig.fn_token.span,
            "`#[hedge]` runs the body twice at once in one task, which only an `async fn` can do: a plain `fn` holds its thread until it returns, and a thread cannot be cancelled when the other run wins; make the function `async`",
        );
        fine = false;
    }
    for input in &item.sig.inputs {
        let span = match input {
            FnArg::Receiver(r) if r.reference.is_some() && r.mutability.is_some() => {
                r.mutability.span()
            }
            FnArg::Receiver(r) if r.reference.is_none() => match &*r.ty {
                Type::Reference(t) if t.mutability.is_some() => t.mutability.span(),
                _ => continue,
            },
            FnArg::Typed(t) => match &*t.ty {
                Type::Reference(r) if r.mutability.is_some() => r.mutability.span(),
                _ => continue,
            },
            _ => continue,
        };
        let message = match input {
            FnArg::Receiver(_) => {
                "`#[hedge]` runs the body twice at once, and two runs cannot both hold `&mut self`; take `&self` (with a `Mutex` or atomics inside for what must change)"
            }
            FnArg::Typed(_) => {
                "`#[hedge]` runs the body twice at once, and two runs cannot both hold this `&mut` argument; take it by `&` (with a `Mutex` or a `Cell` inside for what must change), or make the change after the hedged call"
            }
        };
        cx.error(span, message);
        fine = false;
    }
    fine
}

/// `p50` … `p99.9`, or a duration.
fn parse_delay(cx: &Ctxt, v: &Value) -> Option<Delay> {
    let tokens: Vec<TokenTree> = v.tokens.clone().into_iter().collect();
    let percentile = match tokens.as_slice() {
        [TokenTree::Ident(id)] => percentile_digits(&id.to_string()).map(|d| (d, None, id.span())),
        [
            TokenTree::Ident(id),
            TokenTree::Punct(dot),
            TokenTree::Literal(frac),
        ] if dot.as_char() == '.' => {
            percentile_digits(&id.to_string()).map(|d| (d, Some(frac.to_string()), id.span()))
        }
        _ => None,
    };
    if let Some((whole, frac, span)) = percentile {
        let written = match &frac {
            Some(f) => format!("{whole}.{f}"),
            None => whole.clone(),
        };
        let value: Option<f64> = written.parse().ok();
        return match value {
            Some(p)
                if (50.0..=99.9).contains(&p)
                    && frac
                        .as_ref()
                        .is_none_or(|f| f.len() == 1 && f.bytes().all(|b| b.is_ascii_digit())) =>
            {
                Some(Delay::Percentile((p * 10.0).round() / 1000.0))
            }
            _ => {
                cx.error(
                    v.span().join(span).unwrap_or(span),
                    format!("`p{written}` is not a percentile `#[hedge]` can wait for; `delay` takes {PERCENTILE_HELP}"),
                );
                None
            }
        };
    }
    let d = cx.check(DurationArg::parse(v, "delay"))?;
    if d.literal.is_some_and(|d| d.is_zero()) {
        cx.error(
            d.span,
            "a hedge `delay` of zero runs every call twice from the start; give a positive duration such as `50ms`, or a percentile such as `p95`",
        );
        return None;
    }
    Some(Delay::Fixed(d))
}

/// The digits after `p` in `p95`, if the identifier is `p` and digits.
fn percentile_digits(id: &str) -> Option<String> {
    let digits = id.strip_prefix('p')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
}

fn parse_max_hedged(cx: &Ctxt, v: &Value) -> Option<Given<u32>> {
    parse_count(
        cx,
        v,
        "max_hedged",
        "u32",
        resilience_grammar::rules::max_hedged,
    )
}

fn parse_budget(cx: &Ctxt, v: &Value) -> Option<Budget> {
    if v.parse::<syn::Ident>().is_ok_and(|id| id == "none") {
        return Some(Budget::Unlimited);
    }
    parse_share(cx, v, "budget", |_| Ok(())).map(Budget::Ratio)
}

#[cfg(test)]
mod tests {
    use crate::compose::expand;
    use crate::kind::Kind;

    fn run(args: &str, item: &str) -> String {
        expand(Kind::Hedge, args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    const ITEM: &str = "async fn f(x: &str) -> Result<u32, E> { Ok(1) }";

    #[test]
    fn percentiles_read_as_shares() {
        for (written, share) in [
            ("p50", "0.5"),
            ("p95", "0.95"),
            ("p99", "0.99"),
            ("p99.9", "0.999"),
        ] {
            let out = run(&format!("delay = {written}"), ITEM);
            assert!(!out.contains("compile_error"), "{written}: {out}");
            assert!(
                out.contains(&format!("Percentile ({share})")),
                "{written}: {out}"
            );
        }
    }

    #[test]
    fn odd_hedge_arguments_are_errors_not_panics() {
        for args in [
            "delay = p49",
            "delay = p100",
            "delay = p99.95",
            "delay = p95.",
            "delay = 0ms",
            "delay = ",
            "max_hedged = 0",
            "max_hedged = 11",
            "max_hedged = 2.5",
            "max_hedged = 1u8",
            "budget = 101%",
            "when = 1 + 2",
            "name = \"\"",
            "delay = 1s, delay = 2s",
            "after = 1s",
            "p95",
        ] {
            let out = run(args, ITEM);
            assert!(
                out.contains("compile_error"),
                "`#[hedge({args})]` should be an error: {out}"
            );
            assert!(
                out.contains("fn f"),
                "`#[hedge({args})]` lost the function: {out}"
            );
        }
    }

    #[test]
    fn the_places_follow_max_hedged_and_a_plain_fn_is_one_error() {
        assert!(run("max_hedged = 3", ITEM).contains("Hedged3"));
        assert!(run("", ITEM).contains("Hedged1"));
        let plain = run("", "fn f() -> Result<u32, E> { Ok(1) }");
        assert_eq!(plain.matches("compile_error").count(), 1, "{plain}");
        assert!(plain.contains("make the function `async`"), "{plain}");
        // Both `&mut` mistakes of one signature, at once.
        let both = run(
            "",
            "async fn f(&mut self, b: &mut Vec<u8>) -> Result<u32, E> { Ok(1) }",
        );
        assert_eq!(both.matches("compile_error").count(), 2, "{both}");
    }
}
