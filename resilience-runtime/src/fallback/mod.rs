//! `#[fallback]`: what the generated code needs to call the fallback with the right error and
//! to return its value, whatever the function returns.
//!
//! The function's return type `R` picks a [`FallbackMode`] at compile time (autoref
//! specialisation on [`Probe`]): a `Result` (any alias, recognised by [`Outcome`]) gives the
//! fallback the function's own error `E`, converting policy rejections with
//! `From<resilience::Error>`; any other type gives it the [`Error`] itself. The fallback is
//! called through [`FallbackFn`]: its value is awaited when it is a future (an `async fn`
//! fallback) and used as is otherwise.

use crate::Error;
use crate::outcome::{Failure, FromResilienceError, Layered, Outcome};
use crate::timeout::Lift;
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
    /// A failure, as the error the fallback receives: a policy's [`Error`] converts with
    /// `From<resilience::Error>`, a bound on the fallback's own error type, so a missing
    /// `From` is reported on that type.
    fn error(self, failure: Failure<Self::Err, Error>) -> Self::Error
    where
        Self::Error: FromResilienceError;
    /// [`error`](Self::error) when no layer beneath can reject: needs no `From`.
    fn error_unrejected(self, failure: Failure<Self::Err, Infallible>) -> Self::Error;
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
    fn error(self, failure: Failure<R::Err, Error>) -> R::Err
    where
        R::Err: FromResilienceError,
    {
        match failure {
            Failure::Inner(e) => e,
            Failure::Policy(p) => R::Err::from_resilience(p),
        }
    }
    #[inline]
    fn error_unrejected(self, failure: Failure<R::Err, Infallible>) -> R::Err {
        match failure {
            Failure::Inner(e) => e,
            Failure::Policy(never) => match never {},
        }
    }
}

/// What a `#[timeout]` around the body lifts its value with
/// ([`TimeoutSite::run`](crate::timeout::TimeoutSite::run)).
impl<R: Outcome> Lift<R> for ResultMode<R> {
    type Ok = R::Ok;
    type Err = R::Err;
    #[inline]
    fn lift(self, returned: R) -> Layered<R::Ok, R::Err> {
        FallbackMode::lift(self, returned)
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
    fn error(self, failure: Failure<Infallible, Error>) -> Error {
        match failure {
            Failure::Inner(never) => match never {},
            Failure::Policy(p) => p,
        }
    }
    #[inline]
    fn error_unrejected(self, failure: Failure<Infallible, Infallible>) -> Error {
        match failure {
            Failure::Inner(never) | Failure::Policy(never) => match never {},
        }
    }
}

/// What a `#[timeout]` around the body lifts its value with
/// ([`TimeoutSite::run`](crate::timeout::TimeoutSite::run)).
impl<R> Lift<R> for ValueMode<R> {
    type Ok = R;
    type Err = Infallible;
    #[inline]
    fn lift(self, returned: R) -> Layered<R, Infallible> {
        FallbackMode::lift(self, returned)
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

/// The arguments of a fallback call, `Self` (the function's arguments, receiver first, then
/// the error), for a fallback `F` that must return `Out`, or a future of `Out` (an `async fn`),
/// which is awaited. `Kind` is [`Immediate`] or [`Awaited`], inferred.
///
/// The generated code calls every fallback through this trait, so a fallback of the wrong
/// shape (arity, an argument's type, the return type) is one error on the fallback's path
/// that names the signature it must have. The arguments come first so that their types are
/// known before the fallback's are compared with them.
///
/// ```
/// use resilience_runtime::fallback::FallbackFn;
/// fn cached(user: u32, _error: String) -> Vec<u32> { vec![user] }
/// async fn fetched(user: u32, _error: String) -> Vec<u32> { vec![user, 0] }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let args = (7, "down".to_owned());
/// assert_eq!(FallbackFn::<_, Vec<u32>, _>::call_fallback(args.clone(), cached).await, [7]);
/// assert_eq!(FallbackFn::<_, Vec<u32>, _>::call_fallback(args, fetched).await, [7, 0]);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "this fallback must have the signature `fn{Self} -> {Out}` (or be an `async fn` with it)",
    label = "expected a fallback `fn{Self} -> {Out}`, found `{F}`",
    note = "`#[fallback(f)]` calls `f` with this function's arguments (receiver first), then the error, and returns what `f` returns (awaited if `f` is an `async fn`): change `f` to take exactly these arguments and to return `{Out}`"
)]
pub trait FallbackFn<F, Out, Kind> {
    /// The fallback's value, as a future.
    type Future: Future<Output = Out>;
    /// Calls `fallback` with these arguments.
    fn call_fallback(self, fallback: F) -> Self::Future;
}

/// [`FallbackFn`] for a plain `fn` under `#[fallback]`: the fallback is a plain function too,
/// called on the spot, returning `Out` itself. A fallback of the wrong shape is one error on
/// its path naming the signature it must have. `Kind` is inferred: [`Immediate`] for every
/// fallback that fits. The [`Awaited`] impl never applies (it needs [`AwaitedOnAPlainFn`],
/// which no type implements); it is there so that a fallback of the wrong arity, or an
/// `async fn` one, is this trait's one error, as for an `async fn` (with a single impl, rustc
/// would report a wrong arity as a closure's).
///
/// ```
/// use resilience_runtime::fallback::BlockingFallbackFn;
/// fn cached(user: u32, _error: String) -> Vec<u32> { vec![user] }
/// let args = (7, "down".to_owned());
/// assert_eq!(BlockingFallbackFn::<_, Vec<u32>, _>::call_fallback_blocking(args, cached), [7]);
/// ```
#[diagnostic::on_unimplemented(
    message = "this fallback must have the signature `fn{Self} -> {Out}`",
    label = "expected a fallback `fn{Self} -> {Out}`, found `{F}`",
    note = "`#[fallback(f)]` on a plain `fn` calls `f` with this function's arguments (receiver first), then the error, and returns what `f` returns: change `f` to a plain (not `async`) `fn` taking exactly these arguments and returning `{Out}`"
)]
pub trait BlockingFallbackFn<F, Out, Kind> {
    /// Calls `fallback` with these arguments.
    fn call_fallback_blocking(self, fallback: F) -> Out;
}

