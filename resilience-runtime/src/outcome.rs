//! What flows between the layers of one expansion: the body's `Result`, split into the
//! caller's own error and the policies' rejections.

use crate::Error;
use std::convert::Infallible;

/// A `Result`, whatever it is called: `Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>` or
/// your own alias. The attributes recognise the return type by this trait, not by its name.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::Outcome;
/// let r: std::io::Result<u8> = Ok(1);
/// assert_eq!(r.into_result().unwrap(), 1);
/// ```
#[diagnostic::on_unimplemented(
    message = "resilience attributes need the function to return a `Result`, not `{Self}`",
    label = "this is not a `Result<T, E>`",
    note = "return `Result<{Self}, E>` (any alias of `Result` works); under `#[timeout]`, `#[circuit_breaker]`, `#[bulkhead]`, `#[rate_limit]` or `#[chaos]` (not a lone `#[retry]`, which retries `Err` only), `#[fallback(f)]` on top can supply a `{Self}` when a policy fails instead"
)]
pub trait Outcome: Sized {
    /// The success value.
    type Ok;
    /// The function's own error.
    type Err;
    /// Splits into a plain `Result`.
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
    /// Rebuilds from a plain `Result`.
    fn from_result(result: Result<Self::Ok, Self::Err>) -> Self;
}

impl<T, E> Outcome for Result<T, E> {
    type Ok = T;
    type Err = E;
    #[inline]
    fn into_result(self) -> Self {
        self
    }
    #[inline]
    fn from_result(result: Self) -> Self {
        result
    }
}

/// An error type that can carry a [`resilience::Error`](crate::Error): implemented for every
/// `E: From<resilience::Error>`. The compiler names this trait when the impl is missing.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::{Error, FromResilienceError};
/// let e = <std::io::Error as FromResilienceError>::from_resilience(Error::Injected { name: "x" });
/// assert_eq!(e.kind(), std::io::ErrorKind::Other);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a `resilience::Error`, which a policy of this function can fail with",
    label = "needs `impl From<resilience::Error> for {Self}`",
    note = "add `impl From<resilience::Error> for {Self}` (timeout, circuit_breaker, bulkhead, rate_limit and chaos can reject a call, and so can any attribute whose count, rate or percentage is an expression), or return `anyhow::Error` or `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait FromResilienceError {
    /// Converts the policy's error into this error type.
    fn from_resilience(error: Error) -> Self;
}

impl<E: From<Error>> FromResilienceError for E {
    #[inline]
    fn from_resilience(error: Error) -> Self {
        E::from(error)
    }
}

/// Why a layer's inner call failed: the function's own error, or a policy's.
///
/// `P` is [`Error`] when a layer of the expansion can reject, and [`Infallible`] when none can
/// (a lone `#[retry]`), so such functions need no `From<resilience::Error>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<E, P = Error> {
    /// The body returned `Err(e)`.
    Inner(E),
    /// A policy layer failed the call.
    Policy(P),
}

/// What a layer beneath reports: the body's success value, or a [`Failure`].
pub type Layered<T, E, P = Error> = Result<T, Failure<E, P>>;

/// A policy error type: [`Error`], or [`Infallible`] when no layer can reject.
pub trait PolicyError: Sized + std::fmt::Debug + std::fmt::Display {
    /// The resilience error, when there is one.
    fn as_error(&self) -> Option<&Error>;
}

impl PolicyError for Error {
    #[inline]
    fn as_error(&self) -> Option<&Error> {
        Some(self)
    }
}

impl PolicyError for Infallible {
    #[inline]
    fn as_error(&self) -> Option<&Error> {
        match *self {}
    }
}

/// Wraps the body's returned value as the innermost layer's result.
#[doc(hidden)]
#[inline]
pub fn lift<R: Outcome, P>(returned: R) -> Layered<R::Ok, R::Err, P> {
    returned.into_result().map_err(Failure::Inner)
}

/// Turns the outermost layer's result back into the function's return type, converting a
/// policy's rejection with `From<resilience::Error>`.
#[doc(hidden)]
#[inline]
pub fn finish<R: Outcome>(result: Layered<R::Ok, R::Err>) -> R
where
    R::Err: FromResilienceError,
{
    R::from_result(result.map_err(|failure| match failure {
        Failure::Inner(e) => e,
        Failure::Policy(e) => R::Err::from_resilience(e),
    }))
}

/// [`finish`] for an expansion where no layer can reject: needs no `From<resilience::Error>`.
#[doc(hidden)]
#[inline]
pub fn finish_unrejected<R: Outcome>(result: Layered<R::Ok, R::Err, Infallible>) -> R {
    R::from_result(result.map_err(|failure| match failure {
        Failure::Inner(e) => e,
        Failure::Policy(never) => match never {},
    }))
}

/// Runs a plain `fn`'s body, written as a closure so that its `return` and `?` leave the body
/// only, as they leave an `async` block: the sync counterpart of `async { body }.await`.
#[doc(hidden)]
#[inline(always)]
pub fn run_body<R>(body: impl FnOnce() -> R) -> R {
    body()
}
