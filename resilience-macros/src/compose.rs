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
use proc_macro2::{Span, TokenStream, TokenTree};
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

/// What this build generates beyond the attributes themselves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Generate the `#[chaos]` layer (feature `chaos`). Its arguments are checked either way,
    /// so turning the feature on never reveals a mistake; without it the layer is left out.
    pub(crate) chaos: bool,
    /// Accept `scope = fleet` (feature `redis`); without it, it is a compile error naming the
    /// feature.
    pub(crate) redis: bool,
    /// Time each call of the function (feature `metrics`, forwarded with the runtime's): without
    /// it the runtime's timer is empty, so the expansion leaves it out.
    pub(crate) metrics: bool,
}

impl Default for Options {
    /// This build's features.
    fn default() -> Self {
        Options {
            chaos: cfg!(feature = "chaos"),
            redis: cfg!(feature = "redis"),
            metrics: cfg!(feature = "metrics"),
        }
    }
}

/// Expands the attribute `kind(args)` placed on `item`, with this build's [`Options`].
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    expand_with(kind, args, item, Options::default())
}

/// Expands the attribute `kind(args)` placed on `item`.
pub(crate) fn expand_with(
    kind: Kind,
    args: TokenStream,
    item: TokenStream,
    options: Options,
) -> TokenStream {
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
    let kinds: Vec<(Kind, Span)> = found.iter().map(|f| (f.kind, f.span)).collect();
    let collected: Vec<syn::Path> = found.iter().filter_map(|f| f.path.clone()).collect();
    // Written, even when its arguments are wrong: then the function may return anything.
    let fallback_written = found.iter().any(|f| f.kind == Kind::Fallback);
    let hedge_written = found.iter().any(|f| f.kind == Kind::Hedge);
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
    check_fleet(&cx, &item, &layers, options);
    // A hedged body runs twice at once: its own errors replace the shape's.
    let hedge_fits = !hedge_written || crate::layers::hedge::check_item(&cx, &item);
    let shape = if hedge_fits {
        check_shape(&cx, &item, kind, &kinds, &layers)
    } else {
        None
    };
    if let Some(shape) = &shape
        && !fallback_written
    {
        check_result_type(&cx, shape, &layers);
    }
    let fallback_args = crate::layers::fallback::check(&cx, &item, &layers);

    if let Err(errors) = cx.finish() {
        // The function as written (its resilience attributes stripped) keeps the rest of the
        // crate and the IDE working; the errors say what to fix.
        keep_imports_used(&mut item, &collected);
        let errors = errors.to_compile_error();
        return quote!(#item #errors);
    }
    let Some(shape) = shape else {
        return item.to_token_stream();
    };
    if !options.chaos {
        // Checked above, left out here.
        layers.retain(|l| !matches!(l, Layer::Chaos(_)));
        if layers.is_empty() {
            // A lone `#[chaos]` without the feature: the plain function.
            return item.to_token_stream();
        }
    }
    let g = Gen {
        krate: krate.map_or_else(|| quote!(::resilience), |p| p.to_token_stream()),
        fn_name: item.sig.ident.clone(),
        stack_name: layers.iter().find_map(Layer::explicit_name).cloned(),
        default_name_used: std::cell::Cell::new(false),
        args: fallback_args,
        move_body: crate::moves::body_owns_arguments(&item.sig, &layers),
        sync: matches!(shape, Shape::Sync { .. }),
        method: item.sig.receiver().is_some(),
        metrics: options.metrics,
    };
    expand::generate(&g, &item, shape, &layers, &collected)
}

/// `scope = fleet` needs the feature `redis`, and a fleet rate limit awaits Redis, so it goes
/// on an `async fn` only.
fn check_fleet(cx: &Ctxt, item: &ItemFn, layers: &[Layer], options: Options) {
    for layer in layers {
        let (span, waits) = match layer {
            Layer::RateLimit(r) => (r.fleet.fleet, true),
            Layer::CircuitBreaker(b) => (b.fleet.fleet, false),
            _ => continue,
        };
        let Some(span) = span else { continue };
        if !options.redis {
            cx.error(span, resilience_grammar::rules::FLEET_NEEDS_FEATURE);
        } else if waits && item.sig.asyncness.is_none() {
            cx.error(
                span,
                "a fleet `#[rate_limit]` asks Redis for each permit, which a plain `fn` cannot await: make the function `async`, or keep `scope = local` here",
            );
        }
    }
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
        // The attribute's name: on stable a span cannot cover the whole `#[..]`, and its
        // first token `#` says little.
        span: path.span(),
        path: Some(path.clone()),
    })
}

