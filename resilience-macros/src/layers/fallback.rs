//! `#[fallback(path)]` / `#[fallback(path, when = pred)]`: the outermost layer, which turns a
//! failure of the layers beneath into `path(<arguments, receiver first>, error)`.
//!
//! Input:  `#[fallback(cached)] #[timeout(1s)] async fn f(u: UserId) -> Vec<Item> { body }`
//! Output:
//! ```text
//! let __resilience_mode = (&Probe::<Vec<Item>>::new()).mode();  // Result or plain value
//! let __resilience_result = __RESILIENCE_TIMEOUT.run(.., __resilience_mode, async { body }).await;
//! let __resilience_error = match __resilience_result {
//!     Ok(v) => return __resilience_mode.ok(v),
//!     Err(f) => __resilience_mode.error(f), // E, or resilience::Error
//! };
//! FallbackFn::<_, Vec<Item>, _>::call_fallback((u, __resilience_error,), cached).await
//! // a fallback of the wrong shape fails here: "must have the signature `fn(UserId, Error) -> Vec<Item>`"
//! ```

use crate::args::{Args, Value, parse_path, parse_predicate, text, unknown_key};
use crate::ctxt::Ctxt;
use crate::item::ItemFn;
use crate::layers::{Gen, Layer};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Pat};

const KEYS: &[&str] = resilience_grammar::keys::FALLBACK;

/// A checked `#[fallback]`.
pub(crate) struct Fallback {
    path: syn::Path,
    when: Option<Expr>,
    span: Span,
}

impl Fallback {
    pub(crate) fn parse(cx: &Ctxt, args: Args, span: Span) -> Option<Self> {
        let mut path: Option<syn::Path> = None;
        let mut when: Option<(Expr, Span)> = None;
        let mut path_seen = false;
        for arg in args.0 {
            let Some(key) = &arg.key else {
                if path_seen {
                    cx.error(
                        arg.value.span(),
                        format!(
                            "`#[fallback]` takes one function; `{}` is extra (name other settings: `when = ..`)",
                            text(&arg.value.tokens)
                        ),
                    );
                } else {
                    path_seen = true;
                    path = parse_path(cx, &arg.value, "#[fallback(default_items)]");
                }
                continue;
            };
            match key.to_string().as_str() {
                "when" => {
                    if when.is_some() {
                        cx.error(key.span(), "`when` is given twice; keep one");
                    } else if let Some(w) = parse_when(cx, &arg.value) {
                        when = Some((w, key.span()));
                    }
                }
                "crate" => {}
                "path" | "with" | "call" | "function" | "fn" => {
                    cx.error(
                        key.span(),
                        format!("unknown key `{key}` for `#[fallback]`; write the function first, without a key: `#[fallback(default_items)]`"),
                    );
                    path_seen = true;
                }
                _ => unknown_key(cx, "fallback", key, KEYS),
            }
        }
        if !path_seen {
            match &when {
                Some((_, when_span)) => cx.error(
                    *when_span,
                    "`when` needs the fallback function before it: `#[fallback(default_items, when = is_transient)]`",
                ),
                None => cx.error(
                    span,
                    "`#[fallback]` needs the function to call on failure: `#[fallback(default_items)]`, called with this function's arguments and the error",
                ),
            }
            return None;
        }
        Some(Fallback {
            path: path?,
            when: when.map(|(w, _)| w),
            span,
        })
    }

