//! How a function's own error is written in events: with `Display` when it has one (the
//! message people read; `anyhow::Error` prints no backtrace that way), else with `Debug`.
//! Picked at the callsite by autoref specialisation, where the error type is concrete.

use crate::outcome::{Failure, Layered, PolicyError};
use crate::retry::RetryableError;
use std::fmt;
use std::marker::PhantomData;

/// Writes an error of type `E` into an event.
pub type ErrorFormat<E> = fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result;

/// Looks at the error type `E` of a layer's result: `(&ShowError::of(&result)).resilience_show()`
/// is `E`'s `Display` when it has one, else its `Debug` (with [`ShowDisplay`] and
/// [`ShowDebug`] in scope).
///
/// ```
/// use resilience_runtime::Layered;
/// use resilience_runtime::show::{ShowDebug as _, ShowDisplay as _, ShowError};
/// #[derive(Debug)]
/// struct Opaque;
/// let displayed: Layered<(), std::io::Error> = Ok(());
/// let debugged: Layered<(), Opaque> = Ok(());
/// let io = (&ShowError::of(&displayed)).resilience_show();
/// let opaque = (&ShowError::of(&debugged)).resilience_show();
/// # let _ = (io, opaque);
/// ```
#[derive(Debug)]
pub struct ShowError<E>(PhantomData<fn(&E)>);

impl<E> ShowError<E> {
    /// The probe of `result`'s error type.
    #[inline(always)]
    pub fn of<T, P>(_result: &Layered<T, E, P>) -> Self {
        ShowError(PhantomData)
    }
}

/// Picked when the error is `Display`.
pub trait ShowDisplay<E> {
    /// `E`'s `Display`.
    fn resilience_show(&self) -> ErrorFormat<E>;
}

impl<E: fmt::Display> ShowDisplay<E> for ShowError<E> {
    #[inline(always)]
    fn resilience_show(&self) -> ErrorFormat<E> {
        <E as fmt::Display>::fmt
    }
}

/// Picked otherwise: the error is `Debug`. The bound is on the method, not the impl, so an
/// error that is neither gets `#[retry]`'s own message (it must implement `Debug`).
pub trait ShowDebug<E> {
    /// `E`'s `Debug`.
    fn resilience_show(&self) -> ErrorFormat<E>
    where
        E: RetryableError;
}

impl<E> ShowDebug<E> for &ShowError<E> {
    #[inline(always)]
    fn resilience_show(&self) -> ErrorFormat<E>
    where
        E: RetryableError,
    {
        <E as fmt::Debug>::fmt
    }
}

/// A failure as an event writes it: the function's own error with its [`ErrorFormat`], a
/// policy's rejection with its `Display`.
pub(crate) struct Shown<'a, E, P> {
    pub(crate) failure: &'a Failure<E, P>,
    pub(crate) show: ErrorFormat<E>,
}

impl<E, P: PolicyError> fmt::Display for Shown<'_, E, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure {
            Failure::Inner(e) => (self.show)(e, f),
            Failure::Policy(p) => fmt::Display::fmt(p, f),
        }
    }
}
