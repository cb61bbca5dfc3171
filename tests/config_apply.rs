//! `registry().apply(&config)`: live values by name, all or nothing, names kept until their
//! first callsite, each change listed (SPEC §13).

use resilience::testing::isolated;
use resilience::{Config, ConfigError, Error, bulkhead, circuit_breaker, registry, timeout};
use std::time::Duration;
use tokio::time::sleep;

fn config(toml: &str) -> Config {
    Config::from_toml_str(toml).unwrap()
}

#[bulkhead(name = "inventory", max_concurrent = 2, max_wait = 0ms)]
async fn inventory(hold: Duration) -> Result<(), Error> {
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_bulkhead_resized_by_name_admits_as_many_as_configured() {
    let _registry = isolated();
    inventory(Duration::ZERO).await.unwrap();
    let applied = registry()
        .apply(&config("[bulkhead.inventory]\nmax_concurrent = 4"))
        .unwrap();
    let change = &applied.changes[0];
    assert_eq!(
        (
            change.kind,
            change.name.as_str(),
            change.key,
            change.old.as_str(),
            change.new.as_str()
        ),
        ("bulkhead", "inventory", "max_concurrent", "2", "4")
    );
    let hold = Duration::from_millis(10);
    let (a, b, c, d, e) = tokio::join!(
        inventory(hold),
        inventory(hold),
        inventory(hold),
        inventory(hold),
        inventory(hold)
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok() && d.is_ok());
    assert_eq!(
        e,
        Err(Error::BulkheadFull {
            name: "inventory",
            max_concurrent: 4
        })
    );
    // A later configuration replaces the earlier one: without the key, the attribute's 2.
    let applied = registry().apply(&Config::new()).unwrap();
    assert_eq!(
        applied.changes[0].to_string(),
        "[bulkhead.inventory] max_concurrent: 4 → 2"
    );
    assert_eq!(
        registry().bulkhead("inventory").unwrap().max_concurrent(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn a_disabled_bulkhead_lets_every_call_through_and_comes_back() {
    let _registry = isolated();
    registry()
        .apply(&config("[bulkhead.inventory]\nenabled = false"))
        .unwrap();
    let hold = Duration::from_millis(10);
    let (a, b, c) = tokio::join!(inventory(hold), inventory(hold), inventory(hold));
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "off: no limit");
    // Read as off, with the size it goes back to, not as an internal sentinel.
    let handle = registry().bulkhead("inventory").unwrap();
    assert_eq!(
        (handle.max_concurrent(), handle.available()),
        (2, usize::MAX)
    );
    let snapshot = registry().snapshot();
    let row = &snapshot.bulkheads[0];
    assert_eq!((row.enabled, row.max_concurrent), (false, 2));
    let table = snapshot.to_string();
    assert!(table.contains("inventory  "), "{table}");
    assert!(table.contains(" off "), "{table}");
    assert!(
        table.contains("configured") && table.contains("[bulkhead] enabled = false"),
        "{table}"
    );
    registry()
        .apply(&config("[bulkhead.inventory]\nenabled = true"))
        .unwrap();
    let (a, b, c) = tokio::join!(inventory(hold), inventory(hold), inventory(hold));
    assert!(a.is_ok() && b.is_ok());
    assert!(matches!(
        c,
        Err(Error::BulkheadFull {
            max_concurrent: 2,
            ..
        })
    ));
}

#[bulkhead(name = "later", max_concurrent = 5)]
async fn later() -> Result<usize, Error> {
    Ok(registry().bulkhead("later").unwrap().max_concurrent())
}

#[tokio::test(start_paused = true)]
async fn a_name_without_a_callsite_yet_is_applied_on_its_first_call() {
    let _registry = isolated();
    let applied = registry()
        .apply(&config(
            "[bulkhead.later]\nmax_concurrent = 1\nmax_wait = \"5ms\"",
        ))
        .unwrap();
    assert!(applied.changes.is_empty(), "nothing registered yet");
    assert_eq!(applied.waiting, [("bulkhead", "later".to_owned())]);
    assert_eq!(later().await, Ok(1));
    // Now it has a callsite: a typo in a name is what stays waiting.
    let applied = registry()
        .apply(&config(
            "[bulkhead.later]\nmax_concurrent = 1\n[bulkhead.latter]\nmax_concurrent = 1",
        ))
        .unwrap();
    assert_eq!(applied.waiting, [("bulkhead", "latter".to_owned())]);
}

#[circuit_breaker(name = "payments", window = 10)]
async fn payments() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn one_refused_value_changes_nothing() {
    let _registry = isolated();
    inventory(Duration::ZERO).await.unwrap();
    payments().await.unwrap();
    // `min_calls = 20` cannot be reached in the attribute's window of 10 calls.
    let err = registry()
        .apply(&config(
            "[bulkhead.inventory]\nmax_concurrent = 9\n[circuit_breaker.payments]\nmin_calls = 20",
        ))
        .unwrap_err();
    let ConfigError::Invalid {
        table,
        name,
        key,
        value,
        problem,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (
            table.as_str(),
            name.as_deref(),
            key.as_deref(),
            value.as_deref()
        ),
        (
            "circuit_breaker",
            Some("payments"),
            Some("min_calls"),
            Some("20")
        )
    );
    assert!(
        problem.contains("can never be reached in a window of 10 calls"),
        "{problem}"
    );
    assert_eq!(
        registry().bulkhead("inventory").unwrap().max_concurrent(),
        2,
        "nothing changed"
    );
}

#[timeout(name = "pricing", 10ms)]
async fn pricing(work: Duration) -> Result<(), Error> {
    sleep(work).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_timeout_takes_its_new_duration_from_the_next_call_and_can_be_switched_off() {
    // Timeouts live in the process-wide registry: this is the one test applying there.
    let ms = Duration::from_millis;
    assert!(matches!(pricing(ms(50)).await, Err(Error::Timeout { .. })));
    let applied = registry()
        .apply(&config("[timeout.pricing]\nduration = \"100ms\""))
        .unwrap();
    assert_eq!(
        applied.changes[0].to_string(),
        "[timeout.pricing] duration: attribute → 100ms"
    );
    assert_eq!(pricing(ms(50)).await, Ok(()));
    assert!(matches!(
        pricing(ms(150)).await,
        Err(Error::Timeout { after, .. }) if after == ms(100)
    ));
    let applied = registry()
        .apply(&config("[timeout.pricing]\nenabled = false"))
        .unwrap();
    assert_eq!(
        applied.changes[0].to_string(),
        "[timeout.pricing] enabled: true → false"
    );
    assert_eq!(pricing(Duration::from_secs(3600)).await, Ok(()));
    registry().apply(&Config::new()).unwrap();
    assert!(matches!(
        pricing(ms(50)).await,
        Err(Error::Timeout { after, .. }) if after == ms(10)
    ));
}

#[tokio::test(start_paused = true)]
async fn a_configured_max_wait_lets_a_third_caller_wait_for_a_place() {
    let _registry = isolated();
    let hold = Duration::from_millis(10);
    let (_, _, refused) = tokio::join!(inventory(hold), inventory(hold), inventory(hold));
    assert!(refused.is_err(), "the attribute's max_wait is 0ms");
    let applied = registry()
        .apply(&config("[bulkhead.inventory]\nmax_wait = \"50ms\""))
        .unwrap();
    assert_eq!(
        applied.changes[0].to_string(),
        "[bulkhead.inventory] max_wait: attribute → 50ms"
    );
    let (a, b, c) = tokio::join!(inventory(hold), inventory(hold), inventory(hold));
    assert!(
        a.is_ok() && b.is_ok() && c.is_ok(),
        "the third waited 10ms for a place"
    );
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_shows_which_values_come_from_configuration() {
    let _registry = isolated();
    inventory(Duration::ZERO).await.unwrap();
    let row = |r: &resilience::Snapshot| {
        r.bulkheads
            .iter()
            .find(|b| b.name == "inventory")
            .unwrap()
            .clone()
    };
    assert!(
        row(&registry().snapshot()).configured.is_empty(),
        "all the attribute's"
    );
    registry()
        .apply(&config(
            "[bulkhead.inventory]\nmax_concurrent = 3\nmax_wait = \"5ms\"",
        ))
        .unwrap();
    let b = row(&registry().snapshot());
    assert_eq!(b.max_concurrent, 3, "the effective value");
    assert_eq!(b.configured, ["max_concurrent = 3", "max_wait = 5ms"]);
}

#[bulkhead(name = "inventory", max_concurrent = 2)]
fn inventory_sync() -> Result<usize, Error> {
    Ok(registry().bulkhead("inventory").unwrap().max_concurrent())
}

#[tokio::test(start_paused = true)]
async fn a_sync_callsite_of_a_configured_name_gets_the_configuration() {
    let _registry = isolated();
    registry()
        .apply(&config("[bulkhead.inventory]\nmax_concurrent = 7"))
        .unwrap();
    assert_eq!(inventory_sync(), Ok(7));
    inventory(Duration::ZERO).await.unwrap();
    assert_eq!(
        registry().bulkhead("inventory").unwrap().max_concurrent(),
        7
    );
}
