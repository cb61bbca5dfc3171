//! `scope = fleet`, `on_store_error = deny`, `store_timeout = 20ms` of `#[rate_limit]` and
//! `#[circuit_breaker]` (`on_store_error` is the rate limit's only): where the state lives,
//! and what a call does when Redis fails.

use super::{DurationArg, Setting, Value, set_once};
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use resilience_grammar::keys;
use syn::Ident;

/// The fleet keys as written.
#[derive(Default)]
pub(crate) struct FleetArgs {
    scope: Setting<(&'static str, Span)>,
    on_store_error: Setting<&'static str>,
    store_timeout: Setting<DurationArg>,
}

/// The checked fleet keys, ready to generate.
#[derive(Default)]
pub(crate) struct Fleet {
    /// `scope = fleet`: the span of the word `fleet`.
    pub(crate) fleet: Option<Span>,
    local: bool,
    on_store_error: Option<&'static str>,
    store_timeout: Option<DurationArg>,
}

impl FleetArgs {
    /// Takes `scope`, `store_timeout`, and (when `store_errors`) `on_store_error`; false for
    /// any other key.
    pub(crate) fn parse(
        &mut self,
        cx: &Ctxt,
        key: &Ident,
        value: &Value,
        store_errors: bool,
    ) -> bool {
        if key == "scope" {
            let word = word(cx, value, "scope", keys::SCOPES);
            set_once(cx, &mut self.scope, key, word.map(|w| (w, value.span())));
        } else if key == "on_store_error" && store_errors {
            let word = word(cx, value, "on_store_error", keys::ON_STORE_ERROR);
            set_once(cx, &mut self.on_store_error, key, word);
        } else if key == "store_timeout" {
            let d = cx.check(DurationArg::parse(value, "store_timeout"));
            if let Some(d) = &d
                && let Some(Err(message)) = d.literal.map(resilience_grammar::rules::store_timeout)
            {
                cx.error(d.span, message);
            }
            set_once(cx, &mut self.store_timeout, key, d);
        } else {
            return false;
        }
        true
    }