/// Puts `use <attribute path> as _;` at the start of the body, so the imports of the
/// attributes folded into a failed expansion are not reported unused on top of the error.
///
/// Input:  `fn f() { #![allow(x)] body }` with `retry` collected
/// Output: `fn f() { #![allow(x)] #[allow(unused_imports)] use retry as _; body }`
fn keep_imports_used(item: &mut ItemFn, collected: &[syn::Path]) {
    if collected.is_empty() {
        return;
    }
    let tokens: Vec<TokenTree> = std::mem::take(&mut item.body).into_iter().collect();
    // Inner attributes (`#![..]`) must stay first.
    let mut split = 0;
    while let [
        TokenTree::Punct(hash),
        TokenTree::Punct(bang),
        TokenTree::Group(_),
        ..,
    ] = &tokens[split..]
    {
        if hash.as_char() != '#' || bang.as_char() != '!' {
            break;
        }
        split += 3;
    }
    let (inner_attrs, rest) = tokens.split_at(split);
    let uses = collected
        .iter()
        .map(|p| quote!(#[allow(unused_imports)] use #p as _;));
    item.body = quote!(#(#inner_attrs)* #(#uses)* #(#rest)*);
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
    // An outer timeout shorter than the retry's shortest first delay leaves no time for any
    // retry.
    for (i, outer) in layers.iter().enumerate() {
        let Layer::Timeout(t) = outer else { continue };
        let Some(total) = t.duration.literal else {
            continue;
        };
        for inner in &layers[i + 1..] {
            if let Layer::Retry(r) = inner
                && let Some(first) = r.shortest_first_delay()
                && r.retries()
                && first >= total
            {
                cx.error(
                            t.duration.span,
                            format!(
                                "this timeout ({total:?}) bounds all attempts together, but the retry beneath waits at least {first:?} before its first retry, so it could never retry; raise the timeout, shorten the backoff, or put `#[timeout]` below `#[retry]` to bound each attempt"
                            ),
                        );
            }
        }
    }
}

/// The function must be an `async fn`, an `#[async_trait]` method or a plain `fn` (without
/// `#[timeout]`) returning a nameable type.
fn check_shape(
    cx: &Ctxt,
    item: &ItemFn,
    kind: Kind,
    kinds: &[(Kind, Span)],
    layers: &[Layer],
) -> Option<Shape> {
    let shape = item.shape()?;
    if let Shape::Sync { .. } = shape {
        if let Some(span) = item.returns_future() {
            cx.error(
                span,
                format!(
                    "this `fn` returns a future, so `#[{0}]` would wrap the making of the future, not its run; write it as an `async fn`, or if another attribute such as `#[tokio::test]` made it sync, put `#[{0}]` above that attribute",
                    kind.name()
                ),
            );
            return None;
        }
        crate::expand_sync::check(cx, kinds);
    }
    let output = match &shape {
        Shape::Async { output }
        | Shape::Sync { output }
        | Shape::AsyncTrait(crate::item::AsyncTraitBody { output, .. }) => output,
    };
    // With `#[fallback]` on top (always the attribute running here) any type works, `()` too.
    if let syn::ReturnType::Default = item.sig.output
        && matches!(shape, Shape::Async { .. } | Shape::Sync { .. })
        && kind != Kind::Fallback
    {
        let mut written: Vec<Kind> = layers.iter().map(Layer::kind).collect();
        if written.is_empty() {
            written.push(kind);
        }
        cx.error(item.sig.ident.span(), not_a_result(&written, "()"));
        return None;
    }
    if let Some(span) = contains_impl_trait(output) {
        cx.error(span, "resilience attributes need a return type they can name; replace `impl Trait` with a concrete type");
        return None;
    }
    Some(shape)
}

/// A return type that is plainly not a `Result` (`u64`, `Option<String>`, `Vec<T>`, a tuple),
/// without `#[fallback]` on top: one error on the return type, with the fix that fits the
/// attributes. Other types (an alias, a type of the crate) are left to the compiler, which
/// names the `Outcome` trait when they are not a `Result`.
fn check_result_type(cx: &Ctxt, shape: &Shape, layers: &[Layer]) {
    let output = match shape {
        Shape::Async { output }
        | Shape::Sync { output }
        | Shape::AsyncTrait(crate::item::AsyncTraitBody { output, .. }) => output,
    };
    if layers.is_empty() || !never_a_result(output) {
        return;
    }
    let kinds: Vec<Kind> = layers.iter().map(Layer::kind).collect();
    cx.error(output.span(), not_a_result(&kinds, &type_text(output)));
}

/// What to say when the function under `kinds` returns `output`, which is not a `Result`.
fn not_a_result(kinds: &[Kind], output: &str) -> String {
    let rejecting: Vec<String> = kinds
        .iter()
        .filter(|k| **k != Kind::Retry)
        .map(|k| format!("`#[{}]`", k.name()))
        .collect();
    let first = kinds.first().map_or("retry", |k| k.name());
    if rejecting.is_empty() {
        // A lone `#[retry]` can only retry errors the body returns; a fallback cannot help.
        return format!(
            "`#[retry]` retries the calls that return `Err(..)`, so the function must return a `Result`: write `-> Result<{output}, E>` with your own error type `E` (any alias of `Result` works)"
        );
    }
    format!(
        "`#[{first}]` needs the function to return a `Result`, because {} can fail a call with `resilience::Error`: write `-> Result<{output}, E>` with `E: From<resilience::Error>`, or put `#[fallback(f)]` on top, where `f` returns a `{output}` when a policy fails",
        rejecting.join(", ")
    )
}

/// `ty` as written, without the spaces of token printing: `Option<String>`.
fn type_text(ty: &syn::Type) -> String {
    let mut s = ty.to_token_stream().to_string();
    for (from, to) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ::", "::"),
        (":: ", "::"),
        (" ,", ","),
        ("& ", "&"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// Whether `ty` can never be a `Result`: a primitive, `String`, `Option`, a std collection, a
/// tuple, an array or a slice. (`Box<T>` and `&T` could be, through a crate's own `Outcome`.)
fn never_a_result(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Tuple(_) | syn::Type::Array(_) | syn::Type::Slice(_) | syn::Type::Never(_) => {
            true
        }
        syn::Type::Paren(p) => never_a_result(&p.elem),
        syn::Type::Group(g) => never_a_result(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "bool"
                    | "char"
                    | "str"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
                    | "String"
                    | "Option"
                    | "Vec"
                    | "VecDeque"
                    | "HashMap"
                    | "HashSet"
                    | "BTreeMap"
                    | "BTreeSet"
            )
        }),
        _ => false,
    }
}

/// Not a function at all: say where the attribute goes, and give the item back unchanged.
fn not_a_function(kind: Kind, error: syn::Error, item: TokenStream) -> TokenStream {
    if let Some(semi) = missing_body(&item) {
        let name = kind.name();
        let error = syn::Error::new(
            semi,
            format!(
                "`#[{name}]` needs the function's body: give this trait method a default body `{{ .. }}`, or put `#[{name}]` on the method in each impl instead"
            ),
        )
        .to_compile_error();
        return quote!(#item #error);
    }
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

/// The `;` ending a function declared without a body (a required trait method).
fn missing_body(item: &TokenStream) -> Option<Span> {
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let Some(TokenTree::Punct(semi)) = tokens.last() else {
        return None;
    };
    // `fn name`, not a `fn(..)` pointer type in a `static` or `type`.
    let is_fn = tokens
        .windows(2)
        .any(|w| matches!(w, [TokenTree::Ident(f), TokenTree::Ident(_)] if f == "fn"));
    (semi.as_char() == ';' && is_fn).then(|| semi.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: &str = "async fn f(x: u32) -> Result<u32, E> { Ok(x) }";

    /// Expands `#[kind(args)] item` from source text.
    fn run(kind: Kind, args: &str, item: &str) -> String {
        let args: TokenStream = args.parse().expect("args lex");
        let item: TokenStream = item.parse().expect("item lex");
        expand(kind, args, item).to_string()
    }

    #[track_caller]
    fn assert_rejected(kind: Kind, args: &str, item: &str) {
        let out = run(kind, args, item);
        assert!(
            out.contains("compile_error"),
            "`#[{}({args})]` on `{item}` should be an error, got: {out}",
            kind.name()
        );
    }

    #[test]
    fn odd_retry_arguments_are_errors_not_panics() {
        let cases = [
            "attempts = ",
            "attempts =",
            "= 3",
            ", attempts = 3",
            "attempts = 3,,",
            "attempts = = 3",
            "attempts = 3 4",
            "attempts => 3",
            "attempts = -1",
            "attempts = 1.5",
            "attempts = 3u8",
            "attempts = 99999999999999999999",
            "attempts = \"3\"",
            "attempts = [1, 2] { }",
            "@ # $",
            "retry(attempts = 3)",
            "backoff = ",
            "backoff = exponential((,))",
            "backoff = exponential()",
            "backoff = exponential(max = 1s)",
            "backoff = exponential(100ms, max = )",
            "backoff = exponential(100ms, 200ms)",
            "backoff = exponential(100ms, factor = 2.0, factor = 3.0)",
            "backoff = exponential(100ms, factor = 1e400)",
            "backoff = exponential(100ms, factor = nan)",
            "backoff = exponential(1e3ms)",
            "backoff = exponential[100ms]",
            "backoff = exponential { 100ms }",
            "backoff = fibonacci(100ms, factor = 2.0)",
            "backoff = constant(100ms, max = 1s)",
            "backoff = none(1)",
            "backoff = 100ms",
            "backoff = [garbage { nested ( deeper ) }]",
            "jitter = 3",
            "jitter = full(1)",
            "when = 1 + 2",
            "when = ",
            "budget = %",
            "budget = 50 %%",
            "budget = -5%",
            "budget = 101%",
            "budget = 1.5",
            "name = 3",
            "name = \"\"",
            "name = \"   \"",
            "max_elapsed = 0s",
            "max_elapsed = ",
            "crate = 3",
            "crate = ",
            "attempts = 0, backof = none, jitter = sometimes",
        ];
        for args in cases {
            assert_rejected(Kind::Retry, args, ITEM);
        }
    }

    #[test]
    fn odd_timeout_arguments_are_errors_not_panics() {
        let cases = [
            "",
            "800",
            "-1s",
            "0s",
            "0.0ms",
            "1s 2s",
            "1s, 2s",
            "1s,,",
            "duration =",
            "duration = 1s, duration = 2s",
            "5sec, duration = 1s",
            "1s, name",
            "name = \"x\"",
            "18446744073709551616s",
            "99999999999999999999h",
            "1e3s",
            "'a'",
            "b\"2s\"",
            "secs = 5",
            "after = ",
            "duration = 1s, duration",
        ];
        for args in cases {
            assert_rejected(Kind::Timeout, args, ITEM);
        }
    }

    #[test]
    fn odd_items_are_errors_not_panics() {
        let cases = [
            "",
            "fn",
            ";;;",
            "struct S;",
            "impl S { }",
            "static F: fn() = f;",
            "async fn f() -> Result<(), E>;",
            "async fn f() { }",
            "async fn f() -> impl Future<Output = u8> { 1 }",
            "async fn f(self: ) -> Result<(), E> { }",
            "#[timeout(1s)] #[timeout(2s)] async fn f() -> Result<(), E> { Ok(()) }",
            "#[resilience::retry] async fn f() -> Result<(), E> { Ok(()) }",
            "fn f() -> Pin<Box<dyn Future<Output = u8>>> { 1 }",
        ];
        for item in cases {
            assert_rejected(Kind::Retry, "", item);
        }
    }

    #[test]
    fn every_attribute_survives_garbage_and_keeps_the_function() {
        let garbage = [
            "",
            ",",
            ",,",
            "=",
            "= =",
            "a =",
            "a = ,",
            "@ # $ %",
            "x = [ {} ]",
            "x = (((1)))",
            "1, 2, 3,",
            "name = \"\"",
            "name = 3",
            "crate = \"x\"",
            "0ms",
            "-1s",
            "100%",
            "1/0s",
            "rate = 0/0s",
            "r#type = 1",
            "when = ",
            "f, when = ",
            "backoff = exponential(1s, max = (2s, 3s))",
        ];
        for kind in Kind::ALL.iter().copied() {
            for args in garbage {
                let out = run(kind, args, ITEM);
                assert!(
                    out.contains("fn f"),
                    "`#[{}({args})]` lost the function: {out}",
                    kind.name()
                );
            }
        }
    }

    #[test]
    fn an_outer_timeout_shorter_than_every_first_delay_is_rejected() {
        let item = |retry: &str| format!("#[retry({retry})] {ITEM}");
        let rejects =
            |retry: &str| run(Kind::Timeout, "100ms", &item(retry)).contains("compile_error");
        assert!(rejects("backoff = constant(200ms), jitter = none"));
        assert!(rejects("backoff = exponential(200ms), jitter = equal"));
        assert!(rejects("backoff = fibonacci(100ms), jitter = decorrelated"));
        // `equal` waits at least half the delay, `full` (the default) possibly nothing.
        assert!(!rejects("backoff = constant(150ms), jitter = equal"));
        assert!(!rejects("backoff = constant(200ms)"));
        assert!(!rejects("backoff = constant(200ms), jitter = full"));
        // One attempt never waits; `none` never waits; an expression is unknown until run time.
        assert!(!rejects(
            "attempts = 1, backoff = constant(200ms), jitter = none"
        ));
        assert!(!rejects("backoff = none"));
        assert!(!rejects("backoff = constant(DELAY), jitter = none"));
        // Beneath the retry, the timeout bounds each attempt: no conflict.
        let inner = run(
            Kind::Retry,
            "backoff = constant(200ms), jitter = none",
            &format!("#[timeout(100ms)] {ITEM}"),
        );
        assert!(!inner.contains("compile_error"), "{inner}");
    }

    #[test]
    fn the_function_is_still_emitted_with_the_error() {
        let out = run(Kind::Retry, "attempts = 0", ITEM);
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("async fn f (x : u32)"), "{out}");
        assert!(out.contains("Ok (x)"), "{out}");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let out = run(Kind::Retry, "attempts = 0, backof = none", ITEM);
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        let out = run(
            Kind::Retry,
            "attempts = 0",
            "#[timeout(5sec)] async fn f() -> Result<(), E> { Ok(()) }",
        );
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }

    #[test]
    fn a_failed_expansion_keeps_the_folded_imports_used() {
        let out = run(
            Kind::Retry,
            "attempts = 0",
            "#[timeout(1s)] async fn f() -> Result<(), E> { #![allow(unused)] Ok(()) }",
        );
        let inner = out.find("allow (unused)").expect("inner attribute kept");
        let import = out.find("use timeout as _").expect("import kept used");
        assert!(out.contains("#! [allow (unused)]"), "{out}");
        assert!(inner < import, "inner attributes stay first: {out}");
    }

    #[test]
    fn a_plain_non_result_return_type_is_one_error_fitting_the_attributes() {
        let lone_retry = run(Kind::Retry, "", "async fn f() -> Option<String> { None }");
        assert_eq!(
            lone_retry.matches("compile_error").count(),
            1,
            "{lone_retry}"
        );
        assert!(
            lone_retry.contains("Result<Option<String>, E>"),
            "{lone_retry}"
        );
        assert!(!lone_retry.contains("fallback"), "{lone_retry}");
        let timeout = run(
            Kind::Timeout,
            "1s",
            "async fn f() -> (u8, Vec<u8>) { (1, vec![]) }",
        );
        assert_eq!(timeout.matches("compile_error").count(), 1, "{timeout}");
        assert!(timeout.contains("#[fallback(f)]"), "{timeout}");
        // With a fallback on top any type works; a type the macro cannot judge (an alias, a
        // crate's own type, `Box<T>`) is left to the compiler.
        let under_fallback = run(
            Kind::Fallback,
            "g",
            "#[timeout(1s)] async fn f() -> u64 { 1 }",
        );
        assert!(
            !under_fallback.contains("compile_error"),
            "{under_fallback}"
        );
        for item in [
            "async fn f() -> Balance { Balance }",
            "async fn f() -> Box<Outcome> { todo!() }",
            "async fn f() -> io::Result<u64> { Ok(1) }",
        ] {
            let out = run(Kind::Timeout, "1s", item);
            assert!(!out.contains("compile_error"), "{item}: {out}");
        }
    }

    #[test]
    fn trailing_commas_and_bare_attributes_are_accepted() {
        for (kind, args) in [
            (Kind::Retry, ""),
            (Kind::Retry, "attempts = 3,"),
            (Kind::Retry, "backoff = exponential(100ms, max = 1s,),"),
            (Kind::Retry, "r#when = is_transient"),
            (Kind::Timeout, "1s,"),
            (Kind::Timeout, "duration = 1s, name = \"x\","),
        ] {
            let out = run(kind, args, ITEM);
            assert!(
                !out.contains("compile_error"),
                "`#[{}({args})]` should expand: {out}",
                kind.name()
            );
        }
    }
}
