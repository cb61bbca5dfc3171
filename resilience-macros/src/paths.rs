//! Runs of tokens spelling a path (`:: resilience :: __private`) in generated code, replaced
//! by an alias or removed, so the expansion reads as calls rather than paths. Only the
//! macro's own tokens go through here, never the user's body.

use proc_macro2::{Group, TokenStream, TokenTree};

/// `tokens` with each run of tokens spelled as `pattern` replaced by `alias` (spanned on the
/// run's first token, so a call's span, and rustc's label on it, starts where it did), or
/// removed when there is no alias. `found` is set when a run was met.
///
/// Input:  `::resilience::__private::lift(x)`, pattern `::resilience::__private`, alias `__resilience`
/// Output: `__resilience::lift(x)`
pub(crate) fn replace(
    tokens: TokenStream,
    pattern: &[String],
    alias: Option<&syn::Ident>,
    found: &mut bool,
) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let end = i + pattern.len();
        if end <= tokens.len()
            && tokens[i..end]
                .iter()
                .zip(pattern)
                .all(|(tt, p)| !matches!(tt, TokenTree::Group(_)) && tt.to_string() == *p)
        {
            if let Some(alias) = alias {
                let mut id = alias.clone();
                id.set_span(tokens[i].span());
                out.push(TokenTree::Ident(id));
            }
            *found = true;
            i = end;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(g) => {
                let stream = replace(g.stream(), pattern, alias, found);
                let mut group = Group::new(g.delimiter(), stream);
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn spelled(tokens: TokenStream) -> Vec<String> {
        tokens.into_iter().map(|tt| tt.to_string()).collect()
    }

    #[test]
    fn replaces_or_removes_every_run_even_in_groups() {
        let code = quote!(::r::__private::lift(::r::__private::ms(1)); other::__private::x);
        let alias = syn::Ident::new("__resilience", proc_macro2::Span::call_site());
        let mut found = false;
        let aliased = replace(
            code.clone(),
            &spelled(quote!(::r::__private)),
            Some(&alias),
            &mut found,
        );
        assert!(found);
        assert_eq!(
            aliased.to_string(),
            quote!(__resilience::lift(__resilience::ms(1)); other::__private::x).to_string()
        );
        let stripped = replace(code, &spelled(quote!(::r::__private::)), None, &mut found);
        assert_eq!(
            stripped.to_string(),
            quote!(lift(ms(1)); other::__private::x).to_string()
        );
        let mut none = false;
        replace(quote!(a::b), &spelled(quote!(::r)), None, &mut none);
        assert!(!none);
    }
}
