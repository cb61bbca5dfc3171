//! `scope = fleet` in a process that never connects a fleet store: every instance runs
//! locally, exactly as `scope = local` would, and says so once per name. And `scope`,
//! `on_store_error` and `store_timeout` set by name in the configuration (SPEC §13, §15).
//! No Redis here: the paused clock drives everything.

use resilience::fleet::{OnStoreError, Scope};
use resilience::{CircuitState, Config, Error, circuit_breaker, rate_limit, registry};
use std::time::Duration;

#[path = "support/capture.rs"]
mod capture;
use capture::Capture;

#[derive(Debug, PartialEq)]
enum E {
    Down,
    R(Error),
}
impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::R(e)
    }
}

/// The "no fleet store" warnings seen for `name`.
fn no_store_for(capture: &Capture, name: &str) -> usize {
    capture
        .seen()
        .iter()
        .filter(|e| e.field("name") == name)
        .filter(|e| e.field("message").contains("no fleet store is connected"))
        .count()
}

#[rate_limit(name = "unconnected.limit", rate = 2/1s, scope = fleet)]
async fn limited() -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_fleet_limit_without_a_store_is_the_local_limit_and_warns_once() {
    let warnings = Capture::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    assert_eq!(limited().await, Ok(()));
    assert_eq!(limited().await, Ok(()));
    assert_eq!(
        limited().await,
        Err(E::R(Error::RateLimited {
            name: "unconnected.limit",
            retry_after: Duration::from_millis(500)
        }))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(limited().await, Ok(()));
    assert_eq!(no_store_for(&warnings, "unconnected.limit"), 1);
    let l = registry().rate_limiter("unconnected.limit").unwrap();
    assert_eq!(l.fleet_policy().scope, Scope::Fleet);
    assert_eq!((l.admitted(), l.rejected(), l.store_errors()), (3, 1, 0));
    assert!(!resilience::fleet::status().connected);
}

#[circuit_breaker(
    name = "unconnected.breaker",
    consecutive_failures = 2,
    open_for = 1s,
    half_open_calls = 1,
    scope = fleet
)]
async fn guarded(fail: bool) -> Result<(), E> {
    if fail { Err(E::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_fleet_breaker_without_a_store_opens_and_probes_by_itself() {
    let warnings = Capture::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    assert_eq!(guarded(true).await, Err(E::Down));
    assert_eq!(guarded(true).await, Err(E::Down));
    let b = registry().circuit_breaker("unconnected.breaker").unwrap();
    assert_eq!(b.state(), CircuitState::Open);
    assert!(matches!(
        guarded(false).await,
        Err(E::R(Error::CircuitOpen { .. }))
    ));
    // No lease to wait for: after `open_for` the next call is this process's own probe.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(guarded(false).await, Ok(()));
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(no_store_for(&warnings, "unconnected.breaker"), 1);
}

#[rate_limit(name = "configured.limit", rate = 1/1s)]
async fn configured() -> Result<(), E> {
    Ok(())
}

#[circuit_breaker(name = "configured.breaker")]
async fn configured_breaker() -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn scope_and_the_store_settings_are_set_by_name() {
    configured().await.unwrap();
    configured_breaker().await.unwrap();
    let config = Config::from_toml_str(
        r#"
        [rate_limit."configured.limit"]
        scope = "fleet"
        on_store_error = "deny"
        store_timeout = "20ms"
        [circuit_breaker."configured.breaker"]
        scope = "fleet"
        "#,
    )
    .unwrap();
    let applied = registry().apply(&config).unwrap();
    let changes: Vec<String> = applied.changes.iter().map(ToString::to_string).collect();
    assert!(
        changes.contains(&"[rate_limit.\"configured.limit\"] scope: local → fleet".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes
            .contains(&"[rate_limit.\"configured.limit\"] store_timeout: 50ms → 20ms".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes
            .contains(&"[circuit_breaker.\"configured.breaker\"] scope: local → fleet".to_owned()),
        "{changes:?}"
    );
    let l = registry().rate_limiter("configured.limit").unwrap();
    let p = l.fleet_policy();
    assert_eq!(
        (p.scope, p.on_store_error, p.store_timeout),
        (Scope::Fleet, OnStoreError::Deny, Duration::from_millis(20))
    );
    let b = registry().circuit_breaker("configured.breaker").unwrap();
    assert_eq!(
        b.policy().fleet.scope,
        Scope::Local,
        "the attribute's value"
    );
    assert_eq!(b.fleet_policy().scope, Scope::Fleet, "the configuration's");

    // A later configuration without the keys goes back to the attribute's values.
    registry().apply(&Config::default()).unwrap();
    assert_eq!(l.fleet_policy().scope, Scope::Local);
    assert_eq!(b.fleet_policy().scope, Scope::Local);
}

#[test]
fn bad_store_settings_are_refused_with_the_attributes_words() {
    let typo = Config::from_toml_str("[rate_limit.x]\nscope = \"flete\"").unwrap_err();
    assert!(typo.to_string().contains("did you mean `fleet`?"), "{typo}");
    let zero = Config::from_toml_str("[rate_limit.x]\nstore_timeout = \"0ms\"").unwrap_err();
    assert!(zero.to_string().contains("longer than zero"), "{zero}");
    let breaker =
        Config::from_toml_str("[circuit_breaker.x]\non_store_error = \"deny\"").unwrap_err();
    assert!(
        breaker.to_string().contains("unknown key `on_store_error`"),
        "{breaker}"
    );
}

#[rate_limit(name = "configured.both", rate = 1/1s)]
async fn configured_both() -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_table_retunes_the_rate_and_the_scope_together() {
    let _registry = resilience::testing::isolated();
    configured_both().await.unwrap();
    assert!(
        configured_both().await.is_err(),
        "1/s: the second is refused"
    );
    let config = Config::from_toml_str(
        r#"
        [rate_limit."configured.both"]
        rate = "100/1s"
        scope = "fleet"
        "#,
    )
    .unwrap();
    let applied = registry().apply(&config).unwrap();
    let keys: Vec<&str> = applied.changes.iter().map(|c| c.key).collect();
    assert!(
        keys.contains(&"rate") && keys.contains(&"scope"),
        "{keys:?}"
    );
    let l = registry().rate_limiter("configured.both").unwrap();
    assert_eq!(l.fleet_policy().scope, Scope::Fleet);
    // No store connected: fleet scope runs locally, on the retuned rate.
    for _ in 0..10 {
        configured_both().await.unwrap();
    }
}

#[rate_limit(name = "configured.keyed", rate = 2/1s, key = user)]
async fn configured_keyed(user: &str) -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_per_key_limiter_refuses_fleet_scope_by_name_as_its_attribute_does() {
    let _registry = resilience::testing::isolated();
    configured_keyed("u").await.unwrap();
    let config = Config::from_toml_str(
        r#"
        [rate_limit."configured.keyed"]
        scope = "fleet"
        "#,
    )
    .unwrap();
    let err = registry().apply(&config).unwrap_err().to_string();
    assert!(
        err.contains("`scope = fleet` does not combine with `key = ..` yet"),
        "{err}"
    );
}
