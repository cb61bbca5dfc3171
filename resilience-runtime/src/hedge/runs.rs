//! The runs of one hedged call, side by side in the call's own future: a list of pinned slots
//! whose length is fixed by the type (`Hedged1` has two: the first run and one hedge), so
//! nothing is boxed and no slot is paid for beyond `max_hedged`.

use pin_project_lite::pin_project;
use std::pin::Pin;
use tokio::time::Instant;

pin_project! {
    /// One run's place, and the places after it.
    #[derive(Debug)]
    pub struct Slot<Fut, Next> {
        #[pin]
        run: Option<Fut>,
        // When the run was seen waiting (started, for a hedge); `None` while it never has.
        started: Option<Instant>,
        #[pin]
        next: Next,
    }
}

/// The end of the list.
#[derive(Debug)]
pub struct End;

/// A fixed number of places for runs. Implemented by [`Slot`] lists only.
pub trait Runs<Fut> {
    /// Places in the list.
    const LEN: usize;
    /// The run at `i` and when it started, if `i < LEN`.
    fn at(self: Pin<&mut Self>, i: usize) -> Option<(Pin<&mut Option<Fut>>, &mut Option<Instant>)>;
}

impl<Fut> Runs<Fut> for End {
    const LEN: usize = 0;
    #[inline]
    fn at(self: Pin<&mut Self>, _: usize) -> Option<(Pin<&mut Option<Fut>>, &mut Option<Instant>)> {
        None
    }
}

impl<Fut, Next: Runs<Fut>> Runs<Fut> for Slot<Fut, Next> {
    const LEN: usize = 1 + Next::LEN;
    #[inline]
    fn at(self: Pin<&mut Self>, i: usize) -> Option<(Pin<&mut Option<Fut>>, &mut Option<Instant>)> {
        let this = self.project();
        match i {
            0 => Some((this.run, this.started)),
            _ => this.next.at(i - 1),
        }
    }
}

impl<Fut, Next: Empty> Empty for Slot<Fut, Next> {
    const EMPTY: Self = Slot {
        run: None,
        started: None,
        next: Next::EMPTY,
    };
}

impl Empty for End {
    const EMPTY: Self = End;
}

/// A list with every place free.
pub trait Empty {
    /// Every place free.
    const EMPTY: Self;
}

macro_rules! hedged {
    ($($name:ident = $($slot:ident)+;)+) => {$(
        #[doc = concat!("Places for the first run and ", stringify!($name), "'s count of hedges.")]
        pub type $name<Fut> = hedged!(@list Fut; $($slot)+);
    )+};
    (@list $fut:ident; $first:ident $($rest:ident)*) => { Slot<$fut, hedged!(@list $fut; $($rest)*)> };
    (@list $fut:ident;) => { End };
}

hedged! {
    Hedged1 = S S;
    Hedged2 = S S S;
    Hedged3 = S S S S;
    Hedged4 = S S S S S;
    Hedged5 = S S S S S S;
    Hedged6 = S S S S S S S;
    Hedged7 = S S S S S S S S;
    Hedged8 = S S S S S S S S S;
    Hedged9 = S S S S S S S S S S;
    Hedged10 = S S S S S S S S S S S;
}

/// The empty list for `Hedged<N>`: `<Hedged1<_>>::EMPTY` without naming the trait.
#[inline(always)]
pub fn runs<R: Empty>() -> R {
    R::EMPTY
}
