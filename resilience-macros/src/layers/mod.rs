//! One file per attribute: its arguments, checked into a config, and the code it wraps around
//! the layer beneath.

pub(crate) mod bulkhead;
pub(crate) mod chaos;
pub(crate) mod circuit_breaker;
pub(crate) mod fallback;
pub(crate) mod hedge;
pub(crate) mod rate_limit;
pub(crate) mod retry;
pub(crate) mod timeout;

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::kind::Kind;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;

/// A checked attribute, ready to generate.
pub(crate) enum Layer {
    Retry(Box<retry::Retry>),
    Hedge(Box<hedge::Hedge>),
    Timeout(timeout::Timeout),
    Bulkhead(bulkhead::Bulkhead),
    Fallback(Box<fallback::Fallback>),
    RateLimit(Box<rate_limit::RateLimit>),
    CircuitBreaker(Box<circuit_breaker::CircuitBreaker>),
    Chaos(chaos::Chaos),
}

impl Layer {
    /// Parses and checks the arguments of one attribute; `None` once an error is recorded.
    pub(crate) fn parse(cx: &Ctxt, kind: Kind, args: Args, span: Span) -> Option<Layer> {
        match kind {
            Kind::Retry => retry::Retry::parse(cx, args).map(|r| Layer::Retry(Box::new(r))),
            Kind::Hedge => hedge::Hedge::parse(cx, args).map(|h| Layer::Hedge(Box::new(h))),
            Kind::Timeout => timeout::Timeout::parse(cx, args, span).map(Layer::Timeout),
            Kind::Bulkhead => bulkhead::Bulkhead::parse(cx, args).map(Layer::Bulkhead),
            Kind::RateLimit => {
                rate_limit::RateLimit::parse(cx, args, span).map(|r| Layer::RateLimit(Box::new(r)))
            }
            Kind::CircuitBreaker => circuit_breaker::CircuitBreaker::parse(cx, args)
                .map(|b| Layer::CircuitBreaker(Box::new(b))),
            Kind::Fallback => {
                fallback::Fallback::parse(cx, args, span).map(|f| Layer::Fallback(Box::new(f)))
            }
            Kind::Chaos => chaos::Chaos::parse(cx, args, span).map(Layer::Chaos),
        }
    }

    /// The attribute this layer comes from.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Layer::Retry(_) => Kind::Retry,
            Layer::Hedge(_) => Kind::Hedge,
            Layer::Timeout(_) => Kind::Timeout,
            Layer::Bulkhead(_) => Kind::Bulkhead,
            Layer::RateLimit(_) => Kind::RateLimit,
            Layer::CircuitBreaker(_) => Kind::CircuitBreaker,
            Layer::Fallback(_) => Kind::Fallback,
            Layer::Chaos(_) => Kind::Chaos,
        }
    }

    /// The layer's explicit `name = ".."`, if any.
    pub(crate) fn explicit_name(&self) -> Option<&LitStr> {
        match self {
            Layer::Retry(r) => r.name.as_ref(),
            Layer::Hedge(h) => h.name.as_ref(),
            Layer::Timeout(t) => t.name.as_ref(),
            Layer::Bulkhead(b) => b.name.as_ref(),
            Layer::RateLimit(r) => r.name.as_ref(),
            Layer::CircuitBreaker(b) => b.name.as_ref(),
            Layer::Chaos(c) => c.name.as_ref(),
            Layer::Fallback(_) => None,
        }
    }

    /// Whether this layer can fail a call with a `resilience::Error`.
    pub(crate) fn can_reject(&self) -> bool {
        match self {
            // Only with a value given as an expression, which may be invalid at a call.
            Layer::Retry(r) => r.has_expr(),
            // It passes on what the runs beneath return (and the same as `retry`).
            Layer::Hedge(h) => h.has_expr(),
            Layer::Timeout(_) => true,
            Layer::Bulkhead(_) | Layer::RateLimit(_) => true,
            // The fallback turns every failure into a value; `expand` generates it.
            Layer::Fallback(_) => false,
            Layer::CircuitBreaker(_) => true,
            // `Error::Injected`.
            Layer::Chaos(_) => true,
        }
    }

    /// Whether the generated code uses the function's arguments after the body has started:
    /// to run it again (`retry`, `hedge`), to pass them on (`fallback`), in a key (which the
    /// layer's instance may borrow while the body runs), or in a `when` closure (which may
    /// capture them). See `moves.rs`.
    pub(crate) fn uses_arguments_after_body(&self) -> bool {
        match self {
            Layer::Retry(_) | Layer::Hedge(_) | Layer::Fallback(_) => true,
            Layer::CircuitBreaker(b) => b.has_key_or_closure(),
            Layer::Bulkhead(b) => b.per_key.is_some(),
            Layer::RateLimit(r) => r.per_key.is_some(),
            Layer::Timeout(_) | Layer::Chaos(_) => false,
        }
    }

    /// Items this layer needs once per callsite (its `static`).
    pub(crate) fn statics(&self, g: &Gen) -> TokenStream {
        match self {
            Layer::Retry(r) => r.statics(g),
            Layer::Hedge(h) => h.statics(g),
            Layer::Timeout(t) => t.statics(g),
            Layer::Bulkhead(b) => b.statics(g),
            Layer::RateLimit(r) => r.statics(g),
            Layer::Fallback(_) => TokenStream::new(),
            Layer::CircuitBreaker(b) => b.statics(g),
            Layer::Chaos(_) => TokenStream::new(),
        }
    }

    /// An expression of the layer's result, evaluating `inner` (the layer beneath) inside.
    pub(crate) fn wrap(&self, g: &Gen, inner: TokenStream) -> TokenStream {
        match self {
            Layer::Retry(r) => r.wrap(g, inner),
            Layer::Hedge(h) => h.wrap(g, inner),
            Layer::Timeout(t) => t.wrap(g, inner),
            Layer::Bulkhead(b) => b.wrap(g, inner),
            Layer::RateLimit(r) => r.wrap(g, inner),
            // Generated around the whole expansion by `expand` (it is always outermost).
            Layer::Fallback(_) => inner,
            Layer::CircuitBreaker(b) => b.wrap(g, inner),
            Layer::Chaos(c) => c.wrap(g, inner),
        }
    }
}

