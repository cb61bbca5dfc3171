//! `key = expr`: one instance per value of the key, created on first use with the attribute's
//! settings, listed as `name[key]`, at most `max_keys` of them (the least recently used is
//! dropped past that, and the drop counted).

use resilience::testing::isolated;
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

struct Client {
    host: String,
}

impl Client {
    #[circuit_breaker(name = "upstream", key = self.host.as_str(), consecutive_failures = 2, open_for = 10s)]
    async fn get(&self, ok: bool) -> Result<u32, Failed> {
        if ok { Ok(1) } else { Err(Failed::Down) }
    }
}

#[tokio::test(start_paused = true)]
async fn each_host_has_its_own_breaker() {
    let _registry = isolated();
    let (a, b) = (
        Client {
            host: "a.example".into(),
        },
        Client {
            host: "b.example".into(),
        },
    );
    assert_eq!(a.get(false).await, Err(Failed::Down));
    assert_eq!(a.get(false).await, Err(Failed::Down));
    // a's breaker is open; b's is untouched.
    assert!(matches!(
        a.get(true).await,
        Err(Failed::Resilience(Error::CircuitOpen {
            name: "upstream",
            ..
        }))
    ));
    assert_eq!(b.get(true).await, Ok(1));

    let reg = registry();
    let open = reg.circuit_breaker("upstream[a.example]").unwrap();
    assert_eq!(
        (open.name(), open.state()),
        ("upstream[a.example]", CircuitState::Open)
    );
    let closed = reg.circuit_breaker("upstream[b.example]").unwrap();
    assert_eq!(closed.state(), CircuitState::Closed);
    assert!(reg.circuit_breaker("upstream").is_none());
    let names: Vec<String> = reg
        .circuit_breakers()
        .iter()
        .map(|b| b.name().to_owned())
        .collect();
    assert_eq!(names, ["upstream[a.example]", "upstream[b.example]"]);
    // An operator resets one key.
    open.reset();
    assert_eq!(a.get(true).await, Ok(1));
}

#[bulkhead(name = "per_user", key = user, max_concurrent = 1, max_keys = 2)]
async fn per_user(user: &str, hold: Duration) -> Result<(), Failed> {
    tokio::time::sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn past_max_keys_the_least_recently_used_is_dropped_and_counted() {
    let _registry = isolated();
    let quick = Duration::from_millis(1);
    per_user("ann", quick).await.unwrap();
    per_user("bob", quick).await.unwrap();
    per_user("ann", quick).await.unwrap(); // bob is now the least recently used
    per_user("cid", quick).await.unwrap(); // a third key: bob is dropped

    let snap = registry().snapshot();
    let names: Vec<&str> = snap.bulkheads.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["per_user[ann]", "per_user[cid]"]);
    let keyed = &snap.keyed[0];
    assert_eq!(
        (
            keyed.kind,
            keyed.name.as_str(),
            keyed.keys,
            keyed.max_keys,
            keyed.dropped
        ),
        ("bulkhead", "per_user", 2, 2, 1)
    );
    assert!(registry().bulkhead("per_user[bob]").is_none());
    // bob comes back with a fresh bulkhead, and the least recently used (ann) goes.
    per_user("bob", quick).await.unwrap();
    assert!(registry().bulkhead("per_user[ann]").is_none());
    assert_eq!(registry().snapshot().keyed[0].dropped, 2);
}

#[tokio::test(start_paused = true)]
async fn each_key_has_its_own_places() {
    let _registry = isolated();
    let long = Duration::from_secs(1);
    let (ann1, ann2, bob) = tokio::join!(
        per_user("ann", long),
        per_user("ann", long),
        per_user("bob", long)
    );
    assert_eq!(ann1, Ok(()));
    assert!(matches!(
        ann2,
        Err(Failed::Resilience(Error::BulkheadFull { .. }))
    ));
    assert_eq!(bob, Ok(()));
    assert_eq!(registry().bulkhead("per_user[ann]").unwrap().rejected(), 1);
    assert_eq!(registry().bulkhead("per_user[bob]").unwrap().rejected(), 0);
}

#[rate_limit(name = "search", key = user.to_string(), rate = 1/1s)]
async fn search(user: u64) -> Result<u64, Failed> {
    Ok(user)
}

#[tokio::test(start_paused = true)]
async fn each_key_has_its_own_rate() {
    let _registry = isolated();
    assert_eq!(search(1).await, Ok(1));
    assert!(matches!(
        search(1).await,
        Err(Failed::Resilience(Error::RateLimited { .. }))
    ));
    assert_eq!(search(2).await, Ok(2));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(search(1).await, Ok(1));
    let l = registry().rate_limiter("search[1]").unwrap();
    assert_eq!((l.admitted(), l.rejected()), (2, 1));
}

/// A per-key breaker's transitions name its key, so an operator can tell which host's breaker
/// opened (errors and metrics carry the `name` alone, a bounded set of labels).
#[tokio::test(start_paused = true)]
async fn a_keyed_breakers_transition_names_its_key() {
    let _registry = isolated();
    let mut events = registry().subscribe();
    let east = Client {
        host: "east.example".into(),
    };
    assert_eq!(east.get(false).await, Err(Failed::Down));
    assert_eq!(east.get(false).await, Err(Failed::Down));
    match events.try_recv() {
        Ok(resilience::Event::CircuitTransition { name, key, to, .. }) => {
            assert_eq!(
                (name, key.as_deref(), to),
                ("upstream", Some("east.example"), CircuitState::Open)
            );
        }
        other => panic!("expected the transition, got {other:?}"),
    }
}
