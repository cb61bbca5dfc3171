//! What the runtime reports: `tracing` events (target, level, stable fields, the callsite's
//! `name`) and the typed [`resilience::Event`] stream of `registry().subscribe()`.
//! Each test has policies of its own names: the registry and the event stream are process-wide.

use resilience::{
    CircuitState, Error, Event, bulkhead, circuit_breaker, rate_limit, registry, retry, timeout,
};
use std::time::Duration;
use tokio::sync::broadcast::Receiver;
use tracing::Level;

#[path = "support/capture.rs"]
mod capture;
use capture::Capture;

#[derive(Debug, Clone, PartialEq)]
enum E {
    Down,
    R(Error),
}
impl From<Error> for E {
    fn from(e: Error) -> Self {
        E::R(e)
    }
}

/// Every event received so far.
fn received(rx: &mut Receiver<Event>) -> Vec<Event> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

/// The events of policy `name` among `events`.
fn of(events: &[Event], name: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for e in events {
        let of = match e {
            Event::Retry { name, .. }
            | Event::RetryBudgetExhausted { name, .. }
            | Event::CircuitTransition { name, .. } => *name,
            Event::Rejected(err) => err.name(),
            _ => "",
        };
        if of == name {
            out.push(e.clone());
        }
    }
    out
}

// ---- retry ----

#[retry(name = "telemetry.retry", attempts = 3, backoff = constant(10ms), jitter = none)]
async fn always_down() -> Result<(), E> {
    Err(E::Down)
}

#[tokio::test(start_paused = true)]
async fn a_retry_is_a_warning_with_name_attempt_delay_and_error_and_an_event() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mut events = registry().subscribe();

    assert_eq!(always_down().await, Err(E::Down));

    let retries: Vec<_> = capture
        .take()
        .into_iter()
        .filter(|e| e.fields.get("name").map(String::as_str) == Some("telemetry.retry"))
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    for (i, e) in retries.iter().enumerate() {
        assert_eq!(e.level, Level::WARN);
        assert_eq!(e.target, "resilience");
        assert_eq!(e.field("attempt"), (i + 1).to_string());
        assert_eq!(e.field("delay_ms"), "10");
        assert_eq!(e.field("error"), "Down");
    }
    assert_eq!(
        of(&received(&mut events), "telemetry.retry"),
        vec![
            Event::Retry {
                name: "telemetry.retry",
                attempt: 1,
                delay: Duration::from_millis(10),
                error: "Down".into(),
            },
            Event::Retry {
                name: "telemetry.retry",
                attempt: 2,
                delay: Duration::from_millis(10),
                error: "Down".into(),
            },
        ]
    );
}

// ---- circuit breaker ----