/// What every layer's generator needs to know about the expansion.
pub(crate) struct Gen {
    /// `::resilience`, or the `crate = ..` override.
    pub(crate) krate: TokenStream,
    /// The annotated function's name.
    pub(crate) fn_name: syn::Ident,
    /// The first `name = ".."` written on the function, if any: the label of every layer
    /// without a name of its own, so one function logs under one label.
    pub(crate) stack_name: Option<LitStr>,
    /// The function's arguments as passed on to a fallback, receiver first.
    pub(crate) args: Vec<TokenStream>,
    /// Whether a layer used the default label, so `__RESILIENCE_NAME` must be declared.
    pub(crate) default_name_used: std::cell::Cell<bool>,
    /// The body owns the arguments (`async move`), see `moves.rs`.
    pub(crate) move_body: bool,
    /// A plain `fn`: the layers block the thread instead of awaiting (`expand_sync.rs`).
    pub(crate) sync: bool,
    /// A method (the function takes `self`): its default label names its type,
    /// `module::Type::method`, known at its first call (`__RESILIENCE_LABEL`).
    pub(crate) method: bool,
    /// Each call is timed (feature `metrics`).
    pub(crate) metrics: bool,
}

impl Gen {
    /// `move` when the body owns the arguments (see `moves.rs`): for the body's `async` block
    /// and the blocks of the layers around it, so no future points into the function's own.
    pub(crate) fn capture(&self) -> Option<TokenStream> {
        self.move_body.then(|| quote!(move))
    }