    /// Checks `scope = fleet` against `key = ..` (one fleet instance per name).
    pub(crate) fn finish(self, cx: &Ctxt, attr: &str, per_key: bool) -> Fleet {
        let (fleet, local) = match self.scope {
            Some((("fleet", span), _)) => (Some(span), false),
            Some(_) => (None, true),
            None => (None, false),
        };
        if let (Some(span), true) = (fleet, per_key) {
            cx.error(
                span,
                format!("`scope = fleet` does not combine with `key = ..` yet: a fleet `#[{attr}]` is one instance per name; remove `key`, or keep the scope local"),
            );
        }
        Fleet {
            fleet,
            local,
            on_store_error: self.on_store_error.map(|(w, _)| w),
            store_timeout: self.store_timeout.map(|(d, _)| d),
        }
    }
}

impl Fleet {
    /// `fleet: FleetPolicy { scope: Scope::Fleet, .. }`, naming only what was written; `None`
    /// when nothing was.
    pub(crate) fn field(&self, krate: &TokenStream) -> Option<TokenStream> {
        let policy = self.policy(krate)?;
        Some(quote!(fleet: #policy))
    }

    /// `FleetPolicy { scope: Scope::Fleet, .. }`, naming only what was written; `None` when
    /// nothing was.
    pub(crate) fn policy(&self, krate: &TokenStream) -> Option<TokenStream> {
        let p = quote!(#krate::__private);
        let mut fields = Vec::new();
        if self.fleet.is_some() {
            fields.push(quote!(scope: #p::Scope::Fleet));
        } else if self.local {
            fields.push(quote!(scope: #p::Scope::Local));
        }
        match self.on_store_error {
            Some("deny") => fields.push(quote!(on_store_error: #p::OnStoreError::Deny)),
            Some(_) => fields.push(quote!(on_store_error: #p::OnStoreError::Allow)),
            None => {}
        }
        if let Some(d) = &self.store_timeout {
            let d = d.to_tokens(krate);
            fields.push(quote!(store_timeout: #d));
        }
        if fields.is_empty() {
            return None;
        }
        Some(quote!(#p::FleetPolicy { #(#fields,)* ..#p::FleetPolicy::LOCAL }))
    }
}

/// One of `choices`, written as a bare word (`fleet`) or a string (`"fleet"`).
fn word(cx: &Ctxt, value: &Value, what: &str, choices: &[&'static str]) -> Option<&'static str> {
    let written = match value.parse::<Ident>() {
        Ok(i) => i.to_string(),
        Err(_) => match value.parse::<syn::LitStr>() {
            Ok(s) => s.value(),
            Err(_) => {
                let list: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
                cx.error(
                    value.span(),
                    format!("expected {} for `{what}`", list.join(" or ")),
                );
                return None;
            }
        },
    };
    match keys::choice(what, &written, choices) {
        Ok(w) => Some(w),
        Err(message) => {
            cx.error(value.span(), message);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compose::{Options, expand_with};
    use crate::kind::Kind;
    use proc_macro2::TokenStream;

    const ASYNC: &str = "async fn f(x: u32) -> Result<u32, E> { Ok(x) }";
    const SYNC: &str = "fn f(x: u32) -> Result<u32, E> { Ok(x) }";

    fn run(kind: Kind, args: &str, item: &str, redis: bool) -> String {
        let args: TokenStream = args.parse().expect("args lex");
        let item: TokenStream = item.parse().expect("item lex");
        let options = Options {
            chaos: false,
            redis,
            metrics: false,
        };
        expand_with(kind, args, item, options).to_string()
    }

    #[test]
    fn fleet_without_the_feature_names_the_feature_and_keeps_the_function() {
        for (kind, args) in [
            (Kind::RateLimit, "rate = 10/1s, scope = fleet"),
            (Kind::CircuitBreaker, "name = \"p\", scope = fleet"),
        ] {
            let out = run(kind, args, ASYNC, false);
            assert!(out.contains("compile_error"), "{out}");
            assert!(out.contains("the feature `redis`"), "{out}");
            assert!(out.contains("fn f"), "{out}");
            // With the feature: the policy says so.
            let out = run(kind, args, ASYNC, true);
            assert!(!out.contains("compile_error"), "{out}");
            assert!(out.contains("Scope :: Fleet"), "{out}");
        }
        // A local scope needs no feature.
        let out = run(Kind::RateLimit, "rate = 10/1s, scope = local", ASYNC, false);
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn store_settings_expand_into_the_policy() {
        let out = run(
            Kind::RateLimit,
            "rate = 10/1s, scope = fleet, on_store_error = deny, store_timeout = 20ms",
            ASYNC,
            true,
        );
        assert!(out.contains("OnStoreError :: Deny"), "{out}");
        assert!(out.contains("store_timeout"), "{out}");
    }

    #[test]
    fn mistakes_are_spanned_errors() {
        for (kind, args, says) in [
            (
                Kind::RateLimit,
                "rate = 1/1s, scope = flete",
                "did you mean `fleet`",
            ),
            (
                Kind::RateLimit,
                "rate = 1/1s, on_store_error = maybe",
                "unknown on_store_error",
            ),
            (
                Kind::RateLimit,
                "rate = 1/1s, store_timeout = 0ms",
                "longer than zero",
            ),
            (
                Kind::RateLimit,
                "rate = 1/1s, scope = fleet, scope = local",
                "given twice",
            ),
            (
                Kind::CircuitBreaker,
                "on_store_error = deny",
                "unknown key `on_store_error`",
            ),
            (
                Kind::CircuitBreaker,
                "name = \"u\", key = host, scope = fleet",
                "does not combine with `key",
            ),
        ] {
            let out = run(kind, args, ASYNC, true);
            assert!(out.contains(says), "`{args}`: {out}");
            assert!(out.contains("fn f"), "`{args}` lost the function");
        }
    }

    #[test]
    fn a_fleet_rate_limit_needs_an_async_fn_and_a_fleet_breaker_does_not() {
        let out = run(Kind::RateLimit, "rate = 10/1s, scope = fleet", SYNC, true);
        assert!(out.contains("make the function `async`"), "{out}");
        let out = run(
            Kind::CircuitBreaker,
            "name = \"p\", scope = fleet",
            SYNC,
            true,
        );
        assert!(!out.contains("compile_error"), "{out}");
    }
}
