//! `#[fallback]`: what the generated code needs to call the fallback with the right error and
//! to return its value, whatever the function returns.
//!
//! The function's return type `R` picks a [`FallbackMode`] at compile time (autoref
//! specialisation on [`Probe`]): a `Result` (any alias, recognised by [`Outcome`]) gives the
//! fallback the function's own error `E`, converting policy rejections with
//! `From<resilience::Error>`; any other type gives it the [`Error`] itself. The fallback's
//! value is awaited when it is a future (an `async fn` fallback) and used as is otherwise.

use crate::Error;
use crate::outcome::{Failure, FromResilienceError, Layered, Outcome};
use std::convert::Infallible;
use std::future::{Future, Ready};
use std::marker::PhantomData;

/// Looks at the return type `R`: `(&Probe::<R>::new()).mode()` is a [`ResultMode`] when
/// `R: Outcome`, a [`ValueMode`] otherwise (with [`ProbeResult`] and [`ProbeValue`] in scope).
///
/// ```
/// use resilience_runtime::fallback::{FallbackMode, Probe, ProbeResult as _, ProbeValue as _};
/// let r = (&Probe::<Result<u8, String>>::new()).mode();
/// let v = (&Probe::<Vec<u8>>::new()).mode();
/// assert_eq!(r.ok(1), Ok(1));
/// assert_eq!(v.ok(vec![1]), vec![1]);
/// ```
#[derive(Debug)]
pub struct Probe<R>(PhantomData<fn() -> R>);

impl<R> Probe<R> {
    /// A probe of `R`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

/// Picked for a `Result` return type.
pub trait ProbeResult {
    /// [`ResultMode`].
    type Mode;
    /// The mode of the probed type.
    fn mode(&self) -> Self::Mode;
}

impl<R: Outcome> ProbeResult for Probe<R> {
    type Mode = ResultMode<R>;
    #[inline]
    fn mode(&self) -> ResultMode<R> {
        ResultMode(PhantomData)
    }
}

/// Picked for any other return type.
pub trait ProbeValue {
    /// [`ValueMode`].
    type Mode;
    /// The mode of the probed type.
    fn mode(&self) -> Self::Mode;
}

impl<R> ProbeValue for &Probe<R> {
    type Mode = ValueMode<R>;
    #[inline]
    fn mode(&self) -> ValueMode<R> {
        ValueMode(PhantomData)
    }
}

/// How a function's return type flows through the layers beneath `#[fallback]`.
pub trait FallbackMode: Copy {
    /// The function's return type.
    type Output;
    /// The success value the layers carry.
    type Ok;
    /// The body's own error (`Infallible` for a non-`Result` return type).
    type Err;
    /// The error the fallback receives.
    type Error;
    /// The body's returned value as the innermost layer's result.
    fn lift<P>(self, returned: Self::Output) -> Layered<Self::Ok, Self::Err, P>;
    /// A success, back as the return type.
    fn ok(self, value: Self::Ok) -> Self::Output;
    /// A failure, as the error the fallback receives.
    fn error<P: IntoFallbackError<Self::Error>>(
        self,
        failure: Failure<Self::Err, P>,
    ) -> Self::Error;
}

/// A `Result` return type: the fallback receives the function's own error type.
#[derive(Debug)]
pub struct ResultMode<R>(PhantomData<fn() -> R>);

impl<R> Clone for ResultMode<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for ResultMode<R> {}

impl<R: Outcome> FallbackMode for ResultMode<R> {
    type Output = R;
    type Ok = R::Ok;
    type Err = R::Err;
    type Error = R::Err;
    #[inline]
    fn lift<P>(self, returned: R) -> Layered<R::Ok, R::Err, P> {
        returned.into_result().map_err(Failure::Inner)
    }
    #[inline]
    fn ok(self, value: R::Ok) -> R {
        R::from_result(Ok(value))
    }
    #[inline]
    fn error<P: IntoFallbackError<R::Err>>(self, failure: Failure<R::Err, P>) -> R::Err {
        match failure {
            Failure::Inner(e) => e,
            Failure::Policy(p) => p.into_fallback_error(),
        }
    }
}

/// Any other return type: the fallback receives the [`Error`] a policy failed with.
#[derive(Debug)]
pub struct ValueMode<R>(PhantomData<fn() -> R>);

impl<R> Clone for ValueMode<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for ValueMode<R> {}

impl<R> FallbackMode for ValueMode<R> {
    type Output = R;
    type Ok = R;
    type Err = Infallible;
    type Error = Error;
    #[inline]
    fn lift<P>(self, returned: R) -> Layered<R, Infallible, P> {
        Ok(returned)
    }
    #[inline]
    fn ok(self, value: R) -> R {
        value
    }
    #[inline]
    fn error<P: IntoFallbackError<Error>>(self, failure: Failure<Infallible, P>) -> Error {
        match failure {
            Failure::Inner(never) => match never {},
            Failure::Policy(p) => p.into_fallback_error(),
        }
    }
}

/// Errors a `when` predicate turned down go back to the caller: possible only when the function
/// returns a `Result`.
#[diagnostic::on_unimplemented(
    message = "`#[fallback(.., when = ..)]` returns the errors `when` turns down, so the function must return a `Result`",
    label = "this function does not return a `Result`",
    note = "remove `when` (every failure then goes to the fallback), or return `Result<T, E>`"
)]
pub trait Propagate: FallbackMode {
    /// The error, back as the return type.
    fn propagate(self, error: Self::Error) -> Self::Output;
}

