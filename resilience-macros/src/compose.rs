//! The first resilience attribute on a function collects the others below it, strips them,
//! checks them together and generates one expansion.
//!
//! Input:
//! ```text
//! #[retry(attempts = 3)]      <- this macro runs, with the rest as `item`
//! #[timeout(1s)]
//! async fn f() -> R { .. }
//! ```
//! Output: one `async fn f` whose body nests retry around timeout around the body.

use crate::args::{Args, parse_path};
use crate::ctxt::Ctxt;
use crate::expand;
use crate::item::{ItemFn, Shape, contains_impl_trait};
use crate::kind::Kind;
use crate::layers::{Gen, Layer};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Meta};

/// One attribute found on the function: its kind, arguments and where it was written.
struct Found {
    kind: Kind,
    args: TokenStream,
    span: Span,
    /// The attribute's path as written, when it was collected from the function.
    path: Option<syn::Path>,
}

/// Expands the attribute `kind(args)` placed on `item`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => return not_a_function(kind, e, item),
    };
    let cx = Ctxt::default();
    let mut found = vec![Found {
        kind,
        args,
        span: Span::call_site(),
        path: None,
    }];
    item.attrs.retain(|attr| match sibling(attr) {
        Some(f) => {
            found.push(f);
            false
        }
        None => true,
    });

    reject_duplicates(&cx, &found);
    let collected: Vec<syn::Path> = found.iter().filter_map(|f| f.path.clone()).collect();
    let mut krate: Option<syn::Path> = None;
    let mut layers = Vec::new();
    for f in found {
        let Some(args) = cx.check(syn::parse2::<Args>(f.args)) else {
            continue;
        };
        for arg in &args.0 {
            if arg.key.as_ref().is_some_and(|k| k == "crate")
                && let Some(path) = parse_path(&cx, &arg.value, "crate = my_crate::resilience")
            {
                krate.get_or_insert(path);
            }
        }
        if let Some(layer) = Layer::parse(&cx, f.kind, args, f.span) {
            layers.push(layer);
        }
    }
    validate_together(&cx, &layers);
    let shape = check_shape(&cx, &item, kind);

    if let Err(errors) = cx.finish() {
        // The function as written (its resilience attributes stripped) keeps the rest of the
        // crate and the IDE working; the errors say what to fix.
        let errors = errors.to_compile_error();
        return quote!(#item #errors);
    }
    let Some(shape) = shape else {
        return item.to_token_stream();
    };
    let g = Gen {
        krate: krate.map_or_else(|| quote!(::resilience), |p| p.to_token_stream()),
        fn_name: item.sig.ident.clone(),
    };
    expand::generate(&g, &item, shape, &layers, &collected)
}

/// A resilience attribute below the first one, recognised by its last path segment.
fn sibling(attr: &Attribute) -> Option<Found> {
    let path = attr.path();
    let kind = Kind::from_name(&path.segments.last()?.ident.to_string())?;
    if path.segments.len() > 1
        && path.segments.first()?.ident != "resilience"
        && !mentions_crate(attr)
    {
        // `#[ntest::timeout(..)]` and the like belong to other crates.
        return None;
    }
    let args = match &attr.meta {
        Meta::Path(_) => TokenStream::new(),
        Meta::List(list) => list.tokens.clone(),
        Meta::NameValue(nv) => nv.value.to_token_stream(),
    };
    Some(Found {
        kind,
        args,
        span: attr.span(),
        path: Some(path.clone()),
    })
}

/// Whether the attribute names its crate (`crate = ..`), as re-exported attributes do.
fn mentions_crate(attr: &Attribute) -> bool {
    match &attr.meta {
        Meta::List(list) => list.tokens.to_string().contains("crate ="),
        _ => false,
    }
}

fn reject_duplicates(cx: &Ctxt, found: &[Found]) {
    for (i, f) in found.iter().enumerate() {
        if found[..i].iter().any(|earlier| earlier.kind == f.kind) {
            cx.error(
                f.span,
                format!(
                    "`#[{0}]` is used twice on this function; merge the two into one `#[{0}(..)]`",
                    f.kind.name()
                ),
            );
        }
    }
}

/// Checks that need two layers at once.
fn validate_together(cx: &Ctxt, layers: &[Layer]) {
    // An outer timeout shorter than the retry's first delay leaves no time for any retry.
    for (i, outer) in layers.iter().enumerate() {
        let Layer::Timeout(t) = outer else { continue };
        let Some(total) = t.duration.literal else {
            continue;
        };
        for inner in &layers[i + 1..] {
            if let Layer::Retry(r) = inner
                && let Some(first) = r.first_delay()
                && first >= total
            {
                cx.error(
                            t.duration.span,
                            format!(
                                "this timeout ({total:?}) bounds all attempts together, but the retry beneath waits {first:?} before its first retry, so it could never retry; raise the timeout, shorten the backoff, or put `#[timeout]` below `#[retry]` to bound each attempt"
                            ),
                        );
            }
        }
    }
}

/// The function must be an `async fn` (or an `#[async_trait]` method) returning a nameable type.
fn check_shape(cx: &Ctxt, item: &ItemFn, kind: Kind) -> Option<Shape> {
    let Some(shape) = item.shape() else {
        let span = item.sig.fn_token.span;
        cx.error(
            span,
            format!(
                "`#[{0}]` works on `async fn` only: add `async` (sync functions are not supported yet); if another attribute such as `#[tokio::test]` made it sync, put `#[{0}]` above that attribute",
                kind.name()
            ),
        );
        return None;
    };
    let output = match &shape {
        Shape::Async { output } | Shape::AsyncTrait(crate::item::AsyncTraitBody { output, .. }) => {
            output
        }
    };
    if let syn::ReturnType::Default = item.sig.output
        && matches!(shape, Shape::Async { .. })
    {
        cx.error(
                item.sig.ident.span(),
                format!(
                    "`#[{}]` needs the function to return a `Result`: add `-> Result<(), E>`, or put `#[fallback(..)]` on top",
                    kind.name()
                ),
            );
        return None;
    }
    if let Some(span) = contains_impl_trait(output) {
        cx.error(span, "resilience attributes need a return type they can name; replace `impl Trait` with a concrete type");
        return None;
    }
    Some(shape)
}

/// Not a function at all: say where the attribute goes, and give the item back unchanged.
fn not_a_function(kind: Kind, error: syn::Error, item: TokenStream) -> TokenStream {
    let what = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(_) | syn::Item::Verbatim(_)) | Err(_) => None,
        Ok(syn::Item::Struct(_)) => Some("a struct"),
        Ok(syn::Item::Enum(_)) => Some("an enum"),
        Ok(syn::Item::Impl(_)) => Some("an impl block (put it on each method)"),
        Ok(syn::Item::Trait(_)) => Some("a trait (put it on each method with a default body)"),
        Ok(syn::Item::Mod(_)) => Some("a module"),
        Ok(syn::Item::Const(_) | syn::Item::Static(_)) => Some("a constant or static"),
        Ok(_) => Some("this item"),
    };
    let error = match what {
        Some(what) => {
            let span = item
                .clone()
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span());
            syn::Error::new(
                span,
                format!("`#[{}]` goes on an `async fn`, not on {what}", kind.name()),
            )
        }
        None => error,
    };
    let error = error.to_compile_error();
    quote!(#item #error)
}
