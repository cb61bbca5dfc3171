//! The state machine of one breaker: how it decides, in one file.
//!
//! One `AtomicU64` word holds the state, the half-open probe counters and an epoch bumped by
//! every transition; a call keeps the epoch it was admitted in, and its result is dropped if
//! the breaker has moved on since (a call admitted while closed never counts as a probe).
//!
//! * Closed, success: one `Relaxed` load of the word and one `fetch_add` on this thread's
//!   stripe of the success counter; no lock, no clock (unless `slow_call`), no allocation.
//! * Closed, success in a time window: the same, but in the stripe's cell for the current
//!   bucket, off the fast path (the clock is read).
//! * Closed, failure or slow call: under the mutex, recorded in the window's log, which then
//!   decides (see `window.rs`).
//! * Open → HalfOpen: the first caller after `open_for` wins a compare-and-swap and is the
//!   first probe. Probes are admitted by compare-and-swap on the word, so at most
//!   `half_open_calls` run however many callers race; the one that finishes the last probe
//!   decides, under the mutex.

use super::config::BreakerPolicy;
use super::sync::{AtomicBool, AtomicU32, AtomicU64, Mutex, MutexGuard, Ordering, fence};
use super::window::{Counts, Log, Successes};
use std::sync::PoisonError;
use std::time::Duration;

/// The state of a circuit breaker.
///
/// ```
/// # use resilience_runtime as resilience;
/// use resilience::CircuitState;
/// assert_eq!(CircuitState::Closed.to_string(), "closed");
/// assert_eq!(CircuitState::HalfOpen as u8, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[repr(u8)]
pub enum CircuitState {
    /// Calls run; failures are counted.
    Closed = 0,
    /// Calls are rejected until `open_for` has passed.
    Open = 1,
    /// Up to `half_open_calls` probes run; their results close or reopen the breaker.
    HalfOpen = 2,
    /// Rejecting every call until an operator calls `reset` ([`CircuitBreakerHandle::force_open`](crate::CircuitBreakerHandle::force_open)).
    ForcedOpen = 3,
    /// Letting every call through and counting nothing until `reset`.
    Disabled = 4,
}

impl CircuitState {
    fn from_tag(tag: u64) -> Self {
        match tag {
            0 => CircuitState::Closed,
            1 => CircuitState::Open,
            2 => CircuitState::HalfOpen,
            3 => CircuitState::ForcedOpen,
            _ => CircuitState::Disabled,
        }
    }

    /// A stable lower-case label, used in telemetry.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
            CircuitState::ForcedOpen => "forced_open",
            CircuitState::Disabled => "disabled",
        }
    }
}

impl std::fmt::Display for CircuitState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state word: `tag:3 | admitted:12 | ok:12 | failed:12 | slow:12 | epoch:13`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Word {
    state: CircuitState,
    admitted: u32,
    ok: u32,
    failed: u32,
    slow: u32,
    epoch: u32,
}

const FIELD: u64 = 0xfff;
const EPOCH_MASK: u32 = 0x1fff;

impl Word {
    fn unpack(w: u64) -> Word {
        Word {
            state: CircuitState::from_tag(w & 0b111),
            admitted: ((w >> 3) & FIELD) as u32,
            ok: ((w >> 15) & FIELD) as u32,
            failed: ((w >> 27) & FIELD) as u32,
            slow: ((w >> 39) & FIELD) as u32,
            epoch: (w >> 51) as u32,
        }
    }
    fn pack(self) -> u64 {
        (self.state as u64)
            | (u64::from(self.admitted) & FIELD) << 3
            | (u64::from(self.ok) & FIELD) << 15
            | (u64::from(self.failed) & FIELD) << 27
            | (u64::from(self.slow) & FIELD) << 39
            | u64::from(self.epoch & EPOCH_MASK) << 51
    }
    /// The first word of a new state.
    fn next(self, state: CircuitState) -> Word {
        Word {
            state,
            admitted: 0,
            ok: 0,
            failed: 0,
            slow: 0,
            epoch: (self.epoch + 1) & EPOCH_MASK,
        }
    }
}

