//! Plain numbers: `attempts = 4`, `factor = 1.5`.

use super::Value;
use syn::{Lit, LitInt};

/// An unsuffixed integer literal.
pub(crate) fn parse_int<N>(value: &Value, what: &str) -> syn::Result<N>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    let lit: LitInt = value
        .parse()
        .map_err(|_| syn::Error::new(value.span(), resilience_grammar::count::expected(what)))?;
    if !lit.suffix().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "{what} takes a plain number; remove the suffix `{}`",
                lit.suffix()
            ),
        ));
    }
    lit.base10_parse::<N>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            resilience_grammar::count::too_large(lit.base10_digits(), what),
        )
    })
}

/// An unsuffixed float or integer literal.
pub(crate) fn parse_float(value: &Value, what: &str) -> syn::Result<f64> {
    let lit: Lit = value.parse().map_err(|_| {
        syn::Error::new(
            value.span(),
            format!("expected a number for {what}, such as `2.0`"),
        )
    })?;
    let (parsed, suffix, span) = match &lit {
        Lit::Float(f) => (f.base10_parse::<f64>(), f.suffix().to_owned(), f.span()),
        Lit::Int(i) => (i.base10_parse::<f64>(), i.suffix().to_owned(), i.span()),
        _ => {
            return Err(syn::Error::new(
                lit.span(),
                format!("expected a number for {what}, such as `2.0`"),
            ));
        }
    };
    if !suffix.is_empty() {
        return Err(syn::Error::new(
            span,
            format!("{what} takes a plain number; remove the suffix `{suffix}`"),
        ));
    }
    parsed
}