    /// The whole function body: the layers beneath (`inner`, already lifted with
    /// `__resilience_mode`), then the fallback on failure. `rejects` says whether a layer
    /// beneath can fail with a `resilience::Error`.
    pub(crate) fn generate(
        &self,
        g: &Gen,
        output: &TokenStream,
        output_span: Span,
        inner: TokenStream,
        rejects: bool,
    ) -> TokenStream {
        let krate = &g.krate;
        let p = quote!(#krate::__private);
        // Whether a layer beneath can reject: the policy error the layers carry, and how a
        // failure becomes the fallback's error. `error` is spanned on the return type: a
        // function error that cannot hold a `resilience::Error` is reported there, as without
        // `#[fallback]`.
        let (policy, error) = if rejects {
            (
                quote!(#p::Error),
                quote_spanned!(output_span=> __resilience_mode.error),
            )
        } else {
            (
                quote!(#p::Infallible),
                quote_spanned!(output_span=> __resilience_mode.error_unrejected),
            )
        };
        let path = &self.path;
        let args = &g.args;
        // Through `FallbackFn`, spanned on the path: a fallback of the wrong shape is one error
        // there naming the signature it must have, and an `async fn` fallback is awaited.
        // The last segment: on stable a span cannot cover `Self::cached`, and `Self` says little.
        let span = path
            .segments
            .last()
            .map_or_else(|| path.span(), |s| s.ident.span());
        // A plain `fn`'s fallback is a plain `fn` too, through `BlockingFallbackFn`.
        let call = if g.sync {
            quote_spanned! {span=>
                #p::BlockingFallbackFn::<_, #output, _>::call_fallback_blocking((#(#args,)* __resilience_error,), #path)
            }
        } else {
            quote_spanned! {span=>
                #p::FallbackFn::<_, #output, _>::call_fallback((#(#args,)* __resilience_error,), #path).await
            }
        };
        let when = self.when.as_ref().map(|w| {
            // A path is called directly, spanned on it: one taking the wrong error type is one
            // "mismatched types" there, naming both types and the predicate's definition. A
            // closure goes through `fallback_when`, whose bound gives its argument's type.
            let call = match w {
                Expr::Path(_) => quote_spanned!(w.span()=> #w(&__resilience_error)),
                _ => quote_spanned!(w.span()=> #p::fallback_when(#w, &__resilience_error)),
            };
            quote! {
                if !#call {
                    return #p::Propagate::propagate(__resilience_mode, __resilience_error);
                }
            }
        });
        let mode = quote_spanned! {output_span=>
            let __resilience_mode = (&#p::Probe::<#output>::new()).mode();
        };
        // A success returns at once; a failure goes on to the fallback.
        quote! {
            #mode
            let __resilience_result: #p::Layered<_, _, #policy> = #inner;
            let __resilience_error = match __resilience_result {
                #p::Ok(__resilience_value) => return __resilience_mode.ok(__resilience_value),
                #p::Err(__resilience_failure) => #error(__resilience_failure),
            };
            #when
            #call
        }
    }
}

fn parse_when(cx: &Ctxt, v: &Value) -> Option<Expr> {
    parse_predicate(
        cx,
        v,
        "`when` takes the path of a function `fn(&E) -> bool` choosing the errors the fallback handles, such as `when = is_transient`",
    )
}

/// Checks a function with `#[fallback]`: the fallback must be the outermost attribute, and
/// every argument must have a name to pass on. Returns the arguments to pass, receiver first.
pub(crate) fn check(cx: &Ctxt, item: &ItemFn, layers: &[Layer]) -> Vec<TokenStream> {
    let Some(pos) = layers.iter().position(|l| matches!(l, Layer::Fallback(_))) else {
        return Vec::new();
    };
    if pos != 0
        && let Layer::Fallback(f) = &layers[pos]
    {
        cx.error(
            f.span,
            "`#[fallback]` must be the outermost attribute (written first), so that it sees the failures of every layer beneath it; move it to the top",
        );
    }
    // An `#[async_trait]` method's body sees the receiver as `__self`.
    let receiver = if matches!(item.shape(), Some(crate::item::Shape::AsyncTrait(_))) {
        quote!(__self)
    } else {
        quote!(self)
    };
    let mut args = Vec::new();
    for input in &item.sig.inputs {
        match input {
            FnArg::Receiver(_) => args.push(receiver.clone()),
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(id) if id.subpat.is_none() => {
                    let ident = &id.ident;
                    args.push(quote!(#ident));
                }
                other => cx.error(
                    other.span(),
                    format!(
                        "`#[fallback]` passes this function's arguments on to the fallback, so each needs a name; write `arg: {}` and destructure `{}` in the body",
                        text(&pt.ty),
                        text(other)
                    ),
                ),
            },
        }
    }
    args
}
