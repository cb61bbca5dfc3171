//! Whether the body may own the function's arguments (`async move { body }`).
//!
//! An `async` body that borrows the arguments keeps the function's own future in memory at each
//! call the body makes (the inner future points into it); one that owns them does not, which is
//! most of a layer's cost around a small body (issue 18: the closed breaker 55 → 41
//! instructions). The body may own them when nothing after it uses them, or when each is
//! copied rather than moved.
//!
//! Input:  `#[retry] async fn f(&self, id: u64, name: &str)` → owns (every argument is `Copy`)
//! Input:  `#[retry] async fn f(&self, req: Request)` → borrows (the next attempt needs `req`)
//! Input:  `#[timeout(1s)] async fn f(req: Request)` → owns (nothing after the body uses `req`)

use crate::layers::Layer;
use syn::{FnArg, Pat, Signature, Type};

/// Whether the body of `sig` may be `async move` under `layers`.
pub(crate) fn body_owns_arguments(sig: &Signature, layers: &[Layer]) -> bool {
    !layers.iter().any(Layer::uses_arguments_after_body) || every_argument_is_copied(sig)
}

/// Whether every argument is a binding that `async move` copies, leaving the function's own
/// untouched: `&self`, or `name: T` (not `mut`) with `T` a shared reference or a primitive.
/// (A `mut` argument is left out: a retried body that changes it would then start each attempt
/// from the first value instead of the last.)
fn every_argument_is_copied(sig: &Signature) -> bool {
    sig.inputs.iter().all(|arg| match arg {
        FnArg::Receiver(r) => r.reference.is_some() && r.mutability.is_none(),
        FnArg::Typed(t) => {
            matches!(&*t.pat, Pat::Ident(p) if p.mutability.is_none() && p.by_ref.is_none() && p.subpat.is_none())
                && is_copy(&t.ty)
        }
    })
}

/// A type that is `Copy` by its syntax alone.
fn is_copy(ty: &Type) -> bool {
    const PRIMITIVES: &[&str] = &[
        "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
        "i128", "isize", "f32", "f64",
    ];
    match ty {
        Type::Reference(r) => r.mutability.is_none(),
        Type::Paren(p) => is_copy(&p.elem),
        Type::Group(g) => is_copy(&g.elem),
        Type::Path(p) => {
            p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && p.path.segments[0].arguments.is_none()
                && PRIMITIVES.contains(&p.path.segments[0].ident.to_string().as_str())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(sig: &str) -> bool {
        every_argument_is_copied(&syn::parse_str(sig).expect("a signature"))
    }

    #[test]
    fn shared_references_and_primitives_are_copied() {
        assert!(copied("async fn f(&self, sku: &str, n: u64, on: bool)"));
        assert!(copied("async fn f(items: &[Item], map: &HashMap<K, V>)"));
        assert!(copied("async fn f()"));
    }

    #[test]
    fn owned_mutable_or_unknown_arguments_are_not() {
        assert!(!copied("async fn f(&mut self)"));
        assert!(!copied("async fn f(self)"));
        assert!(!copied("async fn f(&self, name: String)"));
        assert!(!copied("async fn f(out: &mut Vec<u8>)"));
        assert!(!copied("async fn f(mut n: u32)"));
        assert!(!copied("async fn f<T: Copy>(t: T)"));
        assert!(!copied("async fn f((a, b): (u32, u32))"));
        assert!(!copied("async fn f(n: std::primitive::u32)"));
    }
}
