//! The future [`HedgeSite::call`](super::HedgeSite::call) returns: every run of one call,
//! polled together in the caller's task.
//!
//! A call that ends at its first poll takes the fast path: one run made and polled, no clock
//! read, no timer, nothing recorded. From the first time it waits, the clock is read, the
//! timer of the next hedge is armed, and every run's latency is recorded when it ends.

use super::runs::Runs;
use super::{HedgeDelay, HedgePolicy, HedgeStats};
use crate::outcome::{Failure, Layered, PolicyError};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

pin_project! {
    /// One hedged call; see [`HedgeSite::call`](super::HedgeSite::call).
    ///
    /// Dropping it drops every run still going (each gives back what it holds beneath).
    #[project = HedgeProj]
    #[must_use = "futures do nothing unless polled"]
    pub struct Hedge<'p, R, M, W> {
        #[pin]
        runs: R,
        make: M,
        when: W,
        // The attribute's values; from the first poll that waits on, with the values
        // configured then over them (feature `config`).
        policy: &'p HedgePolicy,
        stats: &'static HedgeStats,
        // Runs started so far.
        started: usize,
        // No further run may start: a rejection from beneath, or the budget said no.
        stopped: bool,
        // From the first time the call waits.
        #[pin]
        waiting: Option<Waiting>,
    }
}

pin_project! {
    /// The state of a call that has waited.
    struct Waiting {
        // When the call was first seen waiting.
        began: Instant,
        // When the latest run started (the next hedge is `delay` after it).
        latest: Instant,
        // Whether the timer is armed for the latest run.
        armed: bool,
        #[pin]
        timer: Option<Sleep>,
    }
}

impl<R, M, W> std::fmt::Debug for Hedge<'_, R, M, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hedge")
            .field("name", &self.stats.name())
            .field("started", &self.started)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl<'p, R, M, W> Hedge<'p, R, M, W> {
    #[inline]
    pub(super) fn new(
        stats: &'static HedgeStats,
        policy: &'p HedgePolicy,
        runs: R,
        make: M,
        when: W,
    ) -> Self {
        Hedge {
            runs,
            make,
            when,
            policy,
            stats,
            started: 0,
            stopped: false,
            waiting: None,
        }
    }
}

/// What the runs that ended in one pass leave behind.
struct Pass<O> {
    /// The latest error, returned if no run is left.
    last: Option<O>,
    /// A failure asks for the next run at once.
    next_now: bool,
    /// Runs still going.
    live: usize,
}

impl<R, M, W, Fut, T, E, P> Future for Hedge<'_, R, M, W>
where
    R: Runs<Fut>,
    M: FnMut() -> Fut,
    Fut: Future<Output = Layered<T, E, P>>,
    W: FnMut(&E) -> bool,
    P: PolicyError,
{
    type Output = Layered<T, E, P>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if *this.started > 0 {
            return drive(&mut this, cx, None);
        }
        // The first poll: make the first run and poll it; a success here is the whole call.
        *this.started = 1;
        let Some((mut run, _)) = this.runs.as_mut().at(0) else {
            unreachable!("every `HedgedN` has a first place");
        };
        run.set(Some((this.make)()));
        let polled = match run.as_mut().as_pin_mut() {
            Some(fut) => fut.poll(cx),
            None => Poll::Pending,
        };
        let pass = match polled {
            Poll::Ready(out @ Ok(_)) => {
                run.set(None);
                return Poll::Ready(out);
            }
            Poll::Pending => Pass {
                last: None,
                next_now: false,
                live: 1,
            },
            Poll::Ready(out) => {
                run.set(None);
                let mut pass = Pass {
                    last: None,
                    next_now: false,
                    live: 0,
                };
                if let Some(answer) = ended(&mut this, 0, out, &mut pass) {
                    return Poll::Ready(answer);
                }
                pass
            }
        };
        // The first run has to wait: from here on the call hedges with the values configured
        // now (feature `config`), kept for the rest of the call.
        #[cfg(feature = "config")]
        if let Some(configured) = this.stats.configured_policy(this.policy) {
            *this.policy = configured;
        }
        drive(&mut this, cx, Some(pass))
    }
}

