//! `#[chaos(error_rate = 10%, latency = 200ms, latency_rate = 20%, name = "..")]`.
//!
//! The arguments are checked whether or not the `chaos` feature is on, so turning it on never
//! reveals a mistake; without it `compose` leaves the layer out.
//!
//! Input:  `#[chaos(error_rate = 10%, latency = 200ms, latency_rate = 20%)] async fn f() -> R { body }`
//! Output:
//! ```text
//! chaos("mod::f", ChaosPolicy { error_rate: 0.1, latency: Duration::from_millis(200), latency_rate: 0.2 },
//!     async { <body> }).await
//! ```

use super::Gen;
use crate::args::{
    Args, DurationArg, Given, Setting, parse_name, parse_share, require_key, set_once, unknown_key,
};
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;

const KEYS: &[&str] = resilience_grammar::keys::CHAOS;

/// A checked `#[chaos]`.
pub(crate) struct Chaos {
    error_rate: Option<Given<f64>>,
    latency: Option<DurationArg>,
    latency_rate: Option<Given<f64>>,
    pub(crate) name: Option<LitStr>,
}

impl Chaos {
    pub(crate) fn parse(cx: &Ctxt, args: Args, span: Span) -> Option<Self> {
        let mut error_rate: Setting<Given<f64>> = None;
        let mut latency: Setting<DurationArg> = None;
        let mut latency_rate: Setting<Given<f64>> = None;
        let mut name: Setting<LitStr> = None;
        // A fault written wrongly is reported once, not again as missing.
        let mut fault_written = false;
        for arg in args.0 {
            let Some(key) = require_key(cx, "chaos", "error_rate = 10%", &arg) else {
                continue;
            };
            let v = &arg.value;
            match key.to_string().as_str() {
                "error_rate" => {
                    fault_written = true;
                    let r = parse_share(cx, v, "error_rate", |_| Ok(()));
                    set_once(cx, &mut error_rate, key, r);
                }
                "latency" => {
                    fault_written = true;
                    let d = cx.check(DurationArg::parse(v, "latency"));
                    let d = match d {
                        Some(d) if d.literal.is_some_and(|d| d.is_zero()) => {
                            cx.error(
                                d.span,
                                resilience_grammar::rules::latency(std::time::Duration::ZERO).unwrap_err(),
                            );
                            None
                        }
                        d => d,
                    };
                    set_once(cx, &mut latency, key, d);
                }
                "latency_rate" => {
                    let r = parse_share(cx, v, "latency_rate", |_| Ok(()));
                    set_once(cx, &mut latency_rate, key, r);
                }
                "name" => set_once(cx, &mut name, key, parse_name(cx, v)),
                "crate" => {}
                "rate" | "failure_rate" | "fault_rate" | "fail_rate" | "probability" => {
                    fault_written = true;
                    cx.error(
                        key.span(),
                        format!("unknown key `{key}` for `#[chaos]`; use `error_rate = 10%` (share of calls failed with `Error::Injected`)"),
                    );
                }
                "delay" | "sleep" | "slow" => {
                    fault_written = true;
                    cx.error(
                        key.span(),
                        format!("unknown key `{key}` for `#[chaos]`; use `latency = 200ms` (the delay injected before the body)"),
                    );
                }
                "delay_rate" | "slow_rate" => cx.error(
                    key.span(),
                    format!("unknown key `{key}` for `#[chaos]`; use `latency_rate = 20%` (share of calls delayed)"),
                ),
                _ => {
                    // A misspelt fault (`error_rat`) is reported once, not again as missing.
                    let closest = crate::suggest::closest(&key.to_string(), KEYS);
                    let fault = ["error_rate", "latency", "latency_rate"];
                    fault_written |= closest.is_some_and(|c| fault.contains(&c));
                    unknown_key(cx, "chaos", key, KEYS);
                }
            }
        }
        if let (Some((_, span)), None) = (&latency_rate, &latency) {
            cx.error(
                *span,
                resilience_grammar::rules::LATENCY_RATE_WITHOUT_LATENCY,
            );
        }
        if error_rate.is_none() && latency.is_none() && !fault_written {
            cx.error(
                span,
                "`#[chaos]` needs a fault to inject: `#[chaos(error_rate = 10%)]`, `#[chaos(latency = 200ms)]`, or both",
            );
            return None;
        }
        Some(Chaos {
            error_rate: error_rate.map(|(r, _)| r),
            latency: latency.map(|(d, _)| d),
            latency_rate: latency_rate.map(|(r, _)| r),
            name: name.map(|(n, _)| n),
        })
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let krate = &g.krate;
        let p = quote!(#krate::__private);
        let name = g.call_name(self.name.as_ref());
        let share = |r: &Given<f64>| {
            r.to_tokens(krate, "share", |r| {
                let r = proc_macro2::Literal::f64_unsuffixed(r);
                quote!(#r)
            })
        };
        let mut fields = Vec::new();
        if let Some(r) = &self.error_rate {
            let r = share(r);
            fields.push(quote!(error_rate: #r));
        }
        if let Some(d) = &self.latency {
            let d = d.to_tokens(krate);
            // `latency_rate` defaults to every call when `latency` is given.
            let r = share(self.latency_rate.as_ref().unwrap_or(&Given::Literal(1.0)));
            fields.push(quote!(latency: #d));
            fields.push(quote!(latency_rate: #r));
        }
        let policy = if fields.len() == 3 {
            quote!(#p::ChaosPolicy { #(#fields),* })
        } else {
            quote!(#p::ChaosPolicy { #(#fields,)* ..#p::ChaosPolicy::NONE })
        };
        let checked = [&self.error_rate, &self.latency_rate]
            .into_iter()
            .any(|r| r.as_ref().is_some_and(Given::is_expr));
        g.checked_if(checked, "chaos", self.name.as_ref(), policy, |policy| {
            if g.sync {
                quote!(#p::chaos_blocking(#name, #policy, &__RESILIENCE_BLOCKING, || #inner))
            } else {
                let capture = g.capture();
                quote! {
                    #p::chaos(#name, #policy, async #capture { #inner }).await
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::{Options, expand_with};
    use crate::kind::Kind;
    use proc_macro2::TokenStream;

    const ITEM: &str = "async fn f(x: u32) -> Result<u32, E> { Ok(x) }";

    fn run(args: &str, chaos: bool) -> String {
        let args: TokenStream = args.parse().expect("args lex");
        let item: TokenStream = ITEM.parse().expect("item lex");
        expand_with(
            Kind::Chaos,
            args,
            item,
            Options {
                chaos,
                redis: true,
                metrics: false,
            },
        )
        .to_string()
    }

    /// The errors of an expansion, in order.
    fn errors(out: &str) -> Vec<&str> {
        out.match_indices("compile_error")
            .map(|(i, _)| &out[i..i + out[i..].find('}').unwrap_or(0)])
            .collect()
    }

    #[test]
    fn mistakes_are_the_same_with_and_without_the_feature() {
        let cases = [
            "",
            "name = \"x\"",
            "error_rate = 150%",
            "error_rate = -1%",
            "error_rate = 10%, error_rate = 20%",
            "error_rate = 10%, latency_rate = 20%",
            "latency = 0ms",
            "latency = 200",
            "latency = \"200ms\"",
            "error_rat = 10%",
            "delay = 200ms",
            "probability = 0.1",
            "10%",
            "error_rate = 10%, crate = 3",
            "latency = 1s, latency_rate = 101%",
        ];
        for args in cases {
            let with = run(args, true);
            let without = run(args, false);
            assert!(with.contains("compile_error"), "`{args}`: {with}");
            assert_eq!(errors(&with), errors(&without), "`{args}`");
            assert!(without.contains("fn f"), "`{args}` lost the function");
        }
    }

    #[test]
    fn a_misspelt_fault_is_not_also_reported_missing() {
        let out = run("error_rat = 10%", true);
        assert_eq!(errors(&out).len(), 1, "{out}");
        let out = run("nmae = \"x\"", true);
        assert_eq!(errors(&out).len(), 2, "{out}");
    }

    #[test]
    fn good_arguments_expand_with_the_feature_and_vanish_without() {
        for args in [
            "error_rate = 10%",
            "latency = 200ms",
            "latency = LATENCY, latency_rate = 0.2",
            "error_rate = 0%, latency = 1s, latency_rate = 100%, name = \"db\",",
            "error_rate = 1.0, crate = my::resilience",
        ] {
            let with = run(args, true);
            assert!(!with.contains("compile_error"), "`{args}`: {with}");
            assert!(with.contains("ChaosPolicy"), "`{args}`: {with}");
            let without = run(args, false);
            assert_eq!(without, ITEM.parse::<TokenStream>().unwrap().to_string());
        }
    }
}