/// Admission of one call: the epoch it was admitted in, and whether it is a half-open probe.
///
/// A call admitted while closed keeps the whole state word it was admitted in: a closed word is
/// its epoch and nothing else (the probe counters are zero outside half-open), so the call
/// still counts exactly when the word is unchanged, one comparison. Any other ticket is a tag
/// no word has, with the epoch: it never equals the word. A call timed for `slow_call` keeps
/// its start in the bits the probe counters have in the word (see [`Ticket::started_at`]), so
/// a permit is its breaker and this one word.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// The tag of a half-open probe's ticket.
const PROBE_TICKET: u64 = 7;
/// The tag of the ticket of a call admitted while disabled: it records nothing.
const UNCOUNTED_TICKET: u64 = 6;
/// The tag of a closed ticket whose recording needs the clock (timed for `slow_call`, recorded
/// as slow, or counted in a time window's bucket): the word with this tag, so it too never
/// equals the word and goes off the fast path.
const TIMED_TICKET: u64 = 5;
/// Where a timed ticket keeps its start: the bits of the probe counters, zero in a closed
/// word and in every tagged ticket.
const START_SHIFT: u32 = 3;
const START_MASK: u64 = (1 << 48) - 1;
/// The start's top bit: set in a ticket that has one.
const STARTED: u64 = 1 << 47;
/// The start itself: the clock modulo 2^47 ns.
const CLOCK_MASK: u64 = STARTED - 1;

impl Ticket {
    /// A call admitted in the closed word `w`.
    fn closed(w: u64) -> Ticket {
        debug_assert_eq!(w, Word::unpack(w).pack());
        debug_assert_eq!(w & !(u64::from(EPOCH_MASK) << 51), 0);
        Ticket(w)
    }

    fn tagged(tag: u64, epoch: u32) -> Ticket {
        Ticket(tag | u64::from(epoch & EPOCH_MASK) << 51)
    }

    fn epoch(self) -> u32 {
        (self.0 >> 51) as u32
    }

    /// This ticket for a call that may be slow: a closed one is tagged, any other kept.
    pub(crate) fn timed(self) -> Ticket {
        if self.0 & 0b111 == CircuitState::Closed as u64 {
            Ticket(self.0 | TIMED_TICKET)
        } else {
            self
        }
    }

    /// This ticket, [timed](Self::timed), for a call started at `now` (nanoseconds) that
    /// `slow_call` will judge: the start is kept in the ticket's bits that every word's
    /// ticket has empty (the probe counters' bits), so a permit is this one word and its
    /// breaker.
    ///
    /// Kept modulo 2<sup>47</sup> ns (39 hours) beside a bit saying it is there, so a call's
    /// duration is exact below 39 hours.
    pub(crate) fn started_at(self, now: u64) -> Ticket {
        let mark = STARTED | now & CLOCK_MASK;
        Ticket(self.timed().0 | mark << START_SHIFT)
    }

    /// How long the call has run at `now`, if it was [started](Self::started_at) for
    /// `slow_call`.
    pub(crate) fn elapsed(self, now: u64) -> Option<u64> {
        let mark = self.0 >> START_SHIFT & START_MASK;
        (mark & STARTED != 0).then(|| now.wrapping_sub(mark) & CLOCK_MASK)
    }

    /// The closed word a closed (or timed closed) ticket was admitted in.
    fn word(self) -> u64 {
        self.0 & !(START_MASK << START_SHIFT | 0b111)
    }

    /// Whether the call is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.0 & 0b111 == PROBE_TICKET
    }
}

/// How a call ended, as far as the breaker is concerned.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The call succeeded (or failed with an error `when` says is not a failure).
    Success,
    /// The call failed, timed out, or panicked.
    Failure,
    /// Neither: cancelled, or rejected by a layer beneath before reaching the dependency.
    Ignored,
}

