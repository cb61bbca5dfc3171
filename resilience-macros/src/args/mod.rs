//! The arguments inside an attribute's parentheses: `key = value` pairs and positional values,
//! split at top-level commas, each value kept as tokens until its key says how to read it.

mod duration;
mod fleet;
mod given;
mod number;
mod percent;

pub(crate) use duration::DurationArg;
pub(crate) use fleet::{Fleet, FleetArgs};
pub(crate) use given::{Given, is_literal, parse_count, parse_share, pinned};
pub(crate) use number::{parse_float, parse_int};
pub(crate) use percent::parse_percent;

use crate::ctxt::Ctxt;
use crate::suggest;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, Token};

/// One argument: `key = value`, or a bare `value`.
pub(crate) struct Arg {
    pub(crate) key: Option<Ident>,
    pub(crate) value: Value,
}

/// An argument's value, as written.
#[derive(Clone)]
pub(crate) struct Value {
    pub(crate) tokens: TokenStream,
}

impl Value {
    /// The span of the whole value (its first token when the compiler cannot join spans).
    pub(crate) fn span(&self) -> Span {
        self.tokens.span()
    }

    /// Parses the value as a `syn` type.
    pub(crate) fn parse<T: Parse>(&self) -> syn::Result<T> {
        syn::parse2(self.tokens.clone())
    }
}

/// All the arguments of one attribute.
pub(crate) struct Args(pub(crate) Vec<Arg>);

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Vec::new();
        while !input.is_empty() {
            let key = if (input.peek(Ident::peek_any))
                && input.peek2(Token![=])
                && !input.peek2(Token![==])
            {
                // `r#when` is `when`; `crate` is a keyword, hence `parse_any`.
                let key = Ident::parse_any(input)?.unraw();
                input.parse::<Token![=]>()?;
                Some(key)
            } else {
                None
            };
            let mut tokens = TokenStream::new();
            while !input.is_empty() && !input.peek(Token![,]) {
                tokens.extend([input.parse::<TokenTree>()?]);
            }
            if tokens.is_empty() {
                return Err(match &key {
                    Some(key) => {
                        syn::Error::new(key.span(), format!("`{key}` needs a value after `=`"))
                    }
                    None => syn::Error::new(input.span(), "an extra `,`; remove it"),
                });
            }
            args.push(Arg {
                key,
                value: Value { tokens },
            });
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Args(args))
    }
}

/// A setting given at most once: the value and the span of the key that set it.
pub(crate) type Setting<T> = Option<(T, Span)>;

/// Stores `value` in `slot` unless the key was already given, in which case the second key is
/// reported.
pub(crate) fn set_once<T>(cx: &Ctxt, slot: &mut Setting<T>, key: &Ident, value: Option<T>) {
    if slot.is_some() {
        cx.error(key.span(), format!("`{key}` is given twice; keep one"));
    } else if let Some(value) = value {
        *slot = Some((value, key.span()));
    }
}

/// The key of `arg`, or an error saying that `#[attr]` takes `key = value` pairs such as
/// `example`.
pub(crate) fn require_key<'a>(
    cx: &Ctxt,
    attr: &str,
    example: &str,
    arg: &'a Arg,
) -> Option<&'a Ident> {
    if arg.key.is_none() {
        cx.error(
            arg.value.span(),
            format!(
                "`#[{attr}]` takes `key = value` pairs, such as `{example}`; `{}` has no key",
                text(&arg.value.tokens)
            ),
        );
    }
    arg.key.as_ref()
}

/// Reports `key` as unknown to the attribute `attr`, suggesting the closest of `keys`.
pub(crate) fn unknown_key(cx: &Ctxt, attr: &str, key: &Ident, keys: &[&str]) {
    if key == "key" || key == "max_keys" {
        cx.error(
            key.span(),
            format!("`#[{attr}]` has no per-key instances, so it takes no `{key}`; put `key = ..` on `#[circuit_breaker]`, `#[bulkhead]` or `#[rate_limit]` (with their `name`)"),
        );
        return;
    }
    let hint = suggest::hint(&key.unraw().to_string(), "keys", keys);
    cx.error(
        key.span(),
        format!("unknown key `{key}` for `#[{attr}]`; {hint}"),
    );
}

