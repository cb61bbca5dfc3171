//! Durations: a suffixed literal (`250ms`, `1.5s`, `100us`, `5m`, `1h`) or any expression of
//! type `std::time::Duration`.

use super::Value;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use std::time::Duration;
use syn::Lit;

/// A duration argument: known at compile time when written as a literal.
#[derive(Clone)]
pub(crate) struct DurationArg {
    /// The value, when written as a literal.
    pub(crate) literal: Option<Duration>,
    expr: TokenStream,
    pub(crate) span: Span,
}

impl DurationArg {
    /// Reads a duration. `what` names it in messages (`timeout`, `max_elapsed`).
    pub(crate) fn parse(value: &Value, what: &str) -> syn::Result<Self> {
        let tokens: Vec<TokenTree> = value.tokens.clone().into_iter().collect();
        if let [TokenTree::Literal(l)] = tokens.as_slice() {
            return Self::from_literal(Lit::new(l.clone()), what);
        }
        if let Some(lit) = unit_literal(&value.tokens) {
            let written = lit.to_string();
            let message = match tokens.as_slice() {
                [TokenTree::Punct(minus), TokenTree::Literal(_)] if minus.as_char() == '-' => {
                    format!("a duration cannot be negative; write `{written}`")
                }
                _ => format!(
                    "`{written}` can only be written alone; inside an expression use a `Duration` constructor such as `Duration::from_millis(..)`"
                ),
            };
            return Err(syn::Error::new(lit.span(), message));
        }
        let expr: syn::Expr = value.parse().map_err(|_| {
            syn::Error::new(
                value.span(),
                format!("expected a duration for `{what}`, such as `250ms`, `2s` or a `Duration` expression"),
            )
        })?;
        Ok(DurationArg {
            literal: None,
            expr: quote!(#expr),
            span: value.span(),
        })
    }

    fn from_literal(lit: Lit, what: &str) -> syn::Result<Self> {
        let span = lit.span();
        let (digits, suffix) = match &lit {
            Lit::Int(i) => (i.base10_digits().to_owned(), i.suffix().to_owned()),
            Lit::Float(f) => (f.base10_digits().to_owned(), f.suffix().to_owned()),
            Lit::Str(s) if Self::parse_str(&s.value(), what).is_some() => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "a duration is written without quotes: `{}`",
                        s.value().trim()
                    ),
                ));
            }
            _ => {
                return Err(syn::Error::new(
                    span,
                    format!("expected a duration for `{what}`, such as `250ms` or `2s`"),
                ));
            }
        };
        let literal = resilience_grammar::duration::from_parts(&digits, &suffix, what)
            .map_err(|message| syn::Error::new(span, message))?;
        Ok(DurationArg {
            literal: Some(literal),
            expr: TokenStream::new(),
            span,
        })
    }

    /// A duration literal written inside a string (`"2s"`), for the hint.
    fn parse_str(text: &str, what: &str) -> Option<Self> {
        let lit: syn::Lit = syn::parse_str(text.trim()).ok()?;
        matches!(lit, Lit::Int(_) | Lit::Float(_))
            .then(|| Self::from_literal(lit, what).ok())
            .flatten()
    }

    /// Tokens of type `Duration`: a readable constructor for a literal, the expression
    /// otherwise (spanned so a type mismatch points at it).
    pub(crate) fn to_tokens(&self, krate: &TokenStream) -> TokenStream {
        let span = self.span;
        match self.literal {
            Some(d) => constructor(d, krate, span),
            None => {
                let expr = &self.expr;
                quote_spanned!(span=> #krate::__private::duration(#expr))
            }
        }
    }
}