/// Every poll after the first fast one: polls the runs (unless `pass` is the result of the
/// first poll), starts the next run on a failure or when its timer fires, and returns the
/// first success, an error `when` refuses, or the last error once no run is left.
#[inline(never)]
fn drive<R, M, W, Fut, T, E, P>(
    this: &mut HedgeProj<'_, '_, R, M, W>,
    cx: &mut Context<'_>,
    mut first: Option<Pass<Layered<T, E, P>>>,
) -> Poll<Layered<T, E, P>>
where
    R: Runs<Fut>,
    M: FnMut() -> Fut,
    Fut: Future<Output = Layered<T, E, P>>,
    W: FnMut(&E) -> bool,
    P: PolicyError,
{
    let policy = *this.policy;
    let slots = R::LEN.min(1 + policy.max_hedged as usize);
    loop {
        let mut pass = match first.take() {
            Some(pass) => pass,
            None => match poll_runs(this, cx) {
                Ok(pass) => pass,
                Err(answer) => return Poll::Ready(answer),
            },
        };
        if pass.next_now && !*this.stopped && *this.started < slots && start_next(this) {
            continue;
        }
        if pass.live == 0
            && let Some(out) = pass.last.take()
        {
            // Every run has ended: the last error is the answer.
            this.waiting.set(None);
            return Poll::Ready(out);
        }
        // Still waiting: from here on the clock is read.
        if this.waiting.is_none() {
            let now = Instant::now();
            this.waiting.set(Some(Waiting {
                began: now,
                latest: now,
                armed: false,
                timer: None,
            }));
            // The first run's latency counts from now.
            if let Some((_, started)) = this.runs.as_mut().at(0) {
                started.get_or_insert(now);
            }
        }
        if *this.stopped || *this.started >= slots {
            return Poll::Pending;
        }
        let Some(waiting) = this.waiting.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let mut waiting = waiting.project();
        if !*waiting.armed {
            *waiting.armed = true;
            let delay = match policy.delay {
                HedgeDelay::Fixed(d) => Some(d),
                HedgeDelay::Percentile(q) => this.stats.adaptive_delay(q, Instant::now()),
            };
            match delay {
                Some(delay) => {
                    let at = *waiting.latest + delay;
                    match waiting.timer.as_mut().as_pin_mut() {
                        Some(timer) => timer.reset(at),
                        None => waiting.timer.set(Some(sleep_until(at))),
                    }
                }
                None => waiting.timer.set(None),
            }
        }
        let fired = match waiting.timer.as_mut().as_pin_mut() {
            Some(timer) => timer.poll(cx).is_ready(),
            None => false,
        };
        if fired && start_next(this) {
            continue;
        }
        return Poll::Pending;
    }
}

/// What one pass over the runs found: the call's answer, or what the runs left behind.
type Polled<O> = Result<Pass<O>, O>;

/// Polls every run still going; `Err(answer)` when one ends the call.
fn poll_runs<R, M, W, Fut, T, E, P>(
    this: &mut HedgeProj<'_, '_, R, M, W>,
    cx: &mut Context<'_>,
) -> Polled<Layered<T, E, P>>
where
    R: Runs<Fut>,
    Fut: Future<Output = Layered<T, E, P>>,
    W: FnMut(&E) -> bool,
    P: PolicyError,
{
    let mut pass = Pass {
        last: None,
        next_now: false,
        live: 0,
    };
    for i in 0..*this.started {
        let Some((mut run, started)) = this.runs.as_mut().at(i) else {
            break;
        };
        let Some(fut) = run.as_mut().as_pin_mut() else {
            continue;
        };
        let Poll::Ready(out) = fut.poll(cx) else {
            pass.live += 1;
            continue;
        };
        run.set(None);
        record(this.stats, *started);
        if let Some(answer) = ended(this, i, out, &mut pass) {
            return Err(answer);
        }
    }
    Ok(pass)
}

