//! Differential test against the `failsafe` crate on the consecutive-failures policy: thousands
//! of random sequences of successes, failures and clock advances, after each of which both
//! breakers must agree on whether the next call is permitted.
//!
//! Both run on a frozen clock (failsafe's mock clock; explicit nanoseconds for ours). Our
//! breaker is configured as failsafe's: `consecutive_failures = n`, one half-open probe (calls
//! here are sequential, and failsafe decides on the first result in half-open), no rate rule.
//! One documented difference is kept out of the sequences: failsafe lets probes through
//! strictly after the open period, ours at its end, so every clock advance carries an extra
//! nanosecond and never lands exactly on the boundary.

use failsafe::backoff;
use failsafe::failure_policy::consecutive_failures;
use resilience_runtime::circuit_breaker::{
    BreakerPolicy, Machine, OpenFor, Recorded, Transition, Window,
};
use std::time::Duration;

fn quiet(_: &Transition) {}

#[derive(Debug, Clone, Copy)]
enum Op {
    Success,
    Failure,
    Advance(Duration),
}

#[derive(Debug, Clone, Copy)]
enum Backoff {
    Constant(u64),
    Exponential(u64, u64),
}

fn run(n: u32, b: Backoff, ops: &[Op]) -> Result<(), String> {
    let ours = Machine::new(
        "differential",
        BreakerPolicy {
            consecutive_failures: Some(n),
            half_open_calls: 1,
            failure_rate: 1.0,
            // No rate rule: a window that never holds `min_calls`.
            window: Window::Time(Duration::from_secs(1 << 40)),
            min_calls: u32::MAX,
            open_for: match b {
                Backoff::Constant(s) => OpenFor::Fixed(Duration::from_secs(s)),
                Backoff::Exponential(s, m) => {
                    OpenFor::exponential(Duration::from_secs(s), Duration::from_secs(m))
                }
            },
            ..BreakerPolicy::DEFAULT
        },
        0,
    );
    failsafe::clock::freeze(|clock| {
        macro_rules! theirs {
            ($policy:expr) => {
                failsafe::Config::new().failure_policy($policy).build()
            };
        }
        match b {
            Backoff::Constant(s) => {
                let fs = theirs!(consecutive_failures(
                    n,
                    backoff::constant(Duration::from_secs(s))
                ));
                drive(
                    &ours,
                    ops,
                    clock,
                    || fs.is_call_permitted(),
                    |ok| {
                        if ok { fs.on_success() } else { fs.on_error() }
                    },
                )
            }
            Backoff::Exponential(s, m) => {
                let fs = theirs!(consecutive_failures(
                    n,
                    backoff::exponential(Duration::from_secs(s), Duration::from_secs(m))
                ));
                drive(
                    &ours,
                    ops,
                    clock,
                    || fs.is_call_permitted(),
                    |ok| {
                        if ok { fs.on_success() } else { fs.on_error() }
                    },
                )
            }
        }
    })
}

fn drive(
    ours: &Machine,
    ops: &[Op],
    clock: &mut failsafe::clock::MockClock,
    permitted: impl Fn() -> bool,
    record: impl Fn(bool),
) -> Result<(), String> {
    let mut now: u64 = 0;
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Advance(d) => {
                clock.advance(d);
                now += d.as_nanos() as u64;
            }
            Op::Success | Op::Failure => {
                let theirs = permitted();
                let mine = ours.try_acquire(|| now, quiet);
                if theirs != mine.is_ok() {
                    return Err(format!(
                        "op {i} ({op:?}) at {now} ns: failsafe permitted = {theirs}, ours = {mine:?}, state {:?}",
                        ours.state()
                    ));
                }
                if let Ok(ticket) = mine {
                    let ok = matches!(op, Op::Success);
                    record(ok);
                    let outcome = if ok {
                        Recorded::Success
                    } else {
                        Recorded::Failure
                    };
                    ours.record(ticket, outcome, false, || now, quiet);
                }
            }
        }
    }
    Ok(())
}

#[test]
fn agrees_with_failsafe_on_when_calls_are_permitted() {
    let mut rng = fastrand::Rng::with_seed(0x5eed_c1c1);
    let mut permitted_calls = 0usize;
    for case in 0..3000 {
        let n = rng.u32(1..=5);
        let b = if rng.bool() {
            Backoff::Constant(rng.u64(1..=5))
        } else {
            let s = rng.u64(1..=3);
            Backoff::Exponential(s, s * rng.u64(1..=8))
        };
        // Failure-heavy sequences open often; advances are whole milliseconds plus 1 ns.
        let failure_share = rng.u32(30..=95);
        let ops: Vec<Op> = (0..rng.usize(20..200))
            .map(|_| match rng.u32(0..100) {
                0..20 => {
                    Op::Advance(Duration::from_millis(rng.u64(0..6000)) + Duration::from_nanos(1))
                }
                p if p - 20 < failure_share * 80 / 100 => Op::Failure,
                _ => Op::Success,
            })
            .collect();
        permitted_calls += ops.len();
        if let Err(e) = run(n, b, &ops) {
            panic!("case {case}: consecutive_failures = {n}, {b:?}\n{e}\nops: {ops:?}");
        }
    }
    assert!(permitted_calls > 100_000);
}