#[circuit_breaker(
    name = "telemetry.breaker",
    consecutive_failures = 2,
    open_for = 1s,
    half_open_calls = 1
)]
async fn guarded(fail: bool) -> Result<(), E> {
    if fail { Err(E::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn opening_warns_closing_informs_rejections_are_debug_and_each_is_an_event() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mut events = registry().subscribe();

    for _ in 0..2 {
        assert_eq!(guarded(true).await, Err(E::Down));
    }
    let rejected = guarded(false).await;
    assert!(matches!(rejected, Err(E::R(Error::CircuitOpen { .. }))));
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(guarded(false).await, Ok(()));

    let logged: Vec<_> = capture
        .take()
        .into_iter()
        .filter(|e| e.fields.get("name").map(String::as_str) == Some("telemetry.breaker"))
        .map(|e| {
            let what = match e.fields.get("to") {
                Some(to) => format!("{} -> {to}", e.field("from")),
                None => e.field("kind").to_owned(),
            };
            (e.level, what)
        })
        .collect();
    assert_eq!(
        logged,
        vec![
            (Level::WARN, "closed -> open".to_owned()),
            (Level::DEBUG, "circuit_open".to_owned()),
            (Level::INFO, "open -> half_open".to_owned()),
            (Level::INFO, "half_open -> closed".to_owned()),
        ]
    );

    let got = of(&received(&mut events), "telemetry.breaker");
    let moves: Vec<_> = got
        .iter()
        .filter_map(|e| match e {
            Event::CircuitTransition { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        moves,
        vec![
            (CircuitState::Closed, CircuitState::Open),
            (CircuitState::Open, CircuitState::HalfOpen),
            (CircuitState::HalfOpen, CircuitState::Closed),
        ]
    );
    assert!(
        got.iter()
            .any(|e| matches!(e, Event::Rejected(Error::CircuitOpen { .. }))),
        "{got:?}"
    );
}

// ---- timeout, bulkhead, rate limit ----

#[timeout(name = "telemetry.timeout", 50ms)]
async fn slow() -> Result<(), E> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[bulkhead(name = "telemetry.bulkhead", max_concurrent = 1)]
async fn narrow() -> Result<(), E> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}

#[rate_limit(name = "telemetry.rate", rate = 1/1s)]
async fn limited() -> Result<(), E> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_info_and_rejections_are_debug_with_the_policy_name() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mut events = registry().subscribe();

    assert!(matches!(slow().await, Err(E::R(Error::Timeout { .. }))));
    let (a, b) = tokio::join!(narrow(), narrow());
    assert!(a.is_ok());
    assert!(matches!(b, Err(E::R(Error::BulkheadFull { .. }))));
    assert!(limited().await.is_ok());
    assert!(matches!(
        limited().await,
        Err(E::R(Error::RateLimited { .. }))
    ));

    let logged: Vec<_> = capture
        .take()
        .into_iter()
        .filter(|e| e.field("name").starts_with("telemetry."))
        .map(|e| {
            (
                e.level,
                e.field("name").to_owned(),
                e.field("kind").to_owned(),
            )
        })
        .collect();
    let expected = |level, name: &str, kind: &str| (level, name.to_owned(), kind.to_owned());
    assert_eq!(
        logged,
        vec![
            expected(Level::INFO, "telemetry.timeout", "timeout"),
            expected(Level::DEBUG, "telemetry.bulkhead", "bulkhead_full"),
            expected(Level::DEBUG, "telemetry.rate", "rate_limited"),
        ]
    );
    let all = received(&mut events);
    for name in ["telemetry.timeout", "telemetry.bulkhead", "telemetry.rate"] {
        let got = of(&all, name);
        assert!(
            matches!(got.as_slice(), [Event::Rejected(e)] if e.name() == name),
            "{name}: {got:?}"
        );
    }
}

// ---- nothing on success ----

#[retry(name = "telemetry.quiet", attempts = 3)]
#[circuit_breaker(name = "telemetry.quiet")]
#[timeout(name = "telemetry.quiet", 1s)]
#[bulkhead(name = "telemetry.quiet", max_concurrent = 2)]
async fn fine() -> Result<u32, E> {
    Ok(7)
}

#[tokio::test(start_paused = true)]
async fn a_successful_call_reports_nothing() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mut events = registry().subscribe();
    for _ in 0..100 {
        assert_eq!(fine().await, Ok(7));
    }
    let logged: Vec<_> = capture
        .take()
        .into_iter()
        .filter(|e| e.target == "resilience")
        .collect();
    assert!(logged.is_empty(), "{logged:?}");
    assert!(of(&received(&mut events), "telemetry.quiet").is_empty());
}

// ---- one label per function ----

#[retry(name = "telemetry.one_label", attempts = 2, backoff = none, budget = none)]
#[timeout(10ms)]
async fn one_label() -> Result<(), E> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn every_layer_of_a_function_logs_under_its_one_label() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mut events = registry().subscribe();

    assert!(matches!(
        one_label().await,
        Err(E::R(Error::Timeout {
            name: "telemetry.one_label",
            ..
        }))
    ));

    // The timeout has no `name` of its own: it takes the retry's, in events and in logs.
    let events = of(&received(&mut events), "telemetry.one_label");
    let timeouts = events
        .iter()
        .filter(|e| matches!(e, Event::Rejected(Error::Timeout { .. })))
        .count();
    let retries = events
        .iter()
        .filter(|e| matches!(e, Event::Retry { .. }))
        .count();
    assert_eq!((timeouts, retries), (2, 1), "{events:?}");
    let names: std::collections::BTreeSet<String> = capture
        .take()
        .into_iter()
        .filter(|e| e.target == "resilience")
        .map(|e| e.field("name").to_owned())
        .collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["telemetry.one_label"]
    );
}

