//! The annotated function, parsed loosely: signature in full, body kept as tokens unless we
//! need to look inside (an `#[async_trait]` method), so half-typed code still expands.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Attribute, Block, Expr, GenericArgument, PathArguments, ReturnType, Signature, Stmt, Type,
    TypeParamBound, Visibility,
};

/// `#[attrs] vis sig { body }`, the body as tokens.
pub(crate) struct ItemFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body's braces as written: the function's span ends on the user's `}`, so rustc's
    /// lints on the function (`dead_code` for one never called) are not taken for a macro's.
    pub(crate) brace: syn::token::Brace,
    pub(crate) body: TokenStream,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(syn::Token![;]) {
            let semi: syn::Token![;] = input.parse()?;
            return Err(syn::Error::new(
                semi.span,
                "resilience attributes need a function body; on a trait method, give it a default body",
            ));
        }
        let content;
        let brace = syn::braced!(content in input);
        let body: TokenStream = content.parse()?;
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            brace,
            body,
        })
    }
}

impl ToTokens for ItemFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let ItemFn {
            attrs,
            vis,
            sig,
            brace,
            body,
        } = self;
        tokens.extend(quote!(#(#attrs)* #vis #sig));
        brace.surround(tokens, |tokens| body.to_tokens(tokens));
    }
}

/// How the function produces its future.
pub(crate) enum Shape {
    /// `async fn`: the body is the future's code.
    Async {
        /// The declared output type (`()` when none is written).
        output: Type,
    },
    /// A method rewritten by `#[async_trait]`: `fn …-> Pin<Box<dyn Future<Output = R> + …>> {
    /// Box::pin(async move { … }) }`.
    AsyncTrait(AsyncTraitBody),
    /// A plain `fn`: the body runs on the caller's thread, and waiting blocks it.
    Sync {
        /// The declared output type (`()` when none is written).
        output: Type,
    },
}

/// The parts of an `#[async_trait]` body.
pub(crate) struct AsyncTraitBody {
    /// `R` of `Output = R`.
    pub(crate) output: Type,
    /// Statements before `Box::pin(..)`.
    pub(crate) before: Vec<Stmt>,
    /// The path called, `Box::pin`, and the `async move` token span.
    pub(crate) box_pin: syn::ExprPath,
    /// Statements of the async block that rebind the arguments (`let __self = self;`) and pin
    /// the return type: run once, outside every layer.
    pub(crate) prelude: Vec<Stmt>,
    /// The rest: the user's body.
    pub(crate) body: Vec<Stmt>,
    /// `__self` when the prelude moves the receiver into it (`let __self = self;`): `self` in
    /// the attributes' arguments must then name it.
    pub(crate) receiver: Option<syn::Ident>,
}

impl ItemFn {
    /// Works out whether this is an `async fn`, an `#[async_trait]` method or a plain `fn`.
    pub(crate) fn shape(&self) -> Option<Shape> {
        if self.sig.asyncness.is_some() {
            let output = match &self.sig.output {
                ReturnType::Default => syn::parse_quote!(()),
                ReturnType::Type(_, ty) => (**ty).clone(),
            };
            return Some(Shape::Async { output });
        }
        if let Some(body) = async_trait_body(self) {
            return Some(Shape::AsyncTrait(body));
        }
        let output = match &self.sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        Some(Shape::Sync { output })
    }

    /// Whether the function returns a boxed future without being an `async fn` nor an
    /// `#[async_trait]` method: the attributes would wrap the making of the future, not its run.
    pub(crate) fn returns_future(&self) -> Option<Span> {
        future_output(&self.sig.output)?;
        match &self.sig.output {
            ReturnType::Type(_, ty) => Some(ty.span()),
            ReturnType::Default => None,
        }
    }
}