/// What the mutex guards: the window's failures and slow calls, and what changes only on a
/// transition.
#[derive(Debug)]
struct Rare {
    /// The settings decisions read: the attribute's, or as configured at run time.
    policy: BreakerPolicy,
    /// Half-open rounds failed in a row since the breaker last closed (grows `open_for`).
    failed_rounds: u32,
    /// The window's failures and slow calls, in order.
    log: Log,
    /// Failures since the last success (`consecutive_failures`), counted while closed.
    consecutive: u32,
    /// [`Successes::total`] when `consecutive` was last counted: a failure that finds it
    /// changed follows a success, and starts a new run. (So a success does not touch the
    /// count: no shared write, and no load, on the closed path.)
    successes_then: u64,
}

/// A transition, for telemetry.
#[derive(Debug, Clone, Copy, PartialEq)]
#[doc(hidden)]
pub struct Transition {
    /// The state left.
    pub from: CircuitState,
    /// The state entered.
    pub to: CircuitState,
    /// The window (or probes) that decided.
    counts: Counts,
}

/// The shared state of one circuit breaker, driven with explicit times (nanoseconds since an
/// origin of the caller's choosing) so the model tests control the clock.
#[doc(hidden)]
#[derive(Debug)]
pub struct Machine {
    name: &'static str,
    /// The settings it was created with (the first callsite's attribute).
    written: BreakerPolicy,
    word: AtomicU64,
    /// The window's successes, counted lock-free.
    successes: Successes,
    /// Whether a closed call's ticket is timed (see [`Ticket::timed`]): with `slow_call`, or a
    /// time window.
    timed: AtomicBool,
    /// The settings read outside the mutex, copied from [`Rare::policy`] by
    /// [`retune`](Self::retune): probes admitted in half-open, failures in a row that open
    /// (0: off), and `slow_call` in nanoseconds (0: off).
    half_open_calls: AtomicU32,
    consecutive_failures: AtomicU32,
    slow_call: AtomicU64,
    not_permitted: AtomicU64,
    /// When the current open period ends, in nanoseconds; written before the word says Open.
    open_until: AtomicU64,
    /// Fleet scope: non-zero while an expired open time must not go half-open here (another
    /// replica holds the fleet's probe lease, or this one is asking for it). Read only in the
    /// open state.
    held: AtomicU32,
    rare: Mutex<Rare>,
}

impl Machine {
    /// A closed breaker at time `now`. `half_open_calls` is kept within
    /// 1 ..= [`BreakerPolicy::MAX_HALF_OPEN_CALLS`] (the macro rejects values outside).
    pub fn new(name: &'static str, mut policy: BreakerPolicy, now: u64) -> Self {
        policy.half_open_calls = policy
            .half_open_calls
            .clamp(1, BreakerPolicy::MAX_HALF_OPEN_CALLS);
        let successes = Successes::new(policy.window);
        Machine {
            name,
            written: policy,
            word: AtomicU64::new(
                Word {
                    state: CircuitState::Closed,
                    admitted: 0,
                    ok: 0,
                    failed: 0,
                    slow: 0,
                    epoch: 0,
                }
                .pack(),
            ),
            timed: AtomicBool::new(times_calls(&policy)),
            half_open_calls: AtomicU32::new(policy.half_open_calls),
            consecutive_failures: AtomicU32::new(policy.consecutive_failures.unwrap_or(0)),
            slow_call: AtomicU64::new(slow_call_nanos(&policy)),
            not_permitted: AtomicU64::new(0),
            open_until: AtomicU64::new(0),
            held: AtomicU32::new(0),
            rare: Mutex::new(Rare {
                policy,
                failed_rounds: 0,
                log: Log::new(policy.window, &successes, now),
                consecutive: 0,
                successes_then: 0,
            }),
            successes,
        }
    }