// ---- a method's label names its type ----

struct PaymentsClient;

impl PaymentsClient {
    /// No `name` anywhere: every layer takes the method's label, `module::Type::method`.
    #[retry(attempts = 2, backoff = none, budget = none)]
    #[circuit_breaker(consecutive_failures = 5)]
    #[bulkhead(max_concurrent = 4)]
    #[timeout(10ms)]
    async fn balance(&self) -> Result<u64, E> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(1)
    }

    /// A plain `fn` method: the same rule.
    #[retry(attempts = 2, backoff = none, budget = none)]
    #[circuit_breaker(consecutive_failures = 5)]
    fn refund(&self) -> Result<u64, E> {
        Err(E::Down)
    }
}

#[tokio::test(start_paused = true)]
async fn a_methods_layers_report_one_label_that_names_its_type() {
    const LABEL: &str = "telemetry::PaymentsClient::balance";
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mut events = registry().subscribe();

    let err = PaymentsClient.balance().await.unwrap_err();
    assert!(
        matches!(err, E::R(Error::Timeout { name: LABEL, .. })),
        "{err:?}"
    );
    let events = of(&received(&mut events), LABEL);
    assert!(
        events.iter().any(|e| matches!(e, Event::Retry { .. })),
        "{events:?}"
    );
    let logged: std::collections::BTreeSet<String> = capture
        .take()
        .into_iter()
        .filter(|e| e.target == "resilience")
        .map(|e| e.field("name").to_owned())
        .collect();
    assert_eq!(logged.into_iter().collect::<Vec<_>>(), [LABEL]);

    let snapshot = registry().snapshot();
    let breakers: Vec<_> = snapshot
        .circuit_breakers
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    let bulkheads: Vec<_> = snapshot.bulkheads.iter().map(|b| b.name.as_str()).collect();
    let retries: Vec<_> = snapshot.retries.iter().map(|r| r.name.as_str()).collect();
    let timeouts: Vec<_> = snapshot.timeouts.iter().map(|t| t.name.as_str()).collect();
    for (kind, names) in [
        ("breaker", &breakers),
        ("bulkhead", &bulkheads),
        ("retry", &retries),
        ("timeout", &timeouts),
    ] {
        assert!(names.contains(&LABEL), "{kind}: {names:?}");
    }

    assert!(matches!(PaymentsClient.refund(), Err(E::Down)));
    let snapshot = registry().snapshot();
    let sync_label = "telemetry::PaymentsClient::refund";
    assert!(snapshot.retries.iter().any(|r| r.name == sync_label));
    assert!(
        snapshot
            .circuit_breakers
            .iter()
            .any(|b| b.name == sync_label)
    );
}

// ---- hedge ----

#[resilience::hedge(name = "telemetry.hedge", delay = 25ms, budget = none)]
async fn slow_first(first: &std::sync::atomic::AtomicBool) -> Result<(), E> {
    let slow = first.swap(false, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(if slow { 500 } else { 5 })).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_hedge_is_a_debug_event_with_name_run_and_after_ms() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let first = std::sync::atomic::AtomicBool::new(true);
    assert_eq!(slow_first(&first).await, Ok(()));
    let hedges: Vec<_> = capture
        .take()
        .into_iter()
        .filter(|e| e.fields.get("name").map(String::as_str) == Some("telemetry.hedge"))
        .collect();
    assert_eq!(hedges.len(), 1, "{hedges:?}");
    assert_eq!(hedges[0].level, Level::DEBUG);
    assert_eq!(hedges[0].target, "resilience");
    assert_eq!(hedges[0].field("run"), "1");
    assert_eq!(hedges[0].field("after_ms"), "25");
}
