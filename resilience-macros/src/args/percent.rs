//! Shares: `50%` or `0.5`.

use super::Value;
use proc_macro2::TokenTree;
use syn::Lit;

/// A share between 0 and 1, written `50%`, `12.5%` or `0.5`. `what` names the key in messages.
pub(crate) fn parse_percent(value: &Value, what: &str) -> syn::Result<f64> {
    let tokens: Vec<TokenTree> = value.tokens.clone().into_iter().collect();
    let bad = || syn::Error::new(value.span(), resilience_grammar::share::expected(what));
    let (literal, percent) = match tokens.as_slice() {
        [TokenTree::Literal(l)] => (l.clone(), false),
        [TokenTree::Literal(l), TokenTree::Punct(p)] if p.as_char() == '%' => (l.clone(), true),
        _ => return Err(bad()),
    };
    let number = match Lit::new(literal.clone()) {
        Lit::Int(i) if i.suffix().is_empty() => i.base10_parse::<f64>()?,
        Lit::Float(f) if f.suffix().is_empty() => f.base10_parse::<f64>()?,
        _ => return Err(bad()),
    };
    resilience_grammar::share::from_number(number, percent, what)
        .map_err(|message| syn::Error::new(literal.span(), message))
}