    /// Takes `policy` from now on (configuration at run time), keeping the state and its
    /// counts: each value applies from the next call or decision that reads it. A new window
    /// (another length or kind) starts empty at `now`; a half-open round already running is
    /// decided once as many probes as the new `half_open_calls` have finished.
    pub fn retune(&self, mut policy: BreakerPolicy, now: u64, on_transition: impl Fn(&Transition)) {
        policy.half_open_calls = policy
            .half_open_calls
            .clamp(1, BreakerPolicy::MAX_HALF_OPEN_CALLS);
        let mut rare = self.lock();
        if policy.window != rare.policy.window {
            self.successes.switch(policy.window, now);
            rare.log = Log::new(policy.window, &self.successes, now);
        }
        self.half_open_calls
            .store(policy.half_open_calls, Ordering::Relaxed);
        self.consecutive_failures
            .store(policy.consecutive_failures.unwrap_or(0), Ordering::Relaxed);
        self.slow_call
            .store(slow_call_nanos(&policy), Ordering::Relaxed);
        self.timed.store(times_calls(&policy), Ordering::Relaxed);
        rare.policy = policy;
        drop(rare);
        // A round already past a lowered `half_open_calls`, with no probe left to finish it, is
        // decided here (a probe that finishes later decides it itself; see `record_probe`'s
        // fence).
        fence(Ordering::SeqCst);
        let w = Word::unpack(self.word.load(Ordering::Acquire));
        let finished = w.ok + w.failed;
        if w.state == CircuitState::HalfOpen && finished > 0 && finished >= policy.half_open_calls {
            self.decide(w, || now, on_transition);
        }
    }

    /// The breaker's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration it was created with (the first callsite's attribute).
    pub fn written_policy(&self) -> &BreakerPolicy {
        &self.written
    }

    /// The configuration it decides with now: the attribute's, or as retuned.
    pub fn policy(&self) -> BreakerPolicy {
        self.lock().policy
    }

