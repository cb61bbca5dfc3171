//! Collects every mistake in one expansion, so a build reports them all at once.

use proc_macro2::Span;
use std::cell::RefCell;
use std::fmt::Display;

/// An error collector: push errors while parsing and validating, then [`Ctxt::finish`].
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Option<syn::Error>>,
}

impl Ctxt {
    /// Records an error at `span`.
    pub(crate) fn error(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an already-built error (from `syn`).
    pub(crate) fn push(&self, error: syn::Error) {
        let mut errors = self.errors.borrow_mut();
        match errors.as_mut() {
            Some(all) => all.combine(error),
            None => *errors = Some(error),
        }
    }

    /// Records the error of `result`, if any, and passes on its value.
    pub(crate) fn check<T>(&self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// All errors recorded, combined, or `Ok` when there were none.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.errors.into_inner() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