/// Reads a `"string literal"` value (a `name`).
pub(crate) fn parse_name(cx: &Ctxt, value: &Value) -> Option<syn::LitStr> {
    match value.parse::<syn::LitStr>() {
        Ok(lit) if lit.value().trim().is_empty() => {
            cx.error(
                lit.span(),
                "the name is empty; give a label such as `name = \"payments\"`",
            );
            None
        }
        Ok(lit) => Some(lit),
        Err(_) => {
            cx.error(
                value.span(),
                "expected a string literal, such as `name = \"payments\"`",
            );
            None
        }
    }
}

/// Reads a path value (`when = is_transient`, `crate = my::reexport`).
pub(crate) fn parse_path(cx: &Ctxt, value: &Value, example: &str) -> Option<syn::Path> {
    match value.parse::<syn::Path>() {
        Ok(p) => Some(p),
        Err(_) => {
            cx.error(
                value.span(),
                format!("expected a path, such as `{example}`"),
            );
            None
        }
    }
}

/// A predicate value, `when = is_transient` or `when = |e| ..`; `message` says what it takes.
pub(crate) fn parse_predicate(cx: &Ctxt, value: &Value, message: &str) -> Option<syn::Expr> {
    match value.parse::<syn::Expr>() {
        Ok(e @ (syn::Expr::Path(_) | syn::Expr::Closure(_))) => Some(e),
        _ => {
            cx.error(value.span(), message);
            None
        }
    }
}

/// Renders a value back as text, for messages.
pub(crate) fn text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}

/// `key = expr` and `max_keys = N` of `circuit_breaker`, `bulkhead` and `rate_limit`: one
/// instance per value of `expr`, at most `N` of them.
pub(crate) struct KeyArgs {
    key: Setting<syn::Expr>,
    max_keys: Setting<usize>,
}

/// A checked `key = expr` (with `name`), ready to generate.
pub(crate) struct PerKey {
    pub(crate) key: syn::Expr,
    pub(crate) max_keys: Option<usize>,
}

impl KeyArgs {
    pub(crate) fn new() -> Self {
        KeyArgs {
            key: None,
            max_keys: None,
        }
    }

    /// Takes `key` or `max_keys`; false for any other key.
    pub(crate) fn parse(&mut self, cx: &Ctxt, key: &Ident, value: &Value) -> bool {
        if key == "key" {
            let expr = match value.parse::<syn::Expr>() {
                Ok(e) => Some(e),
                Err(_) => {
                    cx.error(
                        value.span(),
                        "expected an expression giving the key, such as `key = self.host.as_str()`",
                    );
                    None
                }
            };
            set_once(cx, &mut self.key, key, expr);
            true
        } else if key == "max_keys" {
            let n = match cx.check(parse_int::<usize>(value, "`max_keys`")) {
                Some(0) => {
                    cx.error(
                        value.span(),
                        resilience_grammar::rules::max_keys(0).unwrap_err(),
                    );
                    None
                }
                n => n,
            };
            set_once(cx, &mut self.max_keys, key, n);
            true
        } else {
            false
        }
    }

    /// Checks `key` against `name` and `max_keys` against `key`.
    pub(crate) fn finish(
        self,
        cx: &Ctxt,
        attr: &str,
        name: Option<&syn::LitStr>,
    ) -> Option<PerKey> {
        match (self.key, self.max_keys) {
            (None, None) => None,
            (None, Some((_, span))) => {
                cx.error(
                    span,
                    format!("`max_keys` bounds the instances made per value of `key`; add `key = ..` to `#[{attr}]`, or remove `max_keys`"),
                );
                None
            }
            (Some((_, span)), _) if name.is_none() => {
                cx.error(
                    span,
                    format!("`key` needs a `name`: per-key instances are listed as `name[key]` and shared by name; add `name = \"upstream\"` to `#[{attr}]`"),
                );
                None
            }
            (Some((key, _)), max_keys) => Some(PerKey {
                key,
                max_keys: max_keys.map(|(n, _)| n),
            }),
        }
    }
}

impl PerKey {
    /// `max_keys`, or the runtime's default.
    pub(crate) fn max_keys(&self, krate: &TokenStream) -> TokenStream {
        match self.max_keys {
            Some(n) => {
                let n = proc_macro2::Literal::usize_unsuffixed(n);
                quote::quote!(#n)
            }
            None => quote::quote!(#krate::__private::DEFAULT_MAX_KEYS),
        }
    }

    /// The key as a `&str`, spanned on the expression so a key of the wrong type is reported
    /// there.
    pub(crate) fn key(&self, krate: &TokenStream) -> TokenStream {
        let key = &self.key;
        quote::quote_spanned!(key.span()=> #krate::__private::key(&(#key)))
    }
}
