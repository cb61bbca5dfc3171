//! How a function's own error is written in events: with `Display` when it has one (the
//! message people read; `anyhow::Error` prints no backtrace that way), else with `Debug`.
//! Picked at the callsite by autoref specialisation, where the error type is concrete.

use crate::outcome::{Failure, Layered, PolicyError};
use crate::retry::RetryableError;
use std::fmt;
use std::marker::PhantomData;

/// How an error of type `E` is written into an event: [`ByDisplay`] or [`ByDebug`]. A
/// zero-sized choice, so passing it costs a call nothing.
pub trait ErrorFormat<E> {
    /// Writes `error`.
    fn write(error: &E, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// Writes the error with its `Display`.
#[derive(Debug, Clone, Copy)]
pub struct ByDisplay;

impl<E: fmt::Display> ErrorFormat<E> for ByDisplay {
    #[inline]
    fn write(error: &E, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(error, f)
    }
}

/// Writes the error with its `Debug`.
#[derive(Debug, Clone, Copy)]
pub struct ByDebug;

impl<E: fmt::Debug> ErrorFormat<E> for ByDebug {
    #[inline]
    fn write(error: &E, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(error, f)
    }
}

/// Looks at the error type `E` of a layer's result: `(&ShowError::of(&result)).resilience_show()`
/// is [`ByDisplay`] when `E` has a `Display`, else [`ByDebug`] (with [`ShowDisplay`] and
/// [`ShowDebug`] in scope).
///
/// ```
/// use resilience_runtime::Layered;
/// use resilience_runtime::show::{ShowDebug as _, ShowDisplay as _, ShowError};
/// #[derive(Debug)]
/// struct Opaque;
/// let displayed: Layered<(), std::io::Error> = Ok(());
/// let debugged: Layered<(), Opaque> = Ok(());
/// let io: resilience_runtime::show::ByDisplay = (&ShowError::of(&displayed)).resilience_show();
/// let opaque: resilience_runtime::show::ByDebug = (&ShowError::of(&debugged)).resilience_show();
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
    /// [`ByDisplay`].
    fn resilience_show(&self) -> ByDisplay;
}

impl<E: fmt::Display> ShowDisplay<E> for ShowError<E> {
    #[inline(always)]
    fn resilience_show(&self) -> ByDisplay {
        ByDisplay
    }
}

/// Picked otherwise: the error is `Debug`. The bound is on the method, not the impl, so an
/// error that is neither gets `#[retry]`'s own message (it must implement `Debug`).
pub trait ShowDebug<E> {
    /// [`ByDebug`].
    fn resilience_show(&self) -> ByDebug
    where
        E: RetryableError;
}

impl<E> ShowDebug<E> for &ShowError<E> {
    #[inline(always)]
    fn resilience_show(&self) -> ByDebug
    where
        E: RetryableError,
    {
        ByDebug
    }
}

/// A failure as an event writes it: the function's own error by `S`, a policy's rejection
/// with its `Display`.
pub(crate) struct Shown<'a, E, P, S> {
    pub(crate) failure: &'a Failure<E, P>,
    pub(crate) show: PhantomData<S>,
}

impl<E, P: PolicyError, S: ErrorFormat<E>> fmt::Display for Shown<'_, E, P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure {
            Failure::Inner(e) => S::write(e, f),
            Failure::Policy(p) => fmt::Display::fmt(p, f),
        }
    }
}