impl<R: Outcome> Propagate for ResultMode<R> {
    #[inline]
    fn propagate(self, error: R::Err) -> R {
        R::from_result(Err(error))
    }
}

/// A policy error as the fallback's error: [`Error`] converts with
/// `From<resilience::Error>`; `Infallible` (no layer beneath can reject) converts to anything.
#[diagnostic::on_unimplemented(
    message = "`{E}` cannot hold a `resilience::Error`, which a policy beneath `#[fallback]` can fail with",
    label = "needs `impl From<resilience::Error> for {E}`",
    note = "add `impl From<resilience::Error> for {E}`, or return `anyhow::Error` or `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait IntoFallbackError<E> {
    /// Converts.
    fn into_fallback_error(self) -> E;
}

impl<E: FromResilienceError> IntoFallbackError<E> for Error {
    #[inline]
    fn into_fallback_error(self) -> E {
        E::from_resilience(self)
    }
}

impl<E> IntoFallbackError<E> for Infallible {
    #[inline]
    fn into_fallback_error(self) -> E {
        match self {}
    }
}

/// Whether a fallback's returned value is a future (awaited) or the value itself:
/// `(&value).resilience_fallback_kind().resolve(value).await`, with [`FallbackFuture`] and
/// [`FallbackValue`] in scope.
///
/// ```
/// use resilience_runtime::fallback::{FallbackFuture as _, FallbackValue as _};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let sync = 3u8;
/// assert_eq!((&sync).resilience_fallback_kind().resolve(sync).await, 3);
/// let fut = async { 4u8 };
/// assert_eq!((&fut).resilience_fallback_kind().resolve(fut).await, 4);
/// # }
/// ```
pub trait FallbackFuture {
    /// [`Awaited`].
    fn resilience_fallback_kind(&self) -> Awaited;
}

impl<F: Future> FallbackFuture for F {
    #[inline]
    fn resilience_fallback_kind(&self) -> Awaited {
        Awaited
    }
}

/// Picked when the fallback's value is not a future.
pub trait FallbackValue {
    /// [`Immediate`].
    fn resilience_fallback_kind(&self) -> Immediate;
}

impl<T> FallbackValue for &T {
    #[inline]
    fn resilience_fallback_kind(&self) -> Immediate {
        Immediate
    }
}

/// The fallback returned a future: await it.
#[derive(Debug, Clone, Copy)]
pub struct Awaited;

impl Awaited {
    /// The future itself.
    #[inline]
    pub fn resolve<F: Future>(self, f: F) -> F {
        f
    }
}

/// The fallback returned its value directly.
#[derive(Debug, Clone, Copy)]
pub struct Immediate;

impl Immediate {
    /// The value, as a future that is ready at once.
    #[inline]
    pub fn resolve<T>(self, value: T) -> Ready<T> {
        std::future::ready(value)
    }
}

/// Asks `when` whether the fallback handles `error` (pins the predicate's type, so a mismatch
/// points at it).
#[doc(hidden)]
#[inline]
pub fn fallback_when<E>(when: impl FnOnce(&E) -> bool, error: &E) -> bool {
    when(error)
}