macro_rules! fallback_fn {
    ($($arg:ident)+) => {
        #[diagnostic::do_not_recommend]
        impl<F, $($arg,)+ Out> BlockingFallbackFn<F, Out, Immediate> for ($($arg,)+)
        where
            F: FnOnce($($arg),+) -> Out,
        {
            #[inline]
            #[allow(non_snake_case)]
            fn call_fallback_blocking(self, fallback: F) -> Out {
                let ($($arg,)+) = self;
                fallback($($arg),+)
            }
        }

        #[diagnostic::do_not_recommend]
        impl<F, $($arg,)+ Fut, Out> BlockingFallbackFn<F, Out, Awaited> for ($($arg,)+)
        where
            F: FnOnce($($arg),+) -> Fut,
            Fut: AwaitedOnAPlainFn<Output = Out>,
        {
            #[inline]
            #[allow(non_snake_case)]
            fn call_fallback_blocking(self, fallback: F) -> Out {
                let ($($arg,)+) = self;
                fallback($($arg),+).never_called()
            }
        }

        // `do_not_recommend`: a mismatch reports `FallbackFn` with its message, not these impls.
        #[diagnostic::do_not_recommend]
        impl<F, $($arg,)+ Out> FallbackFn<F, Out, Immediate> for ($($arg,)+)
        where
            F: FnOnce($($arg),+) -> Out,
        {
            type Future = Ready<Out>;
            #[inline]
            #[allow(non_snake_case)]
            fn call_fallback(self, fallback: F) -> Ready<Out> {
                let ($($arg,)+) = self;
                std::future::ready(fallback($($arg),+))
            }
        }

        #[diagnostic::do_not_recommend]
        impl<F, $($arg,)+ Fut, Out> FallbackFn<F, Out, Awaited> for ($($arg,)+)
        where
            F: FnOnce($($arg),+) -> Fut,
            Fut: Future<Output = Out>,
        {
            type Future = Fut;
            #[inline]
            #[allow(non_snake_case)]
            fn call_fallback(self, fallback: F) -> Fut {
                let ($($arg,)+) = self;
                fallback($($arg),+)
            }
        }
    };
}

fallback_fn!(A1);
fallback_fn!(A1 A2);
fallback_fn!(A1 A2 A3);
fallback_fn!(A1 A2 A3 A4);
fallback_fn!(A1 A2 A3 A4 A5);
fallback_fn!(A1 A2 A3 A4 A5 A6);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15);
fallback_fn!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16);

/// Implemented by no type (it is sealed, and the seal has no impls): what an `async fn`
/// fallback of a plain `fn` would need, so that such a fallback is [`BlockingFallbackFn`]'s
/// one error naming the signature.
pub trait AwaitedOnAPlainFn: Future + sealed::Sealed {
    /// Never called: no type implements this trait.
    fn never_called(self) -> Self::Output;
}

mod sealed {
    /// Implemented by no type.
    pub trait Sealed {}
}

/// [`FallbackFn`]'s kind for a fallback that returns its value directly.
#[derive(Debug, Clone, Copy)]
pub struct Immediate;

/// [`FallbackFn`]'s kind for a fallback that returns a future (an `async fn`): it is awaited.
#[derive(Debug, Clone, Copy)]
pub struct Awaited;

/// Asks a `when` closure whether the fallback handles `error` (its bound gives the closure
/// its argument type).
#[doc(hidden)]
#[inline]
pub fn fallback_when<E>(when: impl FnOnce(&E) -> bool, error: &E) -> bool {
    when(error)
}
