//! How a retried error is written in events: its `Display` when it has one, its `Debug`
//! otherwise, never a backtrace, even for an `anyhow::Error` captured with `RUST_BACKTRACE=1`.
//!
//! The backtrace test needs `RUST_LIB_BACKTRACE=1` before its first error is made; setting it
//! in this process would need `unsafe` (`std::env::set_var`), so the test runs itself again in
//! a child process with the variable set.

use resilience::{Event, registry, retry};
use std::process::Command;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::Receiver;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Metadata, Subscriber};

/// A `tracing` subscriber keeping the `error` field of every event, as text.
#[derive(Clone, Default)]
struct ErrorFields(Arc<Mutex<Vec<String>>>);

impl Visit for ErrorFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "error" {
            self.0.lock().unwrap().push(format!("{value:?}"));
        }
    }
}

impl Subscriber for ErrorFields {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut self.clone());
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

const CHILD: &str = "RESILIENCE_LOG_ERROR_CHILD";

/// The retry events of policy `name` so far.
fn retries(rx: &mut Receiver<Event>, name: &str) -> Vec<String> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|e| match e {
            Event::Retry { name: n, error, .. } if n == name => Some(error),
            _ => None,
        })
        .collect()
}

#[retry(name = "log_error.anyhow", attempts = 2, backoff = none, budget = none)]
async fn anyhow_down() -> anyhow::Result<()> {
    Err(anyhow::anyhow!("upstream down"))
}

#[test]
fn an_anyhow_error_is_logged_by_its_message_without_its_backtrace() {
    if std::env::var_os(CHILD).is_none() {
        let status = Command::new(std::env::current_exe().expect("the test binary"))
            .args([
                "--exact",
                "an_anyhow_error_is_logged_by_its_message_without_its_backtrace",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1")
            .status()
            .expect("the child test runs");
        assert!(status.success(), "the child test failed: {status}");
        return;
    }
    // In the child, with backtraces on: the error's `Debug` carries one.
    let debug = format!("{:?}", anyhow::anyhow!("upstream down"));
    assert!(
        debug.contains("Stack backtrace"),
        "precondition: anyhow captures a backtrace here: {debug}"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let logged = ErrorFields::default();
    let _guard = tracing::subscriber::set_default(logged.clone());
    let mut events = registry().subscribe();
    assert!(rt.block_on(anyhow_down()).is_err());
    assert_eq!(
        *logged.0.lock().unwrap(),
        ["upstream down"],
        "the `tracing` event"
    );
    assert_eq!(
        retries(&mut events, "log_error.anyhow"),
        ["upstream down"],
        "the message alone, no backtrace"
    );
}

#[derive(Debug)]
struct OnlyDebug {
    #[allow(dead_code)] // read through `Debug` only
    code: u16,
}

#[derive(Debug)]
struct BothDebugAndDisplay;

impl std::fmt::Display for BothDebugAndDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("service unavailable")
    }
}

#[retry(name = "log_error.debug", attempts = 2, backoff = none, budget = none)]
async fn only_debug() -> Result<(), OnlyDebug> {
    Err(OnlyDebug { code: 503 })
}

#[retry(name = "log_error.display", attempts = 2, backoff = none, budget = none)]
async fn both() -> Result<(), BothDebugAndDisplay> {
    Err(BothDebugAndDisplay)
}

#[tokio::test(start_paused = true)]
async fn display_is_used_when_the_error_has_it_and_debug_otherwise() {
    let mut events = registry().subscribe();
    assert!(only_debug().await.is_err());
    assert!(both().await.is_err());
    assert_eq!(
        retries(&mut events, "log_error.debug"),
        ["OnlyDebug { code: 503 }"]
    );
    // Drained above: subscribe again, this stream held the display events too.
    let mut events = registry().subscribe();
    assert!(both().await.is_err());
    assert_eq!(
        retries(&mut events, "log_error.display"),
        ["service unavailable"]
    );
}

#[retry(name = "log_error.context", attempts = 2, backoff = none, budget = none)]
async fn with_context() -> anyhow::Result<()> {
    use anyhow::Context as _;
    Err(anyhow::anyhow!("host east unavailable")).context("reading sku-1 from east")
}

/// An `anyhow::Error` wrapped with `.context(..)` is written with its causes (its alternate
/// `Display`), not only the outermost message.
#[tokio::test(start_paused = true)]
async fn an_anyhow_error_is_logged_with_its_causes() {
    let mut events = registry().subscribe();
    assert!(with_context().await.is_err());
    assert_eq!(
        retries(&mut events, "log_error.context"),
        ["reading sku-1 from east: host east unavailable"]
    );
}

#[retry(name = "log_error.sync_debug", attempts = 2, backoff = none, budget = none)]
fn sync_only_debug() -> Result<(), OnlyDebug> {
    Err(OnlyDebug { code: 500 })
}

#[retry(name = "log_error.sync_display", attempts = 2, backoff = none, budget = none)]
fn sync_both() -> Result<(), BothDebugAndDisplay> {
    Err(BothDebugAndDisplay)
}

#[test]
fn a_sync_retry_logs_display_when_the_error_has_it_and_debug_otherwise() {
    let mut events = registry().subscribe();
    assert!(sync_only_debug().is_err());
    assert!(sync_both().is_err());
    let all: Vec<Event> = std::iter::from_fn(|| events.try_recv().ok()).collect();
    let of = |name: &str| -> Vec<String> {
        all.iter()
            .filter_map(|e| match e {
                Event::Retry { name: n, error, .. } if *n == name => Some(error.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(of("log_error.sync_debug"), ["OnlyDebug { code: 500 }"]);
    assert_eq!(of("log_error.sync_display"), ["service unavailable"]);
}