/// Run `i` ended with `out`: `Some` when that is the call's answer (the other runs are then
/// dropped), else notes what it means for the next run in `pass`.
fn ended<R, M, W, Fut, T, E, P>(
    this: &mut HedgeProj<'_, '_, R, M, W>,
    i: usize,
    out: Layered<T, E, P>,
    pass: &mut Pass<Layered<T, E, P>>,
) -> Option<Layered<T, E, P>>
where
    R: Runs<Fut>,
    W: FnMut(&E) -> bool,
    P: PolicyError,
{
    match &out {
        Ok(_) => {
            if i > 0 {
                this.stats.record_won();
            }
        }
        Err(Failure::Inner(e)) if (this.when)(e) => {
            pass.next_now = true;
            pass.last = Some(out);
            return None;
        }
        // An error `when` does not hedge is the answer.
        Err(Failure::Inner(_)) => {}
        Err(Failure::Policy(p)) => {
            match p.as_error() {
                // A rejection from beneath: no further run starts.
                Some(e) if e.is_rejection() => *this.stopped = true,
                // A timeout (or an injected fault) beneath: the next run starts at once.
                _ => pass.next_now = true,
            }
            pass.last = Some(out);
            return None;
        }
    }
    drop_all(this.runs.as_mut(), *this.started, this.stats);
    this.waiting.set(None);
    Some(out)
}

/// Starts the next run if the budget allows (else no run starts any more).
fn start_next<R, M, W, Fut>(this: &mut HedgeProj<'_, '_, R, M, W>) -> bool
where
    R: Runs<Fut>,
    M: FnMut() -> Fut,
{
    if !this.stats.budget.withdraw() {
        *this.stopped = true;
        return false;
    }
    let i = *this.started;
    let Some((mut run, started)) = this.runs.as_mut().at(i) else {
        *this.stopped = true;
        return false;
    };
    let now = Instant::now();
    run.set(Some((this.make)()));
    *started = Some(now);
    *this.started += 1;
    this.stats.record_hedge();
    let began = match this.waiting.as_mut().as_pin_mut() {
        Some(waiting) => {
            let waiting = waiting.project();
            *waiting.latest = now;
            *waiting.armed = false;
            *waiting.began
        }
        // A failure at the first poll: the call begins waiting now.
        None => now,
    };
    crate::telemetry::hedge(
        this.stats.name(),
        i as u32,
        now.saturating_duration_since(began),
    );
    true
}

/// Counts the latency of a run that waited: from when it was first seen waiting (or started,
/// for a hedge) to now. A run that never waited is not a latency: no hedge could have started
/// beside it.
#[inline]
fn record(stats: &HedgeStats, started: Option<Instant>) {
    if let Some(at) = started {
        let now = Instant::now();
        let micros = now.saturating_duration_since(at).as_micros() as u64;
        stats.latencies.record(micros, stats.latencies.epoch(now));
    }
}

/// Drops every run still going, at once: each counts the time it ran as a latency (it took
/// at least that long).
fn drop_all<R: Runs<Fut>, Fut>(mut runs: Pin<&mut R>, started: usize, stats: &HedgeStats) {
    for i in 0..started {
        if let Some((mut run, at)) = runs.as_mut().at(i)
            && run.is_some()
        {
            run.set(None);
            record(stats, *at);
        }
    }
}

fn sleep_until(at: Instant) -> Sleep {
    if tokio::runtime::Handle::try_current().is_err() {
        panic!(
            "`#[hedge]` needs a tokio runtime: it starts the next run on tokio's timer, but it runs outside a tokio runtime; run it inside `#[tokio::main]`, `#[tokio::test]` or `Runtime::block_on`"
        );
    }
    tokio::time::sleep_until(at)
}
