//! The `axum_service` example over real loopback HTTP: the upstream is made to fail, then
//! healed, then made to stall, and `/price`, `/health` and `/metrics` of the service are
//! checked at each step.
//!
//! Real sockets need the real clock, so the waits are the example's own short ones (300ms
//! timeouts, a breaker open for 1s) and every wait for a change is a bounded poll. The whole
//! scenario is one test: the Prometheus recorder and the breaker are process-wide.

// main.rs uses parts of the service that this test does not.
#[allow(dead_code)]
#[path = "../examples/axum_service/service.rs"]
mod service;

use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

struct Service {
    http: reqwest::Client,
    base: String,
}

impl Service {
    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("a body"))
    }

    async fn get_json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path).await;
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {path} answered {status} with non-JSON {body:?}: {e}"));
        (status, json)
    }

    async fn price(&self, sku: &str) -> (u16, Value) {
        self.get_json(&format!("/price/{sku}")).await
    }

    async fn health(&self) -> (u16, Value) {
        self.get_json("/health").await
    }

    async fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// The state of breaker `name` in a `/health` body.
fn breaker_state<'a>(health: &'a Value, name: &str) -> &'a str {
    health["registry"]["circuit_breakers"]
        .as_array()
        .unwrap_or_else(|| panic!("no circuit_breakers in {health}"))
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no breaker {name:?} in {health}"))["state"]
        .as_str()
        .expect("a state string")
}

/// The sum of the values of metric `name` over the lines carrying every label in `labels`
/// (`None` when no line matches), whatever the labels' order.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let Some((label_set, value)) = rest.strip_prefix('{').and_then(|r| r.split_once("} "))
        else {
            continue;
        };
        let has =
            |(k, v): &(&str, &str)| label_set.split(',').any(|kv| kv == format!("{k}=\"{v}\""));
        if labels.iter().all(has) {
            let value: f64 = value.trim().parse().expect("a number");
            *found.get_or_insert(0.0) += value;
        }
    }
    found
}

/// Polls `check` every 25ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = check().await {
            return t;
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_follow_the_upstream() {
    let started = Instant::now();
    // Before the first annotated call, so that its metrics are recorded.
    let metrics = service::metrics_handle();

    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let upstream = service::spawn_upstream(loopback).await.unwrap();
    let state = service::AppState::new(&upstream.url(), &["upstream"], metrics);
    let addr = service::spawn_service(loopback, state).await.unwrap();
    let http = reqwest::Client::new();
    let svc = Service {
        http: http.clone(),
        base: format!("http://{addr}"),
    };
    let fault = |f: &'static str| {
        let http = http.clone();
        let url = format!("{}/fault/{f}", upstream.url());
        async move {
            let resp = http.post(url).send().await.expect("upstream reachable");
            assert_eq!(resp.status().as_u16(), 200, "POST /fault/{f}");
        }
    };

    // -- Healthy: fresh prices, /health ok with the breaker closed.
    let (status, body) = svc.health().await;
    assert_eq!(
        (status, &body["status"]),
        (200, &Value::from("ok")),
        "{body}"
    );
    for sku in ["sku-1", "sku-2"] {
        let (status, body) = svc.price(sku).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sku"], sku);
        assert_eq!(body["stale"], false);
    }
    let (status, body) = svc.price("unknown-1").await;
    assert_eq!(
        (status, &body["kind"]),
        (404, &Value::from("unknown_sku")),
        "{body}"
    );
    let (status, body) = svc.health().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["critical_open"], serde_json::json!([]));
    assert_eq!(breaker_state(&body, "upstream"), "closed");
    let text = svc.metrics().await;
    assert_eq!(
        metric(&text, "resilience_circuit_state", &[("name", "upstream")]),
        Some(0.0),
        "{text}"
    );

    // -- The upstream fails: a sku never seen fails after its retries (502), a sku seen before
    // gets its last price from the fallback, and soon the breaker opens: 503 without calling
    // the upstream.
    fault("fail").await;
    let (status, body) = svc.price("sku-3").await;
    assert_eq!(
        (status, &body["kind"]),
        (502, &Value::from("upstream_status")),
        "{body}"
    );
    let (status, body) = svc.price("sku-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stale"], true, "the fallback's last price: {body}");
    eventually("the breaker opens", Duration::from_secs(2), || async {
        let (status, body) = svc.price("sku-3").await;
        (status == 503 && body["kind"] == "circuit_open").then_some(())
    })
    .await;
    let requests = upstream.requests();
    let (status, body) = svc.price("sku-3").await;
    assert_eq!(
        (status, &body["kind"]),
        (503, &Value::from("circuit_open")),
        "{body}"
    );
    assert_eq!(
        upstream.requests(),
        requests,
        "an open breaker does not call the upstream"
    );

    let (status, body) = svc.health().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["critical_open"], serde_json::json!(["upstream"]));
    assert_eq!(breaker_state(&body, "upstream"), "open");

    let text = svc.metrics().await;
    assert_eq!(
        metric(&text, "resilience_circuit_state", &[("name", "upstream")]),
        Some(1.0),
        "{text}"
    );
    let failures = metric(&text, "resilience_calls_total", &[("outcome", "failure")]);
    assert!(failures >= Some(1.0), "no failed call counted:\n{text}");
    let rejected = metric(
        &text,
        "resilience_calls_total",
        &[("kind", "circuit_breaker"), ("outcome", "rejected")],
    );
    assert!(rejected >= Some(2.0), "no rejection counted:\n{text}");
    let retries = metric(&text, "resilience_retries_total", &[("name", "upstream")]);
    assert!(retries >= Some(2.0), "no retry counted:\n{text}");

    // -- Healed: once `open_for` (1s) has passed, probes go through and close the breaker.
    fault("heal").await;
    eventually("the breaker closes", Duration::from_secs(3), || async {
        let (status, body) = svc.price("sku-3").await;
        assert!(
            status == 200 || body["kind"] == "circuit_open",
            "{status} {body}"
        );
        let (status, health) = svc.health().await;
        (status == 200 && breaker_state(&health, "upstream") == "closed").then_some(())
    })
    .await;
    for _ in 0..4 {
        let (status, body) = svc.price("sku-3").await;
        assert_eq!(
            (status, &body["stale"]),
            (200, &Value::from(false)),
            "{body}"
        );
    }
    let (status, body) = svc.health().await;
    assert_eq!(
        (status, &body["status"]),
        (200, &Value::from("ok")),
        "{body}"
    );
    assert_eq!(body["critical_open"], serde_json::json!([]));
    let text = svc.metrics().await;
    assert_eq!(
        metric(&text, "resilience_circuit_state", &[("name", "upstream")]),
        Some(0.0),
        "{text}"
    );

    // -- The upstream stalls: each attempt is cut off after 300ms and the call ends in 504.
    // The 3 timeouts count as breaker failures, but against the 4 successes above they stay
    // under 50%: the breaker stays closed.
    fault("stall").await;
    let t = Instant::now();
    let (status, body) = svc.price("sku-4").await;
    assert_eq!(
        (status, &body["kind"]),
        (504, &Value::from("timeout")),
        "{body}"
    );
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    let text = svc.metrics().await;
    let timeouts = metric(
        &text,
        "resilience_calls_total",
        &[("kind", "timeout"), ("outcome", "rejected")],
    );
    assert!(timeouts >= Some(1.0), "no timeout counted:\n{text}");
    let (status, body) = svc.health().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(breaker_state(&body, "upstream"), "closed");
    fault("heal").await;
    eprintln!("scenario took {:?}", started.elapsed());
}
