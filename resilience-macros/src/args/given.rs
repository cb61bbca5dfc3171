//! Counts, rates and percentages: a literal (`attempts = 4`, `failure_rate = 40%`), checked
//! here at compile time, or any other expression (`attempts = self.cfg.attempts`), evaluated
//! at each call and checked then by the runtime with the same rules (`__private::checked`).

use super::{Value, parse_int, parse_percent};
use crate::ctxt::Ctxt;
use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use resilience_grammar::Problem;

/// A value written as a literal, or an expression to evaluate at each call.
#[derive(Clone)]
pub(crate) enum Given<T> {
    /// Known, and checked, at compile time.
    Literal(T),
    /// Evaluated at each call.
    Expr(syn::Expr),
}

impl<T: Copy> Given<T> {
    /// The value, when written as a literal.
    pub(crate) fn literal(&self) -> Option<T> {
        match self {
            Given::Literal(v) => Some(*v),
            Given::Expr(_) => None,
        }
    }

    /// Whether it is an expression.
    pub(crate) fn is_expr(&self) -> bool {
        matches!(self, Given::Expr(_))
    }

    /// `literal(value)` for a literal; for an expression, the expression passed through
    /// `__private::<pin>` (which names the type it must have), spanned on the expression so a
    /// type mismatch points at it.
    pub(crate) fn to_tokens(
        &self,
        krate: &TokenStream,
        pin: &str,
        literal: impl FnOnce(T) -> TokenStream,
    ) -> TokenStream {
        match self {
            Given::Literal(v) => literal(*v),
            Given::Expr(e) => pinned(krate, pin, e),
        }
    }
}

/// `__private::<pin>(expr)`, spanned on the expression so a type mismatch points at it.
pub(crate) fn pinned(krate: &TokenStream, pin: &str, expr: &syn::Expr) -> TokenStream {
    let span = syn::spanned::Spanned::span(expr);
    let pin = syn::Ident::new(pin, span);
    quote_spanned!(span=> #krate::__private::#pin(#expr))
}

/// Whether `value` is written as a literal, which its key reads with its own grammar at
/// compile time: `3`, `-1`, `50%`, `0.5`, `"3"`. Anything else is an expression.
pub(crate) fn is_literal(value: &Value) -> bool {
    let tokens: Vec<TokenTree> = value.tokens.clone().into_iter().collect();
    let tokens = match tokens.as_slice() {
        [TokenTree::Punct(minus), rest @ ..] if minus.as_char() == '-' => rest,
        all => all,
    };
    match tokens {
        [TokenTree::Literal(_)] => true,
        [TokenTree::Literal(_), TokenTree::Punct(p)] => p.as_char() == '%',
        _ => false,
    }
}

/// Reads `value` with `literal` when it is written as a literal, else as an expression;
/// `expected` is the message for a value that is neither.
pub(crate) fn parse<T>(
    value: &Value,
    expected: impl FnOnce() -> String,
    literal: impl FnOnce(&Value) -> syn::Result<T>,
) -> syn::Result<Given<T>> {
    if is_literal(value) {
        return literal(value).map(Given::Literal);
    }
    value
        .parse::<syn::Expr>()
        .map(Given::Expr)
        .map_err(|_| syn::Error::new(value.span(), expected()))
}

/// A count (`attempts`, `burst`, `min_calls`, ...): a whole-number literal that `rule` allows,
/// or an expression of type `ty` (passed through `__private::<pin>`).
pub(crate) fn parse_count<N>(
    cx: &Ctxt,
    value: &Value,
    key: &str,
    ty: &str,
    rule: impl FnOnce(u64) -> Result<(), Problem>,
) -> Option<Given<N>>
where
    N: std::str::FromStr + Copy + TryInto<u64>,
    N::Err: std::fmt::Display,
{
    let what = format!("`{key}`");
    let expected = || {
        format!(
            "{}, or an expression of type `{ty}`",
            resilience_grammar::count::expected(&what)
        )
    };
    let given = cx.check(parse(value, expected, |v| parse_int::<N>(v, &what)))?;
    if let Some(Err(message)) = given
        .literal()
        .map(|n| rule(n.try_into().unwrap_or(u64::MAX)))
    {
        cx.error(value.span(), message);
        return None;
    }
    Some(given)
}

/// A percentage (`failure_rate`, `error_rate`, `budget`, ...): `50%` or `0.5` that `rule`
/// allows, or an expression of type `f64`, a share (`0.5` is 50%).
pub(crate) fn parse_share(
    cx: &Ctxt,
    value: &Value,
    key: &str,
    rule: impl FnOnce(f64) -> Result<(), Problem>,
) -> Option<Given<f64>> {
    let expected = || {
        format!(
            "{}, or an expression of type `f64` giving a share (`0.5` is 50%)",
            resilience_grammar::share::expected(key)
        )
    };
    let given = cx.check(parse(value, expected, |v| parse_percent(v, key)))?;
    if let Some(Err(message)) = given.literal().map(rule) {
        cx.error(value.span(), message);
        return None;
    }
    Some(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(src: &str) -> Value {
        Value {
            tokens: src.parse().unwrap(),
        }
    }

    #[test]
    fn literals_and_expressions_are_told_apart() {
        for lit in ["3", "-1", "50%", "0.5", "\"3\"", "12.5 %"] {
            assert!(is_literal(&value(lit)), "{lit}");
        }
        for expr in ["self.cfg.attempts", "N", "f(2)", "2 + 1", "x %"] {
            assert!(!is_literal(&value(expr)), "{expr}");
        }
    }

    #[test]
    fn an_expression_that_does_not_parse_gets_the_keys_message() {
        let r = parse::<u32>(
            &value("x %"),
            || "expected a share".into(),
            |_| unreachable!(),
        );
        assert_eq!(r.err().unwrap().to_string(), "expected a share");
        let r = parse::<u32>(&value("self.n"), String::new, |_| unreachable!());
        assert!(r.unwrap().is_expr());
    }
}
