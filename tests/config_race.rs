//! Applying while calls run loses nothing (SPEC §13): a per-key table applied while 8 threads
//! make new keys reaches every key, and a breaker retuned over and over under 8 threads keeps
//! an exact window afterwards.

use resilience::{CircuitState, Config, Error, circuit_breaker, registry};
use std::sync::Mutex;

/// One test at a time: each applies a whole configuration to the process-wide registry, which
/// replaces the other's (its threads cannot share a test registry).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[derive(Debug)]
struct Down;

impl From<Error> for Down {
    fn from(_: Error) -> Self {
        Down
    }
}

#[circuit_breaker(name = "race_hosts", key = host, window = 10)]
fn host_call(host: &str) -> Result<(), Down> {
    let _ = host;
    Ok(())
}

#[test]
fn a_keyed_table_applied_while_threads_make_keys_reaches_every_key() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let threads = 8;
    let per_thread = 100;
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for k in 0..per_thread {
                    host_call(&format!("{t}-{k}")).unwrap();
                    if k % 10 == 0 {
                        std::thread::yield_now();
                    }
                }
            });
        }
        std::thread::yield_now();
        let config = "[circuit_breaker.race_hosts]\nfailure_rate = \"80%\"";
        registry()
            .apply(&Config::from_toml_str(config).unwrap())
            .unwrap();
    });
    let breakers: Vec<_> = registry()
        .circuit_breakers()
        .into_iter()
        .filter(|b| b.name().starts_with("race_hosts["))
        .collect();
    assert_eq!(breakers.len(), threads * per_thread);
    for b in breakers {
        assert_eq!(
            b.policy().failure_rate,
            0.8,
            "{} missed the table",
            b.name()
        );
    }
}

#[circuit_breaker(name = "race_breaker", window = 20, min_calls = 10, open_for = 1ms, half_open_calls = 3)]
fn flaky(fail: bool) -> Result<(), Down> {
    if fail { Err(Down) } else { Ok(()) }
}

#[test]
fn a_breaker_retuned_under_8_threads_keeps_an_exact_window() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tables = [
        "window = 5\nmin_calls = 5\nhalf_open_calls = 1",
        "window = \"10s\"\nfailure_rate = \"90%\"",
        "window = 50\nconsecutive_failures = 3\nhalf_open_calls = 7",
        "enabled = false",
        "slow_call = \"1s\"\nslow_rate = \"50%\"",
        "",
    ];
    std::thread::scope(|s| {
        for t in 0..8 {
            s.spawn(move || {
                for i in 0..2_000 {
                    // Open (after the storm of failures) is the one acceptable refusal.
                    let _ = flaky((i + t) % 3 == 0);
                }
            });
        }
        for round in 0..300 {
            let table = tables[round % tables.len()];
            let config = Config::from_toml_str(&format!("[circuit_breaker.race_breaker]\n{table}"));
            registry().apply(&config.unwrap()).unwrap();
            std::thread::yield_now();
        }
    });
    // A fresh window of 40 calls, then exactly 40 calls counted, 10 of them failed.
    registry()
        .apply(
            &Config::from_toml_str(
                "[circuit_breaker.race_breaker]\nwindow = 40\nfailure_rate = \"100%\"",
            )
            .unwrap(),
        )
        .unwrap();
    let b = registry().circuit_breaker("race_breaker").unwrap();
    b.reset();
    assert_eq!(b.state(), CircuitState::Closed);
    for i in 0..40 {
        let _ = flaky(i % 4 == 0);
    }
    let m = b.metrics();
    assert_eq!((m.calls, m.failures), (40, 10));
    assert_eq!(b.state(), CircuitState::Closed);
}