    /// `slow_call` now, read without the mutex.
    #[inline]
    pub fn slow_call(&self) -> Option<Duration> {
        match self.slow_call.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// The current state. An open breaker whose `open_for` has passed reports `Open` until the
    /// next call moves it to half-open.
    pub fn state(&self) -> CircuitState {
        Word::unpack(self.word.load(Ordering::Acquire)).state
    }

    /// The ticket of a call admitted now, if the breaker is closed: the whole admission of the
    /// common case, one load.
    #[inline(always)]
    pub(crate) fn closed(&self) -> Option<Ticket> {
        let current = self.word.load(Ordering::Acquire);
        if current & 0b111 == CircuitState::Closed as u64 {
            Some(Ticket::closed(current))
        } else {
            None
        }
    }

    /// Whether a closed call must be timed: its ticket then goes through
    /// [`record_other`](Self::record_other), with the clock (`slow_call`, or a time window).
    #[inline]
    pub fn times_calls(&self) -> bool {
        self.timed.load(Ordering::Relaxed)
    }

    /// Calls rejected so far.
    pub fn not_permitted(&self) -> u64 {
        self.not_permitted.load(Ordering::Relaxed)
    }

    /// Half-open probes admitted and not yet finished or given back, and finished ones.
    pub fn probes(&self) -> (u32, u32) {
        let w = Word::unpack(self.word.load(Ordering::Acquire));
        match w.state {
            CircuitState::HalfOpen => (w.admitted - w.ok - w.failed, w.ok + w.failed),
            _ => (0, 0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Rare> {
        self.rare.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a call, or says how long until the breaker lets a probe through (zero when
    /// forced open or every probe slot is taken). `now` is read only when the breaker is open.
    #[inline]
    pub fn try_acquire(
        &self,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) -> Result<Ticket, Duration> {
        let current = self.word.load(Ordering::Acquire);
        if current & 0b111 == CircuitState::Closed as u64 {
            return Ok(Ticket::closed(current));
        }
        self.try_acquire_slow(current, now, on_transition)
    }

    /// Admission in any state but closed.
    #[cold]
    #[inline(never)]
    fn try_acquire_slow(
        &self,
        mut current: u64,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) -> Result<Ticket, Duration> {
        loop {
            let w = Word::unpack(current);
            let next = match w.state {
                CircuitState::Closed => return Ok(Ticket::closed(current)),
                CircuitState::Disabled => return Ok(Ticket::tagged(UNCOUNTED_TICKET, w.epoch)),
                CircuitState::ForcedOpen => return Err(self.reject(Duration::ZERO)),
                CircuitState::Open => {
                    let now = now();
                    let until = self.open_until.load(Ordering::Acquire);
                    if now < until {
                        return Err(self.reject(Duration::from_nanos(until - now)));
                    }
                    if self.held.load(Ordering::Acquire) != 0 {
                        return Err(self.reject(Duration::ZERO));
                    }
                    Word {
                        admitted: 1,
                        ..w.next(CircuitState::HalfOpen)
                    }
                }
                CircuitState::HalfOpen => {
                    if w.admitted >= self.half_open_calls.load(Ordering::Relaxed) {
                        return Err(self.reject(Duration::ZERO));
                    }
                    Word {
                        admitted: w.admitted + 1,
                        ..w
                    }
                }
            };
            match self.word.compare_exchange_weak(
                current,
                next.pack(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if w.state == CircuitState::Open {
                        on_transition(&Transition {
                            from: CircuitState::Open,
                            to: CircuitState::HalfOpen,
                            counts: Counts::default(),
                        });
                    }
                    return Ok(Ticket::tagged(PROBE_TICKET, next.epoch));
                }
                Err(actual) => current = actual,
            }
        }
    }

    #[cold]
    fn reject(&self, retry_after: Duration) -> Duration {
        self.not_permitted.fetch_add(1, Ordering::Relaxed);
        retry_after
    }

    /// Records how an admitted call ended. `now` is read only when a decision needs it.
    #[inline]
    pub fn record(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        let ticket = if slow || self.times_calls() {
            ticket.timed()
        } else {
            ticket
        };
        if !self.record_untimed(ticket, outcome, &now, &on_transition) {
            self.record_other(ticket, outcome, slow, now, on_transition);
        }
    }

    /// Records an untimed closed call (see [`Ticket::timed`]) admitted in the word the breaker
    /// is still in (see [`Ticket`]): `false`, recording nothing, for any other ticket (every
    /// other ticket differs from every word), which goes to
    /// [`record_other`](Self::record_other).
    #[inline]
    pub(crate) fn record_untimed(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) -> bool {
        if self.word.load(Ordering::Relaxed) != ticket.0 {
            return false;
        }
        self.record_closed(ticket, outcome, false, now, on_transition);
        true
    }

    /// A probe, a timed closed call, or a call admitted in a state since left.
    #[cold]
    #[inline(never)]
    pub(crate) fn record_other(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        match ticket.0 & 0b111 {
            PROBE_TICKET => self.record_probe(ticket, outcome, slow, now, on_transition),
            // Still in the closed word it was admitted in.
            TIMED_TICKET if self.word.load(Ordering::Relaxed) == ticket.word() => {
                if self.successes.timed() {
                    self.record_closed_at(ticket, outcome, slow, now, on_transition);
                } else {
                    self.record_closed(ticket, outcome, slow, now, on_transition);
                }
            }
            _ => {}
        }
    }

    /// A call admitted while closed, the breaker still in that closed word.
    #[inline]
    fn record_closed(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        self.record_closed_counting(
            || self.successes.bump(),
            ticket,
            outcome,
            slow,
            now,
            on_transition,
        );
    }

    /// [`record_closed`](Self::record_closed) in a time window: a success is counted in the
    /// bucket of `now`.
    fn record_closed_at(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        self.record_closed_counting(
            || self.successes.bump_at(now()),
            ticket,
            outcome,
            slow,
            &now,
            on_transition,
        );
    }

    /// A closed call: a success is counted by `count_success` and ends a run of failures; a
    /// failure or slow call goes to the window's log.
    #[inline(always)]
    fn record_closed_counting(
        &self,
        count_success: impl FnOnce(),
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        if outcome == Recorded::Success {
            count_success();
            if !slow {
                return;
            }
        }
        self.record_closed_slow(ticket, outcome, slow, now, on_transition);
    }

    /// A closed call that failed, or was slow, or is ignored.
    #[cold]
    #[inline(never)]
    fn record_closed_slow(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        if outcome == Recorded::Ignored {
            return;
        }
        self.after_bad_call(
            ticket.epoch(),
            outcome == Recorded::Failure,
            slow,
            now,
            on_transition,
        );
    }

    fn trips(policy: &BreakerPolicy, c: &Counts) -> bool {
        c.calls >= policy.effective_min_calls()
            && (c.failure_rate() >= policy.failure_rate
                || (policy.slow_call.is_some() && c.slow_rate() >= policy.slow_rate))
    }

    /// A failure or slow call was recorded while closed in `epoch`: into the window, under the
    /// mutex, then open if a rule says so.
    #[cold]
    fn after_bad_call(
        &self,
        epoch: u32,
        failed: bool,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        let mut rare = self.lock();
        let w = Word::unpack(self.word.load(Ordering::Acquire));
        if w.epoch != epoch || w.state != CircuitState::Closed {
            return;
        }
        let in_a_row = self.consecutive_failures.load(Ordering::Relaxed);
        let consecutive_trip = failed && in_a_row > 0 && {
            let successes = self.successes.total();
            if successes != rare.successes_then {
                rare.successes_then = successes;
                rare.consecutive = 0;
            }
            rare.consecutive += 1;
            rare.consecutive >= in_a_row
        };
        // A count window needs no clock unless it opens.
        let t = if self.successes.timed() { now() } else { 0 };
        let counts = rare.log.record(&self.successes, failed, slow, t);
        if consecutive_trip || Self::trips(&rare.policy, &counts) {
            let t = if self.successes.timed() { t } else { now() };
            let open_for = rare.policy.open_for.after_failed_probes(rare.failed_rounds);
            self.open(w, t, open_for, counts, on_transition);
        }
    }

    /// Moves from `w` to Open until `now + open_for`. The caller holds the mutex.
    fn open(
        &self,
        w: Word,
        now: u64,
        open_for: Duration,
        counts: Counts,
        on_transition: impl Fn(&Transition),
    ) -> bool {
        let until = now.saturating_add(u64::try_from(open_for.as_nanos()).unwrap_or(u64::MAX));
        self.open_until.store(until, Ordering::Release);
        self.swap(w, w.next(CircuitState::Open), counts, on_transition)
    }

    /// Compare-and-swap from `w` to `next`; reports the transition when it happened.
    fn swap(
        &self,
        w: Word,
        next: Word,
        counts: Counts,
        on_transition: impl Fn(&Transition),
    ) -> bool {
        let done = self
            .word
            .compare_exchange(w.pack(), next.pack(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if done {
            on_transition(&Transition {
                from: w.state,
                to: next.state,
                counts,
            });
        }
        done
    }

    #[cold]
    #[inline(never)]
    fn record_probe(
        &self,
        ticket: Ticket,
        outcome: Recorded,
        slow: bool,
        now: impl Fn() -> u64,
        on_transition: impl Fn(&Transition),
    ) {
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            let w = Word::unpack(current);
            if w.epoch != ticket.epoch() || w.state != CircuitState::HalfOpen {
                return;
            }
            let next = match outcome {
                // Cancelled or rejected beneath: give the slot back.
                Recorded::Ignored => Word {
                    admitted: w.admitted - 1,
                    ..w
                },
                Recorded::Success => Word {
                    ok: w.ok + 1,
                    slow: w.slow + u32::from(slow),
                    ..w
                },
                Recorded::Failure => Word {
                    failed: w.failed + 1,
                    slow: w.slow + u32::from(slow),
                    ..w
                },
            };
            match self.word.compare_exchange_weak(
                current,
                next.pack(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // `>=`: a retuned `half_open_calls` may have fallen below the probes
                    // already finished. The fence pairs with `retune`'s: either this probe
                    // sees the new count, or `retune` sees this probe finished (never neither).
                    fence(Ordering::SeqCst);
                    let finished = next.ok + next.failed;
                    if finished > 0 && finished >= self.half_open_calls.load(Ordering::Relaxed) {
                        self.decide(next, now, on_transition);
                    }
                    return;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Every probe of the round in `w` has finished: close, or open for longer.
    #[cold]
    fn decide(&self, w: Word, now: impl Fn() -> u64, on_transition: impl Fn(&Transition)) {
        let mut rare = self.lock();
        // Decided already (a retune and the last probe may both see the round finished).
        if self.word.load(Ordering::Acquire) != w.pack() {
            return;
        }
        let counts = Counts {
            calls: u64::from(w.ok + w.failed),
            failures: u64::from(w.failed),
            slow: u64::from(w.slow),
        };
        let policy = rare.policy;
        let failing = counts.failure_rate() >= policy.failure_rate
            || (policy.slow_call.is_some() && counts.slow_rate() >= policy.slow_rate);
        let t = now();
        if failing {
            let rounds = rare.failed_rounds.saturating_add(1);
            if self.open(
                w,
                t,
                policy.open_for.after_failed_probes(rounds),
                counts,
                on_transition,
            ) {
                rare.failed_rounds = rounds;
            }
        } else {
            self.close(&mut rare, w, t, counts, on_transition);
        }
    }

    /// Moves from `w` to Closed with an empty window. The caller holds the mutex.
    fn close(
        &self,
        rare: &mut Rare,
        w: Word,
        now: u64,
        counts: Counts,
        on_transition: impl Fn(&Transition),
    ) -> bool {
        rare.log.restart(&self.successes, now);
        rare.consecutive = 0;
        let done = self.swap(w, w.next(CircuitState::Closed), counts, on_transition);
        if done {
            rare.failed_rounds = 0;
        }
        done
    }

    /// Operator override: move to `to` whatever the state.
    pub fn force(&self, to: CircuitState, now: u64, on_transition: impl Fn(&Transition)) {
        let mut rare = self.lock();
        loop {
            let w = Word::unpack(self.word.load(Ordering::Acquire));
            let done = match to {
                CircuitState::Closed => {
                    self.close(&mut rare, w, now, Counts::default(), &on_transition)
                }
                _ => self.swap(w, w.next(to), Counts::default(), &on_transition),
            };
            if done {
                return;
            }
        }
    }

    /// The window at `now`, as decisions read it: its calls, failures and slow calls.
    /// Fleet scope: holds (or lets) an open breaker whose time is up from going half-open.
    pub fn hold_probes(&self, held: bool) {
        self.held.store(u32::from(held), Ordering::Release);
    }

    /// When the open state ends (on the breaker's clock).
    pub fn open_until(&self) -> u64 {
        self.open_until.load(Ordering::Acquire)
    }

    /// Opens for `open_for` as another replica did: from closed or half-open; an open breaker
    /// keeps the later end; a forced or disabled one is left alone (the operator decides).
    /// Whether the state changed.
    pub fn follow_open(
        &self,
        now: u64,
        open_for: Duration,
        on_transition: impl Fn(&Transition),
    ) -> bool {
        let _rare = self.lock();
        let until = now.saturating_add(u64::try_from(open_for.as_nanos()).unwrap_or(u64::MAX));
        loop {
            let w = Word::unpack(self.word.load(Ordering::Acquire));
            match w.state {
                CircuitState::Closed | CircuitState::HalfOpen => {
                    if self.open(w, now, open_for, Counts::default(), &on_transition) {
                        return true;
                    }
                }
                CircuitState::Open => {
                    self.open_until.fetch_max(until, Ordering::AcqRel);
                    return false;
                }
                CircuitState::ForcedOpen | CircuitState::Disabled => return false,
            }
        }
    }

    /// Closes as another replica's probes decided: from open or half-open only. Whether the
    /// state changed.
    pub fn follow_close(&self, now: u64, on_transition: impl Fn(&Transition)) -> bool {
        let mut rare = self.lock();
        loop {
            let w = Word::unpack(self.word.load(Ordering::Acquire));
            match w.state {
                CircuitState::Open | CircuitState::HalfOpen => {
                    if self.close(&mut rare, w, now, Counts::default(), &on_transition) {
                        return true;
                    }
                }
                _ => return false,
            }
        }
    }

    pub fn window_counts(&self, now: u64) -> (u64, u64, u64) {
        let c = self.lock().log.counts(&self.successes, now);
        (c.calls, c.failures, c.slow)
    }
}

/// Whether a closed call under `policy` must be timed (`slow_call`, or a time window).
fn times_calls(policy: &BreakerPolicy) -> bool {
    policy.slow_call.is_some() || matches!(policy.window, super::Window::Time(_))
}

/// `slow_call` in nanoseconds, 0 when off (a `slow_call` is never zero).
fn slow_call_nanos(policy: &BreakerPolicy) -> u64 {
    policy.slow_call.map_or(0, |d| {
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
    })
}

impl Transition {
    /// The failure rate that decided (0.0–1.0).
    pub fn failure_rate(&self) -> f64 {
        self.counts.failure_rate()
    }
    /// The slow-call rate that decided (0.0–1.0).
    pub fn slow_rate(&self) -> f64 {
        self.counts.slow_rate()
    }
    /// The calls the decision was based on.
    pub fn calls(&self) -> u64 {
        self.counts.calls
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_word_round_trips() {
        let w = Word {
            state: CircuitState::HalfOpen,
            admitted: 4095,
            ok: 3,
            failed: 7,
            slow: 1,
            epoch: 8191,
        };
        assert_eq!(Word::unpack(w.pack()), w);
        assert_eq!(w.next(CircuitState::Open).epoch, 0);
    }

    /// A timed ticket keeps its call's start beside the word it was admitted in: the duration
    /// is exact, across the start's wrap at 2^47 ns too, and the ticket still names its word
    /// (closed) or its epoch and tag (probe).
    #[test]
    fn a_timed_ticket_keeps_its_start_and_its_word() {
        let closed = Word {
            state: CircuitState::Closed,
            admitted: 0,
            ok: 0,
            failed: 0,
            slow: 0,
            epoch: 8190,
        }
        .pack();
        for start in [
            0,
            5,
            CLOCK_MASK,
            STARTED,
            START_MASK,
            START_MASK + 1,
            u64::MAX - 10,
        ] {
            let t = Ticket::closed(closed).started_at(start);
            assert_eq!(t.0 & 0b111, TIMED_TICKET);
            assert_eq!(t.word(), closed);
            assert_eq!(t.epoch(), 8190);
            for ran in [0, 1, 999_999_999, 1_000_000_000, 3_600_000_000_000] {
                assert_eq!(
                    t.elapsed(start.wrapping_add(ran)),
                    Some(ran),
                    "{start} + {ran}"
                );
            }
        }
        let probe = Ticket::tagged(PROBE_TICKET, 17).started_at(42);
        assert!(probe.is_probe());
        assert_eq!(probe.epoch(), 17);
        assert_eq!(probe.elapsed(1_042), Some(1_000));
        // Not started for `slow_call`: no duration, whatever the clock says.
        assert_eq!(Ticket::closed(closed).timed().elapsed(1_000), None);
    }
}
