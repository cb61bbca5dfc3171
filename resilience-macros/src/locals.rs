//! The macro's own locals and labels, written short in the expansion: `__resilience_result` is
//! `result`, `'__resilience_breaker` is `'breaker`. Hygiene keeps them apart from the
//! function's names: they resolve at the macro's definition (`Span::mixed_site`), so a body's
//! own `result` or `'retry` never meets them, either way. Only the macro's tokens go through
//! here, never the user's body (its placeholder is kept).
//!
//! Input:  `let __resilience_permit = ..; __resilience_permit.finish(__resilience_result, ..)`
//! Output: `let permit = ..; permit.finish(result, ..)`

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use std::collections::HashSet;

const PREFIX: &str = "__resilience_";

/// Names kept where they were written (the call site, or the user's code), whatever the
/// expansion:
/// - the retry's attempt and how its error is shown, both passed to `decide`: renamed, they
///   give `decide`'s bound a span of its own, and an error that is not `Debug` is reported
///   twice (at `resilience_show`, then at `decide`);
/// - the outcome, the fallback's mode and the value a timeout lifts, spanned on the return type,
///   and the error a `when` path is called with, spanned on the path: found pinned in a real
///   expansion anyway, and listed so that the snapshot tests (where every span is alike) name
///   them the same.
const KEPT: &[&str] = &[
    "__resilience_attempt",
    "__resilience_show",
    "__resilience_outcome",
    "__resilience_mode",
    "__resilience_error",
    "__resilience_returned",
];

/// The names kept at the call site (or spanned on the user's code) that still read short:
/// none is in scope where the body is (unlike `__resilience_mode`), and the leading
/// underscores keep them out of the way of a `when` closure's own names.
const SHORT_AT_CALL_SITE: &[(&str, &str)] = &[
    ("__resilience_attempt", "__attempt"),
    ("__resilience_show", "__show"),
    ("__resilience_error", "__error"),
    // A closure's parameter, used in its body only.
    ("__resilience_returned", "returned"),
];

/// `tokens` with each generated local or label renamed, except `keep` (the body's placeholder)
/// and the names that appear spanned on the user's code somewhere: a diagnostic may point at
/// such a name, and one resolved at the macro's definition would add "this error originates in
/// the attribute macro" to it. (Spans compare by their `Debug`, location and context: `Span`
/// has no `Eq`.)
pub(crate) fn shorten(tokens: TokenStream, keep: &syn::Ident) -> TokenStream {
    let call_site = format!("{:?}", Span::call_site());
    let mut pinned: HashSet<String> = KEPT.iter().map(|&k| k.to_owned()).collect();
    pinned.insert(keep.to_string());
    find_pinned(&tokens, &call_site, &mut pinned);
    rename(tokens, &pinned)
}

/// The generated names that appear with a span other than the macro's call site.
fn find_pinned(tokens: &TokenStream, call_site: &str, pinned: &mut HashSet<String>) {
    for tt in tokens.clone() {
        match tt {
            TokenTree::Ident(id) if format!("{:?}", id.span()) != call_site => {
                let name = id.to_string();
                if name.starts_with(PREFIX) {
                    pinned.insert(name);
                }
            }
            TokenTree::Group(g) => find_pinned(&g.stream(), call_site, pinned),
            _ => {}
        }
    }
}

fn rename(tokens: TokenStream, pinned: &HashSet<String>) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    for tt in tokens {
        match tt {
            TokenTree::Ident(id) if pinned.contains(&id.to_string()) => {
                let name = id.to_string();
                let id = match SHORT_AT_CALL_SITE.iter().find(|(long, _)| *long == name) {
                    Some((_, short)) => syn::Ident::new(short, id.span()),
                    None => id,
                };
                out.push(TokenTree::Ident(id));
            }
            TokenTree::Ident(id) => match short(&id.to_string()) {
                Some(name) => {
                    let span = Span::mixed_site().located_at(id.span());
                    // A label's quote takes the hygiene of its name.
                    if let Some(TokenTree::Punct(p)) = out.last_mut()
                        && p.as_char() == '\''
                    {
                        p.set_span(span);
                    }
                    out.push(TokenTree::Ident(syn::Ident::new(&name, span)));
                }
                None => out.push(TokenTree::Ident(id)),
            },
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), rename(g.stream(), pinned));
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The short name of a generated local (`__resilience_result` → `result`); the timer, only
/// ever dropped, keeps a leading underscore.
fn short(name: &str) -> Option<String> {
    let rest = name.strip_prefix(PREFIX)?;
    Some(match rest {
        "timer" => "_timer".to_owned(),
        _ => rest.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn locals_and_labels_read_short_and_the_rest_is_kept() {
        let keep = syn::Ident::new("__resilience_body", Span::call_site());
        let tokens = quote! {
            let __resilience_timer = __RESILIENCE_CALL.start();
            '__resilience_breaker: { __resilience::lift(__resilience_body, __resilience_result) }
        };
        assert_eq!(
            shorten(tokens, &keep).to_string(),
            quote! {
                let _timer = __RESILIENCE_CALL.start();
                'breaker: { __resilience::lift(__resilience_body, result) }
            }
            .to_string()
        );
    }
}
