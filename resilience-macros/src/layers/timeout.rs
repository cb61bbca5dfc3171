//! `#[timeout(2s)]` / `#[timeout(duration = 2s, name = "..")]`.
//!
//! Input:  `#[timeout(800ms)] async fn f() -> R { body }`
//! Output: `__RESILIENCE_TIMEOUT.run(ms(800), <lift>, async { <body> }).await` innermost (the
//! timeout owns the body's future; `<lift>` turns its value into the layers' result), else
//! `__RESILIENCE_TIMEOUT.call(ms(800), async { <layers beneath> }).await`

use super::Gen;
use crate::args::{Args, DurationArg, Setting, parse_name, set_once, unknown_key};
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;

const KEYS: &[&str] = resilience_grammar::keys::TIMEOUT;

/// A checked `#[timeout]`.
pub(crate) struct Timeout {
    pub(crate) duration: DurationArg,
    pub(crate) name: Option<LitStr>,
}

impl Timeout {
    pub(crate) fn parse(cx: &Ctxt, args: Args, span: Span) -> Option<Self> {
        let mut duration: Setting<DurationArg> = None;
        let mut name: Setting<LitStr> = None;
        // A duration was written, even if wrongly: its own error says what to fix.
        let mut written = false;
        for arg in args.0 {
            let Some(key) = &arg.key else {
                if let Ok(bare) = syn::parse2::<syn::Ident>(arg.value.tokens.clone())
                    && KEYS.contains(&bare.to_string().as_str())
                {
                    cx.error(
                        bare.span(),
                        format!("`{bare}` needs a value: `{bare} = ..`"),
                    );
                    continue;
                }
                if written {
                    cx.error(
                        arg.value.span(),
                        "`#[timeout]` takes one duration; remove this one",
                    );
                } else if let Some(d) = cx.check(DurationArg::parse(&arg.value, "timeout")) {
                    duration = Some((d, arg.value.span()));
                }
                written = true;
                continue;
            };
            match key.to_string().as_str() {
                "duration" => {
                    if written && duration.is_none() {
                        // The first duration was positional and wrong: report this one as twice.
                        cx.error(key.span(), "`duration` is given twice; keep one");
                        continue;
                    }
                    let d = cx.check(DurationArg::parse(&arg.value, "timeout"));
                    set_once(cx, &mut duration, key, d);
                    written = true;
                }
                "name" => set_once(cx, &mut name, key, parse_name(cx, &arg.value)),
                "crate" => {}
                "secs" | "seconds" | "ms" | "millis" | "after" | "timeout" => {
                    let unit = match key.to_string().as_str() {
                        "secs" | "seconds" => "s",
                        "ms" | "millis" => "ms",
                        _ => "",
                    };
                    let example = match syn::parse2::<syn::LitInt>(arg.value.tokens.clone()) {
                        Ok(n) if !unit.is_empty() && n.suffix().is_empty() => {
                            format!("{}{unit}", n.base10_digits())
                        }
                        _ => "800ms".to_owned(),
                    };
                    cx.error(
                        key.span(),
                        format!("unknown key `{key}` for `#[timeout]`; write the duration with its unit: `#[timeout({example})]`"),
                    );
                    written = true;
                }
                _ => unknown_key(cx, "timeout", key, KEYS),
            }
        }
        let Some((duration, _)) = duration else {
            if written {
                return None;
            }
            cx.error(
                span,
                "`#[timeout]` needs a duration: `#[timeout(800ms)]` or `#[timeout(duration = 2s)]`",
            );
            return None;
        };
        if duration.literal.is_some_and(|d| d.is_zero()) {
            cx.error(
                duration.span,
                resilience_grammar::rules::timeout(std::time::Duration::ZERO).unwrap_err(),
            );
            return None;
        }
        Some(Timeout {
            duration,
            name: name.map(|(n, _)| n),
        })
    }

    /// The site `static`: the name, and the metric handles with feature `metrics`. Nothing
    /// is shared through it, so a default name needs no `.per_callsite()`.
    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        let krate = &g.krate;
        let name = g.name(self.name.as_ref());
        let of_method = g.of_method(self.name.as_ref());
        quote! {
            static __RESILIENCE_TIMEOUT: #krate::__private::TimeoutSite =
                #krate::__private::TimeoutSite::new(#name)#of_method;
        }
    }

    /// The innermost layer: the timeout runs the body's future itself, `lift` turning its
    /// value into the layer's result.
    pub(crate) fn wrap_body(&self, g: &Gen, lift: TokenStream, body: TokenStream) -> TokenStream {
        let duration = self.duration.to_tokens(&g.krate);
        quote! {
            __RESILIENCE_TIMEOUT.run(#duration, #lift, #body).await
        }
    }

    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        let duration = self.duration.to_tokens(&g.krate);
        let capture = g.capture();
        quote! {
            __RESILIENCE_TIMEOUT.call(#duration, async #capture { #inner }).await
        }
    }
}