    /// The label of a layer: its `name = ".."`, else the stack's first `name`, else the
    /// function's label (the `__RESILIENCE_NAME` constant that [`Gen::default_name`] declares).
    pub(crate) fn name(&self, name: Option<&LitStr>) -> TokenStream {
        match name.or(self.stack_name.as_ref()) {
            // The stack's first `name` is written where it is used.
            Some(lit) => quote!(#lit),
            None => {
                self.default_name_used.set(true);
                quote!(__RESILIENCE_NAME)
            }
        }
    }

    /// `static <ident>: <site> = <site>::new(<name>, <extra>)<with>`, the per-callsite state of
    /// a layer: shared by an explicit `name`, its own otherwise; `with` is the site's policy
    /// (`.with(Policy { .. })`) when every value of the attribute is a literal, else empty.
    pub(crate) fn site_static(
        &self,
        ident: &str,
        site: &str,
        name: Option<&LitStr>,
        extra: TokenStream,
        with: TokenStream,
    ) -> TokenStream {
        let krate = &self.krate;
        let ident = syn::Ident::new(ident, proc_macro2::Span::call_site());
        let site = syn::Ident::new(site, proc_macro2::Span::call_site());
        let label = self.name(name);
        let sharing = self.sharing(name);
        let of_method = self.of_method(name);
        if with.is_empty() {
            return quote! {
                static #ident: #krate::__private::#site = #krate::__private::#site::new(#label #extra)#sharing #of_method;
            };
        }
        let value = self.in_runtime_scope(
            quote!(#krate::__private::#site::new(#label #extra)#sharing #of_method #with),
        );
        quote! {
            static #ident: #krate::__private::#site = #value;
        }
    }

    /// `{ use <runtime>::*; <value> }`, the runtime's paths in `value` written by their last
    /// name: a literal policy reads as its attribute did (`OpenFor::exponential(ms(600),
    /// secs(2))`). Only for values made of the attribute's literals, which name nothing of the
    /// function's scope that the glob could shadow.
    pub(crate) fn in_runtime_scope(&self, value: TokenStream) -> TokenStream {
        let krate = &self.krate;
        let prefix: Vec<String> = quote!(#krate::__private::)
            .into_iter()
            .map(|tt| tt.to_string())
            .collect();
        let value = crate::paths::replace(value, &prefix, None, &mut false);
        quote!({
            use #krate::__private::*;
            #value
        })
    }

    /// `.with(<policy>)` for a site whose policy is a constant, nothing for the default policy.
    pub(crate) fn with_policy(policy: TokenStream, default: &str) -> TokenStream {
        let text = policy.to_string().replace(' ', "");
        if text.ends_with(&format!("::{default}::DEFAULT")) {
            return TokenStream::new();
        }
        quote!(.with(#policy))
    }

    /// Whether a layer without a `name` of its own takes a method's label, which names the
    /// type.
    fn uses_method_label(&self, name: Option<&LitStr>) -> bool {
        self.method && name.is_none() && self.stack_name.is_none()
    }

    /// `.of_method(&__RESILIENCE_LABEL)` after a site's constructor when the site takes a
    /// method's label (see [`Gen::default_name`]).
    pub(crate) fn of_method(&self, name: Option<&LitStr>) -> TokenStream {
        if self.uses_method_label(name) {
            quote!(.of_method(&__RESILIENCE_LABEL))
        } else {
            TokenStream::new()
        }
    }

    /// The label as a `&'static str` at call time, for a layer that has no site: its `name`,
    /// else the function's label (a method's names its type).
    pub(crate) fn call_name(&self, name: Option<&LitStr>) -> TokenStream {
        let label = self.name(name);
        if self.uses_method_label(name) {
            quote!(__RESILIENCE_LABEL.get())
        } else {
            label
        }
    }

    /// A layer whose policy has counts, rates or percentages given as expressions: the policy
    /// is built and checked with the attributes' rules at each call, and a value they refuse
    /// fails the call with `Error::InvalidValue` before the layer runs. `layer` uses the
    /// checked policy as `__resilience_checked`.
    ///
    /// Input:  `RetryPolicy { attempts: count(self.attempts), ..DEFAULT }`, the retry layer
    /// Output:
    /// ```text
    /// '__resilience_checked_retry: {
    ///     let __resilience_checked = match checked("mod::f", RetryPolicy { .. }) {
    ///         Ok(policy) => policy,
    ///         Err(invalid) => break '__resilience_checked_retry rejected(invalid),
    ///     };
    ///     <the retry layer, borrowing `__resilience_checked`>
    /// }
    /// ```
    /// `layer(policy)`; or, when `checked` (a value of the attribute is an expression),
    /// `layer` of the policy built and checked at each call (see [`Gen::checked`]), failures
    /// named by the layer's label.
    pub(crate) fn checked_if(
        &self,
        checked: bool,
        kind: &str,
        name: Option<&LitStr>,
        policy: TokenStream,
        layer: impl FnOnce(TokenStream) -> TokenStream,
    ) -> TokenStream {
        if !checked {
            return layer(policy);
        }
        let inner = layer(quote!(__resilience_checked));
        self.checked(kind, &self.call_name(name), policy, inner)
    }

    pub(crate) fn checked(
        &self,
        kind: &str,
        name: &TokenStream,
        policy: TokenStream,
        layer: TokenStream,
    ) -> TokenStream {
        let p = {
            let krate = &self.krate;
            quote!(#krate::__private)
        };
        let label = syn::Lifetime::new(
            &format!("'__resilience_checked_{kind}"),
            proc_macro2::Span::call_site(),
        );
        quote! {
            #label: {
                let __resilience_checked = match #p::checked(#name, #policy) {
                    #p::Ok(__resilience_policy) => __resilience_policy,
                    // In parentheses: `break 'label ::path` reads to `syn` as a label `'label:`.
                    #p::Err(__resilience_invalid) => {
                        break #label (#p::rejected(__resilience_invalid))
                    }
                };
                #layer
            }
        }
    }

    /// `.per_callsite()` after a site's constructor when it has the default name: two functions
    /// of one module may share a label, but only an explicit `name = ".."` shares state.
    pub(crate) fn sharing(&self, name: Option<&LitStr>) -> TokenStream {
        match name {
            Some(_) => TokenStream::new(),
            None => quote!(.per_callsite()),
        }
    }

    /// `const __RESILIENCE_NAME: &str = "module::fn";`, when a layer used it: the function's
    /// label, which is the first `name = ".."` of the stack when there is one.
    pub(crate) fn default_name(&self) -> TokenStream {
        if !self.default_name_used.get() {
            return TokenStream::new();
        }
        if let Some(name) = &self.stack_name {
            return quote!(const __RESILIENCE_NAME: &str = #name;);
        }
        let f = self.fn_name.to_string();
        let f = f.strip_prefix("r#").unwrap_or(&f);
        let name = quote! {
            const __RESILIENCE_NAME: &str = ::core::concat!(::core::module_path!(), "::", #f);
        };
        if !self.method {
            return name;
        }
        // A `static` cannot name `Self`: the type is named at the first call, before any layer
        // registers or reports.
        let krate = &self.krate;
        quote! {
            #name
            static __RESILIENCE_LABEL: #krate::__private::FnLabel =
                #krate::__private::FnLabel::new(__RESILIENCE_NAME);
            __RESILIENCE_LABEL.resolve(|| ::core::any::type_name::<Self>());
        }
    }
}
