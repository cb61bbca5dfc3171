//! Model tests of the circuit breaker's state machine: every interleaving of a few threads,
//! explored by `loom`. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --test loom_circuit_breaker`.
//! Each model is kept to two or three threads and a handful of operations so the whole file
//! finishes in a few minutes.
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::thread;
use resilience_runtime::CircuitState;
use resilience_runtime::circuit_breaker::{BreakerPolicy, Machine, OpenFor, Recorded, Window};
use std::time::Duration;

fn policy(f: impl FnOnce(&mut BreakerPolicy)) -> BreakerPolicy {
    let mut p = BreakerPolicy {
        open_for: OpenFor::Fixed(Duration::from_nanos(10)),
        ..BreakerPolicy::DEFAULT
    };
    f(&mut p);
    p
}

fn quiet(_: &resilience_runtime::circuit_breaker::Transition) {}

/// A breaker opened by one failure, its open period over at time 10.
fn opened(half_open_calls: u32) -> Machine {
    let m = Machine::new(
        "loom",
        policy(|p| {
            p.consecutive_failures = Some(1);
            p.half_open_calls = half_open_calls;
        }),
        0,
    );
    let t = m.try_acquire(|| 0, quiet).unwrap();
    m.record(t, Recorded::Failure, false, || 0, quiet);
    assert_eq!(m.state(), CircuitState::Open);
    m
}

