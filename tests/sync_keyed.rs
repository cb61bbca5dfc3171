//! Sync functions with the registry of issue 12: `key = expr` on a plain `fn` (one instance per
//! key, as for an `async fn`), and `resilience::testing::isolated()` reaching sync callsites.

use resilience::testing::{ManualClock, isolated};
use resilience::{CircuitState, Error, bulkhead, circuit_breaker, rate_limit, registry};
use std::time::Duration;

#[derive(Debug, PartialEq)]
enum Failed {
    Down,
    Resilience(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Resilience(e)
    }
}

#[circuit_breaker(name = "sync-keyed-upstream", key = host, consecutive_failures = 2, open_for = 10s)]
fn get(host: &str, ok: bool) -> Result<u32, Failed> {
    if ok { Ok(1) } else { Err(Failed::Down) }
}

#[test]
fn a_sync_keyed_breaker_opens_for_its_key_only() {
    let _registry = isolated();
    let clock = ManualClock::new();
    assert_eq!(get("a.example", false), Err(Failed::Down));
    assert_eq!(get("a.example", false), Err(Failed::Down));
    assert!(matches!(
        get("a.example", true),
        Err(Failed::Resilience(Error::CircuitOpen {
            name: "sync-keyed-upstream",
            ..
        }))
    ));
    assert_eq!(get("b.example", true), Ok(1));
    let reg = registry();
    let a = reg
        .circuit_breaker("sync-keyed-upstream[a.example]")
        .unwrap();
    let b = reg
        .circuit_breaker("sync-keyed-upstream[b.example]")
        .unwrap();
    assert_eq!(a.state(), CircuitState::Open);
    assert_eq!(b.state(), CircuitState::Closed);
    // a's open time runs on the manual clock: still open at 9 s, probing at 10 s.
    clock.advance(Duration::from_secs(9));
    assert!(matches!(
        get("a.example", true),
        Err(Failed::Resilience(Error::CircuitOpen { .. }))
    ));
    clock.advance(Duration::from_secs(1));
    assert_eq!(get("a.example", true), Ok(1));
    assert_eq!(a.state(), CircuitState::HalfOpen);
}

/// Calls `inside` while holding the place of `tenant`'s one-place bulkhead.
#[bulkhead(name = "sync-keyed-pool", key = tenant, max_concurrent = 1)]
fn hold(tenant: &str, inside: &dyn Fn() -> Result<u32, Failed>) -> Result<u32, Failed> {
    inside()
}

#[test]
fn a_sync_keyed_bulkhead_has_places_per_key() {
    let _registry = isolated();
    // While "t1" holds its only place, "t1" is full and "t2" is not.
    let nested_same = hold("t1", &|| hold("t1", &|| Ok(2)));
    assert!(matches!(
        nested_same,
        Err(Failed::Resilience(Error::BulkheadFull {
            name: "sync-keyed-pool",
            max_concurrent: 1
        }))
    ));
    assert_eq!(hold("t1", &|| hold("t2", &|| Ok(2))), Ok(2));
    // The places were given back.
    let t1 = registry().bulkhead("sync-keyed-pool[t1]").unwrap();
    assert_eq!(t1.in_flight(), 0);
    assert_eq!(t1.rejected(), 1);
    assert_eq!(
        registry()
            .bulkhead("sync-keyed-pool[t2]")
            .unwrap()
            .rejected(),
        0
    );
}

#[rate_limit(name = "sync-keyed-limit", key = user, rate = 1/60s)]
fn limited(user: &str) -> Result<(), Failed> {
    Ok(())
}

#[test]
fn a_sync_keyed_rate_limit_counts_each_key_apart() {
    let _registry = isolated();
    let clock = ManualClock::new();
    assert_eq!(limited("ann"), Ok(()));
    assert_eq!(limited("bob"), Ok(()));
    assert_eq!(
        limited("ann"),
        Err(Failed::Resilience(Error::RateLimited {
            name: "sync-keyed-limit",
            retry_after: Duration::from_secs(60)
        }))
    );
    clock.advance(Duration::from_secs(60));
    assert_eq!(limited("ann"), Ok(()));
    let ann = registry().rate_limiter("sync-keyed-limit[ann]").unwrap();
    assert_eq!((ann.admitted(), ann.rejected()), (2, 1));
}

#[circuit_breaker(name = "sync-isolated", consecutive_failures = 1, open_for = 60s)]
fn isolated_call(ok: bool) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(Failed::Down) }
}

#[test]
fn a_sync_callsite_uses_the_isolated_registry_of_its_thread() {
    {
        let _registry = isolated();
        assert_eq!(isolated_call(false), Err(Failed::Down));
        let breaker = registry().circuit_breaker("sync-isolated").unwrap();
        assert_eq!(breaker.state(), CircuitState::Open);
    }
    // The breaker opened in the test's registry, not in the process's one.
    assert!(registry().circuit_breaker("sync-isolated").is_none());
    // A second isolated test starts from a fresh, closed breaker.
    let _registry = isolated();
    assert_eq!(isolated_call(true), Ok(()));
    assert_eq!(
        registry().circuit_breaker("sync-isolated").unwrap().state(),
        CircuitState::Closed
    );
}
