//! Writes the expanded function: the callsite's statics, then the layers nested outermost
//! first around the body, then the result turned back into the function's return type.
//!
//! Input:  `#[timeout(1s)] async fn f(x: u32) -> io::Result<u32> { body }`
//! Output:
//! ```text
//! async fn f(x: u32) -> io::Result<u32> {
//!     use ::resilience::{__private as __resilience, __private::methods::*};
//!     static __RESILIENCE_TIMEOUT: __resilience::TimeoutSite = ..;
//!     let _timer = __RESILIENCE_CALL.start(); // feature `metrics`
//!     let __resilience_outcome = __RESILIENCE_TIMEOUT.run(
//!         __resilience::secs(1),
//!         |returned| __resilience::lift(returned),
//!         async move { if false { return returns::<io::Result<u32>>(); } body },
//!     ).await;
//!     __resilience::finish::<io::Result<u32>>(__resilience_outcome)
//! }
//! ```

use crate::item::{AsyncTraitBody, ItemFn, Shape};
use crate::layers::{Gen, Layer};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

pub(crate) fn generate(
    g: &Gen,
    item: &ItemFn,
    shape: Shape,
    layers: &[Layer],
    collected: &[syn::Path],
) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    // The attributes folded into this expansion are still "used", so their imports do not warn.
    let uses = if collected.is_empty() {
        TokenStream::new()
    } else {
        quote!(#[allow(unused_imports)] use {#(#collected as _),*};)
    };
    let output_span = match &sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => sig.ident.span(),
    };
    let mut statics = uses;
    statics.extend(layers.iter().map(|l| l.statics(g)));
    statics.extend(call_timer(g));
    statics.extend(crate::expand_sync::blocking_static(g, layers));
    // Whether the default name is used is known only once every layer has been generated.
    let with_name = |statics: TokenStream| {
        let mut all = g.default_name();
        all.extend(statics);
        all
    };
    let placeholder = syn::Ident::new("__resilience_body", Span::mixed_site());
    match shape {
        Shape::Async { output } | Shape::Sync { output } => {
            let body = &item.body;
            let layered = layered(g, layers, &output, output_span, quote!(#placeholder));
            let generated = shorten(g, with_name(statics), layered, &placeholder);
            let generated = rename_self(generated, None, &placeholder, body);
            let mut out = quote!(#(#attrs)* #vis #sig);
            item.brace.surround(&mut out, |out| out.extend(generated));
            out
        }
        Shape::AsyncTrait(AsyncTraitBody {
            output,
            before,
            box_pin,
            prelude,
            body,
            receiver,
        }) => {
            let body = quote!(#(#body)*);
            // async-trait moved the receiver into `__self`, and renamed `self` in the body
            // only: `self` in the attributes' arguments (`#[timeout(self.timeout)]`) must be
            // renamed too, without touching the body.
            let layered = layered(g, layers, &output, output_span, quote!(#placeholder));
            let generated = shorten(g, with_name(statics), layered, &placeholder);
            let generated = rename_self(generated, receiver.as_ref(), &placeholder, &body);
            let mut out = quote!(#(#attrs)* #vis #sig);
            item.brace.surround(&mut out, |out| {
                out.extend(quote! {
                    #(#before)*
                    #box_pin(async move {
                        #(#prelude)*
                        #generated
                    })
                });
            });
            out
        }
    }
}

/// `use ::resilience::__private as __resilience;` then `statics` and `layered` with every
/// `::resilience::__private` written `__resilience`: the expansion reads as a list of calls
/// (`__resilience::lift(..)`) rather than of paths, and the macro's locals read short
/// (`locals.rs`). The body is not in `layered` yet (`placeholder` stands for it), so the
/// user's tokens are never rewritten.
///
/// Input:  `static S: ::resilience::__private::RetrySite = ..; ::resilience::__private::lift(x)`
/// Output: `use ::resilience::__private as __resilience; static S: __resilience::RetrySite = ..;
/// __resilience::lift(x)`
fn shorten(
    g: &Gen,
    statics: TokenStream,
    layered: TokenStream,
    placeholder: &syn::Ident,
) -> TokenStream {
    let krate = &g.krate;
    let pattern: Vec<String> = quote!(#krate::__private)
        .into_iter()
        .map(|tt| tt.to_string())
        .collect();
    let alias = syn::Ident::new("__resilience", Span::call_site());
    let mut found = false;
    let statics = crate::paths::replace(statics, &pattern, Some(&alias), &mut found);
    let layered = crate::paths::replace(layered, &pattern, Some(&alias), &mut found);
    let generated = if found {
        quote! {
            #[allow(unused_imports)]
            use #krate::{__private as #alias, __private::methods::*};
            #statics
            #layered
        }
    } else {
        quote!(#statics #layered)
    };
    crate::locals::shorten(generated, placeholder)
}

/// The function's own `static` and the timer of this call (its duration, all layers included,
/// is recorded when the timer drops), with feature `metrics` only: without it both are empty.
/// Labelled by the function's label: the first explicit `name` of the stack, else `module::fn`.
fn call_timer(g: &Gen) -> TokenStream {
    if !g.metrics {
        return TokenStream::new();
    }
    let krate = &g.krate;
    let name = g.name(None);
    let of_method = g.of_method(None);
    quote! {
        static __RESILIENCE_CALL: #krate::__private::CallSite = #krate::__private::CallSite::new(#name)#of_method;
        let __resilience_timer = __RESILIENCE_CALL.start();
    }
}

/// `finish(<outermost layer>(…(<innermost layer>(lift(body)))))`.
fn layered(
    g: &Gen,
    layers: &[Layer],
    output: &syn::Type,
    output_span: Span,
    body: TokenStream,
) -> TokenStream {
    // Spanned on the return type, so "not a `Result`" and a missing `From` point at it.
    let krate = respan(g.krate.clone(), output_span);
    let output = output.to_token_stream();
    if let Some(Layer::Fallback(f)) = layers.first() {
        // `#[fallback]` lifts the body by the return type's mode and produces the return type
        // itself, so no `finish`.
        let expr = lifted(g, &layers[1..], &output, output_span, true, body);
        let rejects = layers[1..].iter().any(Layer::can_reject);
        return f.generate(g, &output, output_span, expr, rejects);
    }
    let expr = lifted(g, layers, &output, output_span, false, body);
    let finish = if layers.iter().any(Layer::can_reject) {
        quote_spanned!(output_span=> #krate::__private::finish::<#output>)
    } else {
        quote_spanned!(output_span=> #krate::__private::finish_unrejected::<#output>)
    };
    // The binding carries the return type's span, so a missing `From` points at the signature;
    // so does the whole `let`, so a return type that is not a `Result` is one error there (a
    // `let` spanned on the attribute was a second one).
    let outcome = syn::Ident::new("__resilience_outcome", output_span);
    quote_spanned! {output_span=>
        let #outcome = #expr;
        #finish(#outcome)
    }
}

/// The layers around the body, whose returned value is lifted into the innermost layer's
/// result by `#[fallback]`'s mode (`by_mode`) or else by the runtime's `lift`: `lift(body.await)`,
/// or, under an innermost `#[timeout]`, `run(duration, lift, body)`, so the body's future is the
/// timeout's own, with none around it.
fn lifted(
    g: &Gen,
    layers: &[Layer],
    output: &TokenStream,
    output_span: Span,
    by_mode: bool,
    body: TokenStream,
) -> TokenStream {
    // Spanned on the return type, so "not a `Result`" points at it.
    let krate = respan(g.krate.clone(), output_span);
    let lift = if by_mode {
        quote_spanned!(output_span=> __resilience_mode.lift)
    } else {
        quote_spanned!(output_span=> #krate::__private::lift)
    };
    let (mut expr, outer) = match layers.split_last() {
        Some((Layer::Timeout(t), outer)) if !g.sync => {
            // The mode is a lift itself. `lift` goes in a closure, not as the function: a
            // return type that is not a `Result` is then one error, at `lift`'s bound. Its call
            // carries the return type's span, its parameters the macro's (a closure spanned
            // wholly on user code trips clippy's `redundant_closure`).
            let lift = if by_mode {
                quote_spanned!(output_span=> __resilience_mode)
            } else {
                let returned = syn::Ident::new("__resilience_returned", output_span);
                let call = quote_spanned!(output_span=> #lift(#returned));
                quote!(|#returned| #call)
            };
            let body = body_future(g, output, output_span, body);
            (t.wrap_body(g, lift, body), outer)
        }
        _ => {
            let body = typed_body(g, output, output_span, body);
            (quote_spanned!(output_span=> #lift(#body)), layers)
        }
    };
    for layer in outer.iter().rev() {
        expr = layer.wrap(g, expr);
    }
    expr
}

/// `async { body }.await`, the block's output pinned to the return type first (by a `return`
/// that never runs) so `?`,
/// `return` and the tail's coercions (`Ok(&string)` as `Result<&str, _>`) behave as in the
/// original function (async-trait does the same; a `typed::<R, _>(async { .. })` helper would
/// read shorter but loses the tail's coercion).
fn typed_body(g: &Gen, output: &TokenStream, span: Span, body: TokenStream) -> TokenStream {
    if g.sync {
        return crate::expand_sync::typed_body(&respan(g.krate.clone(), span), output, span, body);
    }
    let future = body_future(g, output, span, body);
    quote_spanned!(span=> #future.await)
}

/// The body's future, `async { body }`, its output pinned as [`typed_body`] says.
fn body_future(g: &Gen, output: &TokenStream, span: Span, body: TokenStream) -> TokenStream {
    let krate = respan(g.krate.clone(), span);
    let capture = g.capture();
    quote_spanned! {span=>
        async #capture {
            if false {
                return #krate::__private::returns::<#output>();
            }
            #body
        }
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// Replaces `self` (not `self::`) by `alias`, when there is one, and the `placeholder` ident
/// by `body`.
///
/// Input:  `timeout(name, duration(self.timeout), async { lift(async { __resilience_body }) })`
/// Output: `timeout(name, duration(__self.timeout), async { lift(async { <body> }) })`
fn rename_self(
    tokens: TokenStream,
    alias: Option<&syn::Ident>,
    placeholder: &syn::Ident,
    body: &TokenStream,
) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tt) = iter.next() {
        match tt {
            TokenTree::Ident(id) if id == *placeholder => out.extend(body.clone()),
            TokenTree::Ident(id)
                if let Some(alias) = alias
                    && id == "self"
                    && !matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ':') =>
            {
                let span = id.span().resolved_at(alias.span());
                out.push(TokenTree::Ident(syn::Ident::new(&alias.to_string(), span)));
            }
            TokenTree::Group(g) => {
                let stream = rename_self(g.stream(), alias, placeholder, body);
                let mut group = Group::new(g.delimiter(), stream);
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_self_touches_the_arguments_not_the_body_nor_self_paths() {
        let alias = syn::Ident::new("__self", Span::call_site());
        let placeholder = syn::Ident::new("__resilience_body", Span::call_site());
        let layered = quote!(timeout(duration(self.t), async {
            self::f(|e| self.ok(e));
            __resilience_body
        }));
        let body = quote!(inner.self_check(); Ok(1));
        let out = rename_self(layered, Some(&alias), &placeholder, &body).to_string();
        assert_eq!(
            out,
            quote!(timeout(duration(__self.t), async {
                self::f(|e| __self.ok(e));
                inner.self_check();
                Ok(1)
            }))
            .to_string()
        );
    }
}