/// Two callers race into half-open with one probe slot: exactly one is admitted.
#[test]
fn one_probe_slot_admits_exactly_one_of_two_racing_callers() {
    loom::model(|| {
        let m = Arc::new(opened(1));
        let admitted = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (m, admitted) = (Arc::clone(&m), Arc::clone(&admitted));
                thread::spawn(move || {
                    if m.try_acquire(|| 10, quiet).is_ok() {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(admitted.load(Ordering::Relaxed), 1);
        assert_eq!(m.state(), CircuitState::HalfOpen);
        assert_eq!(m.not_permitted(), 1);
    });
}

/// Two probes finish concurrently, one failing: the breaker reopens, decided exactly once.
#[test]
fn the_last_probe_to_finish_decides_once() {
    loom::model(|| {
        let m = Arc::new(opened(2));
        let a = m.try_acquire(|| 10, quiet).unwrap();
        let b = m.try_acquire(|| 10, quiet).unwrap();
        assert!(m.try_acquire(|| 10, quiet).is_err());
        let transitions = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = [(a, Recorded::Success), (b, Recorded::Failure)]
            .into_iter()
            .map(|(ticket, outcome)| {
                let (m, transitions) = (Arc::clone(&m), Arc::clone(&transitions));
                thread::spawn(move || {
                    m.record(
                        ticket,
                        outcome,
                        false,
                        || 20,
                        |_| {
                            transitions.fetch_add(1, Ordering::Relaxed);
                        },
                    );
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(transitions.load(Ordering::Relaxed), 1);
        assert_eq!(m.state(), CircuitState::Open);
    });
}

/// `half_open_calls` lowered from 3 to 2 (configuration at run time) while the second of two
/// probes finishes: whatever the interleaving, the round is decided (closed), exactly once;
/// never left waiting for a third probe that no caller may start any more.
#[test]
fn a_lowered_half_open_calls_racing_the_last_probe_decides_the_round_once() {
    loom::model(|| {
        let m = Arc::new(opened(3));
        let a = m.try_acquire(|| 10, quiet).unwrap();
        let b = m.try_acquire(|| 10, quiet).unwrap();
        m.record(a, Recorded::Success, false, || 20, quiet);
        let transitions = Arc::new(AtomicU64::new(0));
        let count = |transitions: &Arc<AtomicU64>| {
            let transitions = Arc::clone(transitions);
            move |_: &resilience_runtime::circuit_breaker::Transition| {
                transitions.fetch_add(1, Ordering::Relaxed);
            }
        };
        let probe = {
            let (m, on) = (Arc::clone(&m), count(&transitions));
            thread::spawn(move || m.record(b, Recorded::Success, false, || 20, on))
        };
        let lowered = policy(|p| {
            p.consecutive_failures = Some(1);
            p.half_open_calls = 2;
        });
        m.retune(lowered, 20, count(&transitions));
        probe.join().unwrap();
        assert_eq!(transitions.load(Ordering::Relaxed), 1);
        assert_eq!(m.state(), CircuitState::Closed);
    });
}

/// A cancelled probe gives its slot back while another caller races for it: the slot is
/// never lost and never given twice.
#[test]
fn a_cancelled_probe_gives_its_slot_back_to_a_racing_caller() {
    loom::model(|| {
        let m = Arc::new(opened(1));
        let probe = m.try_acquire(|| 10, quiet).unwrap();
        let canceller = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.record(probe, Recorded::Ignored, false, || 10, quiet))
        };
        let racer = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.try_acquire(|| 10, quiet).ok())
        };
        canceller.join().unwrap();
        let raced = racer.join().unwrap();
        let (in_flight, finished) = m.probes();
        assert_eq!(finished, 0);
        assert_eq!(in_flight, u32::from(raced.is_some()));
        // Whoever did not get it in the race can take it now.
        if raced.is_none() {
            assert!(m.try_acquire(|| 10, quiet).is_ok());
        } else {
            assert!(m.try_acquire(|| 10, quiet).is_err());
        }
    });
}

/// Successes and failures recorded from two threads are all counted once, in a count window
/// that slides while they race (failures go to the log under the mutex, successes to the
/// stripes), and the breaker does not open.
#[test]
fn concurrent_records_are_counted_exactly_once() {
    loom::model(|| {
        let m = Arc::new(Machine::new(
            "loom",
            policy(|p| {
                p.window = Window::Calls(3);
                p.min_calls = 3;
                p.failure_rate = 1.0;
            }),
            0,
        ));
        let threads: Vec<_> = [Recorded::Success, Recorded::Failure]
            .into_iter()
            .map(|outcome| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for _ in 0..2 {
                        let t = m.try_acquire(|| 0, quiet).unwrap();
                        m.record(t, outcome, false, || 0, quiet);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Every call counted once, whatever the interleaving: the window holds exactly the
        // last 3 of the 4 calls, and 1 or 2 of them failed (the first call recorded may have
        // been either).
        let (calls, failures, _) = m.window_counts(0);
        assert_eq!(calls, 3);
        assert!((1..=2).contains(&failures), "{failures}");
        // 100% failures over 3 calls is out of reach.
        assert_eq!(m.state(), CircuitState::Closed);
    });
}

/// Consecutive failures from two threads open the breaker exactly once, and an operator's
/// `force_open` racing with it wins or follows; the state always ends forced open or open.
#[test]
fn a_trip_racing_an_operator_override_leaves_one_consistent_state() {
    loom::model(|| {
        let m = Arc::new(Machine::new(
            "loom",
            policy(|p| p.consecutive_failures = Some(1)),
            0,
        ));
        let t = m.try_acquire(|| 0, quiet).unwrap();
        let opens = Arc::new(AtomicU64::new(0));
        let tripper = {
            let (m, opens) = (Arc::clone(&m), Arc::clone(&opens));
            thread::spawn(move || {
                m.record(
                    t,
                    Recorded::Failure,
                    false,
                    || 0,
                    |tr| {
                        if tr.to == CircuitState::Open {
                            opens.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                )
            })
        };
        let operator = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.force(CircuitState::ForcedOpen, 0, quiet))
        };
        tripper.join().unwrap();
        operator.join().unwrap();
        // The failure was admitted in the first closed epoch: it opens the breaker only if it
        // was recorded before the override; the override always ends last or wins.
        let opened = opens.load(Ordering::Relaxed);
        assert!(opened <= 1);
        assert!(matches!(m.state(), CircuitState::ForcedOpen));
    });
}

/// Two failures racing to trip a `consecutive_failures = 2` breaker open it exactly once, and
/// a caller racing them is either admitted while closed or rejected with the full open period.
#[test]
fn racing_failures_open_the_breaker_exactly_once() {
    loom::model(|| {
        let m = Arc::new(Machine::new(
            "loom",
            policy(|p| p.consecutive_failures = Some(2)),
            0,
        ));
        let a = m.try_acquire(|| 0, quiet).unwrap();
        let b = m.try_acquire(|| 0, quiet).unwrap();
        let opens = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = [a, b]
            .into_iter()
            .map(|ticket| {
                let (m, opens) = (Arc::clone(&m), Arc::clone(&opens));
                thread::spawn(move || {
                    m.record(
                        ticket,
                        Recorded::Failure,
                        false,
                        || 0,
                        |tr| {
                            assert_eq!(
                                (tr.from, tr.to),
                                (CircuitState::Closed, CircuitState::Open)
                            );
                            opens.fetch_add(1, Ordering::Relaxed);
                        },
                    )
                })
            })
            .collect();
        let caller = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.try_acquire(|| 0, quiet))
        };
        for t in threads {
            t.join().unwrap();
        }
        match caller.join().unwrap() {
            Ok(ticket) => assert!(!ticket.is_probe()),
            Err(retry_after) => assert_eq!(retry_after, Duration::from_nanos(10)),
        }
        assert_eq!(opens.load(Ordering::Relaxed), 1);
        assert_eq!(m.state(), CircuitState::Open);
    });
}

/// A time window (16 ns: buckets of 1 ns): a success and a failure recorded at once from two
/// threads are each counted once.
#[test]
fn a_time_window_counts_racing_calls_once() {
    loom::model(|| {
        let m = Arc::new(Machine::new(
            "loom",
            policy(|p| p.window = Window::Time(Duration::from_nanos(16))),
            0,
        ));
        let threads: Vec<_> = [Recorded::Success, Recorded::Failure]
            .into_iter()
            .map(|outcome| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    let t = m.try_acquire(|| 3, quiet).unwrap();
                    m.record(t, outcome, false, || 3, quiet);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(m.window_counts(3), (2, 1, 0));
        assert_eq!(m.window_counts(19), (0, 0, 0));
    });
}

/// Two successes race for one bucket cell, one from the bucket the cell holds and one from
/// the next bucket to use it: the newer bucket's call is never lost, and the older one is
/// counted in its own bucket or, arriving late, in the newer one (never wiping it).
#[test]
fn a_late_success_never_wipes_a_newer_bucket() {
    loom::model(|| {
        let m = Arc::new(Machine::new(
            "loom",
            policy(|p| p.window = Window::Time(Duration::from_nanos(16))),
            0,
        ));
        let threads: Vec<_> = [0u64, 16]
            .into_iter()
            .map(|at| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    let t = m.try_acquire(|| at, quiet).unwrap();
                    m.record(t, Recorded::Success, false, || at, quiet);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (calls, failures, _) = m.window_counts(16);
        assert!((1..=2).contains(&calls), "{calls}");
        assert_eq!(failures, 0);
    });
}

/// Fleet scope: while the probe lease is elsewhere the breaker is held open past its time;
/// a caller racing the release is either rejected (still held) or the one probe, never more.
#[test]
fn a_held_breaker_admits_no_probe_until_released_then_exactly_its_slots() {
    loom::model(|| {
        let m = Arc::new(opened(1));
        m.hold_probes(true);
        assert!(
            m.try_acquire(|| 10, quiet).is_err(),
            "held past its open time"
        );
        let caller = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.try_acquire(|| 10, quiet).is_ok())
        };
        let releaser = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.hold_probes(false))
        };
        releaser.join().unwrap();
        let admitted = caller.join().unwrap();
        // Released now: a second caller gets the slot if the first did not, else nothing.
        let second = m.try_acquire(|| 10, quiet).is_ok();
        assert!(admitted != second, "exactly one probe: {admitted} {second}");
        assert_eq!(m.state(), CircuitState::HalfOpen);
    });
}

/// Fleet scope: another replica's opening arrives while a local failure opens the breaker:
/// one transition, and the later end of the two open times.
#[test]
fn following_an_opening_that_races_a_local_one_opens_once_until_the_later_end() {
    loom::model(|| {
        let m = Arc::new(Machine::new(
            "loom",
            policy(|p| p.consecutive_failures = Some(1)),
            0,
        ));
        let transitions = Arc::new(AtomicU64::new(0));
        let count = {
            let transitions = Arc::clone(&transitions);
            move |_: &resilience_runtime::circuit_breaker::Transition| {
                transitions.fetch_add(1, Ordering::Relaxed);
            }
        };
        let ticket = m.try_acquire(|| 0, quiet).unwrap();
        let local = {
            let (m, count) = (Arc::clone(&m), count.clone());
            thread::spawn(move || m.record(ticket, Recorded::Failure, false, || 0, count))
        };
        let remote = {
            let (m, count) = (Arc::clone(&m), count.clone());
            thread::spawn(move || {
                m.follow_open(0, Duration::from_nanos(100), count);
            })
        };
        local.join().unwrap();
        remote.join().unwrap();
        assert_eq!(m.state(), CircuitState::Open);
        assert_eq!(transitions.load(Ordering::Relaxed), 1);
        assert_eq!(m.open_until(), 100);
    });
}