/// Recognises the body `#[async_trait]` generates (as tracing's `#[instrument]` does).
fn async_trait_body(item: &ItemFn) -> Option<AsyncTraitBody> {
    let output = future_output(&item.sig.output)?;
    let body = &item.body;
    let block: Block = syn::parse2(quote!({ #body })).ok()?;
    let mut stmts = block.stmts;
    let last = stmts.pop()?;
    let Stmt::Expr(Expr::Call(call), None) = last else {
        return None;
    };
    let Expr::Path(box_pin) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = box_pin
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !segments.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    let Expr::Async(inner) = &call.args[0] else {
        return None;
    };
    inner.capture?;
    let split = inner
        .block
        .stmts
        .iter()
        .take_while(|s| is_prelude(s))
        .count();
    let (prelude, body) = inner.block.stmts.split_at(split);
    let receiver = prelude.iter().find_map(|stmt| match stmt {
        Stmt::Local(syn::Local {
            pat: syn::Pat::Ident(p),
            init: Some(init),
            ..
        }) if matches!(&*init.expr, Expr::Path(e) if e.path.is_ident("self")) => {
            Some(p.ident.clone())
        }
        _ => None,
    });
    Some(AsyncTraitBody {
        output,
        before: stmts,
        box_pin: box_pin.clone(),
        prelude: prelude.to_vec(),
        body: body.to_vec(),
        receiver,
    })
}

/// What `#[async_trait]` puts before the user's code: `if let Some(__ret) = None::<R> { .. }`,
/// `let <ident> = <ident>;`, and for a pattern argument
/// `let <pat> = { let __arg1 = __arg1; __arg1 };`.
fn is_prelude(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Expr(Expr::If(e), _) => {
            matches!(&*e.cond, Expr::Let(l) if l.expr.to_token_stream().to_string().contains("None"))
        }
        Stmt::Local(local) => match &local.init {
            Some(init) if init.diverge.is_none() => match &*init.expr {
                Expr::Path(p) => p.path.get_ident().is_some(),
                Expr::Block(b) => is_rebinding_block(&b.block),
                _ => false,
            },
            _ => false,
        },
        _ => false,
    }
}

/// `{ let __arg1 = __arg1; __arg1 }`: one name, rebound and returned.
fn is_rebinding_block(block: &Block) -> bool {
    let ident = |e: &Expr| match e {
        Expr::Path(p) => p.path.get_ident().cloned(),
        _ => None,
    };
    match block.stmts.as_slice() {
        [Stmt::Local(local), Stmt::Expr(last, None)] => {
            let syn::Pat::Ident(bound) = &local.pat else {
                return false;
            };
            let init = local
                .init
                .as_ref()
                .filter(|i| i.diverge.is_none())
                .and_then(|i| ident(&i.expr));
            init.as_ref() == Some(&bound.ident) && ident(last).as_ref() == Some(&bound.ident)
        }
        _ => false,
    }
}

/// `R` from `-> Pin<Box<dyn Future<Output = R> + Send + 'a>>`.
fn future_output(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let pin = last_generic(ty, "Pin")?;
    let boxed = last_generic(pin, "Box")?;
    let Type::TraitObject(object) = boxed else {
        return None;
    };
    object.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(t) = bound else {
            return None;
        };
        let segment = t.path.segments.last()?;
        if segment.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &segment.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
            _ => None,
        })
    })
}

/// The single type argument of `Name<T>` when `ty` is a path ending in `Name`.
fn last_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let segment = p.path.segments.last()?;
    if segment.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// Whether the type mentions `impl Trait` (which cannot be named inside the body).
pub(crate) fn contains_impl_trait(ty: &Type) -> Option<Span> {
    struct Find(Option<Span>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_type_impl_trait(&mut self, t: &'ast syn::TypeImplTrait) {
            self.0.get_or_insert(t.span());
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_type(&mut find, ty);
    find.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn async_trait_fn(stmts: TokenStream) -> ItemFn {
        syn::parse2(quote! {
            fn f<'a>(&'a self, (a, b): (String, String), k: String)
                -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output = Result<u32, E>> + Send + 'a>>
            {
                Box::pin(async move { #stmts })
            }
        })
        .unwrap()
    }

    #[test]
    fn async_trait_rebindings_are_the_prelude() {
        // What async-trait 0.1.92 emits before the user's code.
        let item = async_trait_fn(quote! {
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<Result<u32, E>> {
                #[allow(unreachable_code)]
                return __ret;
            }
            let mut __self = self;
            let (a, b) = { let __arg1 = __arg1; __arg1 };
            let k = k;
            let __ret: Result<u32, E> = { let x = { let y = k; y }; Ok(1) };
            #[allow(unreachable_code)]
            __ret
        });
        let Some(Shape::AsyncTrait(body)) = item.shape() else {
            panic!("not recognised as an async-trait method");
        };
        assert_eq!(body.prelude.len(), 4);
        assert_eq!(body.body.len(), 2);
        assert_eq!(body.receiver.unwrap(), "__self");
    }

    #[test]
    fn a_block_that_does_more_than_rebind_is_the_body() {
        let item = async_trait_fn(quote! {
            let a = { let b = c; d };
            let e = { f(); g };
            Ok(1)
        });
        let Some(Shape::AsyncTrait(body)) = item.shape() else {
            panic!("not recognised as an async-trait method");
        };
        assert!(body.prelude.is_empty());
        assert!(body.receiver.is_none());
    }
}