/// A number suffixed with a duration unit (`1s`) inside `tokens`, which Rust would reject.
fn unit_literal(tokens: &TokenStream) -> Option<proc_macro2::Literal> {
    tokens.clone().into_iter().find_map(|t| match t {
        TokenTree::Group(g) => unit_literal(&g.stream()),
        TokenTree::Literal(l) => {
            let suffix = match Lit::new(l.clone()) {
                Lit::Int(i) => i.suffix().to_owned(),
                Lit::Float(f) => f.suffix().to_owned(),
                _ => return None,
            };
            resilience_grammar::duration::is_unit(&suffix).then_some(l)
        }
        _ => None,
    })
}

/// `ms(250)` (`Duration::from_millis(250)`): the largest unit that is exact.
fn constructor(d: Duration, krate: &TokenStream, span: Span) -> TokenStream {
    let nanos = d.as_nanos();
    let (ctor, n) = if nanos.is_multiple_of(1_000_000_000) {
        ("secs", nanos / 1_000_000_000)
    } else if nanos.is_multiple_of(1_000_000) {
        ("ms", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        ("us", nanos / 1_000)
    } else {
        ("ns", nanos)
    };
    let Ok(n) = u64::try_from(n) else {
        // Too many milliseconds (or finer units) for a `u64`: seconds and nanoseconds.
        let secs = proc_macro2::Literal::u64_unsuffixed(d.as_secs());
        let subsec = proc_macro2::Literal::u32_unsuffixed(d.subsec_nanos());
        return quote_spanned!(span=> #krate::__private::Duration::new(#secs, #subsec));
    };
    let ctor = syn::Ident::new(ctor, span);
    let n = proc_macro2::Literal::u64_unsuffixed(n);
    quote_spanned!(span=> #krate::__private::#ctor(#n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> syn::Result<DurationArg> {
        DurationArg::parse(
            &Value {
                tokens: src.parse().unwrap(),
            },
            "timeout",
        )
    }

    #[test]
    fn literals_are_exact() {
        let ms = Duration::from_millis;
        assert_eq!(parse("250ms").unwrap().literal, Some(ms(250)));
        assert_eq!(parse("1.5s").unwrap().literal, Some(ms(1500)));
        assert_eq!(
            parse("100us").unwrap().literal,
            Some(Duration::from_micros(100))
        );
        assert_eq!(parse("5m").unwrap().literal, Some(Duration::from_secs(300)));
        assert_eq!(
            parse("1h").unwrap().literal,
            Some(Duration::from_secs(3600))
        );
        assert_eq!(parse("1_000ms").unwrap().literal, Some(ms(1000)));
        assert_eq!(parse("0.25s").unwrap().literal, Some(ms(250)));
    }

    #[test]
    fn literals_render_in_the_largest_exact_unit() {
        let krate = quote!(::resilience);
        let render = |s: &str| parse(s).unwrap().to_tokens(&krate).to_string();
        assert!(render("2s").contains("secs (2)"));
        assert!(render("1.5s").contains("ms (1500)"));
        assert!(render("5m").contains("secs (300)"));
        // More milliseconds than a `u64` holds: exact, not truncated.
        assert!(
            render("18446744073709551614.5s").contains("new (18446744073709551614 , 500000000)")
        );
    }

    #[test]
    fn mistakes_are_explained() {
        let msg = |s: &str| parse(s).err().unwrap().to_string();
        assert!(msg("800").contains("needs a unit"));
        assert!(msg("5sec").contains("unknown unit `sec`"));
        assert!(msg("1.5ns").contains("whole number of nanoseconds"));
        assert!(msg("1e3ms").contains("without an exponent"));
        assert!(msg("18446744073709551616s").contains("too large"));
        assert!(msg("99999999999999999999999999999999999999999h").contains("too large"));
        assert!(msg("\"2s\"").contains("without quotes: `2s`"));
        assert!(msg("\"soon\"").contains("expected a duration"));
        assert!(msg("-1s").contains("cannot be negative"));
        assert!(msg("2 * 1s").contains("`1s` can only be written alone"));
    }

    #[test]
    fn expressions_pass_through() {
        let d = parse("Duration::from_millis(x)").unwrap();
        assert_eq!(d.literal, None);
    }
}
