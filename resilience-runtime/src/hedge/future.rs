//! The future [`HedgeSite::call`](super::HedgeSite::call) returns: every run of one call,
//! polled together in the caller's task.

use super::runs::Runs;
use super::{HedgeDelay, HedgePolicy, HedgeStats};
use crate::outcome::{Failure, Layered, PolicyError};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

pin_project! {
    #[project = HedgeProj]
    /// One hedged call; see [`HedgeSite::call`](super::HedgeSite::call).
    ///
    /// Dropping it drops every run still going (each gives back what it holds beneath).
    #[must_use = "futures do nothing unless polled"]
    pub struct Hedge<'p, R, M, W> {
        #[pin]
        runs: R,
        make: M,
        when: W,
        policy: &'p HedgePolicy,
        stats: &'static HedgeStats,
        // Runs started so far.
        started: usize,
        // No further run may start: a rejection from beneath, or the budget said no.
        stopped: bool,
        // When the call was first seen waiting.
        began: Option<Instant>,
        // When the latest run started (the next hedge is `delay` after it).
        latest: Option<Instant>,
        #[pin]
        timer: Option<Sleep>,
        // Whether the timer is armed for the run now latest.
        armed: bool,
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
            began: None,
            latest: None,
            timer: None,
            armed: false,
        }
    }
}

/// What one finished run means for the call.
enum Verdict {
    /// Return it: a success, or an error `when` does not hedge.
    Answer,
    /// Start the next run at once (a failure `when` accepts).
    Next,
    /// A rejection from beneath: no further run starts.
    Stop,
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let slots = R::LEN.min(1 + this.policy.max_hedged as usize);
        if *this.started == 0 {
            // The first run starts without reading the clock: a call that ends at its first
            // poll never does.
            if let Some((mut run, _)) = this.runs.as_mut().at(0) {
                run.set(Some((this.make)()));
            }
            *this.started = 1;
        }
        loop {
            let mut last: Option<Self::Output> = None;
            let mut live = 0;
            let mut next_now = false;
            for i in 0..*this.started {
                let Some((mut run, started)) = this.runs.as_mut().at(i) else {
                    break;
                };
                let Some(fut) = run.as_mut().as_pin_mut() else {
                    continue;
                };
                let out = match fut.poll(cx) {
                    Poll::Pending => {
                        live += 1;
                        continue;
                    }
                    Poll::Ready(out) => out,
                };
                run.set(None);
                record(this.stats, *started);
                let verdict = match &out {
                    Ok(_) => Verdict::Answer,
                    Err(Failure::Inner(e)) if (this.when)(e) => Verdict::Next,
                    Err(Failure::Inner(_)) => Verdict::Answer,
                    Err(Failure::Policy(p)) => match p.as_error() {
                        Some(e) if e.is_rejection() => Verdict::Stop,
                        _ => Verdict::Next,
                    },
                };
                match verdict {
                    Verdict::Answer => {
                        if i > 0 && out.is_ok() {
                            this.stats.record_won();
                        }
                        drop_all(this.runs.as_mut(), *this.started, this.stats);
                        this.timer.set(None);
                        return Poll::Ready(out);
                    }
                    Verdict::Stop => *this.stopped = true,
                    Verdict::Next => next_now = true,
                }
                last = Some(out);
            }
            if next_now && !*this.stopped && *this.started < slots && start_next(&mut this) {
                continue;
            }
            if live == 0
                && let Some(out) = last.take()
            {
                // Every run has ended: the last error is the answer.
                this.timer.set(None);
                return Poll::Ready(out);
            }
            // Still waiting: the clock is read from here on.
            let now = *this.began.get_or_insert_with(Instant::now);
            if let Some((_, started)) = this.runs.as_mut().at(0)
                && started.is_none()
            {
                *started = Some(now);
                *this.latest = Some(now);
            }
            if !*this.stopped && *this.started < slots {
                if !*this.armed {
                    *this.armed = true;
                    let delay = match this.policy.delay {
                        HedgeDelay::Fixed(d) => Some(d),
                        HedgeDelay::Percentile(q) => {
                            this.stats.adaptive_delay(q, Instant::now())
                        }
                    };
                    match delay {
                        Some(delay) => {
                            let at = this.latest.unwrap_or(now) + delay;
                            match this.timer.as_mut().as_pin_mut() {
                                Some(timer) => timer.reset(at),
                                None => this.timer.set(Some(sleep_until(at))),
                            }
                        }
                        None => this.timer.set(None),
                    }
                }
                if let Some(timer) = this.timer.as_mut().as_pin_mut()
                    && timer.poll(cx).is_ready()
                    && start_next(&mut this)
                {
                    continue;
                }
            }
            return Poll::Pending;
        }
    }
}

/// Starts the next run if the budget allows (else no run starts any more).
fn start_next<R, M, W, Fut>(this: &mut HedgeProj<'_, '_, R, M, W>) -> bool
where
    R: Runs<Fut>,
    M: FnMut() -> Fut,
{
    if !this.stats.budget.withdraw() {
        *this.stopped = true;
        this.timer.set(None);
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
    *this.latest = Some(now);
    *this.armed = false;
    this.stats.record_hedge();
    let after = this
        .began
        .map_or(Duration::ZERO, |b| now.saturating_duration_since(b));
    crate::telemetry::hedge(this.stats.name(), i as u32, after);
    true
}

/// Counts a run's latency: from when it was seen waiting to now, or zero if it never waited
/// (then the clock is not read).
#[inline]
fn record(stats: &HedgeStats, started: Option<Instant>) {
    match started {
        None => stats.latencies.record(0, stats.latencies.hint()),
        Some(at) => {
            let now = Instant::now();
            let micros = now.saturating_duration_since(at).as_micros() as u64;
            stats.latencies.record(micros, stats.latencies.epoch(now));
        }
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
